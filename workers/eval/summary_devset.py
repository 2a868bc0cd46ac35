"""The summary development set: news pages whose publisher wrote a description.

A page's ``<meta name="description">`` (or ``og:description`` /
``twitter:description``) is the publisher's own short account of the article;
where it really is a summary, it is a reference for the extractive brief. Many
are not. A page is left out, and the report counts it under the rule, when:

* ``no-article``: there is no article text (fewer than 20 Han characters);
* ``duplicate-page``: its article is one already taken (one story saved twice,
  by two projects' fixtures);

and otherwise each of its descriptions goes through these rules, in this
order; the first description that passes them all is the reference, and a page
none passes counts under its first description's rule:

* ``too-short``: fewer than 10 Han characters;
* ``headline``: the page title, alone or followed by keywords or another
  headline (what is left after the title has no sentence end mark and is
  under 40 characters);
* ``keywords``: a list of short comma-separated items (a ``keywords`` tag copied
  into the description);
* ``site-text``: not about this article: under 30% of its character bigrams
  occur in the body (a site slogan, "…是一款基于数据挖掘的推荐引擎产品"); or
  the same text kept for two pages of one site;
* ``cut-opening``: the body's opening cut at a length. Either it ends in
  "..." / "…", or it stops without an end mark at a place inside a body
  paragraph, or at least 90% of it is the body's first characters, in order,
  and the body's paragraph goes on where it stops. These favour LEAD and say
  nothing of what a summary should pick;
* ``headline`` again: any other line with no sentence end mark under 40
  characters (a headline, not a summary).

One kind is kept but marked: ``opening-copy``, the opening paragraph(s) whole
(a publisher choosing its lead paragraph as the summary); every other kept
description is ``rewritten``.

The article is the page's ``gold_main_text`` when the manifest has one, else
newsum's own extraction (``workers.article.extract``); each row says which
(``body``). Rows are ``short`` (at most 3 paragraphs, or under 600 characters)
or ``long``. Nothing is copied: the set is built from the pages each time.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workers.article.segment import split_paragraphs
from workers.eval.rouge import chinese_tokens, lcs_length

DESCRIPTION_KEYS = ("description", "og:description", "twitter:description")
GROUPS = ("short", "long")
MIN_HAN = 10
HEADLINE_MAX_CHARS = 40
MIN_BIGRAM_SHARE = 0.3
COPY_SHARE = 0.9
SHORT_MAX_PARAGRAPHS = 3
SHORT_MAX_CHARS = 600

_HAN = re.compile(r"[\u4e00-\u9fff]")
_SENTENCE_END = re.compile(r"[。！？!?；;…]")
_KEYWORD_SPLIT = re.compile(r"[,，、|;；\s]+")
_CLOSED = re.compile(r"[。！？!?…”’」』）)\"']\s*$")
_TRAILING_CUT = re.compile(r"(?:\.{3,}|…+)\s*$")
# "标题\n---正文…": a headline line, then a rule, before the description proper.
_LEADING_RULE = re.compile(r"^[-—_=\s]+")


@dataclass
class DevRow:
    """One development row, before it becomes a ``SummaryRow``."""

    id: str
    article: str
    reference: str
    title: str | None
    site: str | None
    body: str  # "gold" or "newsum"
    reference_from: str  # the meta tag
    kind: str  # "rewritten" or "opening-copy"
    group: str  # "short" or "long"


@dataclass
class DevSet:
    rows: list[DevRow] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    dropped_pages: list[tuple[str, str]] = field(default_factory=list)  # (file, rule)


def article_group(article: str) -> str:
    """``short`` (≤ 3 paragraphs or < 600 characters) or ``long``."""
    paragraphs = split_paragraphs(article)
    if len(paragraphs) <= SHORT_MAX_PARAGRAPHS or len("".join(paragraphs)) < SHORT_MAX_CHARS:
        return "short"
    return "long"


def page_descriptions(html: str) -> list[tuple[str, str]]:
    """``(tag, text)`` of every non-empty description meta tag, in page order, each text once."""
    import lxml.html
    from lxml import etree

    try:
        # Decoded text, parsed as UTF-8 whatever the page's own <meta charset> says.
        page = lxml.html.document_fromstring(
            html.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8")
        )
    except (etree.ParserError, ValueError):
        return []
    found: list[tuple[str, str]] = []
    for meta in page.iter("meta"):
        key = (meta.get("name") or meta.get("property") or "").strip().lower()
        content = " ".join((meta.get("content") or "").replace("&nbsp;", " ").split())
        if key in DESCRIPTION_KEYS and content and content not in (c for _, c in found):
            found.append((key, content))
    return found


def _bigrams(text: str) -> set[str]:
    tokens = chinese_tokens(text)
    return {a + b for a, b in itertools.pairwise(tokens)}


def _is_keywords(text: str) -> bool:
    items = [i for i in _KEYWORD_SPLIT.split(text) if i]
    return len(items) >= 3 and all(len(i) <= 8 for i in items)


def _strip_title(description: str, title: str | None) -> str:
    """The description without a leading copy of the title (and a rule after it);
    empty when it is the title's beginning."""
    if not title:
        return description
    squashed = " ".join(description.split())
    if "".join(chinese_tokens(title)).startswith("".join(chinese_tokens(squashed))):
        return ""
    for candidate in (title.strip(), " ".join(title.split())):
        if candidate and squashed.startswith(candidate):
            return _LEADING_RULE.sub("", squashed[len(candidate) :]).strip()
    return description


def _headline(rest: str) -> bool:
    return (
        not rest
        or _is_keywords(rest)
        or (not _SENTENCE_END.search(rest) and len(rest) < HEADLINE_MAX_CHARS)
    )


def _opening(body: str, limit: int) -> tuple[list[str], list[int]]:
    """The body's first tokens (at least ``limit``) and where its paragraphs end."""
    tokens: list[str] = []
    ends: list[int] = []
    for paragraph in split_paragraphs(body):
        tokens.extend(chinese_tokens(paragraph))
        ends.append(len(tokens))
        if len(tokens) > limit:
            break
    return tokens, ends


def _cut_opening(description: str, body: str) -> str | None:
    """``cut-opening``, ``opening-copy`` or None (not a copy of the body's opening)."""
    desc = chinese_tokens(description)
    if len(desc) < 6:
        return None
    opening, ends = _opening(body, 2 * len(desc) + 100)
    text = "".join(opening)
    # Where the description's last characters are in the body's opening.
    tail = "".join(desc[-6:])
    stop = text.find(tail)
    stop = stop + len(tail) if stop >= 0 else -1
    at_paragraph_end = any(abs(stop - end) <= 1 for end in ends)
    window = opening[: len(desc) + max(10, len(desc) // 5)]
    copied = lcs_length(desc, window) >= COPY_SHARE * len(desc)
    if _TRAILING_CUT.search(description) and (copied or stop >= 0):
        return "cut-opening"
    # Stops mid-sentence where the body's text goes on: cut at a length.
    if stop >= 0 and not at_paragraph_end and not _CLOSED.search(description):
        return "cut-opening"
    if not copied:
        return None
    return "opening-copy" if at_paragraph_end else "cut-opening"


def judge_description(
    description: str, title: str | None, body: str
) -> tuple[str | None, str, str]:
    """``(rule that drops it or None, reference text, kind)`` for one description."""
    rest = _strip_title(description, title)
    if len(_HAN.findall(description)) < MIN_HAN:
        return "too-short", rest, ""
    if rest != description and _headline(rest):
        return "headline", rest, ""  # the title, then keywords or a second headline
    if _is_keywords(description):
        return "keywords", rest, ""
    if len(_HAN.findall(rest)) < MIN_HAN:
        return "too-short", rest, ""
    shared = _bigrams(rest)
    if not shared or len(shared & _bigrams(body)) / len(shared) < MIN_BIGRAM_SHARE:
        return "site-text", rest, ""
    copy = _cut_opening(rest, body)
    if copy == "cut-opening":
        return "cut-opening", rest, ""
    if _headline(rest):
        return "headline", rest, ""  # a headline of its own, not a sentence
    return None, rest, copy or "rewritten"


def _page_body(page: dict[str, Any], html: str) -> tuple[str, str, str | None]:
    """``(article, "gold"|"newsum", title)`` of one manifest row."""
    from workers.article.extract import extract_main_text

    gold = page.get("gold_main_text")
    extracted = None
    if not gold or not page.get("title"):
        try:
            extracted = extract_main_text(html)
        except Exception:  # a page newsum cannot read gives no row, not a failed eval
            extracted = None
    title = page.get("title") or (extracted.title if extracted else None)
    if gold:
        return gold, "gold", title
    return (extracted.text if extracted else ""), "newsum", title


def build_dev_set(folder: Path) -> DevSet:
    """The development rows of a folder of pages with ``manifest.jsonl``."""
    from workers.article.intake import decode_bytes

    folder = Path(folder)
    out = DevSet()
    bodies: set[str] = set()
    by_site: dict[tuple[str, str], list[int]] = {}
    for line in (folder / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        page = json.loads(line)
        html = decode_bytes((folder / page["file"]).read_bytes())
        descriptions = page_descriptions(html)
        if not descriptions:
            continue
        article, body, title = _page_body(page, html)
        if len(_HAN.findall(article)) < 2 * MIN_HAN:
            out.dropped["no-article"] += 1
            out.dropped_pages.append((page["file"], "no-article"))
            continue
        key = "".join(chinese_tokens(article))
        if key in bodies:
            out.dropped["duplicate-page"] += 1
            out.dropped_pages.append((page["file"], "duplicate-page"))
            continue
        bodies.add(key)
        rules: list[str] = []
        for tag, description in descriptions:
            rule, reference, kind = judge_description(description, title, article)
            if rule is None:
                row = DevRow(
                    page["file"],
                    article,
                    reference,
                    title,
                    page.get("site"),
                    body,
                    tag,
                    kind,
                    article_group(article),
                )
                by_site.setdefault((row.site or "", reference), []).append(len(out.rows))
                out.rows.append(row)
                break
            rules.append(rule)
        else:
            # Every description of the page failed; the first one's rule is the page's.
            out.dropped[rules[0]] += 1
            out.dropped_pages.append((page["file"], rules[0]))
    repeated = {i for (site, _), idx in by_site.items() if site and len(idx) > 1 for i in idx}
    for i in sorted(repeated):
        out.dropped["site-text"] += 1
        out.dropped_pages.append((out.rows[i].id, "site-text"))
    out.rows = [row for i, row in enumerate(out.rows) if i not in repeated]
    return out
