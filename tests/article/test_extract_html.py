"""extract_main_text on the real gold pages of ../shared/data/html and on hand-made pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workers.article.extract import extract_main_text
from workers.article.extracted import ExtractedArticle
from workers.article.intake import decode_bytes
from workers.errors import EmptyInput
from workers.eval.extraction import char_prf

HERE = Path(__file__).resolve().parents[1]
DATA = HERE.parents[1] / "shared/data/html"
PORTAL = HERE / "fixtures/extraction/portal-page.html"


def _gold_rows() -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (DATA / "manifest.jsonl").read_text("utf-8").splitlines()]
    return [r for r in rows if r.get("gold_type") in {"full_text", "expected_html"}]


GOLD = _gold_rows()


@pytest.fixture(scope="module")
def extracted() -> dict[str, ExtractedArticle]:
    return {
        row["file"]: extract_main_text(decode_bytes((DATA / row["file"]).read_bytes()))
        for row in GOLD
    }


@pytest.mark.parametrize("row", GOLD, ids=[r["file"] for r in GOLD])
def test_gold_page_f1(row: dict[str, Any], extracted: dict[str, ExtractedArticle]) -> None:
    # 0.98: the gold of some pages keeps 责任编辑 credit lines, which we move to editors.
    _, _, f1 = char_prf(extracted[row["file"]].text, row["gold_main_text"])
    assert f1 >= 0.98, f"{row['file']}: F1 {f1:.3f}"


def test_gold_pages_overall_f1(extracted: dict[str, ExtractedArticle]) -> None:
    scores = [char_prf(extracted[r["file"]].text, r["gold_main_text"])[2] for r in GOLD]
    assert len(scores) == 6
    assert sum(scores) / len(scores) >= 0.995


def test_gold_page_metadata(extracted: dict[str, ExtractedArticle]) -> None:
    gmw = extracted["readability__gmw__source.html"]
    assert gmw.authors == ["春春"]
    assert gmw.editors == ["肖春芳"]
    assert gmw.published == "2017-03-10"
    assert gmw.title == "宇航员在太空中喝酒会怎么样？后果很严重"
    youth = extracted["readability__youth__source.html"]
    assert "崔宁宁" in youth.editors
    daily = extracted["newspaper4k__chinese_article_001.html"]
    assert daily.editors == ["严玉洁", "王辉"]
    assert "（编辑：严玉洁 王辉）" in daily.removed
    assert "责任编辑" not in daily.text
    xinhua = extracted["newspaper4k__chinese_article_002.html"]
    assert xinhua.published == "2023-11-17"
    assert xinhua.editors == ["张樵苏"]
    assert xinhua.title == "短缺药品保供稳价 全力保障临床用药需求"
    assert "纠错" not in xinhua.text


def test_bbc_image_caption_left_out(extracted: dict[str, ExtractedArticle]) -> None:
    bbc = extracted["newspaper4k__chinese_article.html"]
    assert "梁振英同时遭到泛民主派和亲北京阵营议员质问" not in bbc.text
    assert bbc.text.startswith("香港行政长官梁振英")


def test_portal_page_link_list_and_credits() -> None:
    article = extract_main_text(PORTAL.read_text("utf-8"))
    assert article.text.startswith("本报讯")
    assert article.text.endswith("让市民长期享受改造成果。")
    for junk in ("相关新闻", "湿地公园", "口袋公园", "版权所有", "当前位置", "责任编辑"):
        assert junk not in article.text
    assert article.title == "江滨公园改造完工 周末迎来首批市民"
    assert article.published == "2023-05-12"
    assert article.outlet == "滨江晚报"
    assert article.authors == ["王小明"]
    assert article.editors == ["张丽"]
    assert "【责任编辑：张丽】" in article.removed


def test_flat_page_falls_back_to_visible_text() -> None:
    body = "<br>".join(
        [
            "首页 | 新闻 | 关于",
            "市图书馆延长开放时间",
            "2024年3月1日 来源：城市日报 作者：赵敏",
            "从下月起，市图书馆将每天开放到晚上九点，周末也不闭馆，方便上班族和学生借阅图书。",
            "图书馆负责人说，延长开放时间是读者呼声最高的建议之一，馆里为此增加了值班人员。",
            "版权所有 城市日报",
        ]
    )
    article = extract_main_text(f"<html><body>{body}</body></html>")
    assert article.text.startswith("从下月起")
    assert "版权所有" not in article.text
    assert article.authors == ["赵敏"]
    assert article.published == "2024-03-01"


def test_plain_text_goes_to_the_scraped_text_cleaner() -> None:
    seed = HERE.parents[1] / "shared/data/articles/jiaxing-theme-education-2020-01-09.txt"
    article = extract_main_text(seed.read_text("utf-8"), url="http://example.com/a")
    assert article.title == "思想再洗礼 使命再升华"
    assert article.authors == ["裘建锋"]
    assert article.url == "http://example.com/a"


def test_empty_page_raises() -> None:
    with pytest.raises(EmptyInput):
        extract_main_text("  ")
