"""Sentence-level translation memory: a TextGenerator that looks each sentence up first.

News repeats itself: datelines, boilerplate, the same quote in ten follow-ups.
The memory keys each source sentence by the translator's own fingerprint (model
id, revision, engine), so a model change never serves an old translation.
It wraps the engine (STYLE.md habit 3); the engine knows nothing of Redis.

Redis trouble never fails a translation: the memory is an optimization, so a
lookup or store error falls back to the model.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

import redis

from models.engines.base import TextGenerator
from workers.cache import Keys

log = logging.getLogger(__name__)


def translator_fingerprint(engine: TextGenerator) -> str:
    """What identifies a translator's output: model, revision and engine."""
    material = f"{engine.model_id}\n{engine.revision or ''}\n{engine.engine_name}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class TranslationMemory:
    """Wraps a translator; ``generate`` serves remembered sentences and asks the model
    only for the rest (each distinct sentence once per call)."""

    def __init__(
        self, inner: TextGenerator, client: redis.Redis, keys: Keys, *, ttl_s: int
    ) -> None:
        self.inner = inner
        self.client = client
        self.keys = keys
        self.ttl_s = ttl_s
        self.fingerprint = translator_fingerprint(inner)
        self.model_id = inner.model_id
        self.revision = inner.revision
        self.engine_name = inner.engine_name
        self.max_input_tokens = inner.max_input_tokens

    def count_tokens(self, text: str) -> int:
        """Delegated to the wrapped model's tokenizer."""
        return self.inner.count_tokens(text)

    def _key(self, text: str, max_new_tokens: int | None) -> str:
        # A length cap changes the output, so it is part of the key.
        material = text if max_new_tokens is None else f"{max_new_tokens}\x00{text}"
        return self.keys.translation(self.fingerprint, material)

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        """One translation per input, in input order; remembered ones are not recomputed."""
        if not texts:
            return []
        redis_keys = [self._key(t, max_new_tokens) for t in texts]
        try:
            remembered: list[str | None] = list(self.client.mget(redis_keys))  # type: ignore[arg-type]
        except redis.RedisError as exc:
            log.warning("translation memory unavailable, translating everything: %s", exc)
            return self.inner.generate(texts, max_new_tokens=max_new_tokens)

        missing = list(
            dict.fromkeys(t for t, hit in zip(texts, remembered, strict=True) if hit is None)
        )
        fresh: dict[str, str] = {}
        if missing:
            outputs = self.inner.generate(missing, max_new_tokens=max_new_tokens)
            fresh = dict(zip(missing, outputs, strict=True))
        try:
            with self.client.pipeline(transaction=False) as pipe:
                for text, out in fresh.items():
                    pipe.set(self._key(text, max_new_tokens), out, ex=self.ttl_s)
                pipe.hincrby(self.keys.stats, "tm_miss", len(missing))
                pipe.hincrby(self.keys.stats, "tm_hit", len(texts) - len(missing))
                pipe.execute()
        except redis.RedisError as exc:
            log.warning("translation memory could not store %d sentences: %s", len(fresh), exc)
        return [
            hit if hit is not None else fresh[text]
            for text, hit in zip(texts, remembered, strict=True)
        ]
