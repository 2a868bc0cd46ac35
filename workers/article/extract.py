"""Main text and metadata of a Chinese news page.

readability-lxml finds the article container best on Chinese portals; trafilatura
is the second opinion and the better metadata reader. Neither is enough alone:
trafilatura pulls "hot"/"related" link lists into the body and misses Chinese
bylines, readability keeps promo boxes and member lists beside the article. So:

1. readability's article HTML is cut into blocks; the article container's blocks
   are kept, captions and ad/related boxes outside it are not
   (``workers.article.blocks``);
2. line rules drop link lists, navigation, copyright and credit lines
   (``workers.article.boilerplate``); credits go to ``authors``/``editors`` and
   every dropped line to ``removed``;
3. the page's meta tags, headline and credit lines give title, date and outlet
   (``workers.article.page_metadata``, ``workers.article.metadata``);
4. if readability gives (almost) nothing, trafilatura's text is used; if both do
   (flat pages), the page's visible text goes through :func:`clean_scraped_text`.
"""

from __future__ import annotations

import warnings
from typing import Any

import lxml.html
from lxml import etree

from workers.article.blocks import BLOCK_TAGS, BREAK, body_from_blocks, readability_blocks, squash
from workers.article.boilerplate import clean_lines, han_count
from workers.article.extracted import ExtractedArticle
from workers.article.intake import looks_like_html
from workers.article.metadata import (
    is_byline_line,
    merge_people,
    normalize_date,
    parse_byline,
    parse_inline_credits,
)
from workers.article.page_metadata import (
    page_credit_lines,
    page_metadata,
    pick_title,
    same_title,
    strip_site_suffix,
)
from workers.article.scraped_text import clean_scraped_text
from workers.errors import EmptyInput

_MIN_BODY_HAN = 40


def extract_main_text(html: str, url: str | None = None) -> ExtractedArticle:
    """The main text and metadata of one HTML page.

    Body paragraphs are joined by blank lines; boilerplate lines that were taken out
    (credits, link lists, "more" links, copyright) are listed in ``removed``.
    Raises :class:`EmptyInput` when the page has no text at all.
    """
    if not html or not html.strip():
        raise EmptyInput("the page is empty (0 characters of HTML)")
    if not looks_like_html(html):
        # Plain text handed in as a page: HTML tools find nothing in it.
        article = clean_scraped_text(html)
        article.url = url
        return article
    page = _parse_page(html)
    meta = page_metadata(page)
    traf = _trafilatura(html, url)

    removed: list[str] = []
    blocks = readability_blocks(html)
    headlines: list[str] = []
    paragraphs = body_from_blocks(blocks, removed, headlines)
    traf_text = (traf.get("text") or "").strip()
    if han_count("".join(paragraphs)) < _MIN_BODY_HAN and han_count(traf_text) >= _MIN_BODY_HAN:
        removed = []
        paragraphs = clean_lines(
            [line.strip() for line in traf_text.splitlines() if line.strip()], removed, headlines
        )
    if han_count("".join(paragraphs)) < _MIN_BODY_HAN:
        return _flat_page(page, meta, url)

    title = pick_title(meta, traf, headlines)
    if paragraphs and title and same_title(paragraphs[0], title):
        removed.append(paragraphs.pop(0))

    credits = [parse_byline(line) for line in removed if is_byline_line(line)]
    credits += [parse_byline(line) for line in page_credit_lines(page, title, paragraphs)]
    # Reporters named inside the first paragraphs ("新京报快讯（记者 裴剑飞）…").
    credits += [parse_inline_credits(p) for p in paragraphs[:2]]
    # Short credit-bearing lines closing the article ("…供稿 摄影/张艳 编辑/苏芳").
    credits += [parse_byline(p) for p in paragraphs[-2:] if len(p) <= 60]
    editors = merge_people(*(c.editors for c in credits))
    authors = [a for a in merge_people(*(c.authors for c in credits)) if a not in editors]
    if not authors:
        authors = [a for a in meta["authors"] if a not in editors]

    # Meta tags, then the page's own byline, then trafilatura (which guesses from
    # URLs and copyright years when a page states no date).
    published = (
        meta["published"]
        or next((c.published for c in credits if c.published), None)
        or (normalize_date(str(traf["date"])) if traf.get("date") else None)
    )
    outlet = next((c.outlet for c in credits if c.outlet), None) or meta["outlet"]
    return ExtractedArticle(
        text="\n\n".join(paragraphs),
        title=title,
        published=published,
        outlet=outlet,
        authors=authors,
        editors=editors,
        removed=removed,
        url=url,
    )


def _parse_page(html: str) -> Any:
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        # lxml refuses str input that declares an encoding; bytes parse fine.
        try:
            return lxml.html.document_fromstring(html.encode("utf-8"))
        except (etree.ParserError, ValueError):
            raise EmptyInput(f"the page has no parseable HTML ({exc})") from exc


def _trafilatura(html: str, url: str | None) -> dict[str, Any]:
    import trafilatura  # imported here: heavy, and not needed for plain text

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            doc = trafilatura.bare_extraction(
                html, url=url, include_comments=False, with_metadata=True
            )
        except Exception:  # trafilatura fails on a few malformed pages; it is a second opinion
            return {}
    if doc is None or isinstance(doc, dict):  # a dict only with as_dict=True
        return {}
    return {"text": doc.text, "title": doc.title, "date": doc.date, "sitename": doc.sitename}


def _flat_page(page: Any, meta: dict[str, Any], url: str | None) -> ExtractedArticle:
    """Pages with no article container: read their visible text like a scraper's dump."""
    for bad in page.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    for element in page.iter():
        if isinstance(element.tag, str) and (element.tag in BLOCK_TAGS or element.tag == "br"):
            element.tail = BREAK + (element.tail or "")
    text = "\n".join(squash(line) for line in page.text_content().split(BREAK))
    if not text.strip():
        raise EmptyInput("the page has no visible text")
    article = clean_scraped_text(text)
    article.url = url
    article.published = article.published or meta["published"]
    article.title = (
        article.title
        or meta["h1"]
        or (strip_site_suffix(meta["title_tag"]) if meta["title_tag"] else None)
    )
    return article
