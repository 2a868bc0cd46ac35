"""English names of countries, territories, regions and major cities, from CLDR.

The Unicode CLDR (Common Locale Data Repository, https://cldr.unicode.org/, Unicode
licence) names every territory in Chinese and in English, and the exemplar city of
every time zone; Babel ships it (``babel.Locale('zh').territories`` against
``Locale('en').territories``, ``Locale(...).time_zones[...]["city"]``). 美国 is
"United States", 俄罗斯 "Russia", 东京 "Tokyo", 悉尼 "Sydney".

Two adjustments, both from CLDR itself: English names that CLDR qualifies for
political reasons are written as the press writes them ("Hong Kong SAR China" →
"Hong Kong", "Myanmar (Burma)" → "Myanmar"), and in joined forms (中美 "China-US")
the United States and the United Kingdom take CLDR's ``alt="short"`` names, US and UK,
which Babel's data leaves out.

Joined forms: a two-character word of two country abbreviations is the pair of
countries (中美 → "China-US", 中日 → "China-Japan"). The abbreviations come from the
same sources: the first character of a two-character CLDR country name ending in 国
(美国 → 美, 英国 → 英), and the characters CC-CEDICT calls an "abbr. for" exactly one
CLDR country (日 "abbr. for 日本", 俄 "abbr. for 俄罗斯"); 澳 (Australia or Macao)
names two and is left out.

Nothing is read at import; every table is built on first use.
"""

from __future__ import annotations

import re
from functools import lru_cache

# CLDR's alt="short" English names (common/main/en.xml), which Babel does not carry.
_SHORT_ENGLISH = {"US": "US", "GB": "UK"}
_QUALIFIED = re.compile(r"\s+SAR China$|\s*\([^)]*\)$")
_HAN = re.compile(r"^[\u4e00-\u9fff]{2,}$")


def _clean(english: str) -> str:
    return _QUALIFIED.sub("", english).strip()


@lru_cache(maxsize=1)
def _territory_codes() -> dict[str, str]:
    """Chinese CLDR territory name → territory code (US, GB, 005 …)."""
    from babel import Locale

    zh = Locale("zh").territories
    return {name: code for code, name in zh.items() if _HAN.match(name)}


@lru_cache(maxsize=1)
def _english_territories() -> dict[str, str]:
    from babel import Locale

    return {code: _clean(name) for code, name in Locale("en").territories.items()}


@lru_cache(maxsize=1)
def _cities() -> dict[str, str]:
    """Chinese CLDR exemplar city → English (洛杉矶 → Los Angeles)."""
    from babel import Locale

    zh, en = Locale("zh").time_zones, Locale("en").time_zones
    out: dict[str, str] = {}
    for zone, names in zh.items():
        city = names.get("city")
        if not city or not _HAN.match(city):
            continue
        english = (en.get(zone) or {}).get("city") or zone.rsplit("/", 1)[-1].replace("_", " ")
        out.setdefault(city, english)
    return out


def _not_a_word(word: str) -> bool:
    from workers.english.cedict_senses import is_common_word

    return not is_common_word(word)


def cldr_place(word: str) -> str | None:
    """CLDR's English for a country, territory, region or exemplar city; None when CLDR
    has no such name or the word is also a common word (世界 is "world" as a word)."""
    code = _territory_codes().get(word)
    if code is not None and _not_a_word(word):
        return _english_territories().get(code)
    city = _cities().get(word)
    if city is not None and _not_a_word(word):
        return city
    return None


def is_cldr_place(word: str) -> bool:
    """``word`` is a CLDR territory, region or exemplar city (and no common word)."""
    return cldr_place(word) is not None


@lru_cache(maxsize=1)
def _country_names() -> frozenset[str]:
    return frozenset(
        name for code, name in _english_territories().items() if code.isalpha() and len(code) == 2
    )


def is_country_name(english: str) -> bool:
    """``english`` is CLDR's English name of a country or territory (Japan, France)."""
    return english.strip() in _country_names()


def abroad(word: str) -> bool:
    """CC-CEDICT names ``word`` as a place in a country CLDR names: 冲绳 "Okinawa, Japan"."""
    from workers.english.cedict_senses import name_senses

    for sense in name_senses(word)[:1]:
        tail = sense.rsplit(",", 1)[-1].strip() if "," in sense else ""
        if tail and is_country_name(tail):
            return True
    return False


@lru_cache(maxsize=1)
def _major_abbreviations() -> dict[str, str]:
    """The first character of a two-character CLDR country name ending in 国 (美国 → 美)."""
    return {
        name[0]: code
        for name, code in _territory_codes().items()
        if len(name) == 2 and name.endswith("国") and code.isalpha() and len(code) == 2
    }


_ABBREVIATION_OF = re.compile(r"abbr\. for ((?:[^\s|\[\]()]+\|)?[^\s|\[\]()]+)")


@lru_cache(maxsize=1)
def country_abbreviations() -> dict[str, str]:
    """One-character abbreviation → the country's territory code (美 → US, 日 → JP).

    A character CC-CEDICT calls an abbreviation of more than one thing (澳: Macao,
    Australia; 新: Xinjiang, Singapore) is left out.
    """
    from workers.english.cedict_senses import entries

    countries = {
        name: code for name, code in _territory_codes().items() if code.isalpha() and len(code) == 2
    }
    found = dict(_major_abbreviations())
    for ch in {c for name in countries for c in name} - set(found):
        targets: set[str] = set()
        for entry in entries(ch):
            for sense in entry.definitions:
                # "abbr. for 日本[Ri4 ben3], Japan", "Italy (abbr. for 意大利[Yi4 da4 li4])",
                # "abbr. for 英國|英国[Ying1 guo2]" (traditional|simplified).
                targets.update(m.split("|")[-1] for m in _ABBREVIATION_OF.findall(sense))
        if len(targets) == 1 and (target := next(iter(targets))) in countries:
            found[ch] = countries[target]
    return found


def country_english(code: str, *, short: bool = False) -> str:
    """CLDR's English for a territory code; ``short`` gives US and UK."""
    if short and code in _SHORT_ENGLISH:
        return _SHORT_ENGLISH[code]
    return _english_territories()[code]


def joined_countries(word: str) -> str | None:
    """Two country abbreviations as one word: 中美 → "China-US", 中日 → "China-Japan".

    None for anything else, and for a pair that CC-CEDICT lists as a common word or a
    place of its own (中意 "to like", 英德 Yingde).
    """
    if len(word) != 2 or word[0] == word[1]:
        return None
    abbreviations = country_abbreviations()
    if word[0] not in abbreviations or word[1] not in abbreviations:
        return None
    if not set(word) & set(_major_abbreviations()):
        return None  # 马克 (Mark) is no Malaysia-Croatia: one of the pair is a 国 country
    from workers.english.cedict_senses import PLACE_SENSE, is_common_word, name_senses

    if is_common_word(word) or any(PLACE_SENSE.search(s) for s in name_senses(word)):
        return None
    first, second = (country_english(abbreviations[ch], short=True) for ch in word)
    return f"{first}-{second}"
