"""Main text and metadata of a Chinese news page.

readability-lxml finds the article container best on Chinese portals; trafilatura
is the second opinion and the better metadata reader. Neither is enough alone:
trafilatura pulls "hot"/"related" link lists into the body and misses Chinese
bylines, readability keeps promo boxes and member lists beside the article. So:

1. readability's article HTML is cut into blocks (paragraph-level pieces, each with
   its share of link text and the class/id hints of its ancestors);
2. the *core* is the element holding the most direct paragraph text; blocks outside
   it survive only if they read like article sentences and carry no ad/related hint;
3. line rules (shared with the scraped-text cleaner) drop link lists, captions,
   comment blocks and editor credits; credits go to ``authors``/``editors`` and every
   dropped line to ``removed``;
4. if readability gives (almost) nothing, trafilatura's text is used; if both do
   (flat pages), the page's visible text goes through :func:`clean_scraped_text`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import lxml.html
from lxml import etree

from workers.article.intake import looks_like_html
from workers.article.metadata import (
    is_byline_line,
    merge_people,
    normalize_date,
    parse_byline,
    parse_inline_credits,
    split_names,
)
from workers.errors import EmptyInput


@dataclass
class ExtractedArticle:
    """An article's clean body and what the page says about it."""

    text: str
    title: str | None = None
    published: str | None = None
    outlet: str | None = None
    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    url: str | None = None


_BLOCK_TAGS = {
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "tr",
    "td",
    "th",
    "section",
    "article",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "dl",
    "dt",
    "dd",
    "header",
    "footer",
    "aside",
    "nav",
    "main",
    "center",
    "form",
    "tbody",
}
_HAN = re.compile(r"[\u4e00-\u9fff]")
_SENTENCE_END = re.compile(r"[。！？!?；…]")
# Class/id/data-* tokens that mark a block as not the article (checked outside the core).
_NOISE_TOKENS = {
    "ad",
    "ads",
    "advert",
    "advertisement",
    "adv",
    "promo",
    "sponsor",
    "recommend",
    "recom",
    "related",
    "relate",
    "relative",
    "hot",
    "hotnews",
    "share",
    "comment",
    "comments",
    "footer",
    "foot",
    "copyright",
    "member",
    "tags",
    "tag",
    "nav",
    "breadcrumb",
    "crumb",
    "sidebar",
    "side",
    "rank",
    "more",
    "next",
    "prev",
    "jump",
    "download",
    "qrcode",
    "weixin",
}
_CAPTION_TOKENS = {"caption", "pic-info", "img-info", "picinfo", "imgtxt", "pictext"}
# Lines a reader never needs, whatever the site (matched on the whole line).
_JUNK_LINE = re.compile(
    r"^(?:[【\[]?(?:纠错|打印|关闭|关闭窗口|返回顶部|返回首页|分享到?|收藏|点赞|举报|评论|"
    r"我要评论|查看评论|扫一扫|点击投票|更多|更多>>|查看更多|阅读全文|展开全文|上一篇|下一篇|"
    r"延伸阅读|相关阅读|相关新闻|相关推荐|热点推荐|热门推荐|猜你喜欢|推荐阅读|延伸\s*·\s*推荐|"
    r"点击进入专题|进入专题|页首|点击|字号|大|中|小|原创)[】\]]?\s*[:：>》]*)$"
)
_DATE_ONLY = re.compile(
    r"^\s*(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*$"
)
_COPYRIGHT = re.compile(
    r"版权所有|版权声明|Copyright|©|ICP备|ICP证|公网安备|未经.{0,10}(?:授权|许可).{0,10}(?:转载|使用)"
)
_MIN_BODY_HAN = 40
# Stands for <br> while text is gathered: newlines in HTML source are only whitespace.
_BREAK = "\u2028"
# Navigation bars and breadcrumbs: "首页 | 新闻 | 关于", "当前位置：首页 > 本地".
_NAV_LINE = re.compile(
    r"您当前的位置|当前位置|您的位置|>>|»|首页\s*[>›]|^(?:\S{1,8}\s*[|｜]\s*){2,}\S{1,8}$"
)


@dataclass
class _Block:
    """One paragraph-level piece of the article HTML."""

    text: str
    link_chars: int
    element: Any
    hints: set[str]

    @property
    def link_density(self) -> float:
        return self.link_chars / max(len(self.text), 1)


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
        from workers.article.scraped_text import clean_scraped_text

        article = clean_scraped_text(html)
        article.url = url
        return article
    page = _parse_page(html)
    meta = _page_metadata(page)
    traf = _trafilatura(html, url)

    removed: list[str] = []
    blocks = _readability_blocks(html)
    headlines: list[str] = []
    paragraphs = _body_from_blocks(blocks, removed, headlines)
    traf_text = (traf.get("text") or "").strip()
    if _han_count("".join(paragraphs)) < _MIN_BODY_HAN and _han_count(traf_text) >= _MIN_BODY_HAN:
        removed = []
        paragraphs = _clean_lines(
            [line.strip() for line in traf_text.splitlines() if line.strip()], removed, headlines
        )
    if _han_count("".join(paragraphs)) < _MIN_BODY_HAN:
        return _flat_page(page, meta, url)

    title = _pick_title(meta, traf, headlines)
    if paragraphs and title and _same_title(paragraphs[0], title):
        removed.append(paragraphs.pop(0))

    credits = [parse_byline(line) for line in removed if is_byline_line(line)]
    credits += [parse_byline(line) for line in _page_credit_lines(page, title, paragraphs)]
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


# --- readability: article HTML → blocks -------------------------------------------------


def _readability_blocks(html: str) -> list[_Block]:
    from readability import Document  # imported here: it pulls in lxml.html.clean

    try:
        summary = Document(html).summary(html_partial=True)
    except Exception:  # readability raises bare Exceptions on odd markup; trafilatura covers
        return []
    if not summary.strip():
        return []
    root = lxml.html.fragment_fromstring(summary, create_parent="div")
    return list(_blocks(root, set()))


def _element_hints(element: Any) -> set[str]:
    values = [element.get("class") or "", element.get("id") or ""]
    values += [v for k, v in element.attrib.items() if k.startswith("data-")]
    tokens: set[str] = set()
    for value in values:
        tokens.update(t for t in re.split(r"[\s_\-]+", value.lower()) if t)
        tokens.add(value.lower())
    return tokens


def _blocks(element: Any, hints: set[str]) -> Iterator[_Block]:
    """Paragraph-level pieces in document order; inline runs between blocks are pieces too."""
    hints = hints | _element_hints(element)
    if element.tag in {"script", "style", "noscript"} or not isinstance(element.tag, str):
        return
    if not _has_block_child(element):
        yield from _split_block(element, hints)
        return
    run: list[tuple[str, int]] = [(element.text or "", 0)]
    for child in element:
        if not isinstance(child.tag, str):
            run.append((child.tail or "", 0))
            continue
        if child.tag in _BLOCK_TAGS or _has_block_child(child):
            yield from _flush(run, element, hints)
            run = []
            yield from _blocks(child, hints)
        elif child.tag == "br":
            run.append((_BREAK, 0))
        else:
            text = child.text_content()
            run.append((text, len(text) if child.tag == "a" else _link_chars(child)))
        run.append((child.tail or "", 0))
    yield from _flush(run, element, hints)


def _has_block_child(element: Any) -> bool:
    return any(isinstance(d.tag, str) and d.tag in _BLOCK_TAGS for d in element.iterdescendants())


def _link_chars(element: Any) -> int:
    return sum(len(a.text_content()) for a in element.iter("a"))


def _split_block(element: Any, hints: set[str]) -> Iterator[_Block]:
    for br in element.iter("br"):
        br.tail = _BREAK + (br.tail or "")
    text = element.text_content()
    links = _link_chars(element) if element.tag != "a" else len(text)
    lines = [_squash(line) for line in text.split(_BREAK)]
    lines = [line for line in lines if line]
    total = max(sum(len(line) for line in lines), 1)
    for line in lines:
        yield _Block(line, round(links * len(line) / total), element, hints)


def _flush(run: list[tuple[str, int]], element: Any, hints: set[str]) -> Iterator[_Block]:
    text = "".join(t for t, _ in run)
    links = sum(n for _, n in run)
    lines = [_squash(line) for line in text.split(_BREAK)]
    lines = [line for line in lines if line]
    total = max(sum(len(line) for line in lines), 1)
    for line in lines:
        yield _Block(line, round(links * len(line) / total), element, hints)


def _squash(text: str) -> str:
    # Full-width indent spaces and runs of whitespace inside a paragraph carry no meaning.
    return re.sub(r"\s+", " ", text.replace("\u3000", " ").replace("\xa0", " ")).strip()


def _han_count(text: str) -> int:
    return len(_HAN.findall(text))


def _core_element(blocks: list[_Block]) -> Any:
    """The element whose own paragraphs hold the most Chinese text: the article container."""
    scores: dict[Any, int] = {}
    for block in blocks:
        if block.link_density > 0.5:
            continue
        parent = (
            block.element
            if block.element.tag not in {"p", "span", "font", "strong", "b"}
            else (
                block.element.getparent()
                if block.element.getparent() is not None
                else block.element
            )
        )
        scores[parent] = scores.get(parent, 0) + _han_count(block.text)
    return max(scores, key=lambda e: scores[e]) if scores else None


def _is_sentence_like(text: str) -> bool:
    return _han_count(text) >= 15 and bool(_SENTENCE_END.search(text))


def _body_from_blocks(blocks: list[_Block], removed: list[str], headlines: list[str]) -> list[str]:
    core = _core_element(blocks)
    kept: list[str] = []
    for block in blocks:
        inside = core is not None and (block.element is core or _is_ancestor(core, block.element))
        # A caption inside an image box goes; one set in the article's own flow stays
        # (sites write "图注：…" paragraphs that read as part of the story).
        in_flow = block.element.getparent() is core or block.element is core
        if (block.hints & _CAPTION_TOKENS or block.element.tag == "figcaption") and not in_flow:
            removed.append(block.text)
            continue
        if not inside and (
            block.hints & _NOISE_TOKENS
            or not _is_sentence_like(block.text)
            or block.link_density > 0.3
        ):
            removed.append(block.text)
            continue
        if block.link_density > 0.5 and not _is_sentence_like(block.text):
            removed.append(block.text)
            continue
        kept.append(block.text)
    return _clean_lines(kept, removed, headlines)


def _is_ancestor(ancestor: Any, element: Any) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.getparent()
    return False


def _clean_lines(
    lines: list[str], removed: list[str], headlines: list[str] | None = None
) -> list[str]:
    """Line rules shared by every source: credits, junk links, copyright, dangling lists.

    Headline lines found above an opening byline are appended to ``headlines``.
    """
    headlines = headlines if headlines is not None else []
    kept: list[str] = []
    for line in lines:
        if (_JUNK_LINE.match(line) or _COPYRIGHT.search(line) or _NAV_LINE.search(line)) and (
            not _is_sentence_like(line)
        ):
            removed.append(line)
        elif is_byline_line(line) or _DATE_ONLY.match(line):
            # Short headline lines right above an opening byline are header, not body.
            if len(kept) <= 2 and all(len(k) <= 60 and not _is_sentence_like(k) for k in kept):
                headlines.extend(kept)
                removed.extend(kept)
                kept = []
            removed.append(line)
        else:
            kept.append(line)
    # Trailing lists of short headlines (related stories) after the last real paragraph.
    while kept and not _is_sentence_like(kept[-1]) and _looks_like_list_tail(kept):
        removed.append(kept.pop())
    return _merge_broken_brackets(kept)


def _looks_like_list_tail(kept: list[str]) -> bool:
    """True when the last line is part of a trailing run of short, non-sentence lines
    that follows a "related/recommended" label or is itself only a headline with a date."""
    last = kept[-1]
    if re.search(r"(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}\s*$", last):
        return True
    tail = []
    for line in reversed(kept):
        if _is_sentence_like(line) and not re.search(r"推荐|相关|延伸|热门|热点", line):
            break
        tail.append(line)
    return any(re.search(r"^(?:延伸|相关|推荐|热门|热点|猜你喜欢)", t) for t in tail)


def _merge_broken_brackets(lines: list[str]) -> list[str]:
    # A lone "】" left behind by a line break inside 【…】.
    return [line for line in lines if line.strip("】]）) ")]


# --- metadata ----------------------------------------------------------------------------


def _parse_page(html: str) -> Any:
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        # lxml refuses str input that declares an encoding; bytes parse fine.
        try:
            return lxml.html.document_fromstring(html.encode("utf-8"))
        except (etree.ParserError, ValueError):
            raise EmptyInput(f"the page has no parseable HTML ({exc})") from exc


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


def _page_metadata(page: Any) -> dict[str, Any]:
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
        (_squash(h.text_content()) for h in page.iter("h1") if _han_count(h.text_content()) >= 4),
        None,
    )
    title_tag = next((_squash(t.text_content()) for t in page.iter("title")), None)
    og_title = metas.get("og:title")
    author_meta = metas.get("author") or metas.get("article:author") or ""
    return {
        "published": published,
        "h1": h1,
        "title_tag": title_tag,
        "og_title": og_title,
        "outlet": metas.get("source") or metas.get("og:site_name") or None,
        "authors": split_names(author_meta) if _han_count(author_meta) else [],
    }


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


def _strip_site_suffix(title: str) -> str:
    # "宇航员在太空中喝酒会怎么样？后果很严重 _探索者 _光明网" → the headline part.
    parts = [p.strip() for p in re.split(r"\s*(?:_|\||｜| - | — |--|-(?=[^\s]{2,12}$))\s*", title)]
    parts = [p for p in parts if p]
    return max(parts[:2], key=len) if parts else title.strip()


def _pick_title(meta: dict[str, Any], traf: dict[str, Any], headlines: list[str]) -> str | None:
    tag = meta["title_tag"] or ""
    if not tag and not meta["h1"] and headlines:
        # No <title> or <h1>: the line above the byline is the best witness.
        return headlines[-1]
    for candidate in (meta["h1"], meta["og_title"]):
        # An <h1> is the headline only if the <title> agrees (sites put logos in h1 too).
        if candidate and (not tag or _strip_site_suffix(candidate) in tag or candidate in tag):
            return _strip_site_suffix(candidate) if candidate != meta["h1"] else candidate
    if tag:
        return _strip_site_suffix(tag)
    traf_title = traf.get("title")
    return _strip_site_suffix(str(traf_title)) if traf_title else None


def _same_title(line: str, title: str) -> bool:
    norm = re.sub(r"\s+", "", line)
    target = re.sub(r"\s+", "", title)
    return bool(target) and (norm == target or (len(norm) <= len(target) + 4 and target in norm))


def _page_credit_lines(page: Any, title: str | None, paragraphs: list[str]) -> list[str]:
    """Credit lines of the page near the article (from the headline to the body's end).

    Sidebars name other articles' authors, so lines before the headline and after the
    last paragraph (plus a few lines of slack for the 责任编辑 footer) are ignored.
    """
    lines: list[str] = []
    for element in page.iter():
        if not isinstance(element.tag, str) or element.tag in {"script", "style", "noscript"}:
            continue
        if element.tag in _BLOCK_TAGS or element.tag in {"span", "em", "i"}:
            own = _squash(
                (element.text or "")
                + "".join(
                    c.text_content() + (c.tail or "")
                    for c in element
                    if isinstance(c.tag, str) and c.tag not in _BLOCK_TAGS
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


def _flat_page(page: Any, meta: dict[str, Any], url: str | None) -> ExtractedArticle:
    """Pages with no article container: read their visible text like a scraper's dump."""
    from workers.article.scraped_text import clean_scraped_text

    for bad in page.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    for element in page.iter():
        if isinstance(element.tag, str) and (element.tag in _BLOCK_TAGS or element.tag == "br"):
            element.tail = _BREAK + (element.tail or "")
    text = "\n".join(_squash(line) for line in page.text_content().split(_BREAK))
    if not text.strip():
        raise EmptyInput("the page has no visible text")
    article = clean_scraped_text(text)
    article.url = url
    article.published = article.published or meta["published"]
    article.title = (
        article.title
        or meta["h1"]
        or (_strip_site_suffix(meta["title_tag"]) if meta["title_tag"] else None)
    )
    return article
