"""What each model role is: hub id, pinned revision, licence, attribution, limits, defaults.

A registry, not an if-chain: every checkpoint the project knows is one
``ModelSpec`` in ``DEFAULT_SPECS``; engines and the catalog read it.

Revisions are ``"main"`` for now: no machine here can reach the hub to read the
commit shas, so they could not be checked. Pin them (40-hex commit ids) once a
machine with network can run ``huggingface_hub.model_info(id).sha``; the
revision is part of every result's provenance and of the cache key.

Licences are those of each checkpoint's model card. A licence that requires
credit (CC BY, CC BY-NC-SA) comes with the ``attribution`` line that every
result made with the model carries in ``provenance.models`` (and the README).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from models.errors import LicenceRefused, ModelNotFound

ROLES = ("translation", "summary", "direct-summary")

# The instruct models that write a brief straight from the Chinese
# (``models.engines.causal_lm``). Not in ``ROLES``: several checkpoints share the
# role, one is chosen by NEWSUM_LLM_MODEL (``instruct_spec``), and none is pulled
# by a plain ``newsum models pull`` (gigabytes each).
INSTRUCT_ROLE = "instruct"


def _frozen(**kwargs: Any) -> Mapping[str, Any]:
    # A read-only view, so a shared spec's defaults cannot be edited by a caller.
    return MappingProxyType(dict(kwargs))


@dataclass(frozen=True)
class ModelSpec:
    """One checkpoint for one role, and the limits the engines must respect."""

    role: str
    id: str
    revision: str
    architecture: str
    licence: str
    commercial_use: bool
    max_input_tokens: int
    generation: Mapping[str, Any] = field(default_factory=lambda: _frozen())
    size_mib: int = 0
    # The credit the licence requires wherever the model's output is used; None
    # when the licence asks for none in the output (Apache-2.0).
    attribution: str | None = None

    @property
    def dir_name(self) -> str:
        """The folder name under the model dir: ``owner--name`` (``/`` is not a name)."""
        return self.id.replace("/", "--")


DEFAULT_SPECS: tuple[ModelSpec, ...] = (
    ModelSpec(
        role="translation",
        id="Helsinki-NLP/opus-mt-zh-en",
        revision="main",
        architecture="marian",
        # The model card's licence (../shared/models/README.md): credit required.
        licence="CC BY 4.0",
        commercial_use=True,
        max_input_tokens=512,
        # opus-mt's own settings (beam 4); min_length 0 so that a short cap on
        # new tokens never meets an "unfeasible length constraint".
        generation=_frozen(num_beams=4, max_new_tokens=256, min_length=0),
        size_mib=300,
        attribution=(
            "Helsinki-NLP/opus-mt-zh-en (OPUS-MT, Tatoeba Challenge release 2020-07-17) "
            "© Language Technology Research Group, University of Helsinki, licensed "
            "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/); "
            "https://huggingface.co/Helsinki-NLP/opus-mt-zh-en"
        ),
    ),
    ModelSpec(
        role="summary",
        id="sshleifer/distilbart-cnn-12-6",
        revision="main",
        architecture="bart",
        licence="Apache-2.0",
        commercial_use=True,
        max_input_tokens=1024,
        # The checkpoint's CNN/DM settings, except min_length (56 there): a short
        # article, or a caller's small max_new_tokens, must not be padded out.
        generation=_frozen(
            num_beams=4,
            max_new_tokens=142,
            min_length=0,
            no_repeat_ngram_size=3,
            length_penalty=2.0,
            early_stopping=True,
        ),
        size_mib=1170,
    ),
    ModelSpec(
        role="direct-summary",
        id="csebuetnlp/mT5_m2o_english_crossSum",
        revision="main",
        architecture="mt5",
        licence="CC BY-NC-SA 4.0",
        commercial_use=False,
        max_input_tokens=512,
        # The CrossSum authors' example settings.
        generation=_frozen(num_beams=4, max_new_tokens=84, min_length=0, no_repeat_ngram_size=2),
        size_mib=2230,
        attribution=(
            "csebuetnlp/mT5_m2o_english_crossSum (CrossSum) © CSE NLP Group, Bangladesh "
            "University of Engineering and Technology, licensed CC BY-NC-SA 4.0 "
            "(https://creativecommons.org/licenses/by-nc-sa/4.0/); "
            "https://huggingface.co/csebuetnlp/mT5_m2o_english_crossSum"
        ),
    ),
)


def _instruct(
    model_id: str, architecture: str, size_mib: int, *, licence: str = "Apache-2.0"
) -> ModelSpec:
    return ModelSpec(
        role=INSTRUCT_ROLE,
        id=model_id,
        revision="main",
        architecture=architecture,
        licence=licence,
        commercial_use=licence == "Apache-2.0",
        # Our hard cap on prompt tokens (the checkpoints read 32k): a 2-core CPU
        # reads about this much in the time budget; longer articles get
        # their lead plus the extractive brief of the rest (workers.english.llm_brief).
        max_input_tokens=3072,
        # Greedy, so a result is reproducible; the cap is a hard limit on new tokens.
        generation=_frozen(do_sample=False, num_beams=1, max_new_tokens=320, min_length=0),
        size_mib=size_mib,
    )


# Licences from each model card (huggingface.co/Qwen/<name>, "license" field):
# Apache-2.0 for all but Qwen2.5-3B-Instruct, which ships under the Qwen Research
# License (non-commercial). Sizes: the bf16 safetensors of each repository.
INSTRUCT_SPECS: tuple[ModelSpec, ...] = (
    _instruct("Qwen/Qwen2.5-1.5B-Instruct", "qwen2", 2950),  # CPU default
    _instruct("Qwen/Qwen3-8B", "qwen3", 15630),  # GPU default
    _instruct("Qwen/Qwen2.5-0.5B-Instruct", "qwen2", 950),
    _instruct("Qwen/Qwen2.5-7B-Instruct", "qwen2", 14530),
    _instruct("Qwen/Qwen3-0.6B", "qwen3", 1430),
    _instruct("Qwen/Qwen3-1.7B", "qwen3", 3870),
    _instruct("Qwen/Qwen3-4B", "qwen3", 7670),
    _instruct("Qwen/Qwen2.5-3B-Instruct", "qwen2", 5890, licence="Qwen Research License"),
)
LLM_CPU_DEFAULT = "Qwen/Qwen2.5-1.5B-Instruct"
LLM_GPU_DEFAULT = "Qwen/Qwen3-8B"

# Every checkpoint the project knows: what ``newsum models list`` shows.
ALL_SPECS: tuple[ModelSpec, ...] = DEFAULT_SPECS + INSTRUCT_SPECS


def instruct_spec(model_id: str, specs: tuple[ModelSpec, ...] = INSTRUCT_SPECS) -> ModelSpec:
    """The instruct spec of ``model_id`` (``Qwen/Qwen3-4B``, or its name alone);
    ModelNotFound naming the known ones otherwise."""
    for spec in specs:
        if model_id in (spec.id, spec.id.split("/", 1)[-1]):
            return spec
    known = ", ".join(s.id for s in specs)
    raise ModelNotFound(f"unknown instruct model {model_id!r}: choose one of {known}")


def get_spec(role: str, specs: tuple[ModelSpec, ...] = DEFAULT_SPECS) -> ModelSpec:
    """The spec for ``role``; ModelNotFound naming the known roles otherwise."""
    for spec in specs:
        if spec.role == role:
            return spec
    known = ", ".join(s.role for s in specs)
    raise ModelNotFound(f"unknown model role {role!r}: choose one of {known}")


def check_licence(spec: ModelSpec, *, allow_noncommercial: bool) -> None:
    """Raise LicenceRefused when ``spec`` forbids commercial use and that is not allowed."""
    if spec.commercial_use or allow_noncommercial:
        return
    raise LicenceRefused(
        f"{spec.id} ({spec.role}) is licensed {spec.licence}, which forbids commercial "
        "use; set NEWSUM_ALLOW_NONCOMMERCIAL=true only if this deployment is non-commercial"
    )
