"""Which engines a process runs, loaded once: the extractive ranker always, the
translator and summarizer when their weights are present.

Profiles:
- ``offline``: extractive engine only, no weights.
- ``standard``: the default models (DESIGN.md); missing weights stop start-up.
- ``auto``: the models that are present, else offline, saying so in warnings.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Literal

from models.engines.base import SentenceRanker, TextGenerator
from models.engines.extractive import TextRankRanker
from models.errors import ModelError
from models.specs import ModelSpec, check_licence, get_spec
from models.store import locate
from workers.contract import PIPELINE_VERSION, ModelRef
from workers.errors import ModelUnavailable
from workers.settings import Settings

EffectiveProfile = Literal["offline", "standard"]

NEEDS_MODELS_WARNING = (
    "English abstractive summary and translation need models: run `newsum models pull` "
    "(or `newsum models doctor` to see what is missing); this result comes from the "
    "offline extractive engine"
)


@dataclass
class Engines:
    """The engines of one process. ``translator``/``summarizer`` are None offline."""

    profile: EffectiveProfile
    ranker: SentenceRanker
    translator: TextGenerator | None = None
    summarizer: TextGenerator | None = None
    direct: TextGenerator | None = None
    specs: dict[str, ModelSpec] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def model_refs(self) -> list[ModelRef]:
        refs = [ModelRef(id="newsum/textrank", engine=self.ranker.engine_name, role="extractive")]
        for role, engine in (
            ("translation", self.translator),
            ("summary", self.summarizer),
            ("direct-summary", self.direct),
        ):
            if engine is None:
                continue
            spec = self.specs.get(role)
            refs.append(
                ModelRef(
                    id=engine.model_id,
                    revision=engine.revision,
                    licence=spec.licence if spec else None,
                    engine=engine.engine_name,
                    role=role,
                )
            )
        return refs

    def fingerprint(self) -> str:
        """Changes whenever a model, its revision, an engine or the pipeline changes."""
        material = {
            "pipeline": PIPELINE_VERSION,
            "models": [ref.model_dump() for ref in self.model_refs()],
        }
        blob = json.dumps(material, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def offline_engines(warning: str | None = NEEDS_MODELS_WARNING) -> Engines:
    return Engines(
        profile="offline", ranker=TextRankRanker(), warnings=[warning] if warning else []
    )


def load_engines(settings: Settings, profile: str = "auto") -> Engines:
    """Load the engines for ``profile`` once; raise ModelUnavailable for ``standard``
    when weights are missing, naming the fix."""
    if profile == "offline":
        return offline_engines(warning=None)
    if profile not in ("auto", "standard"):
        raise ModelUnavailable(f"unknown profile {profile!r}: use auto, offline or standard")

    model_dir = settings.resolved_model_dir()
    found = {}
    missing = []
    for role in ("translation", "summary"):
        spec = get_spec(role)
        path = locate(spec, model_dir)
        if path is None:
            missing.append(spec)
        else:
            found[role] = (spec, path)

    if missing and profile == "standard":
        names = ", ".join(f"{s.id} ({s.role})" for s in missing)
        raise ModelUnavailable(
            f"profile 'standard' needs {names}, not found in {model_dir} or the Hugging Face "
            "cache: run `newsum models pull`, or set NEWSUM_MODEL_DIR"
        )
    if not found:
        return offline_engines()

    engines = Engines(profile="standard", ranker=TextRankRanker())
    for role, (spec, path) in found.items():
        engine = _load_generator(spec, path, settings)
        engines.specs[role] = spec
        if role == "translation":
            engines.translator = engine
        else:
            engines.summarizer = engine
    if engines.summarizer is None:
        engines.warnings.append(
            "no summary model present: the brief is extractive (Chinese key sentences "
            "with their English translation); run `newsum models pull summary`"
        )
    if engines.translator is None:
        engines.warnings.append(
            "no translation model present: no English translation; run "
            "`newsum models pull translation`"
        )

    direct_spec = get_spec("direct-summary")
    if settings.allow_noncommercial:
        direct_path = locate(direct_spec, model_dir)
        if direct_path is not None:
            engines.direct = _load_generator(direct_spec, direct_path, settings)
            engines.specs["direct-summary"] = direct_spec
    return engines


def _load_generator(spec: ModelSpec, path: object, settings: Settings) -> TextGenerator:
    # Imported here so that an offline process (and the API) never imports torch.
    from pathlib import Path

    from models.engines.transformers_engine import TransformersEngine

    try:
        check_licence(spec, allow_noncommercial=settings.allow_noncommercial)
        return TransformersEngine.load(
            spec,
            Path(str(path)),
            device=settings.device,
            torch_threads=settings.torch_threads,
            generation_overrides=settings.generation_overrides(),
        )
    except ModelError as exc:
        raise ModelUnavailable(str(exc)) from exc
