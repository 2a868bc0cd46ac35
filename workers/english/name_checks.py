"""Does the English name only people and places the Chinese names? And all its people?

``check_names`` finds capitalized pinyin-looking words in the English (Qiu
Jianfeng, Wangjiangjing) and calls a name ``unsupported`` when the source's
characters cannot spell it; a person named in the source (jieba ``nr``, see
``workers.english.terms.is_person_name``) whose romanization the English lacks is
``missing``. Numbers are checked by ``workers.english.number_checks``.

Report strings: an unsupported name is the English as written ("Zhang Wei");
a missing name is "Qiu Jianfeng (裘建锋)".

English words and the English names of Chinese words come from CC-CEDICT
(https://cc-cedict.org/), © MDBG and the CC-CEDICT contributors, CC BY-SA 4.0.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from workers.contract import NumberCheck
from workers.english.person_names import person_english
from workers.english.romanize import KNOWN_PLACES, romanize_name, romanize_place
from workers.english.surnames import COMMON_SURNAMES

_CAPITALIZED = re.compile(r"\b[A-Z][a-zà-üāēīōūǎěǐǒǔǖǘǚǜ]+(?:['’-][A-Za-zà-ü]+)*\b")
_MAX_SPAN = 4


def _fold(word: str) -> str:
    """Lower case, no diacritics, no apostrophes or hyphens: Xī'ān → xian."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"['’\-]", "", plain)


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    from pypinyin.pinyin_dict import pinyin_dict

    found = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            found.add(_fold(reading))
    # Lone consonant interjections (m, n, ng, hm) would make any word pinyin.
    return frozenset(s for s in found if s.isascii() and s.isalpha() and s[-1] in "aeiouvnrg")


def _is_pinyin(word: str) -> bool:
    syllables = _syllables()
    n = len(word)
    reachable = [True] + [False] * n
    for i in range(n):
        if not reachable[i]:
            continue
        for size in range(1, 7):
            if i + size <= n and word[i : i + size] in syllables:
                reachable[i + size] = True
    return reachable[n]


@dataclass(frozen=True)
class _Vocabulary:
    lower: Counter[str]  # lower-case uses in CC-CEDICT's definitions
    any_case: Counter[str]  # all uses, folded to lower case
    chinese_names: frozenset[str]  # joined readings of CC-CEDICT's names (jiaxing, zhang)
    foreign_names: frozenset[str]  # names CC-CEDICT's English spells unlike pinyin (kenya)


@lru_cache(maxsize=1)
def _vocabulary() -> _Vocabulary:
    from workers.english.terms import cedict

    senses: list[str] = []
    names: set[str] = set()
    foreign: set[str] = set()
    syllables = _syllables()
    for entry in cedict().get_words():
        for definition in entry.definition_entries:
            senses.extend(definition.definitions)
            if not definition.pinyin[:1].isupper():
                continue
            reading = re.sub(r"[^a-z]", "", _fold(definition.pinyin))
            names.add(reading)
            # 肯尼亚 is "Kenya": an English name, not a romanization (嘉兴市
            # is "Jiaxing", its reading cut short; a word that is also some
            # name's reading stays a candidate). One syllable (Hong of Hong
            # Kong) says too little to tell.
            first = re.match(r"[A-Z][a-z]+", (definition.definitions or [""])[0])
            if first:
                word = first.group().lower()
                if not reading.startswith(word) and word not in syllables:
                    foreign.add(word)
    text = "\n".join(senses)
    lower = Counter(re.findall(r"\b[a-z]+\b", text))
    any_case = Counter(w.lower() for w in re.findall(r"\b[A-Za-z]+\b", text))
    return _Vocabulary(lower, any_case, frozenset(names), frozenset(foreign - names))


@lru_cache(maxsize=1)
def _surname_readings() -> frozenset[str]:
    return frozenset(_fold(romanize_name(ch)) for ch in COMMON_SURNAMES)


def _is_english(word: str) -> bool:
    """English words that spell like pinyin ("Change", "Canada", "He") are no names.

    CC-CEDICT's definitions are the word list: a word they use in lower case
    five times or more is English. Pinyin turns up there too (zhang, a unit
    of length; yuan), so a surname's reading must be used fifty times (he,
    sun, long). A capitalized word they use is English (Canada, Chinese)
    unless it is the reading of a Chinese name in the dictionary (Jiaxing);
    so is the English name of a foreign place or person (肯尼亚 → Kenya).
    """
    vocabulary = _vocabulary()
    if word in vocabulary.foreign_names:
        return True
    if vocabulary.lower[word] >= (50 if word in _surname_readings() else 5):
        return True
    return vocabulary.any_case[word] >= 3 and word not in vocabulary.chinese_names


@lru_cache(maxsize=4096)
def _readings(ch: str) -> tuple[str, ...]:
    from pypinyin import Style, pinyin

    found = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
    return tuple(dict.fromkeys(_fold(r) for r in found[0])) if found else ()


def _spellable(source: str) -> set[str]:
    """Every word the source's characters can spell: runs of up to four characters, any reading."""
    spelled: set[str] = set()
    for run in re.findall(r"[\u4e00-\u9fff]+", source):
        for start in range(len(run)):
            prefixes = [""]
            for ch in run[start : start + _MAX_SPAN]:
                prefixes = [p + r for p in prefixes for r in _readings(ch)][:64]
                spelled.update(prefixes)
    return spelled


@dataclass(frozen=True)
class _SourceNames:
    people: list[str]
    places: list[str]
    # Capitalized words of CC-CEDICT's English for the source's names
    # (肯尼亚 → Kenya, 华盛顿 → Washington).
    english: frozenset[str]


def _source_names(source: str) -> _SourceNames:
    from workers.english.terms import cedict, classify, place_heads, tagged_words

    people: list[str] = []
    places: list[str] = [name for name in KNOWN_PLACES if name in source]
    english: set[str] = set()
    tokens = tagged_words(source)
    heads = place_heads(tokens)
    for word, flag in tokens:
        kind = classify(word, flag, before_place_suffix=word in heads)
        if kind == "place":
            places.append(word)
        elif kind == "person":
            people.append(word)
        entry = cedict().lookup(word) if len(word) >= 2 else None
        for definition in entry.definition_entries if entry else []:
            if definition.pinyin[:1].isupper() and definition.definitions:
                english.update(
                    _fold(w) for w in re.findall(r"\b[A-Z][a-z]+\b", definition.definitions[0])
                )
    return _SourceNames(_unique(people), _unique(places), frozenset(english))


def _name_groups(english: str) -> list[str]:
    """Runs of capitalized pinyin-looking words that are not English words."""
    groups: list[str] = []
    current: list[str] = []
    last_end = -1
    for match in _CAPITALIZED.finditer(english):
        folded = _fold(match.group())
        looks_pinyin = (
            len(folded) >= 2 and folded.isalpha() and not _is_english(folded) and _is_pinyin(folded)
        )
        if not looks_pinyin:
            if current:
                groups.append(" ".join(current))
            current, last_end = [], -1
            continue
        if current and english[last_end : match.start()] not in (" ", "-"):
            groups.append(" ".join(current))
            current = []
        current.append(match.group())
        last_end = match.end()
    if current:
        groups.append(" ".join(current))
    return groups


def _supported(group: str, spelled: set[str], named: set[str]) -> bool:
    words = [_fold(w) for w in re.split(r"[\s-]+", group) if w]
    if all(w in named for w in words):
        return True
    # A name of several words must be spelled by one run of source
    # characters, in order (王文香 → Wang Wenxiang): loose syllables from all
    # over the source do not make a name. "Jianfeng Qiu" is covered above,
    # by the source person's own romanization.
    return "".join(words) in spelled


def check_names(source_zh: str, english: str) -> NumberCheck:
    """Names in ``english`` that ``source_zh`` does not support, and source people left out.

    ``unsupported``: capitalized pinyin-looking names (not English words) that
    no run of source characters spells (a name of several words: one run, in
    order) and that are neither the romanization of a source name nor
    CC-CEDICT's English for one (肯尼亚 → Kenya).
    ``missing``: people the source names whose romanization the English lacks, in
    pinyin or in Cantonese (``_spellings``).
    """
    names = _source_names(source_zh)
    people = names.people
    spelled = _spellable(source_zh)
    named = {_fold(w) for p in names.places for w in romanize_place(p).split()}
    # A person may be written in pinyin or, as Hong Kong and Macau people are, in
    # Cantonese (梁振英: Liang Zhenying or Leung Chun-ying); either is the source's.
    named |= {_fold(w) for p in people for form in _spellings(p) for w in re.split(r"[\s-]+", form)}
    named |= names.english
    unsupported = [
        group for group in _name_groups(english) if not _supported(group, spelled, named)
    ]
    folded_english = " ".join(
        _fold(w) for w in re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", english)
    )
    missing = []
    for person in people:
        if not any(_written(form, folded_english) for form in _spellings(person)):
            missing.append(f"{person_english(person)} ({person})")
    return NumberCheck(missing=_unique(missing), unsupported=_unique(unsupported))


def _spellings(person: str) -> list[str]:
    """How English may write a source person: pinyin, Hong Kong style Cantonese, and
    CC-CEDICT's English where it has one; a title (李女士) leaves the bare name (李)."""
    from workers.english.cantonese import romanize_hk_name
    from workers.english.person_names import cedict_person, split_title

    titled = split_title(person)
    name = titled[0] if titled else person
    forms = [romanize_name(name), romanize_hk_name(name), cedict_person(name) or ""]
    return [f for f in dict.fromkeys(forms) if f]


def _written(form: str, folded_english: str) -> bool:
    """``form`` (surname first) is in the English: the surname, and the given name as
    one word, hyphenated or as syllables ("Jianfeng", "Jian-feng", "Jian Feng")."""
    surname, _, given = form.partition(" ")
    given = given.replace("-", "")
    forms = {_fold(given), " ".join(_split_syllables(_fold(given)))}
    found_surname = re.search(rf"\b{re.escape(_fold(surname))}\b", folded_english)
    found_given = not given or any(re.search(rf"\b{re.escape(f)}\b", folded_english) for f in forms)
    return bool(found_surname and found_given)


def _split_syllables(word: str) -> list[str]:
    """jianfeng → ["jian", "feng"] (longest syllable first), for "Jian Feng" spellings."""
    syllables = _syllables()
    out: list[str] = []
    i = 0
    while i < len(word):
        for size in range(min(6, len(word) - i), 0, -1):
            if word[i : i + size] in syllables:
                out.append(word[i : i + size])
                i += size
                break
        else:
            return [word]
    return out


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
