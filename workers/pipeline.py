"""The article pipeline: intake → extract → normalize → segment → summarize →
translate → check, in one process.

Celery tasks, the command line and the benchmarks all call ``prepare_article``
and ``summarize_prepared`` (or ``summarize_article`` for both). Nothing here
knows about Redis or HTTP.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from models.chunking import map_reduce_steps, split_long_sentence
from models.engines.base import TextGenerator, can_score
from models.stepwise import Steps, run_steps
from workers.article.extract import ExtractedArticle, extract_main_text
from workers.article.intake import decode_bytes, looks_like_html
from workers.article.language import MIN_HAN_RATIO, detect_language, to_simplified
from workers.article.scraped_text import clean_scraped_text
from workers.article.segment import article_sentences
from workers.contract import (
    Article,
    ArticleInput,
    Author,
    Checks,
    NumberCheck,
    Provenance,
    Strategy,
    Summary,
    SummaryOptions,
    SummaryResult,
    SummarySentence,
    TranslatedSentence,
)
from workers.english.checks import check_names, check_numbers
from workers.english.engines import Engines
from workers.english.glossary import (
    GlossaryTranslator,
    merged_glossary,
    repair_person_names,
    server_glossary,
    source_people,
    used_terms,
)
from workers.english.review import DEFAULT_REVIEW_CONFIDENCE, confidence, flag_for_review
from workers.english.romanize import romanize_name
from workers.english.terms import key_terms
from workers.errors import (
    EmptyInput,
    InputTooLarge,
    InvalidRequest,
    ModelUnavailable,
    NotChinese,
)
from workers.settings import Settings

Progress = Callable[[str, float], None]
Fetch = Callable[[str], tuple[bytes, str | None]]

# Sentences picked before translation by summarize-then-translate: enough for the
# summarizer to compress, far fewer than the article.
PRESELECT_FACTOR = 3


@dataclass
class PreparedArticle:
    """An article after intake, extraction, normalization and segmentation."""

    text: str
    sentences: list[str]
    language: str
    original_text: str | None = None
    title: str | None = None
    published: str | None = None
    outlet: str | None = None
    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    url: str | None = None
    warnings: list[str] = field(default_factory=list)


# C0/C1 control characters (but tab, newline, carriage return) and the bidi
# embedding, override, isolate and mark characters: invisible, and a bidi override
# makes a displayed sentence read differently from the text ("Trojan Source").
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)


def strip_controls(text: str) -> str:
    """``text`` without control and bidi-formatting characters (they are removed,
    not replaced: nothing of the visible text changes)."""
    return _CONTROLS.sub("", text)


def _noop_progress(stage: str, fraction: float) -> None:
    return None


# ---------------------------------------------------------------- prepare


def read_input(article: ArticleInput, settings: Settings, fetch: Fetch | None) -> tuple[str, bool]:
    """Return (decoded text, is_html), enforcing the byte and character limits."""
    if article.url is not None:
        if fetch is None:
            raise InvalidRequest("fetching URLs is not available here; pass the page's HTML")
        body, charset = fetch(article.url)
        _check_bytes(len(body), settings)
        return decode_bytes(body, charset), True
    if article.html_b64 is not None:
        try:
            body = base64.b64decode(article.html_b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidRequest(f"html_b64 is not valid base64: {exc}") from None
        _check_bytes(len(body), settings)
        return decode_bytes(body, article.charset), True
    if article.html is not None:
        _check_chars(article.html, settings, factor=10)
        return article.html, True
    text = article.text or ""
    _check_chars(text, settings)
    return text, looks_like_html(text)


def _check_bytes(size: int, settings: Settings) -> None:
    if size > settings.max_bytes:
        raise InputTooLarge(
            f"input is {size:,} bytes; the limit is {settings.max_bytes:,} bytes "
            "(NEWSUM_MAX_BYTES)",
            limit=settings.max_bytes,
        )


def _check_chars(text: str, settings: Settings, factor: int = 1) -> None:
    # HTML carries markup around the text, so it may be `factor` times longer.
    limit = settings.max_chars * factor
    if len(text) > limit:
        raise InputTooLarge(
            f"input is {len(text):,} characters; the limit is {limit:,} characters "
            "(NEWSUM_MAX_CHARS)",
            limit=limit,
        )


def prepare_article(
    article: ArticleInput, settings: Settings, *, fetch: Fetch | None = None
) -> PreparedArticle:
    """Intake, extraction, normalization and segmentation. Raises InputError
    subclasses for bad input; those are never retried."""
    raw, is_html = read_input(article, settings, fetch)
    raw = strip_controls(raw)
    if not raw.strip():
        raise EmptyInput("the article is empty (no text after removing whitespace)")
    if not is_html:
        # Refuse other languages before cleaning, which would take their lines for
        # boilerplate and report the article as empty.
        _refuse_other_languages(detect_language(raw))

    extracted: ExtractedArticle = (
        extract_main_text(raw, url=article.url) if is_html else clean_scraped_text(raw)
    )
    body = extracted.text.strip()
    if not body:
        raise EmptyInput("no article text found in the input")
    _check_chars(body, settings)

    warnings: list[str] = []
    language = detect_language(body)
    original: str | None = None
    if language == "zh-Hant":
        original = body
        body = to_simplified(body)
        warnings.append("traditional Chinese converted to simplified for the models")
    elif language == "en":
        warnings.append("the article is already in English: nothing to translate")
    else:
        _refuse_other_languages(language)

    sentences = article_sentences(body)
    if not sentences:
        raise EmptyInput("no sentences found in the article text")
    title = extracted.title
    if title and language == "zh-Hant":
        title = to_simplified(title)
    return PreparedArticle(
        text=body,
        sentences=sentences,
        language=language,
        original_text=original,
        title=title,
        published=extracted.published,
        outlet=extracted.outlet,
        authors=list(extracted.authors),
        editors=list(extracted.editors),
        removed=list(extracted.removed),
        url=extracted.url or article.url,
        warnings=warnings,
    )


def _refuse_other_languages(language: str) -> None:
    if language not in ("zh-Hans", "zh-Hant", "en"):
        raise NotChinese(
            f"the article is not Chinese (fewer than {MIN_HAN_RATIO:.0%} of its letters are "
            "Chinese characters, or it is Japanese or Korean); newsum summarizes Chinese news "
            "into English"
        )


# ---------------------------------------------------------------- translate


def translate_sentences(
    sentences: Sequence[str], engines: Engines, *, translator: TextGenerator | None = None
) -> list[str]:
    """zh→en, one English string per input sentence. Sentences longer than the
    model's window are cut at clause boundaries and their pieces rejoined, so no
    input is truncated. ``translator`` (default: the engines' own) may be a wrapper
    such as ``workers.english.glossary.GlossaryTranslator``. Raises ModelUnavailable with no
    translator."""
    return [text for text, _ in translate_scored(sentences, translator or engines.translator)]


def translate_scored(
    sentences: Sequence[str], translator: TextGenerator | None
) -> list[tuple[str, float | None]]:
    """Like ``translate_sentences``, with each sentence's confidence
    (``workers.english.review.confidence``; None when the engine gives no scores)."""
    if translator is None:
        raise ModelUnavailable(
            "no translation model is loaded: run `newsum models pull translation`"
        )
    budget = max(8, translator.max_input_tokens - 2)
    pieces: list[str] = []
    owners: list[int] = []
    for i, sentence in enumerate(sentences):
        for piece in split_long_sentence(sentence, translator.count_tokens, budget):
            pieces.append(piece)
            owners.append(i)
    means: list[float]
    if not pieces:
        outputs, means = [], []
    elif can_score(translator):
        scored = translator.generate_scored(pieces)  # type: ignore[attr-defined]
        outputs, means = [s.text for s in scored], [s.mean_logprob for s in scored]
    else:
        outputs = translator.generate(pieces)
        means = [math.nan] * len(outputs)
    joined: list[list[str]] = [[] for _ in sentences]
    logprobs: list[list[float]] = [[] for _ in sentences]
    for owner, text, mean in zip(owners, outputs, means, strict=True):
        joined[owner].append(text.strip())
        logprobs[owner].append(mean)
    # A NaN piece (no score) makes the sentence's mean NaN: no confidence, not a guess.
    return [
        (" ".join(parts), confidence(sum(lp) / len(lp)) if lp else None)
        for parts, lp in zip(joined, logprobs, strict=True)
    ]


# ---------------------------------------------------------------- summarize


def choose_strategy(options: SummaryOptions, engines: Engines) -> tuple[Strategy, list[str]]:
    """The strategy to run, with warnings when the profile forces a fallback."""
    warnings: list[str] = []
    has_models = engines.translator is not None and engines.summarizer is not None
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
    if wanted is None:
        wanted = "translate-then-summarize" if has_models else "extractive"
        if not has_models:
            warnings.extend(engines.warnings)
    if wanted == "direct":
        if engines.direct is None:
            raise ModelUnavailable(
                "strategy 'direct' needs csebuetnlp/mT5_m2o_english_crossSum "
                "(CC BY-NC-SA: set NEWSUM_ALLOW_NONCOMMERCIAL=true for non-commercial "
                "use, then `newsum models pull direct-summary`)"
            )
    elif wanted in ("translate-then-summarize", "summarize-then-translate") and not has_models:
        if options.profile == "auto":
            warnings.extend(engines.warnings)
            warnings.append(f"strategy {wanted!r} needs models; ran 'extractive' instead")
            return "extractive", warnings
        raise ModelUnavailable(f"strategy {wanted!r} needs the translation and summary models")
    return wanted, warnings


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
class _Run:
    prepared: PreparedArticle
    options: SummaryOptions
    engines: Engines
    progress: Progress
    warnings: list[str]
    english: list[str] | None = None  # translation of every article sentence
    confidence: list[float | None] | None = None  # of each sentence's translation
    translator: TextGenerator | None = None  # the engines' own, or a glossary wrapper
    notes: list[str] = field(default_factory=list)  # problems for review_reasons

    def translate(self, sentences: Sequence[str]) -> tuple[list[str], list[float | None]]:
        """Translate, then put back person names the model mangled (noting those it
        could not find)."""
        pairs = translate_scored(sentences, self.translator)
        english = []
        for zh, (en, _) in zip(sentences, pairs, strict=True):
            fixed, missing = repair_person_names(zh, en)
            english.append(fixed)
            if missing:
                self.notes.append(
                    f"name(s) not found in the English of “{_clip(zh)}”: {', '.join(missing)}"
                )
        return english, [c for _, c in pairs]


def _clip(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _extractive_summary(run: _Run, k: int) -> tuple[list[int], Summary]:
    picked = run.engines.ranker.rank(run.prepared.sentences, k)
    zh_sentences = [run.prepared.sentences[i] for i in picked]
    en_sentences: list[str | None] = [None] * len(picked)
    if run.english is not None:
        en_sentences = [run.english[i] for i in picked]
    is_english = run.prepared.language == "en"
    scores = run.confidence or [None] * len(run.prepared.sentences)
    sentences = [
        SummarySentence(zh=None if is_english else zh, en=en, sources=[i], confidence=scores[i])
        for zh, en, i in zip(zh_sentences, en_sentences, picked, strict=True)
    ]
    en_text = " ".join(e for e in en_sentences if e) or None
    zh_text = None if is_english else "".join(zh_sentences)
    return picked, Summary(zh=zh_text, en=en_text, method="extractive", sentences=sentences)


def _abstractive_sentences(
    english_summary: str, english_sources: Sequence[str], index_map: Sequence[int]
) -> list[SummarySentence]:
    out = []
    for sentence in split_english(english_summary):
        local = align_sources(sentence, english_sources)
        out.append(SummarySentence(en=sentence, sources=[index_map[i] for i in local]))
    return out


def summarize_prepared(
    prepared: PreparedArticle,
    options: SummaryOptions,
    engines: Engines,
    *,
    key: str,
    progress: Progress | None = None,
    base_glossary: Mapping[str, str] | None = None,
    review_confidence: float = DEFAULT_REVIEW_CONFIDENCE,
) -> SummaryResult:
    """Summarize (and translate) a prepared article by the chosen strategy.

    ``base_glossary``: the server's glossary, under ``options.glossary``
    (``workers.english.glossary.server_glossary(settings)``: the built-in default and
    NEWSUM_GLOSSARY_FILE; None: the request's glossary only).
    ``review_confidence``: the confidence below which a sentence is flagged
    (``workers.english.review``).
    """
    return run_steps(
        summary_steps(
            prepared,
            options,
            engines,
            key=key,
            progress=progress,
            base_glossary=base_glossary,
            review_confidence=review_confidence,
        )
    )


def summary_steps(
    prepared: PreparedArticle,
    options: SummaryOptions,
    engines: Engines,
    *,
    key: str,
    progress: Progress | None = None,
    base_glossary: Mapping[str, str] | None = None,
    review_confidence: float = DEFAULT_REVIEW_CONFIDENCE,
) -> Steps[SummaryResult]:
    """``summarize_prepared`` as steps (``models.stepwise``): the summarizer's calls
    are yielded, so that a chunk of batch articles can share them
    (``workers.batch.summarize_together``). Translation calls are made directly."""
    started = time.perf_counter()
    report = progress or _noop_progress
    strategy, warnings = choose_strategy(options, engines)
    warnings = list(prepared.warnings) + warnings
    run = _Run(prepared, options, engines, report, warnings)
    is_english = prepared.language == "en"
    want_translation = options.translate and engines.translator is not None and not is_english
    glossary = merged_glossary(base_glossary, options.glossary)
    wrapper: GlossaryTranslator | None = None
    run.translator = engines.translator
    article_terms = used_terms(f"{prepared.title or ''}\n{prepared.text}", glossary)
    if engines.translator is not None and article_terms and not is_english:
        wrapper = GlossaryTranslator(engines.translator, article_terms)
        run.translator = wrapper

    if strategy in ("translate-then-summarize", "extractive") and want_translation:
        report("translate", 0.2)
        run.english, run.confidence = run.translate(prepared.sentences)
    elif is_english:
        run.english = list(prepared.sentences)

    report("summarize", 0.6)
    zh_brief: str | None
    if strategy == "extractive":
        _, summary = _extractive_summary(run, options.sentences)
        zh_brief = summary.zh
    else:
        _, extractive = _extractive_summary(run, options.sentences)
        zh_brief = extractive.zh
        summary = yield from _model_strategy_steps(run, strategy)
        summary.zh = zh_brief

    report("check", 0.9)
    article = _article(run, want_translation, warnings)
    checks = _checks(prepared, summary, warnings)
    translation = None
    if run.english is not None and not is_english and strategy != "summarize-then-translate":
        scores = run.confidence or [None] * len(run.english)
        translation = [
            TranslatedSentence(zh=zh, en=en, confidence=c)
            for zh, en, c in zip(prepared.sentences, run.english, scores, strict=True)
        ]
    elif not is_english:
        warnings.append(_why_no_translation(options, engines, strategy))

    elapsed = int((time.perf_counter() - started) * 1000)
    result = SummaryResult(
        id=key,
        article=article,
        summary=summary,
        translation=translation,
        key_terms=key_terms(prepared.text, k=10, glossary=glossary),
        checks=checks,
        provenance=Provenance(
            profile=engines.profile if options.profile != "offline" else "offline",
            models=engines.model_refs(),
            elapsed_ms=elapsed,
        ),
    )
    checks.warnings = _dedupe(warnings)
    if wrapper is not None and wrapper.fallbacks:
        run.notes.append(
            f"glossary terms placed by translating {len(wrapper.fallbacks)} sentence(s) in "
            "pieces (the model dropped the placeholders): the English may read unevenly"
        )
    flag_for_review(result, threshold=review_confidence, notes=run.notes)
    report("done", 1.0)
    return result


def _why_no_translation(options: SummaryOptions, engines: Engines, strategy: str) -> str:
    if not options.translate:
        return "translation: not asked for (translate=false)"
    if engines.translator is None:
        return "translation: no translation model is loaded (run `newsum models pull translation`)"
    return (
        f"translation: strategy {strategy!r} translates only the sentences it selects; "
        "ask for translate-then-summarize for the full translation"
    )


def _model_strategy_steps(run: _Run, strategy: Strategy) -> Steps[Summary]:
    engines, prepared = run.engines, run.prepared
    if strategy == "direct":
        assert engines.direct is not None
        text, _ = yield from map_reduce_steps(prepared.sentences, engines.direct)
        return Summary(
            en=text,
            method="direct",
            sentences=[SummarySentence(en=s) for s in split_english(text)],
        )
    assert engines.summarizer is not None
    if strategy == "summarize-then-translate":
        k = min(len(prepared.sentences), max(PRESELECT_FACTOR * run.options.sentences, 8))
        picked = engines.ranker.rank(prepared.sentences, k)
        run.progress("translate", 0.3)
        if prepared.language == "en":
            english = [prepared.sentences[i] for i in picked]
        else:
            english, _ = run.translate([prepared.sentences[i] for i in picked])
        text, _ = yield from map_reduce_steps(english, engines.summarizer)
        return Summary(
            en=text,
            method=strategy,
            sentences=_abstractive_sentences(text, english, picked),
        )
    if run.english is None:
        run.english, run.confidence = run.translate(prepared.sentences)
    english = run.english
    text, _ = yield from map_reduce_steps(english, engines.summarizer)
    return Summary(
        en=text,
        method=strategy,
        sentences=_abstractive_sentences(text, english, range(len(english))),
    )


def _article(run: _Run, translate_title: bool, warnings: list[str]) -> Article:
    prepared, engines = run.prepared, run.engines
    title_en: str | None = None
    if prepared.title and prepared.language == "en":
        title_en = prepared.title
    elif prepared.title and translate_title:
        title_en = run.translate([prepared.title])[0][0]
    elif prepared.title and engines.translator is None:
        warnings.append("article.title_en: no translation model is loaded")
    return Article(
        title=prepared.title,
        title_en=title_en,
        published=prepared.published,
        outlet=prepared.outlet,
        authors=[Author(name=n, romanized=_romanize(n)) for n in prepared.authors],
        editors=[Author(name=n, romanized=_romanize(n)) for n in prepared.editors],
        url=prepared.url,
        language=prepared.language,
        text=prepared.text,
        original_text=prepared.original_text,
        sentences=prepared.sentences,
        removed=prepared.removed,
    )


def _romanize(name: str) -> str | None:
    return romanize_name(name) if re.search(r"[\u4e00-\u9fff]", name) else None


def _checks(prepared: PreparedArticle, summary: Summary, warnings: list[str]) -> Checks:
    english = summary.en
    if not english:
        warnings.append("checks: no English summary, so numbers and names were not checked")
        return Checks()
    cited = sorted({i for s in summary.sentences for i in s.sources})
    cited_zh = "".join(prepared.sentences[i] for i in cited) if cited else prepared.text
    numbers = NumberCheck(
        missing=check_numbers(cited_zh, english).missing,
        unsupported=check_numbers(prepared.text, english).unsupported,
    )
    # Foreign names written in characters (约翰·米勒) have no pinyin to look for.
    people = set(source_people(cited_zh))
    names = NumberCheck(
        missing=[
            m
            for m in check_names(cited_zh, english).missing
            if m.rsplit("(", 1)[-1].rstrip(")") in people
        ],
        unsupported=check_names(prepared.text, english).unsupported,
    )
    if numbers.unsupported:
        warnings.append(
            "numbers in the English summary not found in the source: "
            + ", ".join(numbers.unsupported)
        )
    return Checks(numbers=numbers, names=names)


def _dedupe(items: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


def summarize_article(
    article: ArticleInput,
    options: SummaryOptions,
    engines: Engines,
    settings: Settings,
    *,
    key: str,
    progress: Progress | None = None,
    fetch: Fetch | None = None,
) -> SummaryResult:
    """The whole pipeline for one article."""
    report = progress or _noop_progress
    report("extract", 0.05)
    prepared = prepare_article(article, settings, fetch=fetch)
    return summarize_prepared(
        prepared,
        options,
        engines,
        key=key,
        progress=report,
        base_glossary=server_glossary(settings),
        review_confidence=settings.review_confidence,
    )
