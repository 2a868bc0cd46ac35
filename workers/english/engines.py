"""Which engines a process runs, loaded once: the extractive ranker always, the
translator and summarizer when their weights are present.

Profiles:
- ``offline``: extractive engine only, no weights.
- ``standard``: the default models (DESIGN.md); missing weights stop start-up.
- ``auto``: the models that are present, else offline, saying so in warnings.

``Engines.fingerprint`` is THE name of how a process makes its output: the
result cache's digests (``workers.store.digests``), ``provenance.fingerprint``
and the worker's published pipeline all read it, so a change of model, engine or
any setting that changes output is a new key and never serves old results.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from models.convert import locate_ct2
from models.engines.base import SentenceRanker, TextGenerator, generation_signature
from models.engines.extractive import TextRankRanker
from models.errors import ModelError, ModelNotFound
from models.specs import ModelSpec, check_licence, get_spec
from models.store import locate
from workers.contract import PIPELINE_VERSION, ModelRef
from workers.english.notices import NO_MODELS, NO_SUMMARY_MODEL, NO_TRANSLATION_MODEL
from workers.english.review import DEFAULT_REVIEW_CONFIDENCE
from workers.errors import ModelUnavailable
from workers.settings import Settings

EffectiveProfile = Literal["offline", "standard"]

# The warning of a result made without models (``workers.english.notices``).
NEEDS_MODELS_WARNING = NO_MODELS


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
    # The server glossary shapes translations and key terms: it is part of the key.
    glossary_fingerprint: str = ""
    # The review threshold decides which sentences a result flags: part of it too.
    review_confidence: float = DEFAULT_REVIEW_CONFIDENCE

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
                    attribution=spec.attribution if spec else None,
                    engine=engine.engine_name,
                    role=role,
                )
            )
        return refs

    def output_signature(self) -> dict[str, Any]:
        """Everything besides the input and the request's options that decides a
        result: the pipeline version; per role, what its engine generates with
        (``models.engines.base.generation_signature``: model id, revision and
        checkpoint content, engine, quantization, device, dtype, beams, length
        limits and every other decoding setting), read from the loaded engines;
        the server glossary; the review threshold."""
        roles: dict[str, object] = {
            "extractive": self.ranker,
            "translation": self.translator,
            "summary": self.summarizer,
            "direct-summary": self.direct,
        }
        return {
            "pipeline": PIPELINE_VERSION,
            "engines": {
                role: generation_signature(engine)
                for role, engine in roles.items()
                if engine is not None
            },
            "glossary": self.glossary_fingerprint,
            "review_confidence": self.review_confidence,
        }

    def fingerprint(self) -> str:
        """A short digest of ``output_signature``: equal fingerprints make equal
        output from equal input and options."""
        blob = json.dumps(self.output_signature(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def offline_engines(warning: str | None = NEEDS_MODELS_WARNING) -> Engines:
    return Engines(
        profile="offline", ranker=TextRankRanker(), warnings=[warning] if warning else []
    )


def load_engines(settings: Settings, profile: str = "auto") -> Engines:
    """Load the engines for ``profile`` once; raise ModelUnavailable for ``standard``
    when weights are missing, naming the fix."""
    from workers.english.glossary import glossary_fingerprint, server_glossary

    engines = _load_engines(settings, profile)
    engines.glossary_fingerprint = glossary_fingerprint(server_glossary(settings))
    engines.review_confidence = settings.review_confidence
    return engines


def _load_engines(settings: Settings, profile: str) -> Engines:
    if profile == "offline":
        return offline_engines(warning=None)
    if profile not in ("auto", "standard"):
        raise ModelUnavailable(f"unknown profile {profile!r}: use auto, offline or standard")

    model_dir = settings.resolved_model_dir()
    found = {}
    missing = []
    for role in ("translation", "summary"):
        spec = get_spec(role)
        if _locate_any(spec, settings) is None:
            missing.append(spec)
        else:
            found[role] = spec

    if missing and profile == "standard":
        names = ", ".join(f"{s.id} ({s.role})" for s in missing)
        raise ModelUnavailable(
            f"profile 'standard' needs {names}, not found in {model_dir} or the Hugging Face "
            "cache: run `newsum models pull`, or set NEWSUM_MODEL_DIR"
            + (
                " (NEWSUM_ENGINE=ctranslate2: run `newsum models convert`)"
                if settings.engine == "ctranslate2"
                else ""
            )
        )
    if not found:
        return offline_engines()

    engines = Engines(profile="standard", ranker=TextRankRanker())
    for role, spec in found.items():
        engine = _load_generator(spec, settings)
        engines.specs[role] = spec
        if role == "translation":
            engines.translator = engine
        else:
            engines.summarizer = engine
    if engines.summarizer is None:
        engines.warnings.append(NO_SUMMARY_MODEL)
    if engines.translator is None:
        engines.warnings.append(NO_TRANSLATION_MODEL)

    direct_spec = get_spec("direct-summary")
    if settings.allow_noncommercial and _locate_any(direct_spec, settings) is not None:
        engines.direct = _load_generator(direct_spec, settings)
        engines.specs["direct-summary"] = direct_spec
    return engines


def _locate_ct2(spec: ModelSpec, settings: Settings) -> Path | None:
    if settings.engine == "transformers":
        return None
    return locate_ct2(spec, settings.resolved_model_dir(), settings.ct2_quantization)


def _locate_any(spec: ModelSpec, settings: Settings) -> Path | None:
    """A CTranslate2 copy (when the engine setting allows it), else the checkpoint."""
    if settings.engine == "ctranslate2":
        return _locate_ct2(spec, settings)
    return _locate_ct2(spec, settings) or locate(spec, settings.resolved_model_dir())


def _load_generator(spec: ModelSpec, settings: Settings) -> TextGenerator:
    """CTranslate2 where a converted copy exists (unless NEWSUM_ENGINE=transformers),
    else transformers. Engine modules are imported here, so that an offline process
    (and the API) never imports torch or ctranslate2."""
    try:
        check_licence(spec, allow_noncommercial=settings.allow_noncommercial)
        ct2 = _locate_ct2(spec, settings)
        if ct2 is not None:
            from models.engines.ctranslate2_engine import CTranslate2Engine

            return CTranslate2Engine.load(
                spec,
                ct2,
                device=settings.device,
                cores=settings.engine_threads,
                generation_overrides=settings.generation_overrides(),
            )
        path = locate(spec, settings.resolved_model_dir())
        if path is None:
            raise ModelNotFound(f"{spec.id}: no checkpoint found")
        from models.engines.transformers_engine import TransformersEngine

        return TransformersEngine.load(
            spec,
            path,
            device=settings.device,
            torch_threads=settings.torch_threads,
            generation_overrides=settings.generation_overrides(),
        )
    except ModelError as exc:
        raise ModelUnavailable(str(exc)) from exc
