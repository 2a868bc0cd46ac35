"""Publication dates: meta tags and the header first, never a related list, no guesses."""

from __future__ import annotations

from workers.article.dateline import footer_date, header_date, is_dateline, pick_published


def test_meta_date_comes_first() -> None:
    assert pick_published("2020-01-02", ["2020-03-04 来源：某报"], [], "2021-01-01", set()) == (
        "2020-01-02",
        [],
    )


def test_header_line_dates_the_article() -> None:
    header = ["市图书馆推出夜间自习专区", "发布时间：2020-05-06 来源：网络整理 浏览次数：102"]
    assert header_date(header) == "2020-05-06"
    assert pick_published(None, header, [], None, set()) == ("2020-05-06", [])


def test_header_skips_sentences_and_the_top_bar_date() -> None:
    assert (
        header_date(["今天是2019年9月7日 星期六", "2019年2月27日下午，调研组一行走访了企业。"])
        is None
    )
    assert not is_dateline("2019年2月27日下午，佛山顺德区调研组一行走访了中山零壹金服。")


def test_footer_credit_line_after_share_buttons() -> None:
    footer = [
        "赞 0 赏 分享",
        "查看评论",
        "阅读 539",
        "发布日期：2019-09-23 14:34:05 所属分类： 头条",
    ]
    assert footer_date(footer) == "2019-09-23"
    assert footer_date(["1/10", "1", "2019-09-08 11:42:03", "举报"]) == "2019-09-08"


def test_footer_stops_at_a_related_list() -> None:
    assert footer_date(["相关新闻", "2023-04-02", "航运业碳排放交易试点扩大 2023-04-11"]) is None
    # Another article's headline before a date: the date is that article's.
    assert footer_date(["全市公共图书馆全面恢复开放", "2020-06-01"]) is None
    assert footer_date(["上一篇：文化馆暑期公益培训开始报名 2020-06-09"]) is None


def test_a_guess_the_page_does_not_show_is_dropped_with_a_warning() -> None:
    published, warnings = pick_published(None, ["城市书房夜间开放首周"], [], "2019-10-20", set())
    assert published is None
    assert (
        len(warnings) == 1 and "2019-10-20" in warnings[0] and "no publication date" in warnings[0]
    )


def test_a_guess_the_page_states_in_machine_form_is_kept() -> None:
    # A WeChat post fills its date by script (var ct = "1581418070"); JSON-LD, the URL.
    assert pick_published(None, [], [], "2020-02-11", {"2020-02-11"}) == ("2020-02-11", [])


def test_no_date_at_all_is_said() -> None:
    published, warnings = pick_published(None, [], [], None, set())
    assert published is None and warnings == [
        "The page shows no publication date, so none is given."
    ]
