"""Content keys: the same input, options and pipeline give the same key.

The key covers everything that changes the output (STYLE.md, habit 5): the
normalized input, every option, and the pipeline fingerprint
(``workers.english.engines.Engines.fingerprint``: pipeline version, each model's
id and checkpoint content, engine, quantization, device and dtype, every
generation setting, the server glossary, the review threshold), so a change of
any of them never serves an old result.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata

from workers.contract import ArticleInput, SummaryOptions


def normalize_input_text(text: str) -> str:
    """NFC, unified newlines and no trailing whitespace on lines or at the ends."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def _digest(parts: dict[str, object]) -> str:
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def request_digest(article: ArticleInput, options: SummaryOptions, fingerprint: str) -> str:
    """Key of a request: its input as given (normalized), options and pipeline."""
    given = article.model_dump(exclude_none=True)
    for name in ("text", "html"):
        if name in given:
            given[name] = normalize_input_text(given[name])
    return _digest({"input": given, "options": options.model_dump(), "pipeline": fingerprint})


def content_digest(
    article_text: str, options: SummaryOptions, fingerprint: str, *, title: str | None
) -> str:
    """Key of the model work on an extracted article: the same story arriving as
    different HTML or through different URLs maps to one key.

    It covers what the models read: the body and the headline (``title``: the
    extractive brief favours the sentences that share its words, and glossary terms
    are looked up in it; its English is part of the work). It leaves out what only
    describes the page (date, outlet, bylines, address, boilerplate): an entry under
    this key is shared model work, and each page's result carries its own page's
    fields (``workers.queue.summary_job``)."""
    return _digest(
        {
            "text": normalize_input_text(article_text),
            "title": normalize_input_text(title) if title else None,
            "options": options.model_dump(),
            "pipeline": fingerprint,
        }
    )
