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
