"""A person's name in English, the way the press writes it.

In order:

1. A name with a title after it is the title and the name: 李女士 → "Ms Li", 温先生 →
   "Mr Wen", 张教授 → "Professor Zhang" (``TITLES``: forms of address that follow a
   name, with the English CC-CEDICT gives them; British style, no full stop).
2. A person CC-CEDICT knows by name, with life years, has CC-CEDICT's English:
   梁振英 "Leung Chun-ying (1954-)" → "Leung Chun-ying", 姚明 → "Yao Ming".
3. A foreign name written in characters (戴夫·汉森) is no Chinese name: its English is
   the Latin name the text gives beside it (戴夫·汉森（Dave Hanson）→ 戴夫 "Dave"),
   else none; pinyin of a transliteration is nobody's name.
4. In a story from or about Hong Kong or Macau (``workers.english.region``): Cantonese,
   Hong Kong government style (``workers.english.cantonese``): 何俊仁 → "Ho Chun-yan".
5. Elsewhere: Mandarin pinyin (``workers.english.romanize``): 裘建锋 → "Qiu Jianfeng".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Forms of address written after a name → English, as CC-CEDICT glosses them
# (女士 "lady/madam/Miss/Ms", 先生 "Mister (Mr.)", 教授 "professor" …).
TITLES: dict[str, str] = {
    "女士": "Ms",
    "小姐": "Ms",
    "先生": "Mr",
    "太太": "Mrs",
    "夫人": "Madame",
    "教授": "Professor",
    "博士": "Dr",
    "医生": "Dr",
    "院士": "Academician",
}
# Forms of address: standing alone as a key term (温 先生, jieba's cut), the English title.
ADDRESS_FORMS = frozenset({"女士", "小姐", "先生", "太太", "夫人"})
DOTS = "·・•‧"
_DOT_CLASS = f"[{DOTS}]"


def split_title(word: str) -> tuple[str, str] | None:
    """(name, English title) when ``word`` is a name followed by a title: 李女士 → (李, Ms)."""
    for title, english in TITLES.items():
        name = word[: -len(title)]
        if word.endswith(title) and 1 <= len(name) <= 3:
            from workers.english.surnames import COMMON_SURNAMES, COMPOUND_SURNAME_SET

            if name[0] in COMMON_SURNAMES or name[:2] in COMPOUND_SURNAME_SET:
                return name, english
    return None


def foreign_names(text: str, words: list[str]) -> dict[str, str | None]:
    """Words of ``words`` that are part of a foreign name written in characters
    (joined by a middle dot), each with the Latin name the text gives for it, if any:
    戴夫·汉森（Dave Hanson）→ {"戴夫": "Dave"}; 哈立德·泰穆尔·阿克拉姆 → {"哈立德": None}."""
    found: dict[str, str | None] = {}
    for word in words:
        if not re.search(rf"{_DOT_CLASS}{re.escape(word)}|{re.escape(word)}{_DOT_CLASS}", text):
            continue
        found[word] = None
        pattern = (
            rf"((?:[\u4e00-\u9fff]+{_DOT_CLASS})*{re.escape(word)}(?:{_DOT_CLASS}[\u4e00-\u9fff]+)*)"
            r"\s*[（(]\s*([A-Z][A-Za-z.'’ -]+?)\s*[)）]"
        )
        for match in re.finditer(pattern, text):
            parts = re.split(_DOT_CLASS, match.group(1))
            latin = match.group(2).split()
            if len(parts) == len(latin) and word in parts:
                found[word] = latin[parts.index(word)]
                break
    return found


def cedict_person(word: str) -> str | None:
    """CC-CEDICT's English for a person it lists with life years: "Leung Chun-ying"."""
    from workers.english.cedict_senses import LIFE_YEARS, name_senses

    for sense in name_senses(word):
        if LIFE_YEARS.search(sense):
            return sense.split("(", 1)[0].strip(" ,") or None
    return None


def person_english(
    word: str, *, hong_kong: bool = False, foreign: Mapping[str, str | None] | None = None
) -> str | None:
    """The English of a person's name (rules in the module docstring); None for a
    transliterated foreign name whose Latin spelling the text does not give."""
    if foreign is not None and word in foreign:
        return foreign[word]
    titled = split_title(word)
    if titled is not None:
        name, title = titled
        return f"{title} {_plain_name(name, hong_kong)}"
    return _plain_name(word, hong_kong)


def _plain_name(name: str, hong_kong: bool) -> str:
    from workers.english.cantonese import romanize_hk_name
    from workers.english.romanize import romanize_name

    known = cedict_person(name)
    if known:
        return known
    return romanize_hk_name(name) if hong_kong else romanize_name(name)


def person_pinyin(word: str) -> str:
    """Tone-marked pinyin of a name; a title is written as its own word (Lǐ nǚshì)."""
    from workers.english.romanize import pinyin_with_tones

    titled = split_title(word)
    if titled is not None:
        name, _ = titled
        title = word[len(name) :]
        return f"{pinyin_with_tones(name, kind='person')} {pinyin_with_tones(title, kind='term')}"
    return pinyin_with_tones(word, kind="person")
