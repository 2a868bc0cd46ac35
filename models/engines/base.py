"""The tiny protocols every engine hides behind.

Caching, translation memory and chunking wrap an engine; they are not flags
inside it. An engine takes a batch and returns a batch, in input order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


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


class SentenceRanker(Protocol):
    """An extractive engine: picks sentences, needs no weights."""

    engine_name: str

    def rank(self, sentences: Sequence[str], k: int) -> list[int]:
        """Indices of the ``k`` best sentences, in article order."""
        ...
