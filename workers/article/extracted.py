"""What extraction hands on: an article's clean body and what its page says about it.

Both readers fill it, the HTML extractor (``workers.article.extract``) and the
scraped-text cleaner (``workers.article.scraped_text``); it lives apart from both
so that neither has to import the other for it. ``PageMetadata`` is shared with
``workers.article.prepared``: the fields a page gives travel on unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PageMetadata:
    """What a page says about its article: title, date, outlet, bylines, what was cut.

    ``photo_credits``: who the page credits for its pictures (摄影/图片来源/… 摄), kept
    apart from the authors and the outlet. ``metadata_warnings``: what the reader could
    not establish ("the page shows no publication date"); ``workers.pipeline`` adds them
    to the result's warnings.
    """

    title: str | None = None
    published: str | None = None
    outlet: str | None = None
    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    url: str | None = None
    photo_credits: list[str] = field(default_factory=list)
    metadata_warnings: list[str] = field(default_factory=list)


@dataclass
class ExtractedArticle(PageMetadata):
    """An article's clean body and what the page says about it."""

    text: str = field(kw_only=True)
    # Which extractor's body was kept, and every candidate's score (``workers.article.gate``):
    # the contract's ``Extraction`` as a plain dict, so that prepared articles stay JSON.
    extraction: dict[str, Any] | None = field(default=None, kw_only=True)
