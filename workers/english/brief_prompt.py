"""The direct-LLM brief's prompt: its text (one file), its digest, and fitting an article in.

The prompt's words live in ``prompts/brief_v1.txt``; ``prompt_digest`` names
them in the pipeline fingerprint (``workers.english.engines.Engines``), so an
edited prompt is a new cache key and never serves briefs of the old one.

Fitting (``fit_prompt``): the article goes into the prompt whole when it fits
the model's prompt limit. When it does not, the prompt holds the lead
paragraphs that fit, then says plainly that the article goes on and gives the
extractive brief of the rest (its key sentences, in article order): never a
silently cut text. A single lead paragraph too long to fit is given sentence by
sentence, as far as it fits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from string import Template

PROMPT_FILE = Path(__file__).with_name("prompts") / "brief_v1.txt"

# Key sentences of the rest, at least (more for longer briefs: twice the sentences asked).
_MIN_TAIL = 4
# Glossary lines in a prompt, at most (the article's own terms, longest first).
_MAX_TERMS = 30

CountTokens = Callable[[str], int]
Rank = Callable[[Sequence[str], int], list[int]]


@lru_cache(maxsize=4)
def _read(path: Path, mtime_ns: int) -> str:
    return path.read_text(encoding="utf-8")


def prompt_template(path: Path | None = None) -> str:
    """The prompt file's text (``PROMPT_FILE`` unless given; read again when it changes)."""
    path = path or PROMPT_FILE
    return _read(path, path.stat().st_mtime_ns)


def prompt_digest(path: Path | None = None) -> str:
    """A short digest of the prompt file: part of the pipeline fingerprint."""
    return hashlib.sha256(prompt_template(path).encode("utf-8")).hexdigest()[:16]


def glossary_block(terms: Mapping[str, str]) -> str:
    """The lines that ask for the glossary's English of the article's terms ('' for none)."""
    if not terms:
        return ""
    chosen = sorted(terms, key=lambda t: (-len(t), t))[:_MAX_TERMS]
    lines = [f"{zh} = {terms[zh]}" for zh in sorted(chosen)]
    return "- Write these names and terms in this English:\n" + "\n".join(lines) + "\n"


def render(
    article: str, count: int, terms: Mapping[str, str] | None = None, path: Path | None = None
) -> str:
    """The prompt for ``article`` (already fitted) asking for ``count`` sentences."""
    return Template(prompt_template(path)).substitute(
        count=count, glossary=glossary_block(terms or {}), article=article
    )


@dataclass(frozen=True)
class PromptFit:
    """A fitted prompt: the first ``lead`` sentences in full, then the key sentences
    ``tail`` (article indices) of the rest, of ``total`` sentences."""

    prompt: str
    lead: int
    total: int
    tail: list[int] = field(default_factory=list)

    @property
    def whole(self) -> bool:
        """The article went in whole."""
        return self.lead == self.total


def lead_text(sentences: Sequence[str], paragraphs: Sequence[int] | None, n: int) -> str:
    """The first ``n`` sentences, one paragraph a line (Chinese sentences run on)."""
    out: list[str] = []
    for i in range(n):
        if i and (paragraphs is None or paragraphs[i] != paragraphs[i - 1]):
            out.append("\n")
        out.append(sentences[i].strip())
    return "".join(out)


def _with_tail(lead: str, rest: int, tail: Sequence[str]) -> str:
    if not rest:
        return lead
    note = (
        f"[The article goes on for {rest} more sentences, too long to give in full; "
        f"its {len(tail)} key sentences follow, in order:]"
    )
    return (lead + "\n\n" if lead else "") + note + "\n" + "\n".join(s.strip() for s in tail)


def fit_prompt(
    sentences: Sequence[str],
    count: int,
    *,
    count_tokens: CountTokens,
    limit: int,
    rank: Rank,
    paragraphs: Sequence[int] | None = None,
    terms: Mapping[str, str] | None = None,
    path: Path | None = None,
) -> PromptFit:
    """The prompt for the whole article when it fits ``limit`` tokens; else the lead
    paragraphs that fit plus the key sentences (``rank``) of the rest.

    ``paragraphs``: each sentence's paragraph number (None: every sentence its own).
    Raises ValueError when not even the prompt's own words and one key sentence fit.
    """
    total = len(sentences)

    def build(n: int, k: int) -> tuple[str, list[int]]:
        rest = list(range(n, total))
        picked = sorted(rest[i] for i in rank([sentences[i] for i in rest], k)) if k else []
        article = _with_tail(
            lead_text(sentences, paragraphs, n), len(rest), [sentences[i] for i in picked]
        )
        return render(article, count, terms, path), picked

    whole, _ = build(total, 0)
    if count_tokens(whole) <= limit:
        return PromptFit(whole, total, total)
    # Per-sentence costs give the longest lead that could fit; the real count decides.
    overhead = count_tokens(render("", count, terms, path))
    k_tail = max(_MIN_TAIL, 2 * count)
    costs = [count_tokens(s) for s in sentences]
    budget = limit - overhead - sum(sorted(costs, reverse=True)[:k_tail])
    n, used = 0, 0
    while n < total and used + costs[n] <= budget:
        used += costs[n]
        n += 1
    # Shorter leads first (the ranker runs once a try), then fewer key sentences.
    tries = [(lead, k_tail) for lead in _leads(n, paragraphs)]
    tries += [(0, k) for k in range(k_tail - 1, 0, -1)]
    for lead, k in tries:
        prompt, picked = build(lead, min(k, total - lead))
        if count_tokens(prompt) <= limit:
            return PromptFit(prompt, lead, total, picked)
    raise ValueError(f"the prompt does not fit {limit} tokens even with one key sentence")


def _leads(n: int, paragraphs: Sequence[int] | None) -> list[int]:
    """Lead lengths to try, longest first: the paragraph ends at or before ``n``
    (every sentence ends one when there are no paragraphs); when the first
    paragraph alone is longer than ``n``, its first ``n``, ``n - 1``, … sentences."""
    if paragraphs is None or n >= len(paragraphs):
        ends = list(range(n, 0, -1))
    else:
        ends = [i for i in range(n, 0, -1) if paragraphs[i] != paragraphs[i - 1]]
        if not ends:
            ends = list(range(n, 0, -1))
    return [*ends, 0]
