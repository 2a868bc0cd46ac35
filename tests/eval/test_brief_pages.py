"""The extractive brief as the pipeline makes it, on real pages of three sites.

In ../shared/data, gne__huanqiu__1's brief used to open with a one-line teaser
and skip the news; captions and credits opened others. Checked in-sample.
"""

from __future__ import annotations

import pytest

from tests.paths import HTML_DIR
from workers.article.segment import article_sentences
from workers.contract import ArticleInput, SummaryOptions, SummaryResult
from workers.english.engines import offline_engines
from workers.english.summarize import sentence_paragraphs
from workers.pipeline import summarize_article
from workers.settings import Settings


def test_sentence_paragraphs_follow_the_lines() -> None:
    text = "第一段第一句。第一段第二句。\n\n  第二段只有一句。\n第三段。"
    sentences = article_sentences(text)
    assert sentence_paragraphs(text, sentences) == [0, 0, 1, 2]
    # Sentences that are not the text's own: no layout rather than a wrong one.
    assert sentence_paragraphs(text, [*sentences, "别处的一句。"]) is None
    assert sentence_paragraphs(text, list(reversed(sentences))) is None


@pytest.fixture(scope="module")
def briefs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SummaryResult]:
    settings = Settings(model_dir=tmp_path_factory.mktemp("no-models"))
    out = {}
    for page in ("gne__huanqiu__1.html", "gne__thepaper__1.html", "gne__163__2.html"):
        article = ArticleInput(html=(HTML_DIR / page).read_text(encoding="utf-8"))
        options = SummaryOptions(profile="offline", sentences=3)
        out[page] = summarize_article(article, options, offline_engines(), settings, key=page)
    return out


def test_the_brief_opens_with_the_news(briefs: dict[str, SummaryResult]) -> None:
    huanqiu = briefs["gne__huanqiu__1.html"].summary
    opening = huanqiu.sentences[0].zh or ""
    assert opening.startswith("今天，来自美、英、日"), opening
    assert "试图串联" not in (huanqiu.zh or ""), "the teaser is not in the brief"


@pytest.mark.parametrize(
    ("page", "side_text"),
    [
        ("gne__thepaper__1.html", "视觉中国"),  # a photo credit
        ("gne__163__2.html", "原标题"),  # a credit line
        ("gne__163__2.html", "视频截图"),  # a caption
    ],
)
def test_captions_and_credits_stay_out(
    briefs: dict[str, SummaryResult], page: str, side_text: str
) -> None:
    result = briefs[page]
    if side_text not in result.article.text:
        pytest.skip(
            f"extraction now drops {side_text!r} itself: nothing left for the brief to skip"
        )
    assert side_text not in (result.summary.zh or "")
    assert len(result.summary.sentences) == 3
