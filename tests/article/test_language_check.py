"""One language check for every way in: API jobs, the command line, batch items.

All of them prepare an article with ``workers.pipeline.prepare_article``; these
tests run it on English text, an English page, a bilingual page and a Chinese
report full of English names, and run the real ``newsum`` command on them.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO, SEED_ARTICLE
from workers.contract import ArticleInput
from workers.errors import NotChinese
from workers.pipeline import prepare_article
from workers.settings import Settings

FIXTURES = REPO / "tests" / "fixtures" / "language"
ENGLISH_PAGE = FIXTURES / "english-news-page.html"
BILINGUAL_PAGE = FIXTURES / "bilingual-page.html"
CHINESE_WITH_NAMES = FIXTURES / "chinese-with-english-names.txt"
ENGLISH_TEXT = (
    "The city council approved a new budget on Tuesday. Spending on schools will rise by "
    "ten percent, and 1,200 new teachers will be hired. Officials said the plan would be "
    "reviewed next year."
)
NEWSUM = str(Path(sys.executable).parent / "newsum")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(model_dir=tmp_path_factory.mktemp("no-models"))


@pytest.mark.parametrize(
    "article",
    [
        ArticleInput(text=ENGLISH_TEXT),
        ArticleInput(html=ENGLISH_PAGE.read_text("utf-8")),
        ArticleInput(html_b64=base64.b64encode(ENGLISH_PAGE.read_bytes()).decode()),
        # An HTML page pasted into the text field is read as a page too.
        ArticleInput(text=ENGLISH_PAGE.read_text("utf-8")),
    ],
    ids=["text", "html", "html_b64", "html-as-text"],
)
def test_english_input_is_not_chinese_whatever_the_field(
    settings: Settings, article: ArticleInput
) -> None:
    with pytest.raises(NotChinese) as caught:
        prepare_article(article, settings)
    assert caught.value.code == "not_chinese"
    assert "reads as English" in caught.value.message


def test_the_bilingual_page_is_refused(settings: Settings) -> None:
    with pytest.raises(NotChinese, match="Latin script"):
        prepare_article(ArticleInput(html=BILINGUAL_PAGE.read_text("utf-8")), settings)


def test_chinese_with_english_names_is_prepared(settings: Settings) -> None:
    prepared = prepare_article(ArticleInput(text=CHINESE_WITH_NAMES.read_text("utf-8")), settings)
    assert prepared.language == "zh-Hans"
    assert "Tim Cook" in prepared.text and "LLM" in prepared.text


def _newsum(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSUM_MODEL_DIR": str(tmp / "models")}
    return subprocess.run(
        [NEWSUM, *args], capture_output=True, text=True, timeout=240, env=env, check=False
    )


def test_the_command_line_refuses_an_english_page(tmp_path: Path) -> None:
    done = _newsum("summarize", str(ENGLISH_PAGE), tmp=tmp_path)
    assert done.returncode != 0
    assert "the page is not Chinese" in done.stderr and "reads as English" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_batch_records_english_items_as_failed_not_chinese(tmp_path: Path) -> None:
    rows = [
        {"id": "seed", "text": SEED_ARTICLE.read_text(encoding="utf-8")},
        {"id": "english", "text": ENGLISH_TEXT},
        {"id": "english-page", "html": ENGLISH_PAGE.read_text("utf-8")},
        {"id": "names", "text": CHINESE_WITH_NAMES.read_text("utf-8")},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    done = _newsum("batch", str(source), "--out", str(out), tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = {row["id"]: row for row in map(json.loads, out.read_text("utf-8").splitlines())}
    assert [lines[r["id"]]["state"] for r in rows] == ["done", "failed", "failed", "done"]
    assert lines["english"]["error"]["code"] == "not_chinese"
    assert lines["english-page"]["error"]["code"] == "not_chinese"
