"""The English of a key term, by its kind; None rather than a wrong English.

* person: ``workers.english.person_names``;
* place: ``KNOWN_PLACES`` (``workers.english.romanize``), then CLDR's countries,
  territories and cities (``workers.english.place_names``), then CC-CEDICT's name for
  it when that is an English name and not its pinyin (旧金山 "San Francisco", 西贡 "Sai
  Kung" in a Hong Kong story, "Saigon" elsewhere), else pinyin by rule (嘉兴 → Jiaxing);
* organisation: CC-CEDICT's name for it (华为 "Huawei", 自由党 "Liberal Party"), or
  for it with 公司/集团 (高通 → "Qualcomm"); 国家 and an institution CC-CEDICT calls
  "State …" or "National …" (国家药监局 → "State Food and Drug Administration"); a
  place and an organisation word (韩国队 → "South Korea team"); a name that is no word
  and 集团/公司 (皓月集团 → "Haoyue Group"); else none;
* term: two country abbreviations (中美 → "China-US"); CC-CEDICT's sense of the whole
  word labelled with the story's subject, else its sense for an English reader
  (``workers.english.cedict_senses.word_sense``); two whole words where the first
  is a place or has an adjective sense and the second a short noun sense (传统文化 →
  "traditional culture", 社会主义思想 → "socialist thought", 香港媒体 → "Hong Kong
  media"); else none. Characters' senses are never strung together (贸发 is not
  "commerce classifier for gunshots"), nor two nouns' (新风系统 is not "new trend
  system"): pinyin alone says less, and nothing wrong.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from workers.english.cedict_senses import (
    MAX_NAME,
    ORG_SENSE,
    english_senses,
    entries,
    is_common_word,
    is_verb_sense,
    leading_name,
    name_senses,
    senses,
    subject_sense,
    trim,
    word_sense,
)
from workers.english.kinds import Kind, company_name, known_place
from workers.english.person_names import ADDRESS_FORMS, TITLES, person_english
from workers.english.place_names import cldr_place, joined_countries
from workers.english.romanize import KNOWN_PLACES, PLACE_SUFFIXES, romanize_place

# A one-word English adjective by its ending (traditional, financial, socialist,
# cross-border); ``_modifier_sense`` takes one only where CC-CEDICT's order vouches for it.
_ADJECTIVE = re.compile(
    r"^(?:[a-z]+-[a-z]+|[a-z]+(?:al|ic|ive|ous|ary|ese|ian|ern|ful|less|able|ible|ist|ar))$"
)
# Organisation words after a place or a name, in English.
ORG_WORDS = {"集团": "Group", "公司": "Company", "队": "team", "政府": "government"}
_MAX_HEAD_WORDS = 2
_MAX_ORG_WORDS = 4


@dataclass(frozen=True)
class StoryContext:
    """What the whole story says about its words: a Hong Kong or Macau story
    (``workers.english.region``); foreign names written in characters with the Latin
    spelling the text gives (``workers.english.person_names.foreign_names``); its
    subject by CC-CEDICT's labels (``subject``: "computing" when three or more of its
    words have a "(computing)" sense, so 木马 is "trojan horse", not "wooden horse");
    words that stand every time inside one longer CC-CEDICT word jieba cut up
    (``wholes``: 特色社会主义 → 中国特色社会主义, "socialism with Chinese
    characteristics"), which take that word's English."""

    hong_kong: bool = False
    foreign: Mapping[str, str | None] = field(default_factory=dict)
    subject: str | None = None
    wholes: Mapping[str, str] = field(default_factory=dict)


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFD", text.lower())
    return re.sub(r"[^a-z]", "", "".join(c for c in plain if not unicodedata.combining(c)))


def _reading(word: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(word))


def cedict_place_english(word: str, *, hong_kong: bool = False) -> str | None:
    """CC-CEDICT's English name for a place when it is no pinyin (旧金山 → "San
    Francisco"); in a Hong Kong story, the sense that names Hong Kong first (西贡 → "Sai
    Kung", elsewhere "Saigon")."""
    found = name_senses(word)
    if hong_kong:
        found.sort(key=lambda s: not re.search(r"Hong Kong|Macao|Macau", s))
    reading = _fold(_reading(word))
    for sense in found:
        name = _fold(leading_name(sense))
        if not name:
            continue
        # "Jiaxing prefecture-level city", "Hangzhou Bay": pinyin, which the rule writes.
        if name.startswith(reading[:4]) or reading.startswith(name):
            return None
        return leading_name(sense)
    return None


def place_english(word: str, *, hong_kong: bool = False) -> str:
    """A place's English (order in the module docstring)."""
    if word in KNOWN_PLACES:
        return romanize_place(word)
    for stem, suffix in [(word, "")] + [
        (word[: -len(s)], e)
        for s, e in PLACE_SUFFIXES
        if word.endswith(s) and len(word) > len(s) + 1
    ]:
        if stem in KNOWN_PLACES:
            return romanize_place(word)
        english = cldr_place(stem) or cedict_place_english(stem, hong_kong=hong_kong)
        if english:
            return english + suffix
    return romanize_place(word)


def _org_sense(word: str) -> str | None:
    for sense in english_senses(word):
        if ORG_SENSE.search(sense):
            return trim(sense, MAX_NAME)
    return None


def _head_sense(word: str, *, organisation: bool = False) -> str | None:
    """The noun sense of a compound's last word: its first sense, never a verb, at most
    two words; for an organisation the first sense naming one (男篮 → "men's basketball
    team")."""
    if organisation and word in ORG_WORDS:
        return ORG_WORDS[word]
    found = senses(word)
    if not found:
        return None
    if organisation:
        named = [s for s in found if ORG_SENSE.search(s) or re.search(r"\bteam\b", s)]
        if named:
            return named[0]
    first = found[0]
    if is_verb_sense(first) or len(first.split()) > _MAX_HEAD_WORDS or _ADJECTIVE.match(first):
        return None
    return first


def _modifier_sense(word: str) -> str | None:
    """An adjective sense of a compound's first word: its first sense when that is an
    adjective (国际 "international"), or an adjective made from an earlier sense (传统
    "tradition/traditional", 金融 "banking/finance/financial"; 社会主义 "socialism" →
    "socialist"); None when it has none (交通 "to be connected/traffic")."""
    found = senses(word)
    for index, sense in enumerate(found):
        if index == 0 and re.fullmatch(r"[a-z]+ism", sense):
            return sense[:-3] + "ist"
        if not _ADJECTIVE.match(sense):
            continue
        earlier = [s for s in found[:index] if re.fullmatch(r"[a-z]{4,}", s)]
        if index == 0 or any(sense[:5] == s[:5] for s in earlier):
            return sense
    return None


def _place_prefix(word: str) -> str | None:
    if joined := joined_countries(word):
        return joined
    if word in KNOWN_PLACES or (known_place(word) and not is_common_word(word)):
        return place_english(word)
    return None


def _two_words(word: str, parts: Sequence[str]) -> tuple[str, str] | None:
    """``word`` as two whole CC-CEDICT words (or the compound's two parts), the longest
    first word first; the second has two characters or more, or is an organisation
    word (队). None when no cut gives two such words."""
    if len(parts) == 2:
        return parts[0], parts[1]
    for cut in range(len(word) - 1, 1, -1):
        first, second = word[:cut], word[cut:]
        if len(second) < 2 and second not in ORG_WORDS:
            continue
        if (entries(first) or _place_prefix(first)) and (entries(second) or second in ORG_WORDS):
            return first, second
    return None


def _organisation_rest(rest: str) -> str | None:
    """The English of what follows a place in an organisation's name: an organisation
    word (队 → team), the whole word's sense (男篮 → "men's basketball team"), or a noun
    and an organisation word (特区政府 → "special administrative region government")."""
    english = _head_sense(rest, organisation=True) or word_sense(rest)
    if english:
        return english
    for suffix, word in ORG_WORDS.items():
        stem = rest[: -len(suffix)]
        found = senses(stem) if rest.endswith(suffix) and len(stem) >= 2 else []
        if found and not is_verb_sense(found[0]) and len(found[0].split()) <= _MAX_ORG_WORDS:
            return f"{found[0]} {word}"
    return None


def organisation_english(word: str, parts: Sequence[str] = ()) -> str | None:
    """An organisation's English (order in the module docstring), or None."""
    named = _org_sense(word) or company_name(word)
    if named:
        return trim(named, MAX_NAME)
    if word.startswith("国家") and len(word) > 3:
        rest = _org_sense(word[2:])
        if rest and rest.startswith(("State ", "National ")):
            return rest
    for cut in range(2, len(word)):
        place = _place_prefix(word[:cut])
        if place is None:
            continue
        rest = _organisation_rest(word[cut:])
        return f"{place} {rest}" if rest else None
    for suffix, english in ORG_WORDS.items():
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) >= 2 and not entries(stem) and english[0].isupper():
            from workers.english.romanize import pinyin_with_tones

            name = re.sub(r"[^\w']", "", _strip_tones(pinyin_with_tones(stem, kind="place")))
            return f"{name} {english}"
    return None


def _strip_tones(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if c not in "\u0304\u0301\u030c\u0300")
    )


def term_english(word: str, parts: Sequence[str] = (), subject: str | None = None) -> str | None:
    """A term's English (order in the module docstring), or None. ``subject``: the
    story's subject (``StoryContext``); a sense CC-CEDICT labels with it comes first."""
    joined = joined_countries(word)
    if joined:
        return joined
    if word in ADDRESS_FORMS:
        return TITLES[word]  # 先生 is "Mr" before it is "teacher"
    whole = (subject_sense(word, subject) if subject else None) or word_sense(word)
    if whole:
        return whole
    pair = _two_words(word, parts)
    if pair is None:
        return None
    first, second = pair
    head = _head_sense(second)
    modifier = _place_prefix(first) or _modifier_sense(first)
    if head is None or modifier is None:
        return None
    return f"{modifier} {head}"


def english_for(
    word: str, kind: Kind, parts: Sequence[str] = (), context: StoryContext | None = None
) -> str | None:
    """The English of a key term of ``kind``; None where no right English can be given."""
    context = context or StoryContext()
    whole = context.wholes.get(word)
    if whole is not None:
        english = english_for(whole, kind, (), replace(context, wholes={}))
        if english is not None:
            return english
    if kind == "person":
        return person_english(word, hong_kong=context.hong_kong, foreign=context.foreign)
    if kind == "place":
        return place_english(word, hong_kong=context.hong_kong)
    if kind == "organization":
        return organisation_english(word, parts)
    return term_english(word, parts, context.subject)
