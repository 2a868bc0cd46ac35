"""The article pipeline: intake → extract → normalize → segment → summarize →
translate → check, in one process.

Celery tasks, the command line and the benchmarks all call ``prepare_article``
and ``summarize_prepared`` (or ``summarize_article`` for both). This module
holds the order of the steps; the steps live in their packages: the article's
in ``workers.article``, the strategies in ``workers.english.summarize``, the
translation step in ``workers.english.translate``, the checks in
``workers.english.number_checks`` and ``workers.english.name_checks``.
Nothing here knows about Redis or HTTP.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Callable, Mapping, Sequence

from models.stepwise import Steps, run_steps
from workers.article.extract import extract_main_text, extract_plain_text
from workers.article.extracted import ExtractedArticle
from workers.article.intake import decode_bytes, looks_like_html, visible_text, without_markup
from workers.article.language import (
    require_chinese,
    require_chinese_letters,
    require_chinese_page,
    to_simplified,
)
from workers.article.limits import HTML_CHARS_FACTOR, check_bytes, check_chars
from workers.article.prepared import PreparedArticle
from workers.article.segment import article_sentences
from workers.contract import (
    Article,
    ArticleInput,
    Author,
    Checks,
    Extraction,
    NumberCheck,
    Provenance,
    Summary,
    SummaryOptions,
    SummaryResult,
    TranslatedSentence,
)
from workers.english.engines import Engines
from workers.english.glossary import (
    GlossaryTranslator,
    merged_glossary,
    server_glossary,
    source_people,
    used_terms,
)
from workers.english.llm_brief import BriefText, llm_brief_steps
from workers.english.name_checks import check_names
from workers.english.notices import (
    NO_ENGLISH_HEADLINE,
    NOT_CHECKED,
    TRADITIONAL_CONVERTED,
    unsupported_numbers,
)
from workers.english.number_checks import check_numbers
from workers.english.review import DEFAULT_REVIEW_CONFIDENCE, flag_for_review
from workers.english.romanize import romanize_name
from workers.english.summarize import (
    Progress,
    SummaryRun,
    choose_strategy,
    extractive_summary,
    model_summary_steps,
    why_no_translation,
)
from workers.english.terms import key_terms
from workers.errors import EmptyInput, InvalidRequest
from workers.settings import Settings

Fetch = Callable[[str], tuple[bytes, str | None]]


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
        _check_chars(article.html, settings, factor=HTML_CHARS_FACTOR)
        return article.html, True
    text = article.text or ""
    _check_chars(text, settings)
    return text, looks_like_html(text)


def _check_bytes(size: int, settings: Settings) -> None:
    check_bytes("input", size, settings.max_bytes)


def _check_chars(text: str, settings: Settings, factor: int = 1) -> None:
    check_chars("input", text, settings.max_chars, factor=factor)


def prepare_article(
    article: ArticleInput, settings: Settings, *, fetch: Fetch | None = None
) -> PreparedArticle:
    """Intake, extraction, normalization and segmentation. Raises InputError
    subclasses for bad input; those are never retried."""
    raw, is_html = read_input(article, settings, fetch)
    if is_html and not looks_like_html(raw):
        # Too little markup for page extraction: still parsed as HTML, its visible
        # text then read as plain text (scripts, styles, handlers never get through).
        raw, is_html = visible_text(raw), False
    elif not is_html:
        raw = without_markup(raw)  # text that carries a script is read as a page would be
    raw = strip_controls(raw)
    if not raw.strip():
        raise EmptyInput("the article is empty (no text after removing whitespace)")
    # Refuse other languages before cleaning, which would take their lines for
    # boilerplate and report the article as empty; a page on its visible text. Only
    # the verdict is needed here (letters alone): the script, Simplified or
    # Traditional, is read once, on the extracted body below.
    if is_html:
        require_chinese_page(raw)
    else:
        require_chinese_letters(raw)

    extracted: ExtractedArticle = (
        extract_main_text(raw, url=article.url) if is_html else extract_plain_text(raw)
    )
    # Markup spelled out in entities (``&lt;script&gt;``) is no text for a result either.
    body = without_markup(extracted.text).strip()
    if not body:
        raise EmptyInput("no article text found in the input")
    _check_chars(body, settings)

    # What the page's metadata could not establish (no date shown, …).
    warnings: list[str] = list(extracted.metadata_warnings)
    language = require_chinese(body)
    original: str | None = None
    if language == "zh-Hant":
        original = body
        body = to_simplified(body)
        warnings.append(TRADITIONAL_CONVERTED)

    sentences = article_sentences(body)
    if not sentences:
        raise EmptyInput("no sentences found in the article text")
    title = (without_markup(extracted.title).strip() or None) if extracted.title else None
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
        photo_credits=list(extracted.photo_credits),
        removed=list(extracted.removed),
        extraction=extracted.extraction,
        url=extracted.url or article.url,
        warnings=warnings,
    )


# ---------------------------------------------------------------- summarize


def summarize_prepared(
    prepared: PreparedArticle,
    options: SummaryOptions,
    engines: Engines,
    *,
    key: str,
    progress: Progress | None = None,
    base_glossary: Mapping[str, str] | None = None,
    review_confidence: float = DEFAULT_REVIEW_CONFIDENCE,
    brief_text: BriefText | None = None,
) -> SummaryResult:
    """Summarize (and translate) a prepared article by the chosen strategy.

    ``base_glossary``: the server's glossary, under ``options.glossary``
    (``workers.english.glossary.server_glossary(settings)``: the built-in default and
    NEWSUM_GLOSSARY_FILE; None: the request's glossary only).
    ``review_confidence``: the confidence below which a sentence is flagged
    (``workers.english.review``).
    ``brief_text``: told the direct-LLM brief's text as the model writes it (one
    reader's article: ``workers.english.llm_brief``); not the result, which is checked.
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
            brief_text=brief_text,
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
    brief_text: BriefText | None = None,
) -> Steps[SummaryResult]:
    """``summarize_prepared`` as steps (``models.stepwise``): the summarizer's calls
    are yielded, so that a chunk of batch articles can share them
    (``workers.batch.summarize_together``). Translation calls are made directly."""
    started = time.perf_counter()
    report = progress or _noop_progress
    strategy, warnings = choose_strategy(options, engines)
    warnings = list(prepared.warnings) + warnings
    run = SummaryRun(
        prepared.sentences,
        prepared.language,
        options,
        engines,
        report,
        title=prepared.title,
        text=prepared.text,
    )
    # Only Chinese gets this far (prepare_article refuses the rest).
    want_translation = options.translate and engines.translator is not None
    glossary = merged_glossary(base_glossary, options.glossary)
    wrapper: GlossaryTranslator | None = None
    run.translator = engines.translator
    article_terms = used_terms(f"{prepared.title or ''}\n{prepared.text}", glossary)
    if engines.translator is not None and article_terms:
        wrapper = GlossaryTranslator(engines.translator, article_terms)
        run.translator = wrapper

    if strategy in ("translate-then-summarize", "extractive") and want_translation:
        report("translate", 0.2)
        run.english, run.confidence = run.translate(prepared.sentences)

    report("summarize", 0.6)
    zh_brief: str | None
    if strategy == "extractive":
        _, summary = extractive_summary(run, options.sentences)
        zh_brief = summary.zh
    else:
        _, extractive = extractive_summary(run, options.sentences)
        zh_brief = extractive.zh
        if strategy == "direct-llm":
            summary = yield from llm_brief_steps(run, brief_text)
        else:
            summary = yield from model_summary_steps(run, strategy)
        summary.zh = zh_brief

    report("check", 0.9)
    article = _article(prepared, run, want_translation, warnings, summary.headline)
    checks = _checks(prepared, summary, warnings)
    translation = None
    if run.english is not None and strategy != "summarize-then-translate":
        scores = run.confidence or [None] * len(run.english)
        translation = [
            TranslatedSentence(zh=zh, en=en, confidence=c)
            for zh, en, c in zip(prepared.sentences, run.english, scores, strict=True)
        ]
    else:
        warnings.append(why_no_translation(options, engines, strategy))

    elapsed = int((time.perf_counter() - started) * 1000)
    result = SummaryResult(
        id=key,
        article=article,
        summary=summary,
        translation=translation,
        key_terms=key_terms(prepared.text, k=10, glossary=glossary, url=prepared.url),
        checks=checks,
        provenance=Provenance(
            profile=engines.profile if options.profile != "offline" else "offline",
            models=engines.model_refs(),
            fingerprint=engines.fingerprint(),
            elapsed_ms=elapsed,
        ),
    )
    checks.warnings = _dedupe(warnings)
    if wrapper is not None and wrapper.fallbacks:
        run.notes.append(
            f"Glossary terms were placed by translating {len(wrapper.fallbacks)} sentence(s) "
            "in pieces (the model dropped them): the English there may read unevenly."
        )
    flag_for_review(result, threshold=review_confidence, notes=run.notes)
    report("done", 1.0)
    return result


def _article(
    prepared: PreparedArticle,
    run: SummaryRun,
    translate_title: bool,
    warnings: list[str],
    brief_headline: str | None = None,
) -> Article:
    """The article's fields; its English title is the translated headline, else the
    headline the direct-LLM brief wrote and its checks passed (``summary.headline``)."""
    engines = run.engines
    title_en: str | None = None
    if prepared.title and translate_title:
        title_en = run.translate([prepared.title])[0][0]
    elif brief_headline:
        title_en = brief_headline
    elif prepared.title and engines.translator is None:
        warnings.append(NO_ENGLISH_HEADLINE)
    return Article(
        title=prepared.title,
        title_en=title_en,
        published=prepared.published,
        outlet=prepared.outlet,
        authors=[Author(name=n, romanized=_romanize(n)) for n in prepared.authors],
        editors=[Author(name=n, romanized=_romanize(n)) for n in prepared.editors],
        photo_credits=list(prepared.photo_credits),
        url=prepared.url,
        language=prepared.language,
        text=prepared.text,
        original_text=prepared.original_text,
        sentences=prepared.sentences,
        removed=prepared.removed,
        extraction=Extraction.model_validate(prepared.extraction) if prepared.extraction else None,
    )


def _romanize(name: str) -> str | None:
    return romanize_name(name) if re.search(r"[\u4e00-\u9fff]", name) else None


def _checks(prepared: PreparedArticle, summary: Summary, warnings: list[str]) -> Checks:
    english = summary.en
    if not english:
        warnings.append(NOT_CHECKED)
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
        warnings.append(unsupported_numbers(", ".join(numbers.unsupported)))
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
