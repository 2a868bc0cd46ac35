"""Captions, credits, datelines and hooks: the sentences a brief must not open with.

Each rule is tried on lines of several sites: the page named beside each line
in ../shared/data/html (quoted, not copied), or written here.
"""

from __future__ import annotations

import pytest

from models.engines.side_sentences import (
    is_caption,
    is_credit,
    is_dateline,
    is_question,
    is_quote,
    is_side_sentence,
)


@pytest.mark.parametrize(
    "line",
    [
        "视觉中国 资料",  # gne__thepaper__1
        "图为马素湘在澳大利亚悉尼游玩时的近影。",  # readability__youth__source
        "图为山西品牌丝路行（南美站）启动仪式。（刘通摄）",  # gne__shanxi__1
        "▲图片来自视频截图。",  # gne__163__5
        "姚明场边支招周琦。视频截图",  # gne__163__2
        "市民在江滨公园散步。（记者 林晓 摄）",  # written here
    ],
)
def test_captions(line: str) -> None:
    assert is_caption(line) and is_side_sentence(line)


@pytest.mark.parametrize(
    "line",
    [
        "（原标题：多地项目连环爆雷 狂奔的龙湖集团“暗伤”曝露？）",  # gne__163__1
        "原创： 路闻卓立编译 人民币交易与研究",  # gne__sina__3
        "（原题为《新年伊始，习近平的重要文章谈了啥？》）",  # gne__thepaper__3
        "本文原标题：《定了！广州南沙邮轮母港即将开通！》",  # gne__thepaper__4
        "摄影：产品经理",  # gne__wechat__2
        "来源：滨江日报",  # written here
    ],
)
def test_credits(line: str) -> None:
    assert is_credit(line) and is_side_sentence(line)


@pytest.mark.parametrize(
    "line",
    ["新华社北京2月29日电", "本报讯（记者 王某）", "中新网3月2日电"],
)
def test_bare_datelines(line: str) -> None:
    assert is_dateline(line) and is_side_sentence(line)


@pytest.mark.parametrize(
    "line",
    [
        # A dateline that opens the news sentence is the lead, not a side line (news.cn).
        "新华社北京11月17日电 记者17日从国家卫生健康委获悉，近阶段，相关部门持续依托会商联动机制。",
        "记者17日从国家卫生健康委获悉，近阶段，相关部门持续依托短缺药品供应保障工作会商联动机制。",
        "来源于群众的智慧，最终又回到群众中去。",
        "当地时间9月16日下午，2019年山西品牌丝路行（南美站）活动在巴西圣保罗正式启动。",
        # A long sentence mentioning a screenshot is news, not a caption.
        "网友发布的一段视频截图显示，事发路段车辆排起长队，交警已经到场疏导交通，目前道路已经恢复通行，"
        "相关部门正在调查事故原因。",
    ],
)
def test_news_sentences_are_not_side_sentences(line: str) -> None:
    assert not is_side_sentence(line)


def test_questions_and_whole_quotes_are_hooks() -> None:
    # gmw: a rhetorical question; guancha and thepaper open with a quote.
    assert is_question("那么，为什么不能让宇航员来一杯“地球末日”鸡尾酒来放松一下？")
    assert is_quote("“中美贸易战正在变成一场持久战，但我们已有准备。”")
    assert is_quote("“以前花一两元就能充满电，前几天一下子被扣了12元。”")
    assert not is_question("他问记者为什么要来。")
    # Attribution after the quote, or two quotes with words between: statements.
    assert not is_quote("“我们已有准备。”杨敬辉当面告诉笔者。")
    assert not is_quote("“我们已有准备。”他说，“也有更多办法。”")
