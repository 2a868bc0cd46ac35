"""Which engines a process runs, loaded once: the extractive ranker always, the
translator and summarizer when their weights are present.

Profiles:
- ``offline``: extractive engine only, no weights.
- ``standard``: the default models (DESIGN.md); missing weights stop start-up.
- ``auto``: the models that are present, else offline, saying so in warnings;
  with an instruct model present (NEWSUM_LLM_MODEL), its profile is ``llm``.
- ``llm``: the instruct model (``models.engines.causal_lm``; ``ct2_generator`` on
  its CTranslate2 copy) writes the brief (``direct-llm``); opus-mt, when present,
  still translates every sentence.
  Missing instruct weights, or a licence that forbids commercial use, stop start-up.

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

from models.convert import ct2_path, is_converted, locate_ct2
from models.engines.base import SentenceRanker, TextGenerator, generation_signature
from models.engines.extractive import TextRankRanker
from models.errors import ModelError, ModelNotFound
from models.specs import (
    INSTRUCT_ROLE,
    LLM_CPU_DEFAULT,
    LLM_GPU_DEFAULT,
    ModelSpec,
    check_licence,
    get_spec,
    instruct_spec,
)
from models.store import locate
from workers.contract import PIPELINE_VERSION, ModelRef
from workers.english.brief_prompt import prompt_digest
from workers.english.notices import NO_MODELS, NO_SUMMARY_MODEL, NO_TRANSLATION_MODEL
from workers.english.review import DEFAULT_REVIEW_CONFIDENCE
from workers.errors import ModelUnavailable
from workers.settings import Settings

EffectiveProfile = Literal["offline", "standard", "llm"]

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
    llm: TextGenerator | None = None  # the instruct model of the direct-llm brief
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
            (INSTRUCT_ROLE, self.llm),
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
        the server glossary; the review threshold; with an instruct model, the
        digest of the brief's prompt file (``workers.english.brief_prompt``)."""
        roles: dict[str, object] = {
            "extractive": self.ranker,
            "translation": self.translator,
            "summary": self.summarizer,
            "direct-summary": self.direct,
            INSTRUCT_ROLE: self.llm,
        }
        signature: dict[str, Any] = {
            "pipeline": PIPELINE_VERSION,
            "engines": {
                role: generation_signature(engine)
                for role, engine in roles.items()
                if engine is not None
            },
            "glossary": self.glossary_fingerprint,
            "review_confidence": self.review_confidence,
        }
        if self.llm is not None:
            signature["prompt"] = prompt_digest()
        return signature

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
    if profile not in ("auto", "standard", "llm"):
        raise ModelUnavailable(f"unknown profile {profile!r}: use auto, offline, standard or llm")

    model_dir = settings.resolved_model_dir()
    llm_spec = chosen_instruct_spec(settings)
    llm_path = _locate_llm(llm_spec, settings, required=profile == "llm")
    found = {}
    missing = []
    # The llm profile writes its brief with the instruct model: no summarizer to load.
    for role in ("translation",) if profile == "llm" else ("translation", "summary"):
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
    if not found and llm_path is None:
        return offline_engines()

    engines = Engines(profile="standard" if llm_path is None else "llm", ranker=TextRankRanker())
    # The decoder first: loading it on an Intel CPU holds its weights twice for a moment
    # (CTranslate2 packs them for MKL), a peak best reached before anything else is in.
    if llm_path is not None:
        engines.llm = _load_generator(llm_spec, settings, llm_path)
        engines.specs[INSTRUCT_ROLE] = llm_spec
    for role, spec in found.items():
        engine = _load_generator(spec, settings)
        engines.specs[role] = spec
        if role == "translation":
            engines.translator = engine
        else:
            engines.summarizer = engine
    if engines.summarizer is None and engines.llm is None:
        engines.warnings.append(NO_SUMMARY_MODEL)
    if engines.translator is None:
        engines.warnings.append(NO_TRANSLATION_MODEL)

    direct_spec = get_spec("direct-summary")
    if settings.allow_noncommercial and _locate_any(direct_spec, settings) is not None:
        engines.direct = _load_generator(direct_spec, settings)
        engines.specs["direct-summary"] = direct_spec
    return engines


def chosen_instruct_spec(settings: Settings) -> ModelSpec:
    """NEWSUM_LLM_MODEL's spec; unset: the GPU default on ``device=cuda``, else the CPU one."""
    if settings.llm_model:
        try:
            return instruct_spec(settings.llm_model)
        except ModelError as exc:
            raise ModelUnavailable(str(exc)) from exc
    return instruct_spec(LLM_GPU_DEFAULT if settings.device == "cuda" else LLM_CPU_DEFAULT)


def _locate_llm(spec: ModelSpec, settings: Settings, *, required: bool) -> Path | None:
    """The instruct model when present and its licence allows it: its CTranslate2 copy
    where the engine setting allows one (``_locate_any``), else its checkpoint.
    ``required`` (profile llm): ModelUnavailable naming the licence or the missing
    folder instead."""
    try:
        check_licence(spec, allow_noncommercial=settings.allow_noncommercial)
    except ModelError as exc:
        if required:
            raise ModelUnavailable(str(exc)) from exc
        return None
    path = _locate_any(spec, settings)
    if path is None and required and settings.engine == "ctranslate2":
        copy = ct2_path(spec, settings.resolved_model_dir(), settings.ct2_quantization)
        raise ModelUnavailable(
            f"profile 'llm' needs {spec.id} converted to CTranslate2 "
            f"{settings.ct2_quantization} in {copy} (NEWSUM_ENGINE=ctranslate2: run "
            "`newsum models convert instruct`), or choose another with NEWSUM_LLM_MODEL"
        )
    if path is None and required:
        raise ModelUnavailable(
            f"profile 'llm' needs {spec.id} (licence {spec.licence}, about {spec.size_mib} MiB), "
            f"not found in {settings.resolved_model_dir()} or the Hugging Face cache: copy its "
            f"checkpoint into {settings.resolved_model_dir() / spec.dir_name}, or choose another "
            "with NEWSUM_LLM_MODEL (`newsum models list` shows them)"
        )
    return path


def _locate_ct2(spec: ModelSpec, settings: Settings) -> Path | None:
    if settings.engine == "transformers":
        return None
    return locate_ct2(spec, settings.resolved_model_dir(), settings.ct2_quantization)


def _locate_any(spec: ModelSpec, settings: Settings) -> Path | None:
    """A CTranslate2 copy (when the engine setting allows it), else the checkpoint."""
    if settings.engine == "ctranslate2":
        return _locate_ct2(spec, settings)
    return _locate_ct2(spec, settings) or locate(spec, settings.resolved_model_dir())


def _load_generator(spec: ModelSpec, settings: Settings, path: Path | None = None) -> TextGenerator:
    """``spec``'s engine from ``path`` (default: ``_locate_any``): CTranslate2 where it is
    a converted copy, else transformers; an instruct model on the decoder-only engines
    (``models.engines.ct2_generator``, ``models.engines.causal_lm``). Engine modules
    are imported here, so that an offline process (and the API) never imports torch or
    ctranslate2."""
    try:
        check_licence(spec, allow_noncommercial=settings.allow_noncommercial)
        path = path or _locate_any(spec, settings)
        if path is None:
            raise ModelNotFound(f"{spec.id}: no checkpoint found")
        instruct = spec.role == INSTRUCT_ROLE
        device, overrides = settings.device, settings.generation_overrides()
        cores, torch_threads = settings.engine_threads, settings.torch_threads
        if is_converted(path):
            if instruct:
                from models.engines.ct2_generator import CTranslate2Generator

                return CTranslate2Generator.load(
                    spec, path, device=device, cores=cores, generation_overrides=overrides
                )
            from models.engines.ctranslate2_engine import CTranslate2Engine

            return CTranslate2Engine.load(
                spec, path, device=device, cores=cores, generation_overrides=overrides
            )
        if instruct:
            from models.engines.causal_lm import CausalLMEngine

            return CausalLMEngine.load(
                spec,
                path,
                device=device,
                torch_threads=torch_threads,
                generation_overrides=overrides,
            )
        from models.engines.transformers_engine import TransformersEngine

        return TransformersEngine.load(
            spec, path, device=device, torch_threads=torch_threads, generation_overrides=overrides
        )
    except ModelError as exc:
        raise ModelUnavailable(str(exc)) from exc
