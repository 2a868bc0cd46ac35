"""The summary strategies: which one runs, and how each makes its summary.

``extractive`` picks the article's key sentences (and shows their translation);
``translate-then-summarize`` translates every sentence and summarizes the English;
``summarize-then-translate`` translates only sentences picked first;
``direct`` summarizes the Chinese into English with one cross-lingual model;
``direct-llm`` has an instruct model write the brief (``workers.english.llm_brief``),
falling back to the extractive brief when its reply is unreadable or fails the checks.
The summarizer's calls are yielded as steps (``models.stepwise``) so a chunk of
batch articles can share them; translation calls are made directly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from models.chunking import map_reduce_steps
from models.engines.base import TextGenerator
from models.engines.extractive import TextRankRanker
from models.stepwise import Steps
from workers.contract import Strategy, Summary, SummaryOptions, SummarySentence
from workers.english.engines import Engines
from workers.english.notices import (
    NO_TRANSLATION_ASKED,
    NO_TRANSLATION_MODEL,
    fell_back,
    partial_translation,
)
from workers.english.translate import translate_keeping_names
from workers.errors import InvalidRequest, ModelUnavailable

Progress = Callable[[str, float], None]

# Sentences picked before translation by summarize-then-translate: enough for the
# summarizer to compress, far fewer than the article.
PRESELECT_FACTOR = 3


def choose_strategy(options: SummaryOptions, engines: Engines) -> tuple[Strategy, list[str]]:
    """The strategy to run, with warnings when the profile forces a fallback."""
    warnings: list[str] = []
    has_models = engines.translator is not None and engines.summarizer is not None
    if options.profile == "llm" and engines.llm is None:
        raise ModelUnavailable(
            "profile 'llm' needs an instruct model, which this worker has not loaded: "
            "start it with --profile llm (NEWSUM_LLM_MODEL names the model)"
        )
    if options.profile == "standard" and not has_models:
        raise ModelUnavailable(
            "profile 'standard' needs the translation and summary models, which this "
            "worker has not loaded: run `newsum models pull`"
        )
    wanted = options.strategy
    if options.profile == "offline":
        if wanted not in (None, "extractive"):
            raise InvalidRequest(
                f"strategy {wanted!r} needs models; the offline profile runs 'extractive' only"
            )
        return "extractive", warnings
    if wanted is None and engines.llm is not None and options.profile in ("auto", "llm"):
        return "direct-llm", warnings
    if wanted is None:
        wanted = "translate-then-summarize" if has_models else "extractive"
        if not has_models:
            warnings.extend(engines.warnings)
    if wanted == "direct-llm":
        if engines.llm is None:
            raise ModelUnavailable(
                "strategy 'direct-llm' needs an instruct model: start the worker with "
                "--profile llm (NEWSUM_LLM_MODEL names it; `newsum models list` shows them)"
            )
    elif wanted == "direct":
        if engines.direct is None:
            raise ModelUnavailable(
                "strategy 'direct' needs csebuetnlp/mT5_m2o_english_crossSum "
                "(CC BY-NC-SA: set NEWSUM_ALLOW_NONCOMMERCIAL=true for non-commercial "
                "use, then `newsum models pull direct-summary`)"
            )
    elif wanted in ("translate-then-summarize", "summarize-then-translate") and not has_models:
        if options.profile == "auto":
            warnings.extend(engines.warnings)
            warnings.append(fell_back(wanted))
            return "extractive", warnings
        raise ModelUnavailable(f"strategy {wanted!r} needs the translation and summary models")
    return wanted, warnings


def why_no_translation(options: SummaryOptions, engines: Engines, strategy: str) -> str:
    """The warning for a Chinese article whose result carries no full translation."""
    if not options.translate:
        return NO_TRANSLATION_ASKED
    if engines.translator is None:
        return NO_TRANSLATION_MODEL
    return partial_translation(strategy)


_EN_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“])")
_WORD = re.compile(r"[a-z0-9]+")
_EN_STOP = frozenset(
    (
        "the a an of and or to in on at for by with from as is are was were be been it its "
        "this that these those has have had will would not but also which who their they he she"
    ).split()
)


def split_english(text: str) -> list[str]:
    return [s.strip() for s in _EN_SENTENCE.split(text.strip()) if s.strip()]


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _EN_STOP and len(w) > 1}


def align_sources(summary_sentence: str, english: Sequence[str], limit: int = 2) -> list[int]:
    """Source sentences whose English shares the most content words with a summary
    sentence (best first, at most ``limit``, overlap ≥ 20% of the summary's words)."""
    words = _content_words(summary_sentence)
    if not words:
        return []
    scored = []
    for i, sentence in enumerate(english):
        overlap = len(words & _content_words(sentence)) / len(words)
        if overlap >= 0.2:
            scored.append((overlap, -i, i))
    scored.sort(reverse=True)
    return sorted(i for _, _, i in scored[:limit])


@dataclass
class SummaryRun:
    """One article's way through a strategy: what has been translated so far,
    and the problems to give as review reasons."""

    sentences: list[str]  # the article's sentences, in Chinese (or English)
    language: str
    options: SummaryOptions
    engines: Engines
    progress: Progress
    english: list[str] | None = None  # translation of every article sentence
    confidence: list[float | None] | None = None  # of each sentence's translation
    translator: TextGenerator | None = None  # the engines' own, or a glossary wrapper
    notes: list[str] = field(default_factory=list)  # problems for review_reasons
    title: str | None = None  # the headline: the extractive brief favours what it names
    text: str | None = None  # the article, one paragraph a line: the brief reads its layout

    def translate(self, sentences: Sequence[str]) -> tuple[list[str], list[float | None]]:
        return translate_keeping_names(sentences, self.translator, self.notes)


def sentence_paragraphs(text: str, sentences: Sequence[str]) -> list[int] | None:
    """Each sentence's paragraph (line) number in ``text``, or None when the sentences
    are not ``text``'s own, in order (segmentation drops only whitespace)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    numbers: list[int] = []
    line, offset = 0, 0
    for sentence in sentences:
        while line < len(lines):
            at = lines[line].find(sentence.strip(), offset)
            if at >= 0:
                numbers.append(line)
                offset = at + len(sentence.strip())
                break
            line, offset = line + 1, 0
        else:
            return None
    return numbers


def extractive_summary(run: SummaryRun, k: int) -> tuple[list[int], Summary]:
    """The article's ``k`` key sentences, with their translation where there is one.

    The built-in ranker also reads the headline and the paragraph layout (a lead
    paragraph, topic sentences), when the run has them."""
    ranker = run.engines.ranker
    if isinstance(ranker, TextRankRanker):
        paragraphs = sentence_paragraphs(run.text, run.sentences) if run.text else None
        picked = ranker.rank(run.sentences, k, paragraphs=paragraphs, title=run.title)
    else:
        picked = ranker.rank(run.sentences, k)
    zh_sentences = [run.sentences[i] for i in picked]
    en_sentences: list[str | None] = [None] * len(picked)
    if run.english is not None:
        en_sentences = [run.english[i] for i in picked]
    scores = run.confidence or [None] * len(run.sentences)
    sentences = [
        SummarySentence(zh=zh, en=en, sources=[i], confidence=scores[i])
        for zh, en, i in zip(zh_sentences, en_sentences, picked, strict=True)
    ]
    en_text = " ".join(e for e in en_sentences if e) or None
    zh_text = "".join(zh_sentences)
    return picked, Summary(zh=zh_text, en=en_text, method="extractive", sentences=sentences)


def model_summary_steps(run: SummaryRun, strategy: Strategy) -> Steps[Summary]:
    """An abstractive summary by ``strategy`` (not ``extractive``, not ``direct-llm``,
    which ``workers.english.llm_brief`` runs on top of this module), as steps."""
    engines = run.engines
    if strategy == "direct":
        assert engines.direct is not None
        text, _ = yield from map_reduce_steps(run.sentences, engines.direct)
        return Summary(
            en=text,
            method="direct",
            sentences=[SummarySentence(en=s) for s in split_english(text)],
        )
    assert engines.summarizer is not None
    if strategy == "summarize-then-translate":
        k = min(len(run.sentences), max(PRESELECT_FACTOR * run.options.sentences, 8))
        picked = engines.ranker.rank(run.sentences, k)
        run.progress("translate", 0.3)
        english, _ = run.translate([run.sentences[i] for i in picked])
        text, _ = yield from map_reduce_steps(english, engines.summarizer)
        return Summary(
            en=text,
            method=strategy,
            sentences=_abstractive_sentences(text, english, picked),
        )
    if run.english is None:
        run.english, run.confidence = run.translate(run.sentences)
    english = run.english
    text, _ = yield from map_reduce_steps(english, engines.summarizer)
    return Summary(
        en=text,
        method=strategy,
        sentences=_abstractive_sentences(text, english, range(len(english))),
    )


def _abstractive_sentences(
    english_summary: str, english_sources: Sequence[str], index_map: Sequence[int]
) -> list[SummarySentence]:
    out = []
    for sentence in split_english(english_summary):
        local = align_sources(sentence, english_sources)
        out.append(SummarySentence(en=sentence, sources=[index_map[i] for i in local]))
    return out
