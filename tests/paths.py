"""Where the shared test data lives (read in place, never copied into the repo)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
SEED_ARTICLE = SHARED_DATA / "articles" / "jiaxing-theme-education-2020-01-09.txt"
HTML_DIR = SHARED_DATA / "html"
# The real Helsinki-NLP/opus-mt-zh-en tokenizer and config (no weights), CC BY 4.0;
# ../shared/models/README.md.
SHARED_MODELS = REPO.parent / "shared" / "models"
OPUS_MT_ZH_EN = SHARED_MODELS / "opus-mt-zh-en"


def seed_body() -> str:
    """The seed article's body, cut out by its first and last words (README of ../shared/data)."""
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    start = text.index("思想再洗礼 使命再升华")
    end = text.index("以优异成绩迎接建党百年") + len("以优异成绩迎接建党百年") + 1
    return text[start:end]
