"""Convert a pulled checkpoint for the CTranslate2 engine (``newsum models convert``).

Layout, beside the checkpoints in the model dir::

    <model_dir>/
        Helsinki-NLP--opus-mt-zh-en/                 the checkpoint (models.store)
        Helsinki-NLP--opus-mt-zh-en.ct2-int8/        converted, one folder per quantization
            model.bin  config.json  shared_vocabulary.json     CTranslate2's files
            tokenizer/                                         the checkpoint's tokenizer
            newsum-ct2.json                                    source id, revision, quantization
        sshleifer--distilbart-cnn-12-6.ct2-int8/
        Qwen--Qwen2.5-1.5B-Instruct.ct2-int8/        the instruct model (role ``instruct``)
            model.bin  config.json  vocabulary.json            CTranslate2's Generator files
            tokenizer/                                         tokenizer and chat template

The instruct model's converted folder is all that ``CTranslate2Generator``
reads (``models.engines.ct2_generator``): the weights and, under
``tokenizer/``, ``tokenizer.json``, ``tokenizer_config.json`` (special tokens)
and the chat template, so the checkpoint may be deleted after converting. Its
``generation_config.json`` is not copied: the spec's settings are the engine's.
CTranslate2 4.8 converts Qwen2 and Qwen3 (``Qwen2Loader``, ``Qwen3Loader``),
loading the checkpoint in its own dtype (bf16 for Qwen: about 2 bytes a weight
of memory while converting).

A conversion is written to ``<name>.partial`` and renamed when complete, so a
crash never leaves a folder that ``locate_ct2`` would hand to the engine.
Converting needs torch and transformers (the converter loads the checkpoint);
loading the result needs only ctranslate2 and the tokenizer.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from models.errors import ModelLoadFailed, ModelNotFound
from models.specs import INSTRUCT_ROLE, ModelSpec
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
    return path if is_converted(path) else None


def convert(
    spec: ModelSpec,
    src_dir: Path,
    out_dir: Path,
    *,
    quantization: str = "int8",
    force: bool = False,
    progress: bool = False,
) -> Path:
    """Convert the checkpoint of ``spec`` in ``src_dir`` into ``out_dir``; return ``out_dir``.

    A complete ``out_dir`` is kept as it is unless ``force``. ``progress``: a bar
    of the conversion's steps (load, convert, tokenizer) on stderr. Raises ValueError
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
    if is_converted(out_dir) and not force:
        return out_dir
    partial = out_dir.with_name(out_dir.name + ".partial")
    # Our own leftovers only: a crashed conversion, or the old copy being replaced.
    shutil.rmtree(partial, ignore_errors=True)
    try:
        with _quiet_libraries(not progress), _steps(spec, quantization, show=progress) as bar:
            _convert_into(spec, src_dir, partial, quantization, bar)
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
    spec: ModelSpec,
    model_dir: Path,
    *,
    quantization: str = "int8",
    force: bool = False,
    progress: bool = False,
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
        progress=progress,
    )


# The conversion's steps, in order: what the progress bar names as it goes.
STEPS = ("loading the checkpoint", "writing CTranslate2 weights", "copying the tokenizer")


@contextmanager
def _steps(spec: ModelSpec, quantization: str, *, show: bool) -> Iterator[Callable[[], None]]:
    """A bar over ``STEPS`` on stderr (nothing drawn unless ``show``); yields
    ``done()``, called as each step ends."""
    from tqdm import tqdm

    bar = tqdm(
        total=len(STEPS),
        desc=f"{spec.role} → ct2-{quantization}",
        unit="step",
        disable=not show,
        file=sys.stderr,
        leave=True,
    )
    bar.set_postfix_str(STEPS[0])

    def done() -> None:
        bar.update(1)
        if bar.n < len(STEPS):
            bar.set_postfix_str(STEPS[bar.n])
        else:
            bar.set_postfix_str("done")

    try:
        yield done
    finally:
        bar.close()


@contextmanager
def _quiet_libraries(quiet: bool) -> Iterator[None]:
    """transformers' and the hub's own bars (loading weights, writing shards) off
    while inside when ``quiet``; their settings are put back afterwards."""
    from transformers.utils import logging as transformers_logging

    from models.store import hub_progress_bars

    switch_off = quiet and transformers_logging.is_progress_bar_enabled()
    if switch_off:
        transformers_logging.disable_progress_bar()
    try:
        with hub_progress_bars(not quiet):
            yield
    finally:
        if switch_off:
            transformers_logging.enable_progress_bar()


def _convert_into(
    spec: ModelSpec,
    src_dir: Path,
    out_dir: Path,
    quantization: str,
    step_done: Callable[[], None],
) -> None:
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
            step_done()
            return model

        def load_tokenizer(
            self, tokenizer_class: Any, model_name_or_path: str, **kwargs: Any
        ) -> Any:
            return super().load_tokenizer(
                tokenizer_class, model_name_or_path, local_files_only=True, **kwargs
            )

    tokenizer = AutoTokenizer.from_pretrained(src_dir, local_files_only=True)
    if spec.role == INSTRUCT_ROLE and not getattr(tokenizer, "chat_template", None):
        # The generator builds every prompt with it: fail before minutes of converting.
        raise ValueError(f"{src_dir} has no chat template (tokenizer_config.json)")
    _Converter(str(src_dir)).convert(str(out_dir), quantization=quantization, force=True)
    step_done()
    tokenizer.save_pretrained(out_dir / TOKENIZER_DIR)
    marker = {
        "model_id": spec.id,
        "revision": _revision_of(src_dir, spec),
        "quantization": quantization,
        "source": str(src_dir),
        "ctranslate2": ctranslate2.__version__,
    }
    (out_dir / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    step_done()


def _revision_of(src_dir: Path, spec: ModelSpec) -> str:
    # A hub cache snapshot is named by its commit: better provenance than "main".
    if src_dir.parent.name == "snapshots" and len(src_dir.name) == 40:
        return src_dir.name
    return spec.revision


def is_converted(path: Path) -> bool:
    """Whether ``path`` is a complete conversion: weights, tokenizer and our marker."""
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
