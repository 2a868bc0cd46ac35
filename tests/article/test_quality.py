"""The "is this article text" score: sentences, prose, interface words, links, length, agreement."""

from __future__ import annotations

from workers.article.interface_words import interface_chars, is_interface_line
from workers.article.quality import (
    MIN_PROSE_WORDS,
    PASS_SCORE,
    refusal_reason,
    score_text,
    sentences_of,
    word_count,
)

# News prose written for these tests (two styles: a city report and a company flash).
CITY = (
    "记者从市交通运输局获悉，今年我市将新开通八条公交线路，覆盖城郊十二个新建小区。\n\n"
    "新线路将在五月底前陆续开通，首末班时间与地铁运营时间衔接，方便居民换乘。\n\n"
    "交通部门表示，还将根据客流情况调整发车间隔，高峰时段最短五分钟一班。"
)
FLASH = (
    "据公司公告，该集团上半年营业收入同比增长百分之十二，净利润较去年同期有所下降。"
    "公司称，原材料价格上涨是利润下滑的主要原因，下半年将通过提高自动化水平控制成本。"
)
# Interface strips as two kinds of site show them.
WECHAT_STRIP = "已发送\n取消\n发送到看一看\n发送\n发送中\n写下你的想法\n微信扫一扫\n关注该公众号"
PORTAL_NAV = "首页 | 简 | 繁 | EN\n首页 政务公开 政务服务 互动交流\n网站地图 | 联系我们 | 关于我们"


def test_sentences_need_final_punctuation_and_some_words() -> None:
    assert sentences_of("他说：好。今天天气很好，大家都出门了。") == [
        "今天天气很好，大家都出门了。"
    ]
    assert sentences_of("首页 | 新闻 | 财经") == []
    assert sentences_of("The city opened eight new bus lines this spring. More follow.") == [
        "The city opened eight new bus lines this spring."
    ]
    assert word_count("新闻 News today") == 4


def test_articles_of_two_styles_pass() -> None:
    for text in (CITY, FLASH):
        score = score_text(text, link_texts=frozenset(), others=[text])
        assert score.passed, score
        assert score.score >= 0.8
        assert score.interface_share == 0.0
        assert score.agreement == 1.0


def test_share_strip_and_portal_menu_fail_with_no_sentences() -> None:
    for strip in (WECHAT_STRIP, PORTAL_NAV):
        score = score_text(strip, link_texts=frozenset())
        assert not score.passed
        assert score.sentences == 0
        assert score.score < PASS_SCORE
        assert score.interface_share >= 0.5
        assert refusal_reason(score).startswith("the page's text is navigation and share buttons (")
        assert "no sentences)" in refusal_reason(score)


def test_interface_words_count_only_standing_alone() -> None:
    assert interface_chars("新闻 | 科技 | 财经") == 6
    assert interface_chars("科技创新是发展的第一动力。") == 0
    assert is_interface_line("分享到：微博 微信 QQ空间")
    assert is_interface_line("转播到腾讯微博")
    assert not is_interface_line("分享到朋友圈的照片引来不少点赞")


def test_link_density_counts_lines_that_are_link_texts() -> None:
    links = frozenset({"八条公交线路今起开通", "地铁三号线延长运营"})
    listing = "八条公交线路今起开通\n地铁三号线延长运营\n" + FLASH
    score = score_text(listing, link_texts=links)
    assert 0.15 < (score.link_density or 0) < 0.5
    assert score.score < score_text(FLASH, link_texts=links).score
    assert score_text(FLASH, link_texts=None).link_density is None


def test_short_and_lone_bodies_score_lower() -> None:
    one = "今天上午，市政府召开新闻发布会，介绍了今年城市更新工作的总体安排。"
    lone = score_text(one, others=["完全不同的一段文字，和这句话没有关系。"])
    agreed = score_text(one, others=[one])
    assert lone.score < agreed.score
    assert score_text(one).score < score_text(CITY).score  # shorter than _FULL_UNITS
    # One notice sentence is not an article, however clean.
    assert lone.prose_words < MIN_PROSE_WORDS
    assert not agreed.passed
    assert "too little prose" in refusal_reason(agreed)


def test_english_prose_scores_as_text() -> None:
    # Language is the language check's business (not_chinese), not the gate's.
    text = (
        "The city opened eight new bus lines this spring, covering twelve new estates. "
        "Buses run every five minutes at peak hours, the transport bureau said on Monday. "
        "Residents of the new estates had asked for direct lines to the metro for years, "
        "and the bureau will review the timetables after the first month."
    )
    assert score_text(text).passed


def test_empty_text_scores_zero() -> None:
    score = score_text("")
    assert (score.score, score.chars, score.sentences) == (0.0, 0, 0)
    assert refusal_reason(score) == "the page has no text an extractor could find"
