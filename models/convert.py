"""Convert a pulled checkpoint for the CTranslate2 engine (``newsum models convert``).

Layout, beside the checkpoints in the model dir::

    <model_dir>/
        Helsinki-NLP--opus-mt-zh-en/                 the checkpoint (models.store)
        Helsinki-NLP--opus-mt-zh-en.ct2-int8/        converted, one folder per quantization
            model.bin  config.json  shared_vocabulary.json     CTranslate2's files
            tokenizer/                                         the checkpoint's tokenizer
            newsum-ct2.json                                    source id, revision, quantization
        sshleifer--distilbart-cnn-12-6.ct2-int8/

A conversion is written to ``<name>.partial`` and renamed when complete, so a
crash never leaves a folder that ``locate_ct2`` would hand to the engine.
Converting needs torch and transformers (the converter loads the checkpoint);
loading the result needs only ctranslate2 and the tokenizer.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from models.errors import ModelLoadFailed, ModelNotFound
from models.specs import ModelSpec
from models.store import checkpoint_problem

# What CTranslate2 can store; the engine may compute in another type at load time.
QUANTIZATIONS = (
    "int8",
    "int8_float32",
    "int8_float16",
    "int8_bfloat16",
    "int16",
    "float16",
    "bfloat16",
    "float32",
)
MARKER = "newsum-ct2.json"
TOKENIZER_DIR = "tokenizer"  # models.engines.ctranslate2_engine reads it from here


def ct2_path(spec: ModelSpec, model_dir: Path, quantization: str = "int8") -> Path:
    """The converted folder of ``spec`` in ``quantization`` (present or not)."""
    _check_quantization(quantization)
    return model_dir / f"{spec.dir_name}.ct2-{quantization}"


def locate_ct2(spec: ModelSpec, model_dir: Path, quantization: str = "int8") -> Path | None:
    """The complete converted folder of ``spec`` in ``quantization``, or None."""
    path = ct2_path(spec, model_dir, quantization)
    return path if _is_complete(path) else None


def convert(
    spec: ModelSpec,
    src_dir: Path,
    out_dir: Path,
    *,
    quantization: str = "int8",
    force: bool = False,
) -> Path:
    """Convert the checkpoint of ``spec`` in ``src_dir`` into ``out_dir``; return ``out_dir``.

    A complete ``out_dir`` is kept as it is unless ``force``. Raises ValueError
    for an unknown quantization, ModelNotFound when ``src_dir`` is not a complete
    checkpoint (run ``newsum models pull``), ModelLoadFailed when the converter
    fails on it (the message names the folder and the reason).
    """
    _check_quantization(quantization)
    problem = checkpoint_problem(src_dir, spec)
    if problem is not None:
        raise ModelNotFound(
            f"cannot convert {spec.id} ({spec.role}): {problem}; run `newsum models pull "
            f"{spec.role}` first"
        )
    if _is_complete(out_dir) and not force:
        return out_dir
    partial = out_dir.with_name(out_dir.name + ".partial")
    # Our own leftovers only: a crashed conversion, or the old copy being replaced.
    shutil.rmtree(partial, ignore_errors=True)
    try:
        _convert_into(spec, src_dir, partial, quantization)
    except Exception as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise ModelLoadFailed(
            f"cannot convert {spec.id} ({spec.role}) from {src_dir} to CTranslate2 "
            f"{quantization}: {type(exc).__name__}: {exc}"
        ) from exc
    if out_dir.exists():
        shutil.rmtree(out_dir)
    partial.rename(out_dir)
    return out_dir


def convert_model(
    spec: ModelSpec, model_dir: Path, *, quantization: str = "int8", force: bool = False
) -> Path:
    """Find ``spec``'s checkpoint (``models.store.locate``) and convert it to ``ct2_path``.

    What ``newsum models convert ROLE --quantization Q`` calls. Raises
    ModelNotFound naming the fix when the checkpoint is not there.
    """
    from models.store import locate, model_path

    source = locate(spec, model_dir)
    if source is None:
        raise ModelNotFound(
            f"cannot convert {spec.id} ({spec.role}): no checkpoint in "
            f"{model_path(spec, model_dir)} or the Hugging Face cache; run "
            f"`newsum models pull {spec.role}` first"
        )
    return convert(
        spec,
        source,
        ct2_path(spec, model_dir, quantization),
        quantization=quantization,
        force=force,
    )


def _convert_into(spec: ModelSpec, src_dir: Path, out_dir: Path, quantization: str) -> None:
    import ctranslate2
    from ctranslate2.converters import TransformersConverter
    from transformers import AutoTokenizer

    class _Converter(TransformersConverter):
        def load_model(self, model_class: Any, model_name_or_path: str, **kwargs: Any) -> Any:
            model = super().load_model(
                model_class, model_name_or_path, local_files_only=True, **kwargs
            )
            # The BART converter reads normalize_before, which transformers 5 no
            # longer keeps; BART (and distilbart) normalize after each block.
            if not hasattr(model.config, "normalize_before"):
                model.config.normalize_before = False
            return model

        def load_tokenizer(
            self, tokenizer_class: Any, model_name_or_path: str, **kwargs: Any
        ) -> Any:
            return super().load_tokenizer(
                tokenizer_class, model_name_or_path, local_files_only=True, **kwargs
            )

    _Converter(str(src_dir)).convert(str(out_dir), quantization=quantization, force=True)
    tokenizer = AutoTokenizer.from_pretrained(src_dir, local_files_only=True)
    tokenizer.save_pretrained(out_dir / TOKENIZER_DIR)
    marker = {
        "model_id": spec.id,
        "revision": _revision_of(src_dir, spec),
        "quantization": quantization,
        "source": str(src_dir),
        "ctranslate2": ctranslate2.__version__,
    }
    (out_dir / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def _revision_of(src_dir: Path, spec: ModelSpec) -> str:
    # A hub cache snapshot is named by its commit: better provenance than "main".
    if src_dir.parent.name == "snapshots" and len(src_dir.name) == 40:
        return src_dir.name
    return spec.revision


def _is_complete(path: Path) -> bool:
    return (
        (path / "model.bin").is_file()
        and (path / TOKENIZER_DIR / "tokenizer_config.json").is_file()
        and (path / MARKER).is_file()
    )


def _check_quantization(quantization: str) -> None:
    if quantization not in QUANTIZATIONS:
        raise ValueError(
            f"unknown quantization {quantization!r}: choose one of {', '.join(QUANTIZATIONS)}"
        )
