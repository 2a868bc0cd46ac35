"""What extraction hands on: an article's clean body and what its page says about it.

Both readers fill it, the HTML extractor (``workers.article.extract``) and the
scraped-text cleaner (``workers.article.scraped_text``); it lives apart from both
so that neither has to import the other for it. ``PageMetadata`` is shared with
``workers.article.prepared``: the fields a page gives travel on unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PageMetadata:
    """What a page says about its article: title, date, outlet, bylines, what was cut."""

    title: str | None = None
    published: str | None = None
    outlet: str | None = None
    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    url: str | None = None


@dataclass
class ExtractedArticle(PageMetadata):
    """An article's clean body and what the page says about it."""

    text: str = field(kw_only=True)
