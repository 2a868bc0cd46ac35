"""clean_scraped_text on the seed article and on a hand-made dump of another portal."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.article.extracted import ExtractedArticle
from workers.article.scraped_text import clean_scraped_text
from workers.errors import EmptyInput

HERE = Path(__file__).resolve().parents[1]
SEED = HERE.parents[1] / "shared/data/articles/jiaxing-theme-education-2020-01-09.txt"
OTHER = HERE / "fixtures/extraction/riverside-evening-news-scraped.txt"


@pytest.fixture(scope="module")
def seed() -> ExtractedArticle:
    return clean_scraped_text(SEED.read_text("utf-8"))


def test_seed_body_span(seed: ExtractedArticle) -> None:
    first = seed.text.split("\n\n")[0]
    assert first in {"思想再洗礼 使命再升华", "嘉兴开展“不忘初心、牢记使命”主题教育综述"}
    assert seed.text.rstrip().endswith(("以优异成绩迎接建党百年!", "以优异成绩迎接建党百年！"))


def test_seed_metadata(seed: ExtractedArticle) -> None:
    assert seed.title == "思想再洗礼 使命再升华"
    assert seed.published == "2020-01-09"
    assert seed.outlet == "嘉兴日报"
    assert seed.authors == ["裘建锋"]
    assert seed.editors == ["倪力"]


@pytest.mark.parametrize(
    "boilerplate",
    [
        "扫黑除恶",
        "您当前的位置",
        "2020/01/09 来源:嘉兴日报 作者:裘建锋",
        "标签:编辑:倪力",
        "南湖新闻",
        "更多",
        "焦点图",
        "镇街部门",
        "版权所有",
        "浙ICP备09040541号",
        "网站介绍 | 广告服务",
    ],
)
def test_seed_boilerplate_removed_and_kept_aside(seed: ExtractedArticle, boilerplate: str) -> None:
    body_lines = seed.text.split("\n\n")
    assert not any(boilerplate in line for line in body_lines if len(line) < 80)
    assert boilerplate not in seed.text
    assert any(boilerplate in line for line in seed.removed)


def test_seed_byline_line_goes_to_removed(seed: ExtractedArticle) -> None:
    assert "2020/01/09 来源:嘉兴日报 作者:裘建锋" in seed.removed
    assert "作者:裘建锋" not in seed.text


def test_other_portal_dump() -> None:
    article = clean_scraped_text(OTHER.read_text("utf-8"))
    assert article.title == "江滨公园改造完工 周末迎来首批市民"
    assert article.published == "2023-05-12"
    assert article.outlet == "滨江晚报"
    assert article.authors == ["王小明", "李华"]  # reporter and correspondent (通讯员)
    assert article.editors == ["张丽"]
    assert article.text.startswith("本报讯")
    assert article.text.endswith("让市民长期享受改造成果。")
    assert "新增功能区" in article.text  # an in-body sub-heading stays
    for junk in (
        "当前位置",
        "责任编辑",
        "分享到",
        "相关新闻",
        "口袋公园",
        "Copyright",
        "ICP",
        "网站地图",
    ):
        assert junk not in article.text
        assert any(junk in line for line in article.removed)


def test_empty_text_raises() -> None:
    with pytest.raises(EmptyInput, match="empty"):
        clean_scraped_text(" \n\n \u3000\n")
