"""Main text and metadata of a Chinese news page.

No one extractor is enough on Chinese news pages: readability-lxml finds the
article container best on portals but keeps promo boxes and can see nothing of a
WeChat post whose body is hidden until a script runs; trafilatura pulls
"hot"/"related" link lists into the body; newspaper4k misses some containers; and
every lxml-based tool loses the body after a stray ``</html>``. So:

1. every extractor gives a candidate body, over a second, HTML5-conformant parse
   too when libxml2 lost text (``workers.article.candidates``); line rules drop
   link lists, navigation, share strips, disclaimers, promo and copyright lines
   (``workers.article.boilerplate``), every dropped line going to ``removed``;
2. each candidate is scored as article text and the best that passes the gate is
   kept; a page where none passes is refused with :class:`NoArticle`
   (``workers.article.gate``); ``extraction`` records the choice;
3. the page's meta tags, headline and credit lines give title, date and outlet
   (``workers.article.page_metadata``, ``workers.article.metadata``).
"""

from __future__ import annotations

from typing import Any

from workers.article.candidates import page_candidates
from workers.article.extracted import ExtractedArticle
from workers.article.gate import choose_body
from workers.article.headline import pick_title, same_title, strip_site_suffix
from workers.article.intake import looks_like_html
from workers.article.page_metadata import page_metadata, read_page_credits
from workers.article.quality import score_text
from workers.article.scraped_text import clean_scraped_text
from workers.contract import Extraction, ExtractionCandidate
from workers.errors import EmptyInput


def extract_main_text(html: str, url: str | None = None) -> ExtractedArticle:
    """The main text and metadata of one HTML page.

    Body paragraphs are joined by blank lines; boilerplate lines that were taken out
    (credits, link lists, "more" links, copyright) are listed in ``removed``.
    Raises :class:`EmptyInput` when the page has no text at all and
    :class:`NoArticle` when no extractor found text that reads as an article.
    """
    if not html or not html.strip():
        raise EmptyInput("the page is empty (0 characters of HTML)")
    if not looks_like_html(html):
        # Plain text handed in as a page: HTML tools find nothing in it.
        article = extract_plain_text(html)
        article.url = url
        return article
    found = page_candidates(html, url)
    meta = page_metadata(found.page)
    traf = found.trafilatura
    chosen, extraction = choose_body(found.bodies, found.link_texts)
    if chosen.article is not None:
        # The scraped-text rules won (pages with no article container).
        return _flat_page(chosen.article, meta, url, extraction)

    removed = list(chosen.removed)
    headlines = list(chosen.headlines)
    paragraphs = list(chosen.paragraphs)
    title = pick_title(meta, traf, headlines)
    if paragraphs and title and same_title(paragraphs[0], title):
        removed.append(paragraphs.pop(0))

    # Date, outlet and credits (workers.article.page_metadata): dates from the meta tags
    # and the header only, image credits apart, only people as authors.
    facts = read_page_credits(meta, traf, title, paragraphs, removed, url)
    return ExtractedArticle(
        text="\n\n".join(paragraphs),
        title=title,
        published=facts.published,
        outlet=facts.outlet,
        authors=facts.authors,
        editors=facts.editors,
        photo_credits=facts.photo_credits,
        metadata_warnings=facts.metadata_warnings,
        removed=removed,
        url=url,
        extraction=extraction.model_dump(),
    )


def extract_plain_text(text: str) -> ExtractedArticle:
    """The article in plain text (a scraper's dump), scored like a page's candidates.

    Plain text is not refused by the gate: someone chose that text to send.
    """
    article = clean_scraped_text(text)
    score = score_text(article.text)
    article.extraction = Extraction(
        method="text",
        score=score.score,
        candidates=[ExtractionCandidate(method="text", score=score.score, chars=score.chars)],
    ).model_dump()
    return article


def _flat_page(
    article: ExtractedArticle, meta: dict[str, Any], url: str | None, extraction: Extraction
) -> ExtractedArticle:
    """The scraped-text reading of a page with no article container, filled from its meta tags."""
    article.url = url
    article.published = article.published or meta["published"]
    article.title = (
        article.title
        or meta["h1"]
        or (strip_site_suffix(meta["title_tag"]) if meta["title_tag"] else None)
    )
    article.extraction = extraction.model_dump()
    return article
