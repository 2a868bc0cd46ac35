"""CC-CEDICT for key terms: a word's entries, its whole-word sense, what its name entry is.

CC-CEDICT (https://cc-cedict.org/), © MDBG and the CC-CEDICT contributors, licensed
CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/), the 2025-10-02 edition
read by ``workers.english.cc_cedict``.

A word's sense is always the sense of the whole word: never its characters' senses
strung together (``workers.english.term_english`` decides when two whole words may
stand side by side). Among a word's entries the one read as the word is usually read
comes first (故事 gùshi "narrative" before gùshì "old practice"); capitalized
readings are names.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Literal

from workers.english.cc_cedict import Dictionary

CedictKind = Literal["person", "place", "organization", "other"]

_PAREN = re.compile(r"\([^)]*\)|\[[^]]*\]|（[^）]*）")
_SKIP_SENSE = re.compile(
    r"^(surname |(old )?variant of|see |used in |CL:|abbr\. (for|of)|also written|also pr\.|"
    r"(Japanese|Korean) variant|pr\. |refers to |lit\. |fig\. |classifier for |erhua variant)",
    re.IGNORECASE,
)
MAX_GLOSS = 40
MAX_NAME = 100  # a name is never cut short: "National People's Congress and … Conference"
# A name entry's first sense that describes a place, a person's life years, an
# organisation (the institution words of workers/data/build_glossary.py and company
# words).
PLACE_SENSE = re.compile(
    r"\b(?:city|county|district|subdistrict|province|prefecture|township|town|village"
    r"|municipality|region|capital|island|islands|lake|bay|river|mountains?|Mt|port|harbou?r"
    r"|peninsula|strait|gulf|desert|plateau|basin)\b",
    re.IGNORECASE,
)
LIFE_YEARS = re.compile(r"\(\s*(?:c\.\s*)?\d{2,4}\s*-")
ORG_SENSE = re.compile(
    r"\b(?:University|College|Academy|Ministry|Bank|Commission|Committee|Council|Bureau|"
    r"Administration|Court|Procuratorate|Congress|Federation|Association|Institute|Agency|"
    r"Office|Corporation|Company|Group|Party|Army|Alliance|League|Nations|Union|"
    r"Organization|Inc|Ltd|Co)\b|\((?:brand|company)\)|\bcompany\b|\bcorporation\b"
)
_RELATIVE_CLAUSE = re.compile(r"\s+(?:that|which|who|whose|where|used (?:to|for|in))\s+")
_TRAILING_FUNCTION_WORD = re.compile(r"\s+(?:to|of|for|in|and|the|a|an|with|from|by|or)$")


@lru_cache(maxsize=1)
def cedict() -> Dictionary:
    """The CC-CEDICT dictionary, parsed once.

    Parsing takes about 1 s; it happens on first use, never at import.
    """
    return Dictionary()


def entries(word: str) -> list[Any]:
    """CC-CEDICT's entries (reading and senses) for ``word``; [] when it has none."""
    found = cedict().lookup(word)
    return list(found.definition_entries) if found is not None else []


def is_common_word(word: str) -> bool:
    """CC-CEDICT lists ``word`` with a lower-case reading (a word, not a name)."""
    return any(e.pinyin[:1].islower() for e in entries(word))


def is_proper_noun(word: str) -> bool:
    """CC-CEDICT lists ``word`` only as a name (capitalized readings)."""
    found = entries(word)
    return bool(found) and all(e.pinyin[:1].isupper() for e in found)


def trim(sense: str, limit: int = MAX_GLOSS) -> str:
    """One short English sense: no brackets, no "etc", the first of near-synonyms, at
    most ``limit`` characters (cut at a word)."""
    sense = _PAREN.sub("", sense).strip(' ,;"')
    sense = re.sub(r"\s+", " ", sense)
    sense = re.sub(r",? etc\.?$", "", sense).strip(" ,;")
    # Commas inside one CC-CEDICT sense separate near-synonyms; one is enough.
    sense = re.split(r"[,;]", sense)[0].strip(' "')
    sense = re.sub(r"^an? (?=[a-z])", "", sense)  # "an association"
    if len(sense) > limit:
        # A long description names its thing first: "ventilation system that purifies
        # outdoor air during intake" → "ventilation system", never a cut clause.
        head = _RELATIVE_CLAUSE.split(sense, 1)[0]
        if head != sense and len(head.split()) >= 2:
            return head
        sense = sense[:limit].rsplit(" ", 1)[0]
        sense = _TRAILING_FUNCTION_WORD.sub("", sense)
    return sense


@lru_cache(maxsize=8192)
def _usual_reading(word: str) -> str:
    """``word``'s usual reading as CC-CEDICT writes readings (tone numbers, 5 neutral)."""
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(word, style=Style.TONE3, neutral_tone_with_five=True)
    return " ".join(s.replace("v", "u:") for s in syllables)


def _reading_key(pinyin: str) -> str:
    return pinyin.lower()


def senses(word: str, *, names: bool = False) -> list[str]:
    """``word``'s whole-word senses, trimmed, best entry first.

    Common readings (lower case) come first, among them the entry with the most senses
    (the reading most used: 故事 gùshi "narrative, story" before gùshì "old practice"),
    then pypinyin's usual reading; ``names=True`` puts the name entries (capitalized
    readings) first instead.
    """
    found = entries(word)
    usual = _usual_reading(word) if found else ""
    found.sort(
        key=lambda e: (
            e.pinyin[:1].islower() if names else e.pinyin[:1].isupper(),
            -len(e.definitions),
            _reading_key(e.pinyin) != usual,
        )
    )
    out = []
    for entry in found:
        for definition in entry.definitions:
            if definition.strip() and not _SKIP_SENSE.match(definition.strip()):
                trimmed = trim(definition)
                if trimmed:
                    out.append(trimmed)
    return out


def is_verb_sense(sense: str) -> bool:
    """CC-CEDICT writes verbs "to …"."""
    return sense.startswith("to ")


@lru_cache(maxsize=1)
def _compound_index() -> dict[str, list[Any]]:
    """Every two characters of every CC-CEDICT word of three or more → those words."""
    index: dict[str, list[Any]] = {}
    for entry in cedict().get_words():
        word = entry.simp
        if len(word) < 3:
            continue
        for pair in {word[i : i + 2] for i in range(len(word) - 1)}:
            index.setdefault(pair, []).append(entry)
    return index


def compound_english(word: str) -> list[str]:
    """The first sense of each CC-CEDICT word that contains ``word`` (对象 → 面向对象
    "object-oriented" …)."""
    if len(word) < 2:
        return []
    return [
        " / ".join(d for e in found.definition_entries for d in e.definitions).lower()
        for found in _compound_index().get(word[:2], [])
        if word in found.simp and found.simp != word
    ]


_LEAD = 1


def _sense_key(sense: str) -> str | None:
    words = re.findall(r"[a-z]{3,}", sense.lower())
    return words[-1] if words else None


def word_sense(word: str) -> str | None:
    """The sense of the whole word an English reader needs: a noun (or adjective) sense
    rather than a verb, and among those the one the first senses of CC-CEDICT's own
    longer words use clearly most (官方 "government/official": 官方语言 "official
    language" …; 对象 "target/object": 面向对象 "object-oriented"), else CC-CEDICT's
    first."""
    found = senses(word)
    if not found:
        return None
    nouns = [s for s in found if not is_verb_sense(s)]
    if len(nouns) < 2:
        return nouns[0] if nouns else found[0]
    texts = compound_english(word)

    def uses(sense: str) -> int:
        key = _sense_key(sense)
        if key is None:
            return 0
        # unofficial and semiofficial use "official"; short keys (era, age) must start a word.
        pattern = re.compile(re.escape(key) if len(key) >= 5 else rf"\b{re.escape(key)}")
        return sum(1 for text in texts if pattern.search(text))

    scores = [uses(s) for s in nouns]
    best = max(range(len(nouns)), key=lambda i: (scores[i], -i))
    # Only a clear lead overrides CC-CEDICT's own order.
    return nouns[best] if scores[best] >= scores[0] + _LEAD else nouns[0]


# CC-CEDICT's subject labels ("(computing) array", "trojan horse (computing)"), grouped.
SUBJECTS = {
    "computing": "computing",
    "computer": "computing",
    "Internet": "computing",
    "electronics": "computing",
    "finance": "finance",
    "economics": "finance",
    "economic": "finance",
    "medicine": "medicine",
    "sports": "sports",
    "law": "law",
    "military": "military",
}
_SUBJECT = re.compile(r"\((" + "|".join(SUBJECTS) + r")\)")


def subjects(word: str) -> set[str]:
    """The subjects CC-CEDICT labels any sense of ``word`` with (数组 → {"computing"})."""
    return {SUBJECTS[m] for e in entries(word) for d in e.definitions for m in _SUBJECT.findall(d)}


def subject_sense(word: str, subject: str) -> str | None:
    """``word``'s sense labelled with ``subject`` (木马 in computing: "trojan horse")."""
    for entry in entries(word):
        for definition in entry.definitions:
            if any(SUBJECTS[m] == subject for m in _SUBJECT.findall(definition)):
                return trim(definition) or None
    return None


def name_senses(word: str) -> list[str]:
    """The untrimmed senses of ``word``'s name entries (capitalized readings)."""
    return [
        d.strip()
        for e in entries(word)
        if e.pinyin[:1].isupper()
        for d in e.definitions
        if d.strip() and not _SKIP_SENSE.match(d.strip())
    ]


def english_senses(word: str) -> list[str]:
    """Untrimmed senses written as English names (a capital first letter), any reading:
    自由党 zìyóudǎng "Liberal Party"."""
    return [
        d.strip()
        for e in entries(word)
        for d in e.definitions
        if d.strip()[:1].isupper() and not _SKIP_SENSE.match(d.strip())
    ]


def cedict_kind(word: str) -> CedictKind | None:
    """What CC-CEDICT's first name entry for ``word`` describes: a person (life years:
    "Mao Zedong (1893-1976)"), a place ("Jiaxing prefecture-level city"), an
    organisation ("Liberal Party", "Huawei (brand)"), something else with an English
    name of its own (干邑 "Cognac"; 冲绳 "Okinawa, Japan", which
    ``workers.english.place_names.abroad`` finds a place), or nothing (no name entry;
    a name glossed by its pinyin)."""
    for entry in entries(word):
        if not entry.pinyin[:1].isupper() or not entry.definitions:
            continue
        first = entry.definitions[0]
        if ORG_SENSE.search(first.split("(", 1)[0]):
            return "organization"  # "League of Nations (1920-1946)" is no person
        if LIFE_YEARS.search(first):
            return "person"
        if PLACE_SENSE.search(first):
            return "place"
        if ORG_SENSE.search(first):
            return "organization"
        reading = re.sub(r"[^a-z]", "", entry.pinyin.lower())
        english = re.sub(r"[^a-z]", "", first.lower())
        if not english.startswith(reading):
            return "other"
    for sense in english_senses(word):
        if ORG_SENSE.search(sense):
            return "organization"  # 自由党 zìyóudǎng "Liberal Party"
    return None


def leading_name(sense: str) -> str:
    """The capitalized words a name sense starts with: "San Francisco, California" →
    "San Francisco", "Sai Kung town in New Territories" → "Sai Kung"."""
    match = re.match(r"(?:[A-Z][\w'’.-]*)(?:\s+(?:[A-Z][\w'’.-]*|of|de|la|du))*", sense)
    return match.group().strip() if match else ""
