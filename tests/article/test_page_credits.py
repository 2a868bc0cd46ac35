"""Page metadata on whole pages: written pages of four site styles (tests/fixtures/pages/
metadata, each with the traps issue 13 saw) and the real pages of ../shared/data/html."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lxml.html
import pytest

from tests.paths import HTML_DIR, REPO
from workers.article.extract import extract_main_text
from workers.article.extracted import ExtractedArticle
from workers.article.intake import decode_bytes
from workers.article.metadata import clean_name, is_byline_line, parse_byline
from workers.article.page_metadata import page_lines
from workers.contract import ArticleInput, SummaryOptions
from workers.english.engines import load_engines
from workers.pipeline import prepare_article, summarize_article
from workers.settings import Settings

PAGES = REPO / "tests" / "fixtures" / "pages" / "metadata"
SHARED = [
    "gne__njxfhn__1.html",
    "gne__163__4.html",
    "gne__shanxi__1.html",
    "gne__zyyfy__1.html",
    "gne__zsnews__1.html",
    "gne__gsc__1.html",
    "gne__sxmu__1.html",
    "gne__cjddsb__1.html",
    "gne__toutiao__2.html",
    "gne__wechat__2.html",
]


def _read(path: Path) -> ExtractedArticle:
    return extract_main_text(decode_bytes(path.read_bytes()))


def _parse(html: str) -> Any:
    try:
        return lxml.html.document_fromstring(html)
    except ValueError:  # a str that declares its encoding: parse its UTF-8 bytes
        return lxml.html.document_fromstring(html.encode("utf-8"))


@pytest.fixture(scope="module")
def written() -> dict[str, ExtractedArticle]:
    return {p.name: _read(p) for p in sorted(PAGES.glob("*.html"))}


@pytest.fixture(scope="module")
def shared() -> dict[str, ExtractedArticle]:
    return {name: _read(HTML_DIR / name) for name in SHARED}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(model_dir=tmp_path_factory.mktemp("no-models"))


# ---------------------------------------------------------------- dates


def test_header_date_not_a_related_list_date(
    written: dict[str, ExtractedArticle], shared: dict[str, ExtractedArticle]
) -> None:
    # The header says 2019-09-11; a "latest news" list further down says 2019-11-03.
    assert shared["gne__njxfhn__1.html"].published == "2019-09-11"
    # Header 2020-05-06, related links 2020-06-01 and 2020-06-09.
    assert written["gov-notice.html"].published == "2020-05-06"
    # Header 2022-08-15, recommended list 2022-09-01 and 2022-09-05.
    assert written["tech-portal.html"].published == "2022-08-15"


def test_footer_credit_line_dates_the_article(
    written: dict[str, ExtractedArticle], shared: dict[str, ExtractedArticle]
) -> None:
    # Only a footer line dates these; the related list after it is not read.
    assert written["wire-digest.html"].published == "2023-03-18"
    assert shared["gne__cjddsb__1.html"].published == "2019-09-23"
    assert shared["gne__toutiao__2.html"].published == "2019-09-08"


def test_no_date_shown_means_no_date_and_a_warning(written: dict[str, ExtractedArticle]) -> None:
    # The blog shows no date; its related list (2019-11-03, 2019-10-20) and © 2019 do not count.
    blog = written["blog-post.html"]
    assert blog.published is None
    assert any("no publication date" in w for w in blog.metadata_warnings)


def test_dates_shown_by_scripts_or_a_header_line_are_kept(
    shared: dict[str, ExtractedArticle],
) -> None:
    # WeChat fills the date by script (var ct = "1581418070"); 山西医科大学 in a header cell.
    assert shared["gne__wechat__2.html"].published == "2020-02-11"
    assert shared["gne__sxmu__1.html"].published == "2018-05-17"
    assert not shared["gne__sxmu__1.html"].metadata_warnings


def test_the_warning_reaches_the_result(settings: Settings) -> None:
    page = (PAGES / "blog-post.html").read_text("utf-8")
    prepared = prepare_article(ArticleInput(html=page), settings)
    assert any(w.startswith("The page shows no publication date") for w in prepared.warnings)
    engines = load_engines(settings, "offline")
    result = summarize_article(
        ArticleInput(html=page), SummaryOptions(), engines, settings, key="k"
    )
    assert result.article.published is None
    assert any(w.startswith("The page shows no publication date") for w in result.checks.warnings)


# ---------------------------------------------------------------- people


def test_outlets_and_placeholders_are_not_authors(written: dict[str, ExtractedArticle]) -> None:
    assert written["tech-portal.html"].authors == []  # 作者：新浪科技
    assert written["tech-portal.html"].outlet == "新浪科技"
    assert written["wire-digest.html"].authors == []  # 作者：参考消息 网络整理
    assert written["gov-notice.html"].authors == []  # 作者：整合
    assert written["gov-notice.html"].outlet is None  # 来源：网络整理
    assert written["blog-post.html"].authors == []  # the blog's own name


def test_no_outlet_named_on_the_shared_pages_passes_for_a_person() -> None:
    # Every outlet a real page of ../shared/data names in a 来源 credit line.
    outlets = set()
    for path in sorted(HTML_DIR.glob("*.html")):
        page = _parse(decode_bytes(path.read_bytes()))
        for line in page_lines(page):
            if "来源" in line and is_byline_line(line):
                outlet = parse_byline(line).outlet
                if outlet:
                    outlets.add(outlet)
    assert len(outlets) >= 10
    assert sorted(o for o in outlets if clean_name(o)) == []


def test_latin_names_stay_whole(written: dict[str, ExtractedArticle]) -> None:
    assert written["blog-post.html"].editors == ["Ada Lovelace"]
    assert written["wire-digest.html"].editors == ["John Smith", "王五"]


# ---------------------------------------------------------------- image credits


def test_image_credits_go_to_photo_credits(
    written: dict[str, ExtractedArticle], shared: dict[str, ExtractedArticle]
) -> None:
    gov = written["gov-notice.html"]  # （图片来源：视觉中国 记者 张三 摄）
    assert gov.photo_credits == ["视觉中国", "张三"]
    assert "张三" not in gov.authors and gov.outlet != "视觉中国"
    assert written["tech-portal.html"].photo_credits == ["李四"]  # 图/李四
    page163 = shared["gne__163__4.html"]  # 图片来源：摄图网 above the real source line
    assert page163.outlet == "每日经济新闻"
    assert page163.photo_credits == ["摄图网"]
    assert shared["gne__shanxi__1.html"].photo_credits == ["刘通"]  # （刘通摄）
    zyyfy = shared["gne__zyyfy__1.html"]  # 摄影/张艳 编辑/苏芳
    assert zyyfy.photo_credits == ["张艳"] and "张艳" not in zyyfy.authors


def test_photo_credits_reach_the_result(settings: Settings) -> None:
    page = (PAGES / "gov-notice.html").read_text("utf-8")
    engines = load_engines(settings, "offline")
    result = summarize_article(
        ArticleInput(html=page), SummaryOptions(), engines, settings, key="k"
    )
    assert result.article.photo_credits == ["视觉中国", "张三"]
    assert [a.name for a in result.article.authors] == []


# ---------------------------------------------------------------- titles


def test_site_suffixes_leave_the_title(
    written: dict[str, ExtractedArticle], shared: dict[str, ExtractedArticle]
) -> None:
    assert (
        written["tech-portal.html"].title == "国产芯片厂商发布新一代低功耗控制器"
    )  # -EDN 电子技术设计
    assert (
        written["gov-notice.html"].title == "市图书馆推出夜间自习专区"
    )  # a space, then the office
    assert shared["gne__zyyfy__1.html"].title == (
        "【不忘初心 牢记使命】我院医技药剂党支部举办2019年中药、药学理论知识与专业技能大赛"
    )
    assert shared["gne__zsnews__1.html"].title == (
        "顺德区大良街道党工委委员潘卓辉一行到众创金融街开展调研工作"
    )


def test_a_site_or_blog_name_is_not_the_title(
    written: dict[str, ExtractedArticle], shared: dict[str, ExtractedArticle]
) -> None:
    assert written["blog-post.html"].title == "城市书房夜间开放首周迎来千名读者"
    # <title> "新闻动态--中国地理学会官网": the headline is the line above the byline.
    assert shared["gne__gsc__1.html"].title == "2019年中国人文地理学术年会在重庆•西南大学成功举行！"


# ---------------------------------------------------------------- scraped text


_BODY = (
    "市图书馆从下月起每天开放到晚上九点，周末也不闭馆，方便上班族和学生借阅图书。\n"
    "图书馆负责人说，延长开放时间是读者呼声最高的建议之一，馆里为此增加了值班人员。\n"
    "馆方还将在一楼设置自助还书机，读者在闭馆后也可以归还图书，无需排队等候。\n"
)


def test_scraped_text_takes_no_date_from_a_related_list() -> None:
    dump = (
        "首页 | 新闻 | 关于\n市图书馆延长开放时间\n来源：城市日报 作者：赵敏\n"
        + _BODY
        + "相关新闻\n旧书市集在滨江公园重新开张\n2019-11-03\n版权所有 城市日报\n"
    )
    article = extract_main_text(dump)
    assert article.authors == ["赵敏"]
    assert article.published is None


def test_scraped_text_reads_a_date_closing_the_body() -> None:
    dump = (
        "首页 > 本地新闻 > 正文\n市图书馆延长开放时间\n"
        + _BODY
        + "发布时间：2024-03-01 责任编辑：张丽\n相关新闻\n社区读书会招募新成员 2024-03-09\n"
    )
    article = extract_main_text(dump)
    assert article.published == "2024-03-01"
    assert article.editors == ["张丽"]
