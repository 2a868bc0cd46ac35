"""Token-aware chunking: make any input fit a model's window without losing a word.

Three tools, each measuring with the model's own tokenizer (``count_tokens``):

- ``split_long_sentence`` cuts one over-long sentence at clause marks
  (；：then ，、 then spaces) and, as a last resort, between characters; the
  pieces joined give the sentence back exactly.
- ``chunk_by_tokens`` groups consecutive sentences under a token budget.
- ``map_reduce_summary`` summarizes each chunk, then the partial summaries,
  until everything fits one window: long articles are never truncated
  (``map_reduce_steps``: the same, as steps that ``models.stepwise`` drives).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from models.engines.base import TextGenerator
from models.stepwise import GenerateCall, Steps, run_steps

CountTokens = Callable[[str], int]

# Where a sentence may be cut, strongest boundary first. The mark stays with
# the piece before it; a run of spaces stays with the word before it.
_CUTS = (
    re.compile(r"(?<=[；;：:])"),
    re.compile(r"(?<=[，,、])"),
    re.compile(r"(?<=\s)(?=\S)"),
)

# Rounds of reduction before giving up; each round shrinks the text several-fold.
_MAX_ROUNDS = 16


def split_long_sentence(text: str, count_tokens: CountTokens, max_tokens: int) -> list[str]:
    """``text`` as pieces of at most ``max_tokens`` tokens each; ``"".join`` gives it back.

    A text that fits comes back alone. Cuts fall at ；： then ，、 then
    whitespace, and only inside a clause that is still too long, between
    characters. Raises ValueError when even one character is over ``max_tokens``.
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    if count_tokens(text) <= max_tokens:
        return [text]
    return _split(text, count_tokens, max_tokens, tier=0)


def _split(text: str, count_tokens: CountTokens, max_tokens: int, tier: int) -> list[str]:
    if tier == len(_CUTS):
        return _split_characters(text, count_tokens, max_tokens)
    segments = [s for s in _CUTS[tier].split(text) if s]
    if len(segments) == 1:
        return _split(text, count_tokens, max_tokens, tier + 1)
    pieces: list[str] = []
    current = ""
    for segment in segments:
        # Measure the joined text, not a sum: tokenizers merge across boundaries.
        if count_tokens(current + segment) <= max_tokens:
            current += segment
            continue
        if current:
            pieces.append(current)
            current = ""
        if count_tokens(segment) <= max_tokens:
            current = segment
        else:
            pieces.extend(_split(segment, count_tokens, max_tokens, tier + 1))
    if current:
        pieces.append(current)
    return pieces


def _split_characters(text: str, count_tokens: CountTokens, max_tokens: int) -> list[str]:
    pieces: list[str] = []
    rest = text
    while rest:
        if count_tokens(rest) <= max_tokens:
            pieces.append(rest)
            break
        if count_tokens(rest[:1]) > max_tokens:
            raise ValueError(
                f"one character ({rest[:1]!r}) is over the budget of {max_tokens} tokens"
            )
        # The longest prefix known to fit; `fits` always holds a fitting length.
        fits, too_long = 1, len(rest)
        while too_long - fits > 1:
            middle = (fits + too_long) // 2
            if count_tokens(rest[:middle]) <= max_tokens:
                fits = middle
            else:
                too_long = middle
        pieces.append(rest[:fits])
        rest = rest[fits:]
    return pieces


def chunk_by_tokens(
    sentences: Sequence[str], count_tokens: CountTokens, max_tokens: int
) -> list[list[int]]:
    """Consecutive sentence indices grouped so each group's summed count ≤ ``max_tokens``.

    Every index appears exactly once, in order. A sentence over ``max_tokens``
    on its own is the one case over budget: it gets a group to itself, and the
    caller must cut it with ``split_long_sentence`` (a model then refuses it
    rather than truncating it).
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    chunks: list[list[int]] = []
    current: list[int] = []
    used = 0
    for index, sentence in enumerate(sentences):
        tokens = count_tokens(sentence)
        if current and used + tokens > max_tokens:
            chunks.append(current)
            current, used = [], 0
        current.append(index)
        used += tokens
    if current:
        chunks.append(current)
    return chunks


def map_reduce_summary(
    text_sentences: Sequence[str], summarizer: TextGenerator, *, reserve_tokens: int = 16
) -> tuple[str, int]:
    """Summarize a text of any length: (summary, number of map chunks).

    Sentences are packed into chunks that fit the summarizer's window less
    ``reserve_tokens``; each chunk is summarized (map), then the partial
    summaries are joined and summarized again, in groups if they still do not
    fit (reduce), until one input holds them all. Nothing is truncated.
    """
    return run_steps(map_reduce_steps(text_sentences, summarizer, reserve_tokens=reserve_tokens))


def map_reduce_steps(
    text_sentences: Sequence[str], summarizer: TextGenerator, *, reserve_tokens: int = 16
) -> Steps[tuple[str, int]]:
    """``map_reduce_summary`` as steps (``models.stepwise``): it yields each call to
    the summarizer instead of making it, so that many articles' calls can be joined."""
    sentences = [s.strip() for s in text_sentences if s.strip()]
    if not sentences:
        raise ValueError("nothing to summarize: every sentence is empty")
    budget = summarizer.max_input_tokens - reserve_tokens
    if budget < 8:
        raise ValueError(
            f"reserve_tokens={reserve_tokens} leaves {budget} of the summarizer's "
            f"{summarizer.max_input_tokens}-token window; at least 8 are needed"
        )
    chunks = _pack(sentences, summarizer, budget)
    partials = yield from _summaries(summarizer, chunks, max_new_tokens=None)
    if len(chunks) == 1:
        return (partials[0] if partials else ""), 1
    max_new_tokens: int | None = None
    for _ in range(_MAX_ROUNDS):
        if not partials:
            return "", len(chunks)
        groups = _pack(partials, summarizer, budget)
        if len(groups) == 1:
            final = yield from _summaries(summarizer, groups, max_new_tokens=None)
            return (final[0] if final else ""), len(chunks)
        if len(groups) >= len(partials):
            # No two partials fit together: the model's summaries are too long
            # for this window; shorten them before the next round.
            max_new_tokens = max(1, budget // 8)
        partials = yield from _summaries(summarizer, groups, max_new_tokens=max_new_tokens)
    raise RuntimeError(
        f"the summaries of {len(chunks)} chunks did not fit {summarizer.model_id}'s window "
        f"after {_MAX_ROUNDS} rounds of reduction"
    )


def _summaries(
    summarizer: TextGenerator, texts: list[str], *, max_new_tokens: int | None
) -> Steps[list[str]]:
    outputs = yield GenerateCall(summarizer, texts, max_new_tokens)
    return [text.strip() for text in outputs if text.strip()]


def _pack(texts: Sequence[str], summarizer: TextGenerator, budget: int) -> list[str]:
    """``texts`` cut and joined into as few inputs as fit ``budget``, in order."""
    count = summarizer.count_tokens
    pieces = [piece for text in texts for piece in split_long_sentence(text, count, budget)]
    # Each input carries the specials once (e.g. <s> … </s>), not once per sentence.
    overhead = count("")
    groups = chunk_by_tokens(pieces, lambda s: max(count(s) - overhead, 0), budget - overhead)
    packed: list[str] = []
    for group in groups:
        packed.extend(_fit([pieces[i] for i in group], count, budget))
    return packed


def _fit(parts: list[str], count: CountTokens, budget: int) -> list[str]:
    # Summed counts are an estimate of the joined text's; measure, and halve if over.
    joined = _join(parts)
    if len(parts) == 1 or count(joined) <= budget:
        return [joined]
    middle = len(parts) // 2
    return _fit(parts[:middle], count, budget) + _fit(parts[middle:], count, budget)


def _join(parts: Sequence[str]) -> str:
    """Sentences as one text: a space between them, none between two Chinese ones."""
    text = ""
    for part in parts:
        if text and _needs_space(text[-1], part[0]):
            text += " "
        text += part
    return text


def _needs_space(left: str, right: str) -> bool:
    if left.isspace() or right.isspace():
        return False
    return not (_is_cjk(left) and _is_cjk(right))


def _is_cjk(char: str) -> bool:
    return "\u2e80" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef"
