"""A second parse of a page by an HTML5-conformant parser, for broken markup.

libxml2 (behind lxml, readability-lxml, trafilatura and newspaper4k) is no HTML5
parser: a stray ``</html>`` in the middle of a page makes it put the rest of the
document in a second tree, and every lxml-based tool then sees only the header
(title and navigation). The HTML5 algorithm ignores such end tags and keeps the
rest in ``<body>``. selectolax's lexbor backend implements that algorithm; its
re-serialization of the page is a well-formed document that libxml2 reads whole.

The second parse is only needed when libxml2 lost text, so :func:`html5_rescue`
compares the visible Chinese-and-Latin words of both trees and returns the
re-serialized page only when lexbor sees clearly more (``_LOSS_WORDS`` more and
``_LOSS_RATIO`` times as many). On the 51 shared pages (../shared/data/html) both
parsers see exactly the same words, so no page there takes the second parse.
"""

from __future__ import annotations

from typing import Any

from workers.article.quality import word_count

_LOSS_WORDS = 40
_LOSS_RATIO = 1.1
_INVISIBLE = "script, style, noscript, template"


def html5_rescue(html: str, page: Any) -> str | None:
    """The page re-serialized by an HTML5 parser, when libxml2's ``page`` lost text; else None."""
    from selectolax.lexbor import LexborHTMLParser  # imported here: only pages need it

    try:
        tree = LexborHTMLParser(html)
    except Exception:  # lexbor refuses some byte soup; libxml2's tree is all there is then
        return None
    serialized = tree.html or ""
    for node in tree.css(_INVISIBLE):
        node.decompose()
    html5_words = word_count(tree.body.text(separator=" ") if tree.body is not None else "")
    if html5_words < _LOSS_WORDS + _LOSS_RATIO * _visible_words(page):
        return None
    return serialized


def _visible_words(page: Any) -> int:
    """Words in libxml2's tree outside scripts and styles (the tree is left as it was)."""
    skip = {"script", "style", "noscript", "template"}
    words = 0
    for element in page.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag not in skip and element.text:
            words += word_count(element.text)
        if element.tail:
            words += word_count(element.tail)
    return words
