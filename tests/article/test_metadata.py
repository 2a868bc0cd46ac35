"""Dates and bylines on small strings."""

from __future__ import annotations

import pytest

from workers.article.metadata import (
    clean_name,
    is_byline_line,
    merge_people,
    name_parts,
    normalize_date,
    parse_byline,
    parse_inline_credits,
)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2020/01/09", "2020-01-09"),
        ("2020年1月9日", "2020-01-09"),
        ("2020-01-09 12:00", "2020-01-09"),
        ("发布时间：2019.9.7 13:43:45", "2019-09-07"),
        ("2023-11-17T00:00:00", "2023-11-17"),
        ("20200109", "2020-01-09"),
        ("2019年09月09日 18:13:22", "2019-09-09"),
    ],
)
def test_normalize_date(text: str, iso: str) -> None:
    assert normalize_date(text) == iso


@pytest.mark.parametrize("text", ["09月07日", "2020-13-40", "第2020期", ""])
def test_normalize_date_none(text: str) -> None:
    assert normalize_date(text) is None


def test_byline_date_outlet_author() -> None:
    byline = parse_byline("2020/01/09 来源:嘉兴日报 作者:裘建锋")
    assert (byline.published, byline.outlet, byline.authors, byline.editors) == (
        "2020-01-09",
        "嘉兴日报",
        ["裘建锋"],
        [],
    )


@pytest.mark.parametrize(
    ("line", "authors", "editors"),
    [
        ("标签:编辑:倪力", [], ["倪力"]),
        ("（编辑：严玉洁 王辉）", [], ["严玉洁", "王辉"]),
        ("【责任编辑:张樵苏 】", [], ["张樵苏"]),
        ("责任编辑：杨倩_NBJ11279", [], ["杨倩"]),
        ("作者︱春春", ["春春"], []),
        ("【文/观察者网专栏作者 王文】", ["王文"], []),
        ("本报记者 张三 李四", ["张三", "李四"], []),
        ("作者：责任编辑：肖春芳", [], ["肖春芳"]),
        ("记者 王小明 通讯员 李华", ["王小明", "李华"], []),
        ("编辑 刘晓阳 校对 李铭", [], ["刘晓阳"]),
        ("执笔/叨叨姐、胡一刀&李小飞刀", ["叨叨姐", "胡一刀", "李小飞刀"], []),
        ("采写：南都记者 余毅菁 向雪妮", ["余毅菁", "向雪妮"], []),
        ("中文 English", [], []),
    ],
)
def test_byline_people(line: str, authors: list[str], editors: list[str]) -> None:
    byline = parse_byline(line)
    assert byline.authors == authors
    assert byline.editors == editors


def test_reporter_inside_a_sentence_is_found_but_line_is_not_a_byline() -> None:
    line = "新京报快讯（记者 裴剑飞）今日（12月28日）有网友爆料，有60万个账号在暗网出售。"
    assert parse_byline(line).authors == ["裴剑飞"]
    assert parse_byline("新京报快讯（记者裴剑飞）今日有网友爆料").authors == ["裴剑飞"]
    assert not is_byline_line(line)


def test_no_name_after_reporter_word() -> None:
    assert parse_byline("新华社北京11月17日电 记者17日从国家卫生健康委获悉").authors == []


def test_inline_credits_only_in_brackets() -> None:
    assert parse_inline_credits("本站讯（职工通讯员 李琴雯 刘会）为深入推进").authors == [
        "李琴雯",
        "刘会",
    ]
    assert parse_inline_credits("该报记者 张三说，今天天气很好。").authors == []


@pytest.mark.parametrize(
    "raw", ["未知", "网易", "新华网", "记者", "a", "这是一个很长的不是名字的短语"]
)
def test_clean_name_rejects_non_names(raw: str) -> None:
    assert clean_name(raw) is None


def test_is_byline_line() -> None:
    assert is_byline_line("2020/01/09 来源:嘉兴日报 作者:裘建锋")
    assert is_byline_line("来源：新华网")
    assert not is_byline_line("回首来时路,初心是什么?走上新征程,使命是什么?")


def test_merge_people_drops_contained_names() -> None:
    assert merge_people(["崔宁宁"], ["青网校园崔宁宁", "王辉"], ["王辉"]) == [
        "青网校园崔宁宁",
        "王辉",
    ]


# ---------------------------------------------------------------- people, not outlets


@pytest.mark.parametrize(
    "raw",
    [
        # Outlets and channels in author fields (issue 13: 参考消息, 新浪科技).
        "参考消息",
        "新浪科技",
        "网易财经",
        "商讯",
        "澎湃新闻·澎湃号·政务",
        "AFP",
        "CGTN",
        "China Daily",
        # Placeholders: compiled, from the web, the desk, this paper, anonymous.
        "整合",
        "网络整理",
        "编辑部",
        "本报",
        "综合",
        "本报综合",
        "佚名",
        "小编",
    ],
)
def test_clean_name_rejects_outlets_and_placeholders(raw: str) -> None:
    assert clean_name(raw) is None


@pytest.mark.parametrize("raw", ["裘建锋", "买买提·艾力", "John Smith", "Ada Lovelace", "春春"])
def test_clean_name_keeps_people(raw: str) -> None:
    assert clean_name(raw) == raw


@pytest.mark.parametrize(
    ("line", "authors", "editors"),
    [
        ("作者：参考消息 网络整理", [], []),
        ("来源：新浪科技 作者：新浪科技", [], []),
        ("作者：整合 编辑：编辑部", [], []),
        # A Latin name written with a space is one person; Chinese names so written are several.
        ("责任编辑：Ada Lovelace", [], ["Ada Lovelace"]),
        ("编辑：John Smith 王五", [], ["John Smith", "王五"]),
        ("作者：Mary Lee and John Smith", ["Mary Lee", "John Smith"], []),
        ("记者 张三 李四", ["张三", "李四"], []),
    ],
)
def test_byline_people_are_people(line: str, authors: list[str], editors: list[str]) -> None:
    byline = parse_byline(line)
    assert (byline.authors, byline.editors) == (authors, editors)


def test_name_parts_keep_latin_names_whole() -> None:
    assert name_parts("John Smith 张三 李四、Mary Lee") == [
        "John Smith",
        "张三",
        "李四",
        "Mary Lee",
    ]


# ---------------------------------------------------------------- image credits


@pytest.mark.parametrize(
    ("line", "photo", "authors", "outlet"),
    [
        ("图片来源：摄图网", ["摄图网"], [], None),
        ("（图片来源：视觉中国 记者 张三 摄）", ["视觉中国", "张三"], [], None),
        ("新华社记者 李贺 摄", ["李贺"], [], None),
        ("（刘通摄）", ["刘通"], [], None),
        ("文/王五 图/李四", ["李四"], ["王五"], None),
        ("摄影/张艳 编辑/苏芳", ["张艳"], [], None),
        ("视觉中国供图", ["视觉中国"], [], None),
        ("来源：视觉中国", ["视觉中国"], [], None),
        ("2019-09-07 来源：每日经济新闻 图/pixabay", ["pixabay"], [], "每日经济新闻"),
        ("图片来源：网络", [], [], None),
    ],
)
def test_image_credits_are_not_authors_or_outlet(
    line: str, photo: list[str], authors: list[str], outlet: str | None
) -> None:
    byline = parse_byline(line)
    assert byline.photo_credits == photo
    assert byline.authors == authors
    assert byline.outlet == outlet


def test_image_credit_lines_leave_the_body() -> None:
    assert is_byline_line("图片来源：摄图网")
    assert is_byline_line("（新华社记者 李贺 摄）")
    # Words that only contain the markers are not credits.
    assert parse_byline("地图：张三").photo_credits == []
    assert parse_byline("本片拍摄 张三").photo_credits == []


def test_inline_image_credit_in_a_sentence() -> None:
    found = parse_inline_credits("图为启动仪式现场。（新华社记者 李贺 摄）")
    assert found.photo_credits == ["李贺"]
    assert found.authors == []


def test_placeholder_outlets_name_no_outlet() -> None:
    assert parse_byline("来源：网络").outlet is None
    assert parse_byline("来源：本站原创").outlet is None
    assert parse_byline("来源：新京报").outlet == "新京报"
