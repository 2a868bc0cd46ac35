"""What a news page's HTML says about its article: title, date, outlet, credit lines.

Meta tags (``article:published_time``, ``og:title``, ``og:site_name``, ``author``...),
JSON-LD and ``<time>`` dates, the page's visible lines, and where the article sits among
them: the *header* (from the headline to the first body paragraph) and the *footer*
(the few lines after the last one). Dates come from the meta tags and the header only
(``workers.article.dateline``); credit lines from the headline to just past the body.
The headline is ``workers.article.headline``'s, the parsing of credits
``workers.article.metadata``'s; :func:`read_page_credits` puts them together.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from workers.article.blocks import BLOCK_TAGS, BREAK, squash
from workers.article.boilerplate import han_count
from workers.article.dateline import is_dateline, pick_published
from workers.article.extracted import PageMetadata
from workers.article.headline import norm
from workers.article.metadata import (
    Byline,
    is_byline_line,
    is_photo_agency,
    merge_people,
    normalize_date,
    parse_byline,
    parse_inline_credits,
    split_names,
)

_META_DATE_NAMES = (
    "article:published_time",
    "og:article:published_time",
    "publishdate",
    "pubdate",
    "publish_date",
    "publishtime",
    "og:release_date",
    "datepublished",
    "date",
    "dc.date",
    "dcterms.created",
    "weibo:article:create_at",
    "apub:time",
    "release_date",
    "firstpublishedtime",
)
# Meta names a site uses for its own name.
_META_SITE_NAMES = ("og:site_name", "application-name", "apple-mobile-web-app-title", "sitename")
# How far the header runs past the headline when the body's first line is not found,
# and how many lines after the body still belong to it (the 责任编辑 footer).
_HEADER_LINES = 20
_FOOTER_LINES = 15
_CREDIT_SLACK = 12


def page_metadata(page: Any) -> dict[str, Any]:
    """Meta tags, machine-readable dates, title spots and visible lines of a parsed page."""
    metas: dict[str, str] = {}
    machine_dates: set[str] = set()
    for meta in page.iter("meta"):
        key = (meta.get("name") or meta.get("property") or meta.get("itemprop") or "").lower()
        content = (meta.get("content") or "").strip()
        if key and content and key not in metas:
            metas[key] = content
        if content and re.search(r"date|time|publish|created|modified", key):
            machine_dates.add(normalize_date(content) or "")
    json_dates = _json_ld_dates(page)
    machine_dates.update(_script_dates(page))
    time_dates = [
        normalize_date(el.get("datetime") or el.get("content") or el.text_content() or "")
        for el in page.xpath("//time[@datetime]|//*[@itemprop='datePublished']")
    ]
    machine_dates.update(d for d in (*json_dates, *time_dates) if d)
    machine_dates.discard("")
    published = next(
        (d for d in (normalize_date(metas.get(n, "")) for n in _META_DATE_NAMES) if d), None
    ) or next((d for d in (*json_dates, *time_dates) if d), None)
    h1 = next(
        (squash(h.text_content()) for h in page.iter("h1") if han_count(h.text_content()) >= 4),
        None,
    )
    title_tag = next((squash(t.text_content()) for t in page.iter("title")), None)
    author_meta = metas.get("author") or metas.get("article:author") or ""
    lines = page_lines(page)
    return {
        "published": published,
        "machine_dates": machine_dates,
        "h1": h1,
        "title_tag": title_tag,
        "og_title": metas.get("og:title"),
        "outlet": metas.get("source") or metas.get("og:site_name") or None,
        "site_names": [metas[n] for n in _META_SITE_NAMES if metas.get(n)],
        "authors": split_names(author_meta) if han_count(author_meta) else [],
        "lines": lines,
        "header_headline": header_headline(lines),
    }


def _json_ld_dates(page: Any) -> list[str]:
    dates: list[str] = []
    for script in page.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict):
                value = item.get("datePublished") or item.get("dateCreated")
                date = normalize_date(str(value)) if value else None
                if date:
                    dates.append(date)
    return dates


# Publication times that scripts fill in after loading (WeChat: var ct = "1581418070";
# others: publish_time = "2020-02-11"): stated by the page, though not in its static text.
_SCRIPT_DATE = re.compile(
    r"""\b(?:ct|publish_?(?:time|date)|pub_?(?:time|date)|create_?time|date_?published)"""
    r"""["']?\s*[=:]\s*["']?"""
    r"(?P<value>\d{10}(?!\d)|(?:19|20)\d{2}-\d{1,2}-\d{1,2})",
    re.IGNORECASE,
)
# Chinese pages show Beijing time: a timestamp's date is read in UTC+8.
_BEIJING = timezone(timedelta(hours=8))


def _script_dates(page: Any) -> set[str]:
    dates: set[str] = set()
    for script in page.iter("script"):
        for match in _SCRIPT_DATE.finditer(script.text or ""):
            value = match["value"]
            if value.isdigit():
                dates.add(datetime.fromtimestamp(int(value), _BEIJING).date().isoformat())
            else:
                dates.add(normalize_date(value) or "")
    dates.discard("")
    return dates


_UNSEEN = {"script", "style", "noscript", "template"}


def page_lines(page: Any) -> list[str]:
    """The page's visible text, one line per block element or ``<br>``-separated run
    (scripts and styles left out)."""
    lines: list[str] = []
    for element in page.iter():
        if not isinstance(element.tag, str) or element.tag in _UNSEEN:
            continue
        if element.tag in BLOCK_TAGS or element.tag in {"body", "span", "em", "i"}:
            own = (element.text or "") + "".join(
                _inline_text(c) + (c.tail or "")
                for c in element
                if isinstance(c.tag, str) and c.tag not in BLOCK_TAGS
            )
            lines.extend(line for line in (squash(part) for part in own.split(BREAK)) if line)
    return lines


def _inline_text(element: Any) -> str:
    if element.tag == "br":
        return BREAK
    return "" if element.tag in _UNSEEN else str(element.text_content())


def header_headline(lines: list[str]) -> str | None:
    """The line right above the page's first dated credit line, when it reads like a
    headline: a witness for the title when the ``<title>`` names only the site."""
    for i, line in enumerate(lines):
        if i and is_dateline(line) and is_byline_line(line):
            above = lines[i - 1]
            if han_count(above) >= 6 and len(above) <= 80 and not re.search(r"[。>]", above):
                return above
            return None
    return None


def article_span(
    lines: list[str], title: str | None, paragraphs: list[str]
) -> tuple[int, int, int]:
    """Where the article sits in the page's lines: the headline's index, the first body
    line's and the last body line's (the headline's is 0 when it is not found)."""

    def find(snippet: str, start: int) -> int | None:
        key = norm(snippet)[:15]
        if not key:
            return None
        return next((i for i in range(start, len(lines)) if key in norm(lines[i])), None)

    first = find(paragraphs[0], 0) if paragraphs else None
    end = first if first is not None else len(lines)
    key = norm(title or "")
    headline = None
    if key:
        # The first headline line close above the body: menus and lists higher up repeat it.
        near = range(max(0, end - _HEADER_LINES), end) if first is not None else range(end)
        headline = next(
            (i for i in near if key in norm(lines[i]) and len(norm(lines[i])) <= len(key) + 30),
            None,
        )
    if headline is None:
        headline = max(0, end - _HEADER_LINES) if first is not None else 0
    if first is None:
        first = min(len(lines), headline + _HEADER_LINES)
    last = find(paragraphs[-1], first) if paragraphs else None
    return headline, first, last if last is not None else first


def page_credit_lines(lines: list[str], start: int, last: int) -> list[str]:
    """Credit lines of the page near the article (from the headline to the body's end).

    Sidebars name other articles' authors, so lines before the headline and after the
    last paragraph (plus a few lines of slack for the 责任编辑 footer) are ignored.
    """
    window = lines[start : last + _CREDIT_SLACK]
    return [line for line in window if len(line) <= 80 and is_byline_line(line)]


def read_page_credits(
    meta: dict[str, Any],
    traf: dict[str, Any],
    title: str | None,
    paragraphs: list[str],
    removed: list[str],
    url: str | None = None,
) -> PageMetadata:
    """Date, outlet, authors, editors and image credits of the article on a page.

    ``meta`` is :func:`page_metadata`'s, ``traf`` trafilatura's metadata (its ``date``
    and ``sitename``), ``paragraphs`` the extracted body and ``removed`` what extraction
    took out of it. Dates come from the meta tags, the header and a credit line closing
    the body, never from a related-articles list; trafilatura's date only when the page
    shows it (``workers.article.dateline``), else none and a warning in ``warnings``.
    """
    lines: list[str] = meta.get("lines", [])
    start, first, last = article_span(lines, title, paragraphs)
    credits = [parse_byline(line) for line in removed if is_byline_line(line)]
    credits += [parse_byline(line) for line in page_credit_lines(lines, start, last)]
    # Reporters named inside the first paragraphs ("新京报快讯（记者 裴剑飞）…").
    credits += [parse_inline_credits(p) for p in paragraphs[:2]]
    # Short credit-bearing lines closing the article ("…供稿 摄影/张艳 编辑/苏芳").
    credits += [parse_byline(p) for p in paragraphs[-2:] if len(p) <= 60]
    outlet = next((c.outlet for c in credits if c.outlet), None) or _meta_outlet(meta)
    not_people = {norm(s) for s in (*meta.get("site_names", []), traf.get("sitename"), outlet) if s}
    editors = _people(merge_people(*(c.editors for c in credits)), not_people)
    authors = [a for a in merge_people(*(c.authors for c in credits)) if a not in editors]
    authors = _people(authors or [a for a in meta["authors"] if a not in editors], not_people)
    header = lines[max(0, start - 1) : first]
    footer = lines[last + 1 : last + 1 + _FOOTER_LINES]
    evidence = set(meta.get("machine_dates", set()))
    url_date = normalize_date(re.sub(r"^[a-z]+://[^/]+", "", url or ""))
    if url_date:
        evidence.add(url_date)
    traf_date = normalize_date(str(traf["date"])) if traf.get("date") else None
    published, warnings = pick_published(meta["published"], header, footer, traf_date, evidence)
    return PageMetadata(
        title=title,
        published=published,
        outlet=outlet,
        authors=authors,
        editors=editors,
        photo_credits=merge_people(*(c.photo_credits for c in credits)),
        removed=removed,
        url=url,
        metadata_warnings=warnings,
    )


def _meta_outlet(meta: dict[str, Any]) -> str | None:
    outlet = meta.get("outlet")
    if not outlet:
        return None
    # <meta name="source" content="来源：人民网-文化频道 原创稿">: the name, not the label.
    byline = parse_byline(outlet) if re.search(r"来源|出处", outlet) else Byline(outlet=outlet)
    name = byline.outlet
    return name if name and not is_photo_agency(name) else None


def _people(names: list[str], not_people: set[str]) -> list[str]:
    """``names`` without the outlet's and the site's own names (作者：游民星空 on 游民星空)."""
    return [n for n in names if norm(n) not in not_people]
