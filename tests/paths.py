"""Where the shared test data lives (read in place, never copied into the repo)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
SEED_ARTICLE = SHARED_DATA / "articles" / "jiaxing-theme-education-2020-01-09.txt"
HTML_DIR = SHARED_DATA / "html"
