"""Paragraphs and sentences: closing quotes stay, nothing but boundary whitespace is lost."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.paths import seed_body
from workers.article.segment import article_sentences, split_paragraphs, split_sentences


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("他说:“好。”我们走。", ["他说:“好。”", "我们走。"]),
        ("“真的吗？”他问。", ["“真的吗？”", "他问。"]),
        ("他說：「好！」然後走了。", ["他說：「好！」", "然後走了。"]),
        ("她答道：『是的。』", ["她答道：『是的。』"]),
        ("会议结束（全文完。）下一句！", ["会议结束（全文完。）", "下一句！"]),
        (
            "老百姓期盼的,马上干;老百姓厌烦的,立马改。",
            ["老百姓期盼的,马上干;", "老百姓厌烦的,立马改。"],
        ),
        (
            "回首来时路,初心是什么?走上新征程,使命是什么?",
            ["回首来时路,初心是什么?", "走上新征程,使命是什么?"],
        ),
        ("真的吗？！不会吧。", ["真的吗？！", "不会吧。"]),
        ("增长31.8%,总量34.08亿美元。", ["增长31.8%,总量34.08亿美元。"]),
        # An ellipsis closing a list inside a sentence does not end it …
        (
            "做好规定动作、彰显地方特色……在省委的指导下取得成效。",
            ["做好规定动作、彰显地方特色……在省委的指导下取得成效。"],
        ),
        # … one before a closing quote or at the end does.
        ("他说:“等等……”我们走了……", ["他说:“等等……”", "我们走了……"]),
        # Straight quotes: closing when one was opened, else they open the next.
        ('他说:"好。"我们走。', ['他说:"好。"', "我们走。"]),
        ('他说完了。"我们走吧。"她说。', ["他说完了。", '"我们走吧。"', "她说。"]),
        ("第一行\n第二行。", ["第一行", "第二行。"]),
        ("  \u3000前后的空白去掉。  ", ["前后的空白去掉。"]),
        ("", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_long_sentence_is_cut_at_commas_under_the_limit() -> None:
    text = "甲" * 150 + "，" + "乙" * 150 + "，" + "丙" * 150 + "。"
    sentences = split_sentences(text, max_chars=300)
    assert len(sentences) == 3
    assert all(len(s) <= 300 for s in sentences)
    assert sentences[0] == "甲" * 150 + "，"
    assert "".join(sentences) == text


def test_long_sentence_prefers_comma_then_enumeration_comma() -> None:
    text = "、".join(["项目"] * 200) + "。"
    sentences = split_sentences(text, max_chars=100)
    assert all(len(s) <= 100 for s in sentences)
    assert all(s.endswith(("、", "。")) for s in sentences)
    assert "".join(sentences) == text


def test_text_without_any_break_is_cut_hard() -> None:
    sentences = split_sentences("字" * 1000, max_chars=300)
    assert [len(s) for s in sentences] == [300, 300, 300, 100]


def test_max_chars_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_chars"):
        split_sentences("句子。", max_chars=0)


_pieces = st.sampled_from(
    [
        "嘉兴",
        "主题教育",
        "。",
        "！",
        "？",
        "?",
        "!",
        ";",
        "；",
        "，",
        ",",
        "、",
        "“",
        "”",
        "「",
        "」",
        "（",
        "）",
        "……",
        "...",
        " ",
        "\u3000",
        "\n",
        "31.8%",
        "PM2.5",
        "abc",
        "《红船》",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces, max_size=80), st.integers(min_value=1, max_value=40))
def test_no_character_is_lost(pieces: list[str], max_chars: int) -> None:
    text = "".join(pieces)
    sentences = split_sentences(text, max_chars=max_chars)
    assert squeeze("".join(sentences)) == squeeze(text)
    for sentence in sentences:
        assert sentence and sentence == sentence.strip()
        assert len(sentence) <= max_chars


def test_split_paragraphs() -> None:
    text = "  第一段。\n\n\u3000\u3000第二段，\n第三段。\n   \n"
    assert split_paragraphs(text) == ["第一段。", "第二段，", "第三段。"]
    assert split_paragraphs("") == []


def test_seed_article_sentences() -> None:
    body = seed_body()
    sentences = article_sentences(body)
    assert 55 <= len(sentences) <= 80
    # Headlines and section titles are sentences of their own, in order.
    assert sentences[0] == "思想再洗礼 使命再升华"
    assert sentences[1] == "嘉兴开展“不忘初心、牢记使命”主题教育综述"
    assert "紧扣主线强化精神“补钙”" in sentences
    # The quote closes its own sentence, the next sentence starts clean.
    quote = "“盼了这么多年,公交车终于通到了家门口,村里老百姓都非常开心。”"
    assert quote in sentences
    assert sentences[sentences.index(quote) + 1].startswith("2019年11月1日上午")
    assert not any(s[0] in "”’」』）)" for s in sentences)
    assert sentences[-1].endswith("以优异成绩迎接建党百年!")
    assert squeeze("".join(sentences)) == squeeze(body)
    assert all(len(s) <= 300 for s in sentences)
