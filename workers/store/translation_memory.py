"""Sentence-level translation memory: a TextGenerator that looks each sentence up first.

News repeats itself: datelines, boilerplate, the same quote in ten follow-ups.
The memory keys each source sentence by the translator's own fingerprint (what
it generates with: model id, revision and checkpoint content, engine,
quantization, device, dtype, beams, length limits), so a change of model or of
any decoding setting never serves an old translation.
It wraps the engine (STYLE.md habit 3); the engine knows nothing of Redis.

Redis trouble never fails a translation: the memory is an optimization, so a
lookup or store error falls back to the model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Sequence
from typing import Any

import redis

from models.engines.base import ScoredText, TextGenerator, can_score, generation_signature
from workers.store.cache import RedisLayout

log = logging.getLogger(__name__)


def translator_fingerprint(engine: TextGenerator) -> str:
    """What identifies a translator's output: its generation signature (model id,
    revision and checkpoint content, engine, quantization or compute type, device,
    dtype, beams, length limits and every other decoding setting)."""
    material = json.dumps(generation_signature(engine), sort_keys=True, default=str)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class TranslationMemory:
    """Wraps a translator; ``generate`` serves remembered sentences and asks the model
    only for the rest (each distinct sentence once per call)."""

    # What it translates, it keeps: translating ahead (workers.batch.pretranslate) pays off.
    remembers = True

    def __init__(
        self, inner: TextGenerator, client: redis.Redis, layout: RedisLayout, *, ttl_s: int
    ) -> None:
        self.inner = inner
        self.client = client
        self.layout = layout
        self.ttl_s = ttl_s
        self.fingerprint = translator_fingerprint(inner)
        self.model_id = inner.model_id
        self.revision = inner.revision
        self.engine_name = inner.engine_name
        self.max_input_tokens = inner.max_input_tokens

    def generation_signature(self) -> dict[str, Any]:
        """The wrapped model's: remembering changes no output."""
        return generation_signature(self.inner)

    def count_tokens(self, text: str) -> int:
        """Delegated to the wrapped model's tokenizer."""
        return self.inner.count_tokens(text)

    def _key(self, text: str, max_new_tokens: int | None) -> str:
        # A length cap changes the output, so it is part of the key.
        material = text if max_new_tokens is None else f"{max_new_tokens}\x00{text}"
        return self.layout.translation(self.fingerprint, material)

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        """One translation per input, in input order; remembered ones are not recomputed."""
        return [
            scored.text for scored in self.generate_scored(texts, max_new_tokens=max_new_tokens)
        ]

    def generate_scored(
        self, texts: Sequence[str], *, max_new_tokens: int | None = None
    ) -> list[ScoredText]:
        """Translations with the model's mean log-probability, remembered with them
        (NaN when the wrapped engine gives no scores)."""
        if not texts:
            return []
        redis_keys = [self._key(t, max_new_tokens) for t in texts]
        try:
            stored: list[str | None] = list(self.client.mget(redis_keys))  # type: ignore[arg-type]
        except redis.RedisError as exc:
            log.warning("translation memory unavailable, translating everything: %s", exc)
            return self._model(texts, max_new_tokens)
        remembered = [_decode(value) for value in stored]

        missing = list(
            dict.fromkeys(t for t, hit in zip(texts, remembered, strict=True) if hit is None)
        )
        fresh: dict[str, ScoredText] = {}
        if missing:
            fresh = dict(zip(missing, self._model(missing, max_new_tokens), strict=True))
        try:
            with self.client.pipeline(transaction=False) as pipe:
                for text, out in fresh.items():
                    pipe.set(self._key(text, max_new_tokens), _encode(out), ex=self.ttl_s)
                pipe.hincrby(self.layout.stats, "tm_miss", len(missing))
                pipe.hincrby(self.layout.stats, "tm_hit", len(texts) - len(missing))
                pipe.execute()
        except redis.RedisError as exc:
            log.warning("translation memory could not store %d sentences: %s", len(fresh), exc)
        return [
            hit if hit is not None else fresh[text]
            for text, hit in zip(texts, remembered, strict=True)
        ]

    def _model(self, texts: Sequence[str], max_new_tokens: int | None) -> list[ScoredText]:
        if can_score(self.inner):
            return self.inner.generate_scored(texts, max_new_tokens=max_new_tokens)  # type: ignore[attr-defined]
        outputs = self.inner.generate(texts, max_new_tokens=max_new_tokens)
        return [ScoredText(out, math.nan) for out in outputs]


def _encode(scored: ScoredText) -> str:
    logprob = None if math.isnan(scored.mean_logprob) else scored.mean_logprob
    return json.dumps([scored.text, logprob], ensure_ascii=False)


def _decode(value: str | bytes | None) -> ScoredText | None:
    """A remembered translation; a plain string (stored before scores were kept)
    reads as a translation without a score."""
    if value is None:
        return None
    text = value.decode("utf-8") if isinstance(value, bytes) else value
    try:
        decoded = json.loads(text)
    except ValueError:
        return ScoredText(text, math.nan)
    if isinstance(decoded, list) and len(decoded) == 2 and isinstance(decoded[0], str):
        logprob = decoded[1]
        return ScoredText(decoded[0], math.nan if logprob is None else float(logprob))
    return ScoredText(text, math.nan)
