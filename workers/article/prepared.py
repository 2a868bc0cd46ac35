"""What steps 1-4 make of an article: its clean text, sentences and metadata."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PreparedArticle:
    """An article after intake, extraction, normalization and segmentation."""

    text: str
    sentences: list[str]
    language: str
    original_text: str | None = None
    title: str | None = None
    published: str | None = None
    outlet: str | None = None
    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    url: str | None = None
    warnings: list[str] = field(default_factory=list)
