"""The CTranslate2 engine: a converted seq2seq checkpoint behind ``TextGenerator``.

The same checkpoints as the transformers engine, converted once with
``newsum models convert`` (``models.convert``), run 3-5× faster on CPU in int8.
The converted folder holds CTranslate2's ``model.bin`` and the checkpoint's own
Hugging Face tokenizer (under ``tokenizer/``): the tokenizer makes the token
strings CTranslate2 reads, counts tokens, and decodes the output. It is read
with sentencepiece (Marian) or the tokenizers library (``tokenizer.json``,
BART), not transformers, so a CTranslate2 worker never imports torch (about
200 MiB less per process); other layouts fall back to ``AutoTokenizer``.

Batching: inputs are sorted by length and handed to ``translate_batch`` with a
cap in tokens (``batch_type="tokens"``), so each batch pads little; outputs come
back in input order. Nothing is truncated: an input over ``max_input_tokens``
raises ValueError (chunking is the caller's job, ``models.chunking``). On CPU a
batch holds at most one full window of source tokens (512 for the translator,
1,024 for the summarizer): small batches stay in the caches, and each batch in
flight holds its own attention caches (~200 MiB per 1,024-token summary input at
beam 4).

Decoding settings come from ``spec.generation`` (transformers' names, mapped
here): ``num_beams`` → ``beam_size``, ``max_new_tokens`` →
``max_decoding_length``, ``min_length`` / ``min_new_tokens`` →
``min_decoding_length``, ``no_repeat_ngram_size``, ``length_penalty``,
``repetition_penalty``. One difference at the cap: transformers spends the last
of ``max_new_tokens`` on a forced ``</s>``, CTranslate2 on one more word; both
run the same number of decoding steps.

Threads and processes: load ONE copy of each model per worker process, on the
cores that process may use (``cores``; the default, ``threads_per_process(1)``,
is all of them). With N worker processes on one machine pass
``cores=threads_per_process(N)`` (cores // N) so the processes do not fight over
cores. How a model uses its cores is ``thread_layout``: on CPU it runs as many
batches at once as it has cores (``inter_threads``; the replicas share one copy
of the weights), each batch on one core. torch's own thread count
(``NEWSUM_TORCH_THREADS``) is set once per process by the transformers engine and
does not affect this engine.

Devices: ``cpu`` computes in ``int8`` (float32 gains little on the AMD CPUs
here: oneDNN is slow on the large output layer); ``cuda`` in ``int8_float16``
by default, or ``float16``. Any compute type works on a folder converted with
any quantization: CTranslate2 converts the weights as it loads them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from models.engines.base import LoadedModel, ScoredText, checkpoint_identity, loading, warm_up
from models.engines.ct2_tokenizers import SubwordTokenizer, load_tokenizer
from models.errors import ModelLoadFailed, ModelNotFound
from models.specs import ModelSpec
from models.store import checkpoint_digest

# Where models.convert puts the checkpoint's tokenizer inside a converted folder:
# a subfolder, so the tokenizer never reads CTranslate2's own config.json.
TOKENIZER_DIR = "tokenizer"

DEFAULT_COMPUTE_TYPE = {"cpu": "int8", "cuda": "int8_float16"}
# Source tokens (padding included) per translate_batch chunk on a GPU, which wants
# big batches. On CPU: one full input window (``default_max_batch_tokens``).
CUDA_MAX_BATCH_TOKENS = 16384

# transformers generation settings with no CTranslate2 counterpart that change
# nothing here: CTranslate2's beam search stops when its beams are done, and it
# never samples unless asked.
_IGNORED_SETTINGS = frozenset({"early_stopping", "do_sample", "max_length"})


def threads_per_process(processes: int = 1) -> int:
    """Cores each of ``processes`` worker processes should compute on (at least 1)."""
    if processes < 1:
        raise ValueError(f"processes must be ≥ 1, got {processes}")
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores // processes)


def default_max_batch_tokens(spec: ModelSpec, device: str) -> int:
    """Source tokens per batch: one full input window on CPU, 16,384 on CUDA.

    Measured on 2 Xeon cores (opus-mt-sized Marian in int8, beam 4, 240 news
    sentences, a batch per core): 512-token batches ran 15 % faster than
    2,048-token ones (15.8 s against 18.8 s); the process peaked at 475 MiB.
    A summarizer batch of two 1,024-token inputs instead of one saved ~10 % on
    four summaries, for ~280 MiB more attention caches at beam 4.
    """
    return CUDA_MAX_BATCH_TOKENS if device == "cuda" else spec.max_input_tokens


def thread_layout(cores: int, device: str) -> tuple[int, int]:
    """``(inter_threads, intra_threads)`` for a model on ``cores`` cores.

    CPU: as many batches at once as there are cores (``inter_threads``; the
    replicas share one copy of the weights), each on one core. A second OpenMP
    thread in a batch mostly waits: a translator's batch is short sentences, and a
    summarizer's decoding steps multiply a few rows (beams) by each weight matrix.
    CUDA: one batch at a time, ``cores`` host threads.

    Measured on 2 Xeon cores, int8, beam 4, real-size models (README,
    Performance): 240 sentences 1.5x faster than one 2,048-token batch at a time
    on both cores (23.9 s → 15.8 s; 738 → 475 MiB at peak). A summarizer batch on
    both cores gained nothing on one 1,000-token summary (5.3-5.8 s either way),
    and two batches of two threads each on two cores made four summaries ~5 %
    slower than two batches of one thread (10.8-11.1 s against 10.2-10.5 s).
    """
    if cores < 1:
        raise ValueError(f"cores must be ≥ 1, got {cores}")
    if device == "cuda":
        return 1, cores
    return cores, 1


def decoding_options(generation: Mapping[str, Any]) -> dict[str, Any]:
    """``translate_batch`` keyword arguments for transformers-style ``generation``.

    Raises ValueError naming a setting this engine cannot honour, rather than
    decoding differently from the transformers engine without a word.
    """
    options: dict[str, Any] = {"beam_size": 1}
    for name, value in generation.items():
        if name == "num_beams":
            options["beam_size"] = int(value)
        elif name == "max_new_tokens":
            options["max_decoding_length"] = int(value)
        elif name == "min_new_tokens":
            options["min_decoding_length"] = int(value)
        elif name == "min_length":
            # transformers counts the decoder start token in min_length.
            options.setdefault("min_decoding_length", max(0, int(value) - 1))
        elif name in ("no_repeat_ngram_size", "length_penalty", "repetition_penalty"):
            options[name] = value
        elif name == "do_sample" and value:
            raise ValueError("the CTranslate2 engine does not sample: set do_sample=False")
        elif name not in _IGNORED_SETTINGS:
            raise ValueError(
                f"generation setting {name!r} has no CTranslate2 counterpart in this engine"
            )
    return options


class CTranslate2Engine(LoadedModel):
    """A loaded CTranslate2 model; build it with ``CTranslate2Engine.load``."""

    engine_name = "ctranslate2"

    def __init__(
        self,
        spec: ModelSpec,
        translator: Any,
        tokenizer: Any,
        *,
        device: str,
        compute_type: str,
        generation: Mapping[str, Any],
        max_batch_tokens: int,
        revision: str | None = None,
        threads: tuple[int, int] = (1, 1),
        quantization: str | None = None,
        checkpoint: str | None = None,
    ) -> None:
        self.describe(
            spec, device=device, generation=generation, checkpoint=checkpoint, revision=revision
        )
        self.compute_type = compute_type
        # How the weights were stored (models.convert): int8 weights computed in
        # float32 are not float32 weights.
        self.quantization = quantization
        self.max_batch_tokens = max_batch_tokens
        # (batches at once, threads per batch): see thread_layout.
        self.threads = threads
        self.max_input_tokens = spec.max_input_tokens
        self._options = decoding_options(self.generation)
        self._translator = translator
        self._tokenizer: SubwordTokenizer = tokenizer
        # BART's checkpoint forces <s> as the first output token
        # (forced_bos_token_id), which CTranslate2 ignores: give it as a prefix.
        self._prefix: list[str] | None = (
            [tokenizer.bos_token] if spec.architecture == "bart" and tokenizer.bos_token else None
        )

    @classmethod
    def load(
        cls,
        spec: ModelSpec,
        path: Path,
        *,
        device: str = "auto",
        compute_type: str | None = None,
        cores: int = 0,
        inter_threads: int | None = None,
        intra_threads: int | None = None,
        max_batch_tokens: int | None = None,
        generation_overrides: Mapping[str, Any] | None = None,
    ) -> CTranslate2Engine:
        """Load the converted model of ``spec`` from ``path`` and warm it up.

        ``path``: a folder written by ``models.convert.convert`` (see
        ``models.convert.locate_ct2``). ``device``: "auto" (CUDA when
        CTranslate2 sees a GPU), "cpu" or "cuda". ``compute_type``: None picks
        ``int8`` on CPU and ``int8_float16`` on CUDA. ``cores``: the cores this
        model may use, 0 means ``threads_per_process(1)`` (all of this
        process's); ``thread_layout`` spreads them, unless ``inter_threads``
        (batches at once) or ``intra_threads`` (threads per batch) say
        otherwise. ``max_batch_tokens``: source tokens per batch, None picks
        ``default_max_batch_tokens``. ``generation_overrides``: merged over
        ``spec.generation`` (e.g. ``num_beams=1``).

        Raises ModelNotFound when the folder is missing or incomplete (run
        ``newsum models convert``), ModelLoadFailed naming the path and the
        reason when it does not load, ValueError for bad settings.
        """
        require_converted(spec, path, "newsum models convert")
        generation = {**spec.generation, **(generation_overrides or {})}
        decoding_options(generation)  # a bad setting fails here, before the load
        with loading(spec, path):
            import ctranslate2

            resolved, compute = device_and_compute_type(ctranslate2, device, compute_type)
            inter, intra = thread_layout(cores or threads_per_process(1), resolved)
            threads = (inter_threads or inter, intra_threads or intra)
            translator = ctranslate2.Translator(
                str(path),
                device=resolved,
                compute_type=compute,
                inter_threads=threads[0],
                intra_threads=threads[1],
            )
            tokenizer = load_tokenizer(path / TOKENIZER_DIR)

        batch_tokens = max_batch_tokens or default_max_batch_tokens(spec, resolved)
        if batch_tokens < spec.max_input_tokens:
            raise ValueError(
                f"max_batch_tokens must be ≥ {spec.max_input_tokens} (one full input); "
                f"got {batch_tokens}"
            )
        engine = cls(
            spec,
            translator,
            tokenizer,
            device=resolved,
            compute_type=compute,
            generation=generation,
            max_batch_tokens=batch_tokens,
            revision=_marker_value(path, "revision"),
            threads=threads,
            quantization=_marker_value(path, "quantization"),
            checkpoint=checkpoint_digest(path),
        )
        warm_up(engine, spec, path)
        return engine

    def generation_signature(self) -> dict[str, Any]:
        """What this engine's outputs depend on besides the input: model id,
        revision and folder digest, the stored quantization, device and compute
        type, the input window and the ``translate_batch`` options it decodes with.
        Threads and batch caps are left out: they decide how inputs are grouped and
        run, not how each is decoded."""
        return {
            **checkpoint_identity(self),
            "quantization": self.quantization,
            "compute_type": self.compute_type,
            "decoding": dict(sorted(self._options.items())),
        }

    def count_tokens(self, text: str) -> int:
        """Tokens the model's tokenizer makes of ``text``, specials included."""
        return len(self._tokenizer.tokens(text))

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        """One output per input, in input order; length-sorted batches inside.

        Raises ValueError when an input is over ``max_input_tokens``: chunk it
        first (``models.chunking``); nothing is ever truncated here.
        """
        return [self._tokenizer.decode(tokens) for tokens in self._translate(texts, max_new_tokens)]

    def generate_ids(
        self, texts: Sequence[str], *, max_new_tokens: int | None = None
    ) -> list[list[int]]:
        """Output token ids (BART's ``<s>`` prefix included, no ``</s>``), input order.

        For tests and benchmarks that compare engines token for token or count
        generated tokens; the pipeline uses ``generate``.
        """
        return [self._tokenizer.ids(tokens) for tokens in self._translate(texts, max_new_tokens)]

    def generate_scored(
        self, texts: Sequence[str], *, max_new_tokens: int | None = None
    ) -> list[ScoredText]:
        """Like ``generate``, with each output's mean token log-probability
        (``models.engines.base.ScoredGenerator``)."""
        scores: list[float] = []
        outputs = self._translate(texts, max_new_tokens, scores=scores)
        return [
            ScoredText(self._tokenizer.decode(tokens), score)
            for tokens, score in zip(outputs, scores, strict=True)
        ]

    def generate_n_best(
        self, texts: Sequence[str], n: int, *, max_new_tokens: int | None = None
    ) -> list[list[str]]:
        """The ``n`` best outputs of each input, best first, in input order: beam
        search with at least ``n`` beams (``num_hypotheses=n``)."""
        if n < 1:
            raise ValueError(f"n must be ≥ 1, got {n}")
        if not texts:
            return []
        beams = max(int(self._options["beam_size"]), n)
        results = self._results(texts, max_new_tokens, beam_size=beams, num_hypotheses=n)
        return [[self._tokenizer.decode(list(h)) for h in r.hypotheses] for r in results]

    def _translate(
        self,
        texts: Sequence[str],
        max_new_tokens: int | None,
        *,
        scores: list[float] | None = None,
    ) -> list[list[str]]:
        """Output token strings per input, in input order; with ``scores`` given, it
        is filled with each output's mean token log-probability, in input order."""
        if not texts:
            return []
        results = self._results(texts, max_new_tokens, return_scores=scores is not None)
        if scores is not None:
            # CTranslate2 4.8 divides the score by the output length (length
            # penalty 1): it is the mean token log-probability already.
            scores[:] = [float(result.scores[0]) for result in results]
        return [list(result.hypotheses[0]) for result in results]

    def _results(self, texts: Sequence[str], max_new_tokens: int | None, **extra: Any) -> list[Any]:
        """``translate_batch``'s results, in input order; ``extra`` options go over
        the engine's decoding options."""
        encoded = [self._tokenizer.tokens(text) for text in texts]
        for index, ids in enumerate(encoded):
            if len(ids) > self.max_input_tokens:
                raise ValueError(
                    f"input {index} is {len(ids)} tokens, over {self.model_id}'s window of "
                    f"{self.max_input_tokens}: split it first (models.chunking)"
                )
        options = {**self._options, **extra}
        if max_new_tokens is not None:
            options["max_decoding_length"] = max_new_tokens
        if "min_decoding_length" in options and "max_decoding_length" in options:
            # A caller's short cap wins over a forced minimum.
            options["min_decoding_length"] = min(
                options["min_decoding_length"], options["max_decoding_length"]
            )
        # Longest first, so that each token-capped batch pads little.
        order = sorted(range(len(texts)), key=lambda i: (-len(encoded[i]), i))
        source = [encoded[i] for i in order]
        prefix = [self._prefix] * len(source) if self._prefix else None
        results = self._translator.translate_batch(
            source,
            target_prefix=prefix,
            max_batch_size=self.max_batch_tokens,
            batch_type="tokens",
            # The window is checked above; never a silent cut.
            max_input_length=0,
            **options,
        )
        ordered: list[Any] = [None] * len(texts)
        for index, result in zip(order, results, strict=True):
            ordered[index] = result
        return ordered


def require_converted(spec: ModelSpec, path: Path, command: str) -> None:
    """ModelNotFound naming what ``path`` lacks and ``command`` (which makes it)."""
    problem = ct2_problem(path)
    if problem is not None:
        raise ModelNotFound(
            f"cannot load {spec.id} ({spec.role}) for CTranslate2: {problem}; run `{command}`"
        )


def device_and_compute_type(
    ctranslate2: Any, device: str, compute_type: str | None
) -> tuple[str, str]:
    """The device ``device`` resolves to and the compute type to load with (None: the
    device's default); ModelLoadFailed naming the choices when this machine lacks it."""
    resolved = _resolve_device(device, ctranslate2)
    compute = compute_type or DEFAULT_COMPUTE_TYPE[resolved]
    supported = ctranslate2.get_supported_compute_types(resolved)
    if compute not in supported and compute not in ("default", "auto"):
        raise ModelLoadFailed(
            f"compute type {compute!r} is not supported on {resolved} here; "
            f"choose one of {', '.join(sorted(supported))}"
        )
    return resolved, compute


def ct2_problem(path: Path) -> str | None:
    """What a folder lacks to be a converted model this engine loads; None if nothing."""
    if not path.is_dir():
        return f"{path} does not exist"
    if not (path / "model.bin").is_file():
        return f"{path} has no model.bin (not a CTranslate2 model)"
    if not (path / TOKENIZER_DIR / "tokenizer_config.json").is_file():
        return f"{path} has no {TOKENIZER_DIR}/tokenizer_config.json (the checkpoint's tokenizer)"
    return None


def _marker_value(path: Path, name: str) -> str | None:
    # models.convert records the source checkpoint's revision and the quantization
    # beside the model.
    marker = path / "newsum-ct2.json"
    try:
        value = json.loads(marker.read_text(encoding="utf-8")).get(name)
    except (OSError, ValueError, AttributeError):
        return None
    return str(value) if value else None


def _resolve_device(device: str, ctranslate2: Any) -> str:
    gpus = ctranslate2.get_cuda_device_count()
    if device == "auto":
        return "cuda" if gpus > 0 else "cpu"
    if device == "cuda" and gpus == 0:
        raise ModelLoadFailed("device 'cuda' was asked for but CTranslate2 sees no CUDA device")
    if device not in ("cpu", "cuda"):
        raise ModelLoadFailed(f"unknown device {device!r}: use auto, cpu or cuda")
    return device


# ---------------------------------------------------------------- tokenizers
#
# The checkpoint's own tokenizer files, read without transformers: importing
# transformers' tokenizers imports torch (~200 MiB per worker process), which a
# CTranslate2 worker otherwise never needs.
