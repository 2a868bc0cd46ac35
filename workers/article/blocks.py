"""The HTML extractor's candidates: readability's article HTML cut into blocks.

A block is a paragraph-level piece with its share of link text and the class/id
hints of its ancestors. The *core* is the element holding the most direct
paragraph text; blocks outside it survive only if they read like article
sentences and carry no ad/related hint. Inside it, boxes set into the article
go too: a container that opens with a "related / recommended" label
(延伸·推荐, 相关阅读, 往期推荐 …) and a container whose class or id says ad or
promo. What survives goes through the line rules of
``workers.article.boilerplate``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import lxml.html

from workers.article.boilerplate import clean_lines, han_count, is_sentence_like

BLOCK_TAGS = {
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
# Class/id tokens of a box set into the article itself (checked below the core).
_ASIDE_TOKENS = {
    "ad",
    "ads",
    "adv",
    "advert",
    "advertisement",
    "promo",
    "promotion",
    "sponsor",
    "sponsored",
    "recommend",
    "recom",
    "related",
    "relate",
}
# The label that opens a box of related or recommended stories.
_BOX_LABEL = re.compile(
    r"^[【\[]?\s*(?:延伸\s*[·•]?\s*(?:推荐|阅读)|相关(?:阅读|新闻|推荐|文章|报道)|推荐阅读|"
    r"热点推荐|热门推荐|精彩推荐|猜你喜欢|往期(?:推荐|回顾|精选)|更多精彩|广告|推广)"
    r"\s*[】\]]?\s*[:：>》]*$"
)
_CAPTION_TOKENS = {"caption", "pic-info", "img-info", "picinfo", "imgtxt", "pictext"}
# Stands for <br> while text is gathered: newlines in HTML source are only whitespace.
BREAK = "\u2028"


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


def readability_blocks(html: str) -> list[_Block]:
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
        if child.tag in BLOCK_TAGS or _has_block_child(child):
            yield from _flush(run, element, hints)
            run = []
            yield from _blocks(child, hints)
        elif child.tag == "br":
            run.append((BREAK, 0))
        else:
            text = child.text_content()
            run.append((text, len(text) if child.tag == "a" else _link_chars(child)))
        run.append((child.tail or "", 0))
    yield from _flush(run, element, hints)


def _has_block_child(element: Any) -> bool:
    return any(isinstance(d.tag, str) and d.tag in BLOCK_TAGS for d in element.iterdescendants())


def _link_chars(element: Any) -> int:
    return sum(len(a.text_content()) for a in element.iter("a"))


def _split_block(element: Any, hints: set[str]) -> Iterator[_Block]:
    for br in element.iter("br"):
        br.tail = BREAK + (br.tail or "")
    text = element.text_content()
    links = _link_chars(element) if element.tag != "a" else len(text)
    lines = [squash(line) for line in text.split(BREAK)]
    lines = [line for line in lines if line]
    total = max(sum(len(line) for line in lines), 1)
    for line in lines:
        yield _Block(line, round(links * len(line) / total), element, hints)


def _flush(run: list[tuple[str, int]], element: Any, hints: set[str]) -> Iterator[_Block]:
    text = "".join(t for t, _ in run)
    links = sum(n for _, n in run)
    lines = [squash(line) for line in text.split(BREAK)]
    lines = [line for line in lines if line]
    total = max(sum(len(line) for line in lines), 1)
    for line in lines:
        yield _Block(line, round(links * len(line) / total), element, hints)


def squash(text: str) -> str:
    # Full-width indent spaces and runs of whitespace inside a paragraph carry no meaning.
    return re.sub(r"\s+", " ", text.replace("\u3000", " ").replace("\xa0", " ")).strip()


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
        scores[parent] = scores.get(parent, 0) + han_count(block.text)
    return max(scores, key=lambda e: scores[e]) if scores else None


def body_from_blocks(blocks: list[_Block], removed: list[str], headlines: list[str]) -> list[str]:
    core = _core_element(blocks)
    asides = _asides(blocks, core)
    kept: list[str] = []
    for block in blocks:
        if any(block.element is box or _is_ancestor(box, block.element) for box in asides):
            removed.append(block.text)
            continue
        inside = core is not None and (block.element is core or _is_ancestor(core, block.element))
        # A caption inside an image box goes; one set in the article's own flow stays
        # (sites write "图注：…" paragraphs that read as part of the story).
        in_flow = block.element.getparent() is core or block.element is core
        if (block.hints & _CAPTION_TOKENS or block.element.tag == "figcaption") and not in_flow:
            removed.append(block.text)
            continue
        if not inside and (
            block.hints & _NOISE_TOKENS
            or not is_sentence_like(block.text)
            or block.link_density > 0.3
        ):
            removed.append(block.text)
            continue
        if block.link_density > 0.5 and not is_sentence_like(block.text):
            removed.append(block.text)
            continue
        kept.append(block.text)
    return clean_lines(kept, removed, headlines)


def _asides(blocks: list[_Block], core: Any) -> list[Any]:
    """Boxes set into the article: labelled related-story boxes, ad/promo containers."""
    if core is None:
        return []
    boxes: list[Any] = []
    for block in blocks:
        path = _path_below(core, block.element)
        if not path:
            continue
        promo = next((e for e in path if _element_hints(e) & _ASIDE_TOKENS), None)
        if promo is not None:
            boxes.append(promo)
            continue
        # path[0] is the core's child holding the block: a box when the label opens it.
        box = path[0]
        if (
            _BOX_LABEL.match(block.text)
            and box is not block.element
            and squash(box.text_content()).startswith(block.text)
        ):
            boxes.append(box)
    return boxes


def _path_below(core: Any, element: Any) -> list[Any]:
    """The elements from the core's child down to ``element``; [] when it is not below the core."""
    path = []
    while element is not None and element is not core:
        path.append(element)
        element = element.getparent()
    return list(reversed(path)) if element is core else []


def _is_ancestor(ancestor: Any, element: Any) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.getparent()
    return False
