"""Key terms of the seed article and of small texts: pinyin, glosses, names."""

from __future__ import annotations

import pytest

from tests.paths import seed_body
from workers.contract import KeyTerm
from workers.english.terms import gloss, is_person_name, is_place_name, key_terms


@pytest.fixture(scope="module")
def seed_terms() -> list[KeyTerm]:
    return key_terms(seed_body(), k=15)


def by_zh(terms: list[KeyTerm]) -> dict[str, KeyTerm]:
    return {t.zh: t for t in terms}


def test_seed_terms_include_jiaxing_as_a_place(seed_terms: list[KeyTerm]) -> None:
    jiaxing = by_zh(seed_terms)["嘉兴"]
    assert jiaxing.en == "Jiaxing"
    assert jiaxing.pinyin == "Jiāxīng"
    assert jiaxing.kind == "place"


def test_seed_terms_join_the_campaign_name(seed_terms: list[KeyTerm]) -> None:
    terms = by_zh(seed_terms)
    assert seed_terms[0].zh == "主题教育"
    campaign = terms["主题教育"]
    assert campaign.pinyin == "zhǔtí jiàoyù"
    # CC-CEDICT has no sense of the whole word, and two nouns' senses are not glued
    # (issue 14): pinyin alone rather than an English that may be wrong.
    assert campaign.en is None
    # Its parts are no separate terms: they almost never stand alone.
    assert "主题" not in terms


def test_seed_terms_are_specific(seed_terms: list[KeyTerm]) -> None:
    zh = [t.zh for t in seed_terms]
    assert len(zh) == 15 == len(set(zh))
    # Stop words, and words jieba's IDF table finds in many documents (发展 3.6,
    # 建设 4.9, 管理 4.7: below GENERIC_MAX_IDF).
    assert not {"进行", "全市", "工作", "我们", "开展", "发展", "建设", "管理", "社会"} & set(zh)
    assert {"初心", "红船", "南湖"} <= set(zh)
    # 特色, 精神 and 时代 (IDF 5.5-6.6: rarer in jieba's corpus than in Party
    # reports) now rank above 长三角, which stays in the top 20.
    delta = by_zh(key_terms(seed_body(), k=20))["长三角"]
    assert delta.en == "Yangtze River Delta" and delta.kind == "place"
    for term in seed_terms:
        assert term.pinyin and not any("\u4e00" <= ch <= "\u9fff" for ch in term.pinyin)
        assert term.en is None or 0 < len(term.en) <= 40
        if term.kind != "term":
            assert term.en, f"{term.zh} has no English"
    english = {t.zh: t.en for t in seed_terms}
    assert english["初心"] == "original intention"
    assert english["社会主义思想"] == "socialist thought"
    assert english["习近平"] == "Xi Jinping"


def test_people_get_romanized_names() -> None:
    text = "记者裘建锋报道。裘建锋说，嘉兴的经济增长很快。市委书记张兵到秀洲区调研。"
    terms = by_zh(key_terms(text, k=8))
    assert terms["裘建锋"].kind == "person"
    assert terms["裘建锋"].en == "Qiu Jianfeng"
    assert terms["裘建锋"].pinyin == "Qiú Jiànfēng"
    assert terms["张兵"].en == "Zhang Bing"
    assert terms["秀洲区"].kind == "place"
    assert terms["秀洲区"].en == "Xiuzhou District"


def test_glossary_overrides_the_gloss() -> None:
    body = seed_body()
    terms = by_zh(key_terms(body, k=5, glossary={"主题教育": "theme education campaign"}))
    assert terms["主题教育"].en == "theme education campaign"
    assert terms["嘉兴"].en == "Jiaxing"


def test_gloss_from_cc_cedict() -> None:
    assert gloss("使命") == "mission"
    assert gloss("党员") == "party member"
    assert gloss("初心") == "original intention"
    assert gloss("主题教育") is None  # not in CC-CEDICT; two nouns are not glued
    assert gloss("曾") == "once"  # the word, not "surname Zeng"
    assert gloss("") is None
    assert gloss("嘉崇桐") is None


@pytest.mark.parametrize(
    ("word", "flag", "expected"),
    [
        ("张兵", "nr", True),
        ("裘建锋", "nr", True),
        ("习近平", "nrfg", True),
        ("欧阳修文", "nr", True),
        ("连", "nr", False),
        ("弘扬", "nr", False),
        ("文明", "nr", False),
        ("马拉松赛", "nr", False),
        ("嘉兴", "nr", False),
        ("张兵", "n", False),
    ],
)
def test_is_person_name(word: str, flag: str, expected: bool) -> None:
    assert is_person_name(word, flag) is expected


@pytest.mark.parametrize(
    ("word", "flag", "expected"),
    [
        ("嘉兴", "nr", True),
        ("秀洲区", "ns", True),
        ("长三角", "ns", True),
        ("城市", "ns", False),
        ("美丽", "ns", False),
    ],
)
def test_is_place_name(word: str, flag: str, expected: bool) -> None:
    assert is_place_name(word, flag) is expected


def test_nothing_to_find() -> None:
    assert key_terms("", k=5) == []
    assert key_terms("嘉兴", k=0) == []
    assert key_terms("的了吗。", k=5) == []


def test_a_name_before_a_place_suffix_is_a_place() -> None:
    text = "平湖市曹桥街道马厩村回应村民需求。曹桥街道的村民很满意。"
    terms = by_zh(key_terms(text, k=10))
    assert "曹桥" not in terms or terms["曹桥"].kind == "place"
    assert not any(t.kind == "person" for t in terms.values())
