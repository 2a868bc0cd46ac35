"""What a news page's HTML says about its article: title, date, outlet, credit lines.

Meta tags (``article:published_time``, ``og:title``, ``author``...), the
``<h1>`` checked against the ``<title>``, and the byline-like lines between the
headline and the end of the body. The parsing of the credits themselves is
``workers.article.metadata``'s.
"""

from __future__ import annotations

import re
from typing import Any

from workers.article.blocks import BLOCK_TAGS, squash
from workers.article.boilerplate import han_count
from workers.article.metadata import is_byline_line, normalize_date, split_names

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


def page_metadata(page: Any) -> dict[str, Any]:
    metas: dict[str, str] = {}
    for meta in page.iter("meta"):
        key = (meta.get("name") or meta.get("property") or meta.get("itemprop") or "").lower()
        content = (meta.get("content") or "").strip()
        if key and content and key not in metas:
            metas[key] = content
    published = next(
        (d for d in (normalize_date(metas.get(n, "")) for n in _META_DATE_NAMES) if d), None
    )
    h1 = next(
        (squash(h.text_content()) for h in page.iter("h1") if han_count(h.text_content()) >= 4),
        None,
    )
    title_tag = next((squash(t.text_content()) for t in page.iter("title")), None)
    og_title = metas.get("og:title")
    author_meta = metas.get("author") or metas.get("article:author") or ""
    return {
        "published": published,
        "h1": h1,
        "title_tag": title_tag,
        "og_title": og_title,
        "outlet": metas.get("source") or metas.get("og:site_name") or None,
        "authors": split_names(author_meta) if han_count(author_meta) else [],
    }


def strip_site_suffix(title: str) -> str:
    # "宇航员在太空中喝酒会怎么样？后果很严重 _探索者 _光明网" → the headline part.
    parts = [p.strip() for p in re.split(r"\s*(?:_|\||｜| - | — |--|-(?=[^\s]{2,12}$))\s*", title)]
    parts = [p for p in parts if p]
    return max(parts[:2], key=len) if parts else title.strip()


def pick_title(meta: dict[str, Any], traf: dict[str, Any], headlines: list[str]) -> str | None:
    tag = meta["title_tag"] or ""
    if not tag and not meta["h1"] and headlines:
        # No <title> or <h1>: the line above the byline is the best witness.
        return headlines[-1]
    for candidate in (meta["h1"], meta["og_title"]):
        # An <h1> is the headline only if the <title> agrees (sites put logos in h1 too).
        if candidate and (not tag or strip_site_suffix(candidate) in tag or candidate in tag):
            return strip_site_suffix(candidate) if candidate != meta["h1"] else candidate
    if tag:
        return strip_site_suffix(tag)
    traf_title = traf.get("title")
    return strip_site_suffix(str(traf_title)) if traf_title else None


def same_title(line: str, title: str) -> bool:
    norm = re.sub(r"\s+", "", line)
    target = re.sub(r"\s+", "", title)
    return bool(target) and (norm == target or (len(norm) <= len(target) + 4 and target in norm))


def page_credit_lines(page: Any, title: str | None, paragraphs: list[str]) -> list[str]:
    """Credit lines of the page near the article (from the headline to the body's end).

    Sidebars name other articles' authors, so lines before the headline and after the
    last paragraph (plus a few lines of slack for the 责任编辑 footer) are ignored.
    """
    lines: list[str] = []
    for element in page.iter():
        if not isinstance(element.tag, str) or element.tag in {"script", "style", "noscript"}:
            continue
        if element.tag in BLOCK_TAGS or element.tag in {"span", "em", "i"}:
            own = squash(
                (element.text or "")
                + "".join(
                    c.text_content() + (c.tail or "")
                    for c in element
                    if isinstance(c.tag, str) and c.tag not in BLOCK_TAGS
                )
            )
            if own:
                lines.append(own)
    start = 0
    if title:
        start = next((i for i, line in enumerate(lines) if title in line), 0)
    last = paragraphs[-1][:20] if paragraphs else ""
    end = next((i for i in range(start, len(lines)) if last and last in lines[i]), len(lines))
    window = lines[start : end + 12]
    return [line for line in window if len(line) <= 80 and is_byline_line(line)]
