"""Footer lines naming who runs the site, on two sites' scraped pages and real footers.

The rule (``workers.article.scraped_text.SITE_OPERATOR``) replaced one site's
"新闻信息中心": a role and the centre, office or company that fills it, or a
line that is only a news, information or media centre's name.
"""

from __future__ import annotations

import re

import pytest

from tests.paths import REPO, SEED_ARTICLE
from workers.article.scraped_text import SITE_OPERATOR, clean_scraped_text

COUNTY = REPO / "tests" / "fixtures" / "extraction" / "county-media-centre-scraped.txt"
OPERATOR = re.compile(SITE_OPERATOR)


@pytest.mark.parametrize(
    "line",
    [
        "嘉兴市南湖区新闻信息中心",  # the seed's site (南湖新闻网)
        "永康市融媒体中心",
        "主办：山西省人民政府办公厅",  # 山西省人民政府 (shared page gne__shanxi__1)
        "共青团中央主办　共青团中央网络影视中心承办",  # 中国青年网 (readability__youth)
        "技术支持：北京智联软件技术有限公司",  # 山西医科大学 (gne__sxmu__1)
        "主办单位：中共永康市委宣传部 承办单位：永康市融媒体中心",
    ],
)
def test_lines_naming_who_runs_the_site(line: str) -> None:
    assert OPERATOR.search(line)


@pytest.mark.parametrize(
    "line",
    [
        "主办单位：中国地理学会",  # an event's organizer names no centre or office
        "主办方：",
        "市政务服务中心",
        "会议在市民中心举行",
        "记者从庆祝新中国成立70周年活动新闻中心获悉，北京天安门地区举行了演练。",
        "本次会议由中国地理学会主办，西南大学地理科学学院承办",
    ],
)
def test_body_lines_are_no_operator_lines(line: str) -> None:
    assert not OPERATOR.search(line)


def test_seed_site_footer_is_removed() -> None:
    seed = clean_scraped_text(SEED_ARTICLE.read_text("utf-8"))
    assert "嘉兴市南湖区新闻信息中心" in seed.removed
    assert "新闻信息中心" not in seed.text


def test_county_site_footer_is_removed_and_the_organizer_line_stays() -> None:
    article = clean_scraped_text(COUNTY.read_text("utf-8"))
    assert article.title == "青溪县举办首届农民丰收节"
    assert article.text.endswith("带动更多农民增收致富。")
    # Long enough to read as a paragraph (30 Chinese characters, colons): only
    # the operator rule keeps it out of the body.
    footer = (
        "主办：中共青溪县委宣传部 承办：青溪县融媒体中心 "
        "地址：青溪县人民路1号，联系电话：0571-12345678"
    )
    assert footer in article.removed and "宣传部" not in article.text
    assert "技术支持：青溪云网信息技术有限公司" in article.removed
    assert "主办单位：青溪县农业农村局" in article.text
