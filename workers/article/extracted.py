"""What extraction hands on: an article's clean body and what its page says about it.

Both readers fill it, the HTML extractor (``workers.article.extract``) and the
scraped-text cleaner (``workers.article.scraped_text``); it lives apart from both
so that neither has to import the other for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
