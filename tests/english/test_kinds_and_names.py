"""What a key term is and its English (issue 14 part 1): kinds checked against the
dictionaries, places from CLDR, organisations and people from CC-CEDICT, titles."""

from __future__ import annotations

import pytest

from workers.contract import NumberCheck
from workers.english.kinds import classify, is_organization
from workers.english.name_checks import check_names
from workers.english.person_names import foreign_names, person_english, split_title
from workers.english.place_names import cldr_place, country_abbreviations, joined_countries
from workers.english.term_english import StoryContext, english_for, place_english
from workers.english.terms import describe, gloss, key_terms


@pytest.mark.parametrize(
    ("word", "english"),
    [
        ("美国", "United States"),
        ("英国", "United Kingdom"),
        ("日本", "Japan"),
        ("俄罗斯", "Russia"),
        ("巴西", "Brazil"),
        ("东京", "Tokyo"),  # an exemplar city of a CLDR time zone
        ("悉尼", "Sydney"),
        ("香港", "Hong Kong"),  # CLDR says "Hong Kong SAR China"
        ("世界", None),  # a CLDR region, and a common word
        ("嘉兴", None),
    ],
)
def test_cldr_names(word: str, english: str | None) -> None:
    assert cldr_place(word) == english


@pytest.mark.parametrize(
    ("word", "english"),
    [
        ("中美", "China-US"),
        ("中日", "China-Japan"),
        ("美英", "US-UK"),
        ("马克", None),
        ("中意", None),
    ],
)
def test_two_countries_in_one_word(word: str, english: str | None) -> None:
    # 马克 is Mark (neither 马 nor 克 is a 国 country); 中意 is a word, "to like".
    assert joined_countries(word) == english


def test_abbreviations_that_name_two_places_are_left_out() -> None:
    abbreviations = country_abbreviations()
    assert abbreviations["美"] == "US" and abbreviations["日"] == "JP"
    assert abbreviations["俄"] == "RU"
    assert "澳" not in abbreviations  # Australia or Macao


@pytest.mark.parametrize(
    ("word", "hong_kong", "english"),
    [
        ("旧金山", False, "San Francisco"),  # CC-CEDICT: "San Francisco, California"
        ("南美", False, "South America"),
        ("西贡", False, "Saigon"),
        ("西贡", True, "Sai Kung"),  # the sense that names Hong Kong, in a Hong Kong story
        ("嘉兴", False, "Jiaxing"),  # CC-CEDICT's English is the pinyin: the rule writes it
        ("常德市", False, "Changde"),
        ("湖北省", False, "Hubei Province"),
        ("南湖", False, "Nanhu"),
        # 地区 after a place CC-CEDICT names in English: that name and "region", never
        # the pinyin of 地 glued on before "District" (gne__163__2: 天安门地区).
        ("天安门地区", False, "Tian'anmen region"),
        ("京津冀地区", False, "Beijing-Tianjin-Hebei region"),
    ],
)
def test_place_english(word: str, hong_kong: bool, english: str) -> None:
    assert place_english(word, hong_kong=hong_kong) == english


@pytest.mark.parametrize(
    ("word", "flag", "kind", "english"),
    [
        ("华为", "nr", "organization", "Huawei"),  # jieba: a person
        ("高通", "nr", "organization", "Qualcomm"),  # CC-CEDICT's 高通公司
        ("三星", "nz", "organization", "Samsung"),  # CC-CEDICT's 三星集团
        ("常德", "nr", "place", "Changde"),
        ("宫古岛", "nr", "place", "Gonggudao"),  # no given name ends in 岛
        ("冲绳", "n", "place", "Okinawa"),  # "Okinawa, Japan"
        ("陆游", "n", "person", "Lu You"),  # life years in CC-CEDICT
        ("中美", "ns", "term", "China-US"),
        ("韩国队", "nt", "organization", "South Korea team"),
        # CC-CEDICT 2025 dropped 药监局 (the SFDA, dissolved in 2013): no English, never
        # "country …" glued from its parts.
        ("国家药监局", "nt", "organization", None),
        ("中国男篮", "nt", "organization", "China men's basketball team"),
        ("皓月集团", "n", "organization", "Haoyue Group"),
        ("香港媒体", "nt", "term", "Hong Kong media"),  # 媒体 names no organisation
        ("总公司", "n", "term", "parent company"),
        ("数据公司", "n", "term", None),  # a common word before 公司 names no one
        ("联发科", "nt", "organization", None),  # MediaTek: not in CC-CEDICT (2025 either)
        ("李女士", "nr", "person", "Ms Li"),
        ("小温", "n", "person", "Xiao Wen"),
    ],
)
def test_kinds_and_english(word: str, flag: str, kind: str, english: str | None) -> None:
    found = classify(word, flag)
    assert found == kind
    assert english_for(word, found) == english


@pytest.mark.parametrize(
    ("word", "english"),
    [
        ("贸发", None),  # not "commerce classifier for gunshots": no glued characters
        ("中医药", None),  # not "… leaf of the iris"
        ("领导干部", None),  # not "lead cadre"
        # CC-CEDICT 2025's whole-word sense, its description cut before the clause;
        # not "new trend system": two nouns are not glued.
        ("新风系统", "ventilation system"),
        ("全球", "global"),  # the sense CC-CEDICT's longer words use, not "entire"
        ("官方", "official"),
        ("传统文化", "traditional culture"),  # an adjective sense before a noun
        ("社会主义思想", "socialist thought"),
        ("金融消费者", "financial consumer"),
        ("先生", "Mr"),
    ],
)
def test_glosses(word: str, english: str | None) -> None:
    assert gloss(word) == english


def test_a_story_subject_picks_the_sense() -> None:
    computing = StoryContext(subject="computing")
    assert english_for("木马", "term") == "wooden horse"
    assert english_for("木马", "term", context=computing) == "trojan horse"


def test_titles() -> None:
    assert split_title("李女士") == ("李", "Ms")
    assert split_title("张教授") == ("张", "Professor")
    assert split_title("女士") is None and split_title("教授") is None
    assert person_english("温先生") == "Mr Wen"
    assert person_english("李女士", hong_kong=True) == "Ms Lee"
    text = "温先生的前妻李女士与儿子正朝景点出口走去。李女士说，孩子很快就不见了。李女士报警。"
    found = {t.zh: t for t in key_terms(text, k=8)}
    assert found["李女士"].en == "Ms Li" and found["李女士"].kind == "person"
    assert found["李女士"].pinyin == "Lǐ nǚshì"


def test_foreign_names_written_in_characters() -> None:
    text = "社会学荣誉教授戴夫·汉森（Dave Hanson）研究酒精。巴基斯坦的哈立德·泰穆尔·阿克拉姆指出。"
    assert foreign_names(text, ["戴夫", "哈立德", "教授"]) == {"戴夫": "Dave", "哈立德": None}
    context = StoryContext(foreign={"茉莉": "Jasmine"})
    assert describe("茉莉", "term", context=context) == ("Jasmine", "person")
    # Pinyin of a transliteration is nobody's name: no English rather than "Ha Lide".
    assert person_english("哈立德", foreign={"哈立德": None}) is None


def test_an_organisation_is_no_person() -> None:
    assert is_organization("华为", "nr") and is_organization("国家邮政局", "nt")
    assert not is_organization("党员干部", "n")  # 干部 ends in 部, and is a word
    assert not is_organization("专业救援队", "n")


def test_name_checks_read_titles() -> None:
    source = "温先生的前妻李女士报警。"
    assert check_names(source, "Mr Wen's ex-wife Ms Li called the police.") == NumberCheck()
    assert check_names(source, "His ex-wife called the police.").missing == ["Ms Li (李女士)"]
    # "Li Nüshi" is no name the source supports: 女士 is a title.
    assert check_names(source, "Mr Wen's ex-wife Li Nüshi called.").unsupported == ["Li Nüshi"]
