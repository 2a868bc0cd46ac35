"""What a tagged word is: a person, a place, an organisation, a term — checked against
the dictionaries, not taken from jieba's part of speech alone.

jieba tags 华为 and 高通 as people (nr), 中美 as a place (ns), 陆游 as a noun; the
dictionaries say otherwise:

* CC-CEDICT's name entries (``workers.english.cedict_senses.cedict_kind``): life years
  make a person (陆游 "Lu You (1125-1210)"), a place word or a CLDR country after a
  comma a place (冲绳 "Okinawa, Japan"), an institution or company word an organisation
  (华为 "Huawei (brand)", 自由党 "Liberal Party");
* a company CC-CEDICT names with 公司 or 集团 after it (高通公司 "Qualcomm", 三星集团
  "Samsung Group") is that company;
* CLDR's countries, territories and cities (``workers.english.place_names``) are places;
  two country abbreviations (中美) are a term, "China-US";
* an organisation word at the end (局, 集团, 政府, 队 …) makes an organisation of a word
  that is no common word, after a name or place (国家药监局, 韩国队, 皓月集团; not 总公司
  "parent company", nor 数据公司 "data company", a common word before it);
* a word jieba calls an organisation (nt) is one unless it ends in a common noun that
  names no organisation (香港媒体 "media", 中华文化 "culture" are terms);
* a person's name starts with a surname and is no word, place or organisation
  (``is_person_name``); 小/老 and a surname is a person too (小温).
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from typing import Literal

from workers.english.cedict_senses import (
    ORG_SENSE,
    cedict_kind,
    entries,
    is_common_word,
    is_proper_noun,
    name_senses,
    senses,
)
from workers.english.place_names import abroad, is_cldr_place, joined_countries
from workers.english.romanize import COMPOUND_SURNAMES, KNOWN_PLACES, PLACE_SUFFIXES
from workers.english.surnames import COMMON_SURNAMES, COMPOUND_SURNAME_SET

Kind = Literal["person", "place", "organization", "term"]

PERSON_FLAGS = frozenset({"nr", "nrfg", "nrt"})
PLACE_FLAGS = frozenset({"ns"})
ORG_FLAGS = frozenset({"nt"})
TERM_FLAGS = frozenset({"n", "nz", "vn", "nw"})
# Organisation words a name ends in (部 is left out: 干部, 全部, 西部 end in it too).
ORG_SUFFIXES = (
    "委员会",
    "公司",
    "集团",
    "大学",
    "学院",
    "政府",
    "法院",
    "检察院",
    "银行",
    "协会",
    "医院",
    "研究院",
    "研究所",
    "管理局",
    "联盟",
    "局",
    "委",
    "队",
    "党",
)
# Words for the state before an institution (国家邮政局), as in workers/data/build_glossary.py.
STATE_PREFIXES = frozenset({"国家", "中央", "全国", "国务院"})
HAN = re.compile(r"^[\u4e00-\u9fff]+$")
# A person's name never ends in these; jieba's nr on 包镇街 or 曹桥 does.
_PLACE_CHARS = frozenset("街镇村桥路区县乡市省")
# Last characters of place names: administrative units and natural features.
FEATURE_CHARS = _PLACE_CHARS | frozenset("州湾湖岛山江河港")
# Last characters no given name has: a "name" ending in them is a place (宫古岛).
_ISLAND_CHARS = frozenset("岛湾港")
# Words that follow a place name as its own token (曹桥 街道, 东风 村).
_PLACE_TAILS = frozenset(["街道", "镇", "村", "乡", "区", "县", "市", "路", "街", "社区", "新区"])


def tagged_words(text: str) -> list[tuple[str, str]]:
    """``(word, part of speech)`` pairs of ``text`` from jieba.posseg, in order."""
    from models.engines.extractive import load_jieba

    load_jieba()
    import jieba.posseg

    return [(p.word, p.flag) for p in jieba.posseg.cut(text)]


def place_heads(tokens: list[tuple[str, str]]) -> set[str]:
    """Words that stand right before a place suffix somewhere (曹桥 in 曹桥 街道)."""
    return {a for (a, _), (b, _) in itertools.pairwise(tokens) if b in _PLACE_TAILS}


@lru_cache(maxsize=4096)
def company_name(word: str) -> str | None:
    """CC-CEDICT's English for ``word`` + 公司 or + 集团 (高通 → "Qualcomm")."""
    for suffix in ("公司", "集团"):
        for sense in name_senses(word + suffix):
            return sense
    return None


def _head_word(word: str) -> str | None:
    """The longest CC-CEDICT word of two or more characters ending ``word`` (not all of it)."""
    for start in range(1, len(word) - 1):
        if entries(word[start:]):
            return word[start:]
    return None


def _names_an_organisation(word: str) -> bool:
    return any(ORG_SENSE.search(s) or "team" in s for s in senses(word))


@lru_cache(maxsize=4096)
def is_organization(word: str, flag: str = "n") -> bool:
    """An organisation by the dictionaries (rules in the module docstring)."""
    if not HAN.match(word) or len(word) < 2:
        return False
    if cedict_kind(word) == "organization" or company_name(word) is not None:
        return True
    if is_common_word(word) or joined_countries(word):
        return False
    suffix = next((s for s in ORG_SUFFIXES if word.endswith(s)), None)
    if suffix is not None and len(word) >= 3:
        # 皓月集团, 国家药监局, 韩国队, 国家邮政局; not 数据公司 or 专业救援队: a common
        # word before a common word (公司, 救援队) names no one.
        tail = next((word[i:] for i in range(1, len(word) - 1) if is_common_word(word[i:])), suffix)
        stem = word[: -len(tail)]
        if len(stem) < 2 or stem in STATE_PREFIXES:
            return True
        return not is_common_word(stem) or known_place(stem)
    if flag in ORG_FLAGS:
        last = _head_word(word)
        return last is None or _names_an_organisation(last) or not is_common_word(last)
    return False


def _jieba_place(word: str) -> bool:
    from models.engines.extractive import load_jieba

    load_jieba()
    import jieba.posseg

    return bool(jieba.posseg.dt.word_tag_tab.get(word) == "ns")


@lru_cache(maxsize=4096)
def dictionary_place(word: str) -> bool:
    """A place by the dictionaries: CLDR names it; CC-CEDICT's entry describes a place
    (嘉兴 "prefecture-level city", 杭州湾 "Hangzhou Bay") or one abroad (冲绳 "Okinawa,
    Japan"); or
    jieba's dictionary tags the word ns and either CC-CEDICT lists it as a name that is
    no person (美国) or it ends in a place character (乌镇, 王江泾镇). jieba's ns alone is
    not enough: it also tags 中美合作 and 多维度 so. A common word (城市, 山区:
    lower-case readings in CC-CEDICT) is no place."""
    if not HAN.match(word) or len(word) < 2 or is_common_word(word):
        return False
    if is_cldr_place(word) or abroad(word):
        return True
    kind = cedict_kind(word)
    if kind is not None:
        return kind == "place"
    return _jieba_place(word) and (is_proper_noun(word) or word[-1] in FEATURE_CHARS)


def known_place(word: str) -> bool:
    return word in KNOWN_PLACES or dictionary_place(word)


def _place_stem(word: str) -> str | None:
    if word in KNOWN_PLACES:
        return word
    for suffix, _ in PLACE_SUFFIXES:
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) >= 2:
            return stem
    return None


def is_place_name(word: str, flag: str = "ns") -> bool:
    """A known place, a place by the dictionaries (:func:`dictionary_place`), a name
    with an administrative suffix, or a CC-CEDICT name that jieba tagged ns."""
    if not HAN.match(word) or len(word) < 2 or joined_countries(word):
        return False
    if known_place(word):
        return True
    if flag in PERSON_FLAGS:
        # jieba tags many places nr (嘉兴); only a place suffix tells them apart.
        if len(word) >= 3 and word[-1] in _ISLAND_CHARS and not is_common_word(word):
            return True  # 宫古岛
        stem = _place_stem(word)
        return stem is not None and stem != word and known_place(stem)
    if flag not in PLACE_FLAGS:
        return False
    stem = _place_stem(word)
    if stem is not None and stem != word and not is_common_word(stem):
        return True
    return is_proper_noun(word)


def is_person_name(word: str, flag: str = "nr") -> bool:
    """A word jieba tagged as a name that really looks like a person's name.

    jieba tags many words nr (连, 弘扬, 文明, 嘉兴, 华为): a name here starts with a
    surname (``workers.english.surnames``: 百家姓), has two to four characters (four
    only with a compound surname or a title: 李女士), is no place or organisation in
    the dictionaries, and is no common word in CC-CEDICT.
    """
    if flag not in PERSON_FLAGS or not HAN.match(word):
        return False
    from workers.english.person_names import split_title

    titled = split_title(word)
    name = titled[0] if titled else word
    if len(name) == 4:
        if name[:2] not in COMPOUND_SURNAME_SET and name[:2] not in COMPOUND_SURNAMES:
            return False
    elif not (2 <= len(name) <= 3 or (titled and len(name) == 1)) or name[0] not in COMMON_SURNAMES:
        return False
    if word[-1] in _PLACE_CHARS or word[-1] in _ISLAND_CHARS:
        return False
    if is_common_word(word) or known_place(word) or is_organization(word, flag):
        return False
    if cedict_kind(word) == "other":
        return False  # 干邑 "Cognac": a name, but no person's
    # 马拉松赛: a dictionary word plus a suffix is no name either.
    return titled is not None or not any(is_common_word(word[:n]) for n in range(2, len(word)))


def is_nickname(word: str) -> bool:
    """小 or 老 and a surname, no word of its own: 小温, 老王."""
    return len(word) == 2 and word[0] in "小老" and word[1] in COMMON_SURNAMES and not entries(word)


def classify(word: str, flag: str, *, before_place_suffix: bool = False) -> Kind | None:
    """What a tagged word is: person, place, organization, term, or nothing worth listing.

    ``before_place_suffix``: the word stood before 街道, 镇, 村 … in the text,
    so a "name" jieba saw there (曹桥) is a place.
    """
    if not HAN.match(word) or len(word) < 2:
        return None
    if joined_countries(word):
        return "term"
    if cedict_kind(word) == "person":
        return "person"
    if is_organization(word, flag):
        return "organization"
    if is_place_name(word, flag):
        return "place"
    if is_person_name(word, flag):
        return "place" if before_place_suffix else "person"
    if is_nickname(word):
        return "person"
    if flag in TERM_FLAGS or flag in ORG_FLAGS or flag in PLACE_FLAGS:
        return "term"
    return None
