"""The tiny protocols every engine hides behind.

Caching, translation memory and chunking wrap an engine; they are not flags
inside it. An engine takes a batch and returns a batch, in input order.

Engines may also say what they generate with (``generation_signature``): the
settings that change their output, read from the loaded engine. It is optional,
so the protocols stay small; ``generation_signature(engine)`` reads it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

from models.errors import ModelLoadFailed

if TYPE_CHECKING:
    from models.specs import ModelSpec


class TextGenerator(Protocol):
    """A seq2seq model: translation (zh→en sentences) or summarization (en text)."""

    model_id: str
    revision: str | None
    engine_name: str
    max_input_tokens: int

    def count_tokens(self, text: str) -> int:
        """Tokens the model's own tokenizer makes of ``text`` (specials included)."""
        ...

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        """One output per input, in input order; batched and length-sorted inside."""
        ...


@contextlib.contextmanager
def loading(spec: ModelSpec, path: Path) -> Iterator[None]:
    """Around an engine's load: any failure inside becomes a ModelLoadFailed naming the
    model, the folder and the reason; a ModelLoadFailed raised inside passes as it is."""
    try:
        yield
    except ModelLoadFailed:
        raise
    except Exception as exc:
        raise ModelLoadFailed(
            f"cannot load {spec.id} ({spec.role}) from {path}: {type(exc).__name__}: {exc}"
        ) from exc


class LoadedModel:
    """What every loaded engine says about itself, set the same way by all four
    (``describe``): its spec and model id, the revision it reports (the spec's unless the
    folder recorded another), the device, what the loaded folder held
    (``models.store.checkpoint_digest``) and the generation settings it runs with."""

    spec: ModelSpec
    model_id: str
    revision: str | None
    device: str
    checkpoint: str | None
    generation: dict[str, Any]

    def describe(
        self,
        spec: ModelSpec,
        *,
        device: str,
        generation: Mapping[str, Any],
        checkpoint: str | None = None,
        revision: str | None = None,
    ) -> None:
        self.spec = spec
        self.model_id = spec.id
        self.revision = revision if revision is not None else spec.revision
        self.device = device
        self.checkpoint = checkpoint
        self.generation = dict(generation)


class ScoredText(NamedTuple):
    """A generated text with the model's mean log-probability per generated token
    (end-of-sequence included, padding not): ``exp(mean_logprob)`` is the geometric
    mean token probability, in (0, 1]."""

    text: str
    mean_logprob: float


@runtime_checkable
class ScoredGenerator(Protocol):
    """A ``TextGenerator`` that can also say how sure it was of each output.

    ``generate_scored`` must return the same texts ``generate`` would (same
    settings, same batching) plus their scores. Engines that cannot score simply
    don't implement it; callers test ``isinstance(engine, ScoredGenerator)``.
    transformers: ``generate(output_scores=True, return_dict_in_generate=True)`` then
    ``compute_transition_scores``; CTranslate2: ``translate_batch(return_scores=True)``
    (``result.scores[0]`` is the sum of token log-probs unless
    ``normalize_scores=True``; divide by the output length + 1 for the end token).
    """

    def generate_scored(
        self, texts: Sequence[str], *, max_new_tokens: int | None = None
    ) -> list[ScoredText]:
        """One ScoredText per input, in input order."""
        ...


def can_score(engine: object) -> bool:
    """The engine's class implements ``generate_scored`` (a wrapper that only forwards
    unknown attributes to an inner engine does not count: it would bypass itself)."""
    return callable(getattr(type(engine), "generate_scored", None))


def generation_signature(engine: object) -> dict[str, Any]:
    """The settings ``engine`` makes its outputs with, as plain JSON-able data.

    Engines that load weights implement ``generation_signature()`` (device, dtype
    or compute type, every decoding setting, a digest of the checkpoint they
    loaded: ``models.store.checkpoint_digest``); wrappers forward it. An engine
    without it (the extractive ranker, test fakes) is described by its name, model
    id and revision, the parts of the protocol it has.
    """
    method = getattr(engine, "generation_signature", None)
    if callable(method):
        return dict(method())
    described = {"engine": getattr(engine, "engine_name", type(engine).__name__)}
    for name in ("model_id", "revision", "max_input_tokens"):
        if hasattr(engine, name):
            described[name] = getattr(engine, name)
    return described


def checkpoint_identity(engine: Any) -> dict[str, Any]:
    """What names a loaded checkpoint and where it runs: the part of every
    weight-loading engine's ``generation_signature`` that is the same for all."""
    return {
        "engine": engine.engine_name,
        "model_id": engine.model_id,
        "revision": engine.revision,
        "checkpoint": engine.checkpoint,
        "device": engine.device,
        "max_input_tokens": engine.max_input_tokens,
    }


class SentenceRanker(Protocol):
    """An extractive engine: picks sentences, needs no weights."""

    engine_name: str

    def rank(self, sentences: Sequence[str], k: int) -> list[int]:
        """Indices of the ``k`` best sentences, in article order."""
        ...


# A short input in each model's source language: generating from it once proves
# the loaded weights run before the engine is handed out.
WARM_UP_TEXT = {
    "marian": "新闻。",
    "bart": "News.",
    "mt5": "新闻。",
    "qwen2": "新闻。",
    "qwen3": "新闻。",
}


def warm_up(engine: TextGenerator, spec: ModelSpec, path: Path) -> None:
    """Two tokens from a short input; ModelLoadFailed naming the model, the folder and
    the reason when the loaded engine cannot generate."""
    try:
        engine.generate([WARM_UP_TEXT.get(spec.architecture, "News.")], max_new_tokens=2)
    except Exception as exc:
        raise ModelLoadFailed(
            f"{spec.id} ({spec.role}) loaded from {path} but its warm-up generate failed: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
