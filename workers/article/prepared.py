"""What steps 1-4 make of an article: its clean text, sentences and metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workers.article.extracted import PageMetadata


@dataclass
class PreparedArticle(PageMetadata):
    """An article after intake, extraction, normalization and segmentation
    (built by keyword: the page's fields come first in the dataclass)."""

    text: str = field(kw_only=True)
    sentences: list[str] = field(kw_only=True)
    language: str = field(kw_only=True)
    original_text: str | None = field(default=None, kw_only=True)
    warnings: list[str] = field(default_factory=list, kw_only=True)
    # The contract's ``Extraction`` as a plain dict (batch plans store prepared articles as JSON).
    extraction: dict[str, Any] | None = field(default=None, kw_only=True)
