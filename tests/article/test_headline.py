"""Titles: the <title> without its site suffix, never the site's or the blog's name."""

from __future__ import annotations

from typing import Any

import pytest

from workers.article.headline import cuts_title_tag, pick_title, strip_site_suffix


def _meta(**given: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "title_tag": None,
        "h1": None,
        "og_title": None,
        "site_names": [],
        "lines": [],
        "header_headline": None,
    }
    meta.update(given)
    return meta


@pytest.mark.parametrize(
    ("tag", "headline"),
    [
        (
            "宇航员在太空中喝酒会怎么样？后果很严重 _探索者 _光明网",
            "宇航员在太空中喝酒会怎么样？后果很严重",
        ),
        (
            "国产芯片厂商发布新一代低功耗控制器 -EDN 电子技术设计",
            "国产芯片厂商发布新一代低功耗控制器",
        ),
        ("港特首梁振英就住宅违建事件道歉 - BBC中文网 - 两岸三地", "港特首梁振英就住宅违建事件道歉"),
        ("明日股市预测--最新出炉联合国贸发报告", "最新出炉联合国贸发报告"),
        ("中铁总辟谣称消息不实|辟谣_新浪财经_新浪网", "中铁总辟谣称消息不实"),
    ],
)
def test_strip_site_suffix(tag: str, headline: str) -> None:
    assert strip_site_suffix(tag) == headline


def test_og_title_shows_where_the_suffix_starts() -> None:
    meta = _meta(
        title_tag="新一代控制器发布 - 待机电流降至0.8微安 -EDN 电子技术设计",
        og_title="新一代控制器发布 - 待机电流降至0.8微安",
    )
    assert pick_title(meta, {}, []) == "新一代控制器发布 - 待机电流降至0.8微安"


def test_truncated_og_title_is_not_a_cut() -> None:
    tag = '多地项目连环爆雷 狂奔的龙湖集团"暗伤"曝露？_网易财经'
    assert not cuts_title_tag("多地项目连环爆雷 狂奔的龙湖集团", tag, set())
    meta = _meta(title_tag=tag, og_title="多地项目连环爆雷 狂奔的龙湖集团")
    assert pick_title(meta, {}, []) == '多地项目连环爆雷 狂奔的龙湖集团"暗伤"曝露？'


def test_suffix_set_off_by_a_space_needs_the_page_to_name_it() -> None:
    tag = "市图书馆推出夜间自习专区 滨江市文化广电旅游局"
    footer = ["版权所有 滨江市文化广电旅游局 地址：滨江市人民路1号"]
    assert cuts_title_tag("市图书馆推出夜间自习专区", tag, set(), footer)
    # Unnamed elsewhere, or not an organisation's name: part of the headline.
    assert not cuts_title_tag("市图书馆推出夜间自习专区", tag, set(), [])
    assert not cuts_title_tag("华为Mate20X 5G版", "华为Mate20X 5G版半天不到需充电", set(), footer)


@pytest.mark.parametrize(
    "meta",
    [
        # A blog: <h1> is the blog's name, which also ends the <title>.
        _meta(title_tag="城市书房夜间开放首周迎来千名读者 - 青柚读书笔记", h1="青柚读书笔记"),
        # The same, told by og:site_name.
        _meta(
            title_tag="青柚读书笔记 | 城市书房夜间开放首周迎来千名读者",
            h1="青柚读书笔记",
            site_names=["青柚读书笔记"],
        ),
    ],
)
def test_the_blog_name_is_not_the_title(meta: dict[str, Any]) -> None:
    assert pick_title(meta, {}, []) == "城市书房夜间开放首周迎来千名读者"


def test_title_naming_only_the_site_gives_way_to_the_header_headline() -> None:
    meta = _meta(
        title_tag="新闻动态--中国地理学会官网",
        header_headline="2019年中国人文地理学术年会在重庆成功举行！",
    )
    assert pick_title(meta, {}, []) == "2019年中国人文地理学术年会在重庆成功举行！"


def test_logo_h1_is_ignored() -> None:
    meta = _meta(
        title_tag="陈同佳刑满出狱 向潘晓颖家人鞠躬致歉|香港_新浪新闻",
        h1="新闻中心",
        og_title="陈同佳刑满出狱 向潘晓颖家人鞠躬致歉",
    )
    assert pick_title(meta, {}, []) == "陈同佳刑满出狱 向潘晓颖家人鞠躬致歉"


def test_a_column_name_line_does_not_cut_the_title() -> None:
    meta = _meta(
        title_tag="财经观察|数据业大整顿：用户信息几元不等_财经_腾讯网",
        lines=["财经观察", "数据业大整顿：用户信息几元不等", "正文第一段。"],
    )
    assert pick_title(meta, {}, []) == "数据业大整顿：用户信息几元不等"


def test_a_page_line_cuts_a_suffix_set_off_by_a_space() -> None:
    meta = _meta(
        title_tag="市图书馆推出夜间自习专区 滨江市文化广电旅游局",
        lines=["市图书馆推出夜间自习专区", "正文。", "版权所有 滨江市文化广电旅游局"],
    )
    assert pick_title(meta, {}, []) == "市图书馆推出夜间自习专区"
