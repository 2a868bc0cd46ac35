"""A news page's headline: the ``<title>`` without its site suffix, checked against the
page's other title-like spots.

Witnesses, in order: the ``<h1>``, ``og:title``, the headline lines the extractor saw
above an opening byline, and any page line that is the ``<title>``'s opening part. A
witness that is a prefix of the ``<title>`` (what follows it starts with a separator,
or is a site or organisation name) shows where the suffix begins: "标题 -EDN 电子技术设计"
with ``og:title`` "标题" gives "标题". A candidate that is the site's own name (equal to
``og:site_name`` or the like, the ``<title>``'s last part when the ``<h1>`` is that part,
or a name ending in 官网/网站/首页/博客) is never the article's title: a blog whose
``<h1>`` is the blog's name gives the post's headline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from workers.article.boilerplate import han_count

# Separators between a headline and the site/section names in a <title>: "_", "|", "｜",
# " - ", " -EDN" (a dash with space on one side), " — ", "--", and a last "-名称".
_TITLE_SEP = re.compile(r"\s*(?:_|\||｜|\s[-—–]\s?|[-—–]\s|--|-(?=[^\s]{2,12}$))\s*")
# What follows a headline in a <title> when a separator starts it.
_SEP_START = re.compile(r"^\s*(?:[_|｜\-—–·•:：]|$)")
# Names that only a site gives itself (中国地理学会官网, 人民政府门户网站, 某某的博客).
_SITE_WORDS = re.compile(r"(?:官网|官方网站|门户网站|网站|首页|主页|博客|的博客|blog|Blog)$")
# Organisation endings, for a suffix set off only by a space ("… 湖南省中医药研究院附属医院",
# "… 东区办事处"): the Chinese endings of sites, outlets and public bodies.
_ORG_END = re.compile(
    r"(?:网|报|社|台|院|处|局|厅|委|办|中心|医院|大学|学院|学校|政府|公司|集团|频道|官网|网站)$"
)


# Fewer Chinese characters than this is a section's name (新闻动态, 要闻), not a headline.
_MIN_HEADLINE_HAN = 6


def norm(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def strip_site_suffix(title: str, sites: Iterable[str] = ()) -> str:
    """The headline part of a ``<title>``: "宇航员在太空中喝酒会怎么样？后果很严重 _探索者 _光明网"
    → "宇航员在太空中喝酒会怎么样？后果很严重". Of its first two parts the longer wins
    ("栏目--标题"), unless it is a site's name."""
    parts = [p.strip() for p in _TITLE_SEP.split(title) if p and p.strip()]
    if not parts:
        return title.strip()
    names = {norm(s) for s in sites if s}
    heads = [p for p in parts[:2] if not is_site_name(p, names)] or parts[:2]
    return max(heads, key=len)


def is_site_name(text: str, sites: set[str]) -> bool:
    """True for a site's own name: one of ``sites`` (normalized) or a name ending 官网/网站."""
    key = norm(text)
    return bool(key) and (key in sites or (len(key) <= 16 and bool(_SITE_WORDS.search(key))))


def cuts_title_tag(candidate: str, tag: str, sites: set[str], lines: Iterable[str] = ()) -> bool:
    """True when ``candidate`` is ``tag`` or its opening part, the rest being a suffix: it
    starts with a separator, or (set off by a space only) it is one of ``sites`` or an
    organisation's name that the page shows apart from the headline (a copyright or
    source line: "版权所有 湖南省中医药研究院附属医院", "来源于：东区办事处")."""
    head, whole = norm(candidate), norm(tag)
    if not head or not whole.startswith(head):
        return False
    if head == whole:
        return True
    # The rest, with the original spacing: walk the candidate's characters through the tag.
    rest = tag.strip()
    for char in candidate.strip():
        index = rest.find(char)
        if index < 0:
            return False
        rest = rest[index + 1 :]
    if _SEP_START.match(rest):
        return True
    if not rest[:1].isspace():
        return False  # "标题"暗伤"…": a truncated headline, not a cut
    suffix = norm(_TITLE_SEP.split(rest.strip())[0])
    if suffix in sites:
        return True
    if not _ORG_END.search(suffix):
        return False
    source = re.compile(
        rf"(?:来源|来源于|主办|承办|版权所有|版权|©|Copyright)\S{{0,2}}\s*{re.escape(suffix)}"
    )
    return any(
        suffix in norm(line) and (head not in norm(line) or source.search(norm(line)))
        for line in lines
    )


def pick_title(meta: dict[str, Any], traf: dict[str, Any], headlines: list[str]) -> str | None:
    """The article's headline from the page's title-like spots (see the module's notes)."""
    tag = meta.get("title_tag") or ""
    h1: str | None = meta.get("h1")
    og: str | None = meta.get("og_title")
    header: str | None = meta.get("header_headline")
    sites = {norm(s) for s in meta.get("site_names", []) if s}
    lines: list[str] = meta.get("lines", [])
    if tag:
        parts = [p for p in _TITLE_SEP.split(tag) if p and p.strip()]
        if len(parts) > 1 and h1 and norm(h1) == norm(parts[-1]) and h1 != max(parts, key=len):
            sites.add(norm(h1))  # <h1> is the <title>'s trailing name: the site's (a blog's)
    if not tag and not h1 and headlines:
        # No <title> or <h1>: the line above the byline is the best witness.
        return headlines[-1]
    witnesses: list[str] = [w for w in (h1, og, *reversed(headlines), header) if w]
    if tag:
        # Page lines that open the <title>'s headline part: they show where a suffix set off
        # by a space begins (never a column name before a separator: "财经观察|标题_网站").
        main = norm(strip_site_suffix(tag, sites))
        prefixes = [
            line
            for line in lines
            if han_count(line) >= 4 and len(line) < len(tag) and main.startswith(norm(line))
        ]
        cuts = [
            w
            for w in (*witnesses, *prefixes)
            if not is_site_name(w, sites) and cuts_title_tag(w, tag, sites, lines)
        ]
        if cuts:
            best = max(cuts, key=lambda w: len(norm(w)))
            # og:title as long as the <title> may carry the suffix itself; an <h1> does not.
            if best is og and best is not h1 and norm(best) == norm(tag):
                return strip_site_suffix(best, sites)
            return best.strip()
        main = strip_site_suffix(tag, sites)
        if han_count(main) < _MIN_HEADLINE_HAN and not is_site_name(main, sites):
            # "新闻动态--中国地理学会官网": a section's name left beside the site's.
            longer = [w for w in witnesses if han_count(w) >= _MIN_HEADLINE_HAN]
            if longer and not is_site_name(longer[0], sites):
                return strip_site_suffix(longer[0], sites) if longer[0] is og else longer[0]
        if not is_site_name(main, sites):
            for w in (h1, og):
                if w and norm(strip_site_suffix(w, sites)) == norm(main):
                    return strip_site_suffix(w, sites) if w != h1 else w
            return main
        # The <title> names only the site (and a section): the headline is elsewhere.
        for w in witnesses:
            if not is_site_name(w, sites) and han_count(w) >= 4:
                return strip_site_suffix(w, sites) if w is og else w
        return main
    for w in (h1, og):
        if w and not is_site_name(w, sites):
            return strip_site_suffix(w, sites) if w is og else w
    traf_title = traf.get("title")
    return strip_site_suffix(str(traf_title), sites) if traf_title else None


def same_title(line: str, title: str) -> bool:
    normalized = norm(line)
    target = norm(title)
    return bool(target) and (
        normalized == target or (len(normalized) <= len(target) + 4 and target in normalized)
    )
