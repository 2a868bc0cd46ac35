"""Candidate bodies of one HTML page, one per extractor and parse.

* ``readability``: readability-lxml's article HTML cut into blocks
  (``workers.article.blocks``), then the line rules;
* ``trafilatura``: trafilatura's text, then the line rules;
* ``newspaper``: newspaper4k's text, then the line rules;
* ``rules``: the page's visible text read like a scraper's dump
  (``workers.article.scraped_text``), which also reads title, date and credits;
* the same four with ``+html5`` over the HTML5 parser's reading of the page, when
  libxml2 lost text to broken markup (``workers.article.html5_parse``).

An extractor that fails on a page gives an empty candidate: each is one opinion.
Which candidate is kept is the gate's choice (``workers.article.gate``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import lxml.html
from lxml import etree

from workers.article.blocks import BLOCK_TAGS, BREAK, body_from_blocks, readability_blocks, squash
from workers.article.boilerplate import clean_lines
from workers.article.extracted import ExtractedArticle
from workers.article.html5_parse import html5_rescue
from workers.article.scraped_text import clean_scraped_text
from workers.errors import EmptyInput


@dataclass
class Candidate:
    """One extractor's body of a page, with what its line rules took out."""

    method: str
    paragraphs: list[str]
    removed: list[str] = field(default_factory=list)
    headlines: list[str] = field(default_factory=list)
    # The rules candidate's own reading of the page (title, date, credits).
    article: ExtractedArticle | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass
class PageCandidates:
    """Every candidate body of a page, and the parse its metadata is read from."""

    page: Any
    trafilatura: dict[str, Any]
    bodies: list[Candidate]
    link_texts: frozenset[str]


def page_candidates(html: str, url: str | None) -> PageCandidates:
    """Candidate bodies from each extractor; from the HTML5 parse too when libxml2 lost text.

    Metadata is read from the HTML5 parse when there is one: it holds the whole page.
    """
    page, depth_limited = _parse(html)
    bodies, traf = _candidates(html, url, "")
    # Past libxml2's depth limit the HTML5 parse would be lost the same way (and
    # lexbor takes seconds on such nesting): no second parse then.
    rescued = None if depth_limited else html5_rescue(html, page)
    if rescued is not None:
        page = parse_page(rescued)
        more, traf_html5 = _candidates(rescued, url, "+html5")
        bodies += more
        traf = traf_html5 or traf
    return PageCandidates(page=page, trafilatura=traf, bodies=bodies, link_texts=_link_texts(page))


def parse_page(html: str) -> Any:
    """libxml2's tree of ``html``; EmptyInput when it cannot make one."""
    return _parse(html)[0]


def _parse(html: str) -> tuple[Any, bool]:
    """libxml2's tree, and whether libxml2 stopped at its nesting-depth limit."""
    parser = lxml.html.HTMLParser()
    try:
        page = lxml.html.document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        # lxml refuses str input that declares an encoding; bytes parse fine.
        try:
            page = lxml.html.document_fromstring(html.encode("utf-8"), parser=parser)
        except (etree.ParserError, ValueError):
            raise EmptyInput(f"the page has no parseable HTML ({exc})") from exc
    depth_limited = any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log)
    return page, depth_limited


def _candidates(html: str, url: str | None, suffix: str) -> tuple[list[Candidate], dict[str, Any]]:
    traf = _trafilatura(html, url)
    bodies = [
        _readability(html),
        _from_lines("trafilatura", traf.get("text") or ""),
        _from_lines("newspaper", _newspaper(html, url)),
        _rules(html),
    ]
    for body in bodies:
        body.method += suffix
    return bodies, traf


def _readability(html: str) -> Candidate:
    removed: list[str] = []
    headlines: list[str] = []
    paragraphs = body_from_blocks(readability_blocks(html), removed, headlines)
    return Candidate("readability", paragraphs, removed, headlines)


def _from_lines(method: str, text: str) -> Candidate:
    removed: list[str] = []
    headlines: list[str] = []
    lines = [line.strip() for line in text.splitlines()]
    paragraphs = clean_lines([line for line in lines if line], removed, headlines)
    return Candidate(method, paragraphs, removed, headlines)


def _rules(html: str) -> Candidate:
    """The page's visible text through the scraped-text rules (pages with no container)."""
    try:
        article = clean_scraped_text(visible_text(parse_page(html)))
    except EmptyInput:
        return Candidate("rules", [])
    paragraphs = [p for p in article.text.split("\n\n") if p.strip()]
    return Candidate("rules", paragraphs, list(article.removed), article=article)


def visible_text(page: Any) -> str:
    """The text a reader sees, one line per block (``page`` is changed: scripts dropped)."""
    for bad in page.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    for element in page.iter():
        if isinstance(element.tag, str) and (element.tag in BLOCK_TAGS or element.tag == "br"):
            element.tail = BREAK + (element.tail or "")
    return "\n".join(squash(line) for line in page.text_content().split(BREAK))


def _link_texts(page: Any) -> frozenset[str]:
    texts = (squash(a.text_content()) for a in page.iter("a"))
    return frozenset(text for text in texts if text)


def _trafilatura(html: str, url: str | None) -> dict[str, Any]:
    import trafilatura  # imported here: heavy, and not needed for plain text

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            doc = trafilatura.bare_extraction(
                html, url=url, include_comments=False, with_metadata=True
            )
        except Exception:  # trafilatura fails on a few malformed pages; it is one opinion
            return {}
    if doc is None or isinstance(doc, dict):  # a dict only with as_dict=True
        return {}
    return {"text": doc.text, "title": doc.title, "date": doc.date, "sitename": doc.sitename}


def _newspaper(html: str, url: str | None) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it warns at import that nltk is missing
        from newspaper import Article, Config  # imported here: heavy

        config = Config()
        config.fetch_images = False  # it would fetch the top image over the network
        config.memorize_articles = False
        config.language = "zh"
        try:
            article = Article(url or "http://example.invalid/article.html", config=config)
            article.download(input_html=html)
            article.parse()
        except Exception:  # newspaper4k raises on odd pages; it is one opinion
            return ""
    return article.text or ""
