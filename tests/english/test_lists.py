"""Lists from statistics and stated sources, tried on six articles (issue 13 part 6).

The seed article and the five gold texts of ../shared/data/html (BBC 中文网,
中国日报网, 新华网, 光明网, 中国青年网) are read in place. Generic words come from
jieba's IDF table, numerals that count nothing from CC-CEDICT, surnames from
百家姓, places from jieba's dictionary and CC-CEDICT; none of it from one article.
"""

from __future__ import annotations

import json
from functools import cache

import pytest

from tests.paths import HTML_DIR, seed_body
from workers.english.name_checks import check_names
from workers.english.number_checks import check_numbers, not_number_words
from workers.english.romanize import KNOWN_PLACES, romanize_place
from workers.english.surnames import (
    COMMON_SURNAMES,
    COMPOUND_SURNAME_SET,
    MODERN_SURNAMES,
    SINGLE_SURNAMES,
)
from workers.english.term_english import place_english
from workers.english.terms import (
    GENERIC_MAX_IDF,
    _idf,
    dictionary_place,
    is_person_name,
    is_place_name,
    key_terms,
)

BBC = "newspaper4k__chinese_article.html"
CHINA_DAILY = "newspaper4k__chinese_article_001.html"
XINHUA = "newspaper4k__chinese_article_002.html"
GMW = "readability__gmw__source.html"
YOUTH = "readability__youth__source.html"


@cache
def article(name: str) -> str:
    if name == "seed":
        return seed_body()
    for line in (HTML_DIR / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["file"] == name:
            return str(row["gold_main_text"])
    raise KeyError(name)


def quoted(name: str, sentence: str) -> str:
    """A sentence of an article, checked to be in it."""
    assert sentence in article(name), sentence
    return sentence


# ---------------------------------------------------------------- key terms


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("seed", {"主题教育": "term", "初心": "term", "红船": "term", "嘉兴": "place"}),
        (BBC, {"梁振英": "person", "何俊仁": "person", "香港": "place"}),
        (CHINA_DAILY, {"严玉洁": "person", "旧金山": "place", "中美关系": "term"}),
        (XINHUA, {"药品": "term", "国家药监局": "organization", "临床": "term"}),
        (GMW, {"国际空间站": "term", "宇航员": "term", "酒精": "term"}),
        (YOUTH, {"知识产权": "term", "卢宇": "person", "马素湘": "person"}),
    ],
)
def test_key_terms_are_specific_on_six_articles(name: str, expected: dict[str, str]) -> None:
    terms = {t.zh: t for t in key_terms(article(name), k=15)}
    assert {zh: terms[zh].kind for zh in expected if zh in terms} == expected
    idf, _median = _idf()
    for term in terms.values():
        if term.kind == "term" and term.zh in idf:
            assert idf[term.zh] >= GENERIC_MAX_IDF, term.zh
    # Generic by jieba's IDF table; 发展, 研究, 影响, 国家, 信息 and 部门 were in
    # the top 15 of one of these articles before.
    assert not {"发展", "问题", "研究", "影响", "生产", "国家", "信息", "部门"} & set(terms)


def test_a_generic_word_may_still_be_part_of_a_compound() -> None:
    # 国家 (IDF 4.0) is generic alone; 国家 + 公园 standing together is a term.
    text = "国家公园建设稳步推进。三江源国家公园面积很大。国家公园保护生态。国家支持保护。"
    terms = {t.zh: t for t in key_terms(text, k=10)}
    assert "国家公园" in terms and terms["国家公园"].en
    assert "国家" not in terms


# ---------------------------------------------------------------- numbers


def test_numeral_words_that_count_nothing_come_from_cc_cedict() -> None:
    words = not_number_words()
    assert len(words) > 1000
    # Idioms, and words whose first sense states no count.
    assert {"三角", "十分", "两岸", "统一", "千家万户", "三番五次", "星期二", "长三角"} <= words
    # A first sense with a count: read as numbers.
    assert not {"百年", "第一季度", "十一", "二十"} & words


@pytest.mark.parametrize(
    ("name", "source", "english"),
    [
        (
            "seed",
            "长三角城市群、杭州湾北岸的一颗强劲活跃的璀璨明珠",
            "a bright pearl of the Yangtze River Delta city cluster on Hangzhou Bay",
        ),
        (
            BBC,
            "梁振英在星期二（12月10日）的答问大会开始之际在其演说中道歉",
            "Liang Zhenying apologized at the start of the question session on "
            "Tuesday (December 10).",
        ),
        (
            BBC,
            "梁振英强调承诺将在两周内解决其住宅的违建问题",
            "Liang Zhenying promised to fix his house within two weeks.",
        ),
        (
            CHINA_DAILY,
            "共同繁荣还是互相毁灭，这是两国面临的抉择",
            "Common prosperity or mutual destruction: the choice both countries face.",
        ),
        (
            CHINA_DAILY,
            "共同繁荣还是互相毁灭，这是两国面临的抉择",
            "Common prosperity or mutual destruction: the choice the two countries face.",
        ),
        (
            XINHUA,
            "新华社北京11月17日电 记者17日从国家卫生健康委获悉",
            "Beijing, Nov. 17 (Xinhua): reporters learned from the health commission on the 17th",
        ),
        (GMW, "翱翔于距地球数千公里的太空中", "Soaring thousands of kilometers from Earth"),
        (YOUTH, "在国外学习生活了将近10年", "after nearly 10 years of study abroad"),
        (YOUTH, "观看两会直播", "watching the NPC and CPPCC sessions live"),
        (YOUTH, "观看两会直播", "watching the two sessions live"),
    ],
)
def test_faithful_numbers_on_six_articles(name: str, source: str, english: str) -> None:
    check = check_numbers(quoted(name, source), english)
    assert (check.missing, check.unsupported) == ([], [])


def test_invented_numbers_are_still_caught_beside_words_that_count_nothing() -> None:
    source = quoted(CHINA_DAILY, "共同繁荣还是互相毁灭，这是两国面临的抉择")
    check = check_numbers(source, "the choice the three countries face")
    assert check.unsupported == ["three"]
    # 两周 counts: left out, it is missing.
    source = quoted(BBC, "梁振英强调承诺将在两周内解决其住宅的违建问题")
    assert check_numbers(source, "He promised to fix his house soon.").missing == ["两 (2)"]


def test_a_number_word_after_a_numeral_is_part_of_the_number() -> None:
    # 万名 ("all names") does not swallow the 万 of 三万名.
    check = check_numbers("三万名志愿者参加", "3,000 volunteers took part")
    assert check.unsupported == ["3,000"]
    assert check.missing == ["三万 (30,000)"]


# ---------------------------------------------------------------- names


def test_surnames_are_the_hundred_family_surnames() -> None:
    assert len(SINGLE_SURNAMES) > 400 and len(COMPOUND_SURNAME_SET) >= 60
    assert {"赵", "钱", "裘", "佟", "言", "福"} <= SINGLE_SURNAMES
    assert {"欧阳", "司马", "诸葛", "第五", "呼延"} <= COMPOUND_SURNAME_SET
    assert "姓" not in SINGLE_SURNAMES  # of the closing 百家姓终
    assert MODERN_SURNAMES <= COMMON_SURNAMES and not MODERN_SURNAMES & SINGLE_SURNAMES


@pytest.mark.parametrize(
    "name",
    ["裘建锋", "张兵", "梁振英", "何俊仁", "严玉洁", "王辉", "肖春芳", "卢宇", "李博灏", "马素湘"],
)
def test_people_of_six_articles_look_like_people(name: str) -> None:
    assert is_person_name(name, "nr")


@pytest.mark.parametrize("word", ["嘉兴", "干邑", "石家庄", "弘扬"])
def test_places_and_things_are_no_people(word: str) -> None:
    # 干邑 is CC-CEDICT's "Cognac": a name, but no person's.
    assert not is_person_name(word, "nr")


def test_names_checked_on_five_articles() -> None:
    cases = [
        (BBC, "梁振英在星期二（12月10日）的答问大会开始之际在其演说中道歉", "Liang Zhenying"),
        (YOUTH, "在法国里昂国立应用科学院留学的卢宇表示", "Lu Yu, a student in Lyon, France"),
        (CHINA_DAILY, "（编辑：严玉洁 王辉）", "Edited by Yan Yujie and Wang Hui"),
        (GMW, "[责任编辑:肖春芳]", "Editor: Xiao Chunfang"),
        (XINHUA, "新华社北京11月17日电", "Beijing, Nov. 17 (Xinhua)"),
    ]
    for name, source, english in cases:
        check = check_names(quoted(name, source), english)
        assert (check.missing, check.unsupported) == ([], []), (name, check)
    left_out = check_names(quoted(YOUTH, cases[1][1]), "A student in Lyon said")
    assert left_out.missing == ["Lu Yu (卢宇)"]


# ---------------------------------------------------------------- places


def test_places_fitted_to_the_seed_are_no_longer_listed() -> None:
    assert not {"南湖", "乌镇", "杭州湾", "嘉兴"} & set(KNOWN_PLACES)


@pytest.mark.parametrize(
    ("word", "english"),
    [
        ("南湖", "Nanhu"),  # CC-CEDICT: "Nanhu district of Jiaxing city"
        ("乌镇", "Wuzhen"),  # jieba's dictionary: ns, and a town's last character
        ("杭州湾", "Hangzhou Bay"),  # CC-CEDICT place; 湾 after a two-character name
        ("嘉兴", "Jiaxing"),
        ("太平山", "Taipingshan"),  # BBC: jieba ns
        ("北京", "Beijing"),  # 新华网
        ("悉尼", "Sydney"),  # 中国青年网: CLDR's English, not the pinyin Xini (issue 14)
    ],
)
def test_places_by_dictionary_and_rule(word: str, english: str) -> None:
    assert is_place_name(word, "nr") or is_place_name(word, "ns")
    assert place_english(word) == english


def test_natural_features_after_a_name() -> None:
    assert romanize_place("洞庭湖") == "Dongting Lake"
    assert romanize_place("渤海湾") == "Bohai Bay"
    assert romanize_place("太湖") == "Taihu"  # one-character stem: one word
    assert romanize_place("秦皇岛") == "Qinhuangdao"  # 岛 is no feature suffix: cities carry it


@pytest.mark.parametrize("word", ["中美合作", "多维度", "城市", "山区", "临床"])
def test_jieba_ns_alone_or_a_common_word_is_no_place(word: str) -> None:
    assert not dictionary_place(word)
