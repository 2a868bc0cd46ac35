"""Does the English say only what the Chinese says? Numbers, dates and names.

``check_numbers`` reads every number on both sides to a value: Arabic and
Chinese numerals, 万/亿 scaled (1.3万 = 13,000; 5亿 = 500 million), English
scale words (13 thousand, 0.5 billion), number words (four, nineteenth),
months (September = 9), percentages kept apart. A number in the English that
no source number supports is ``unsupported``; a source number the English
does not carry is ``missing``. English may round what the source says
(34.08亿美元 → "$3.4 billion") but not invent precision.

``check_names`` finds capitalized pinyin-looking words in the English (Qiu
Jianfeng, Wangjiangjing) and calls a name ``unsupported`` when the source's
characters cannot spell it; a person named in the source (jieba ``nr``, see
``workers.english.terms.is_person_name``) whose romanization the English lacks is
``missing``.

Report strings: an unsupported item is the English as written ("250,000",
"Zhang Wei"); a missing number is the Chinese as written, with its value where
the two differ ("23.3万 (233,000)"); a missing name is "Qiu Jianfeng (裘建锋)".

English words and the English names of Chinese words come from CC-CEDICT
(https://cc-cedict.org/), © MDBG and the CC-CEDICT contributors, CC BY-SA 4.0.

Known limits: Chinese numerals are read only where they count something
(idioms such as 一定, 十分, 千家万户 are skipped, and the value 1 from words
is ignored on both sides: "one", "first", 一个 are too common to check);
Roman numerals and fractions (三成, "a third") are not read.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import lru_cache

from workers.contract import NumberCheck
from workers.english.romanize import COMMON_SURNAMES, KNOWN_PLACES, romanize_name, romanize_place

# ---------------------------------------------------------------- numbers


@dataclass(frozen=True)
class Figure:
    """One number found in a text: its value, whether it is a percentage, how it was written."""

    value: Decimal
    percent: bool
    surface: str
    # Written with a scale word or decimals, or large: rounding is allowed.
    approximate: bool = False
    significant: int = 0


_ZH_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_ZH_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_BIG_UNITS = {"万": 10**4, "亿": 10**8}
_ZH_MULTIPLIER = {**_ZH_SMALL_UNITS, **_ZH_BIG_UNITS}

_ZH_ARABIC = re.compile(
    r"(?<![A-Za-z\d.])(?<![A-Za-z]-)(\d+(?:,\d{3})*(?:\.\d+)?)"
    r"(?:\s*([十百千万亿]+))?"
    r"(?:\s*(%|‰|个百分点))?"
)
_ZH_PERCENT_WORDS = re.compile(r"百分之([零〇一二两三四五六七八九十百千点]+)")
_ZH_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百千万亿]+")
# Words and idioms made of numeral characters that count nothing.
_ZH_NOT_NUMBERS = [
    "一些",
    "一起",
    "一定",
    "一直",
    "一样",
    "一般",
    "一切",
    "一致",
    "一旦",
    "一边",
    "一向",
    "一体",
    "统一",
    "唯一",
    "万一",
    "一律",
    "一同",
    "一道",
    "十分",
    "千万",
    "万众",
    "一心",
    "三角",
    "千方百计",
    "五湖四海",
    "四面八方",
    "一竿子",
    "七上八下",
    "乱七八糟",
    "三番五次",
    "九死一生",
    "十全十美",
    "千家万户",
    "万物",
    "亿万",
    "百姓",
    "不三不四",
    "一举",
    "一方面",
    "三三两两",
    "两岸",
    "一系列",
    "一流",
    "万里",
    "千里",
    "百花",
    "百货",
    "一点",
    "三思",
    "十足",
    "万分",
    "百般",
    "千千万万",
    "成千上万",
    "数以万计",
    "一五一十",
]

_SCALE_WORDS = {
    "thousand": 10**3,
    "k": 10**3,
    "million": 10**6,
    "mn": 10**6,
    "m": 10**6,
    "billion": 10**9,
    "bn": 10**9,
    "trillion": 10**12,
}
_EN_DIGITS = re.compile(
    r"(?<![A-Za-z\d.,])(?<![A-Za-z]-)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?"
    r"(?:(st|nd|rd|th)\b"
    r"|(?:\s*-?\s*(thousand|million|billion|trillion)\b|(bn|mn|m|k)\b))?"
    r"(\s*(?:%|per ?cent\b|percentage points?\b))?",
    re.IGNORECASE,
)
_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINALS = [
    "zeroth",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
]
_TENS_ORDINALS = "twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth"
_WORD_VALUES: dict[str, int] = {
    **{w: i for i, w in enumerate(_UNITS)},
    **{w: i for i, w in enumerate(_ORDINALS)},
    **{w: 20 + 10 * i for i, w in enumerate(_TENS)},
    **{w: 20 + 10 * i for i, w in enumerate(_TENS_ORDINALS.split())},
}
_WORD_SCALES = {"hundred": 100, "hundredth": 100, "thousand": 10**3, "thousandth": 10**3}
_WORD_SCALES |= {"million": 10**6, "billion": 10**9, "trillion": 10**12}
_NUMBER_WORD = "|".join(sorted([*_WORD_VALUES, *_WORD_SCALES], key=len, reverse=True))
_EN_WORDS = re.compile(
    rf"\b(?:{_NUMBER_WORD})(?:(?:[\s-]+(?:and[\s-]+)?)(?:{_NUMBER_WORD}))*\b",
    re.IGNORECASE,
)
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_EN_MONTH = re.compile(
    r"\b(January|February|March|April|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b\.?"
    # "May" is a month only next to a day or year, or after "in".
    r"|\bMay(?=\s+\d)|(?<=\d\s)May\b|(?<=\bin\s)May\b"
)


def _decimal(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _significant(mantissa: str) -> int:
    digits = mantissa.replace(",", "").replace(".", "").lstrip("0")
    if "." not in mantissa:
        digits = digits.rstrip("0")
    return max(len(digits), 1)


def parse_chinese_numeral(text: str) -> int | None:
    """三千 → 3000, 两百 → 200, 二十三 → 23, 一万二千 → 12000, 三千五 → 3500, 二〇一九 → 2019."""
    if not text or any(ch not in _ZH_DIGITS and ch not in _ZH_MULTIPLIER for ch in text):
        return None
    if all(ch in _ZH_DIGITS for ch in text):
        # Read digit by digit: 二〇一九 (a year), 三 (one digit).
        return int("".join(str(_ZH_DIGITS[ch]) for ch in text))
    total = section = number = 0
    last_unit = 1
    zero_after_unit = False
    for ch in text:
        if ch in _ZH_DIGITS:
            number = _ZH_DIGITS[ch]
            if number == 0:
                zero_after_unit = True
        elif ch in _ZH_SMALL_UNITS:
            unit = _ZH_SMALL_UNITS[ch]
            section += (number or 1) * unit
            number, last_unit, zero_after_unit = 0, unit, False
        elif ch == "万":
            section = (section + number or 1) * 10**4
            total += section
            section, number, last_unit, zero_after_unit = 0, 0, 10**4, False
        else:  # 亿
            total = (total + section + number or 1) * 10**8
            section, number, last_unit, zero_after_unit = 0, 0, 10**8, False
    if number and not zero_after_unit and last_unit >= 100:
        # Colloquial: 三千五 is 3500, 两万三 is 23000.
        number *= last_unit // 10
    return total + section + number


def _mask(text: str, words: Iterable[str]) -> str:
    # Longest first: 千千万万 before 千万.
    for word in sorted(words, key=len, reverse=True):
        text = text.replace(word, "□" * len(word))
    return text


def _figures_zh(text: str) -> list[Figure]:
    text = unicodedata.normalize("NFKC", text)
    figures: list[Figure] = []
    for match in _ZH_ARABIC.finditer(text):
        mantissa, multiplier, percent = match.groups()
        value = _decimal(mantissa)
        for ch in multiplier or "":
            value *= _ZH_MULTIPLIER[ch]
        figures.append(
            Figure(
                value=value,
                percent=percent is not None and percent != "‰",
                surface=match.group().strip(),
            )
        )
    for match in _ZH_PERCENT_WORDS.finditer(text):
        whole, _, fraction = match.group(1).partition("点")
        number = parse_chinese_numeral(whole)
        if number is None:
            continue
        value = Decimal(number)
        if fraction and all(ch in _ZH_DIGITS for ch in fraction):
            value += Decimal("0." + "".join(str(_ZH_DIGITS[ch]) for ch in fraction))
        figures.append(Figure(value=value, percent=True, surface=match.group()))
    masked = _mask(_ZH_PERCENT_WORDS.sub(lambda m: "□" * len(m.group()), text), _ZH_NOT_NUMBERS)
    for match in _ZH_NUMERAL.finditer(masked):
        run = match.group()
        has_digit = any(ch in _ZH_DIGITS for ch in run) or run.startswith("十")
        # 百亿 ("超百亿项目") counts; a lone 百/千/万 (百人, 千家) does not.
        if not has_digit and (len(run) < 2 or run in ("千万", "万万")):
            continue
        if match.start() > 0 and masked[match.start() - 1].isdigit():
            continue  # the 万 of 1.3万, read above
        number = parse_chinese_numeral(run) if has_digit else _unit_run(run)
        if number is None or number == 1:
            continue
        figures.append(Figure(value=Decimal(number), percent=False, surface=run))
    return figures


def _unit_run(run: str) -> int:
    value = 1
    for ch in run:
        value *= _ZH_MULTIPLIER[ch]
    return value


def _parse_number_words(words: list[str]) -> int | None:
    total = current = 0
    seen_value = False
    for word in words:
        if word in _WORD_VALUES:
            current += _WORD_VALUES[word]
            seen_value = True
        elif word in ("hundred", "hundredth"):
            current = (current or 1) * 100
        elif word in _WORD_SCALES:
            total += (current or 1) * _WORD_SCALES[word.removesuffix("th")]
            current = 0
    if not seen_value:
        return None  # "hundreds", "thousand" alone: no count
    return total + current


def _figures_en(text: str) -> list[Figure]:
    text = unicodedata.normalize("NFKC", text)
    figures: list[Figure] = []
    spans: list[tuple[int, int]] = []
    for match in _EN_DIGITS.finditer(text):
        whole, fraction, ordinal, scale_word, scale_abbr, percent = match.groups()
        mantissa = whole + (fraction or "")
        value = _decimal(mantissa)
        scale = (scale_word or scale_abbr or "").lower()
        if scale:
            value *= _SCALE_WORDS[scale]
        approximate = bool(scale or fraction) or value >= 1000
        if approximate and not scale and not fraction and "," not in whole and len(whole) == 4:
            approximate = False  # 2019: a year is exact
        figures.append(
            Figure(
                value=value,
                percent=bool(percent),
                surface=match.group().strip(),
                approximate=approximate and ordinal is None,
                significant=_significant(mantissa),
            )
        )
        spans.append(match.span())
    for match in _EN_WORDS.finditer(text):
        if any(start <= match.start() < end for start, end in spans):
            continue  # "million" of "1.3 million"
        words = [w.lower() for w in re.split(r"[\s-]+", match.group()) if w.lower() != "and"]
        number = _parse_number_words(words)
        if number is None or number == 1:
            continue
        rest = text[match.end() :]
        percent = bool(re.match(r"\s*(?:%|per ?cent\b|percentage points?\b)", rest, re.I))
        figures.append(Figure(value=Decimal(number), percent=percent, surface=match.group()))
    for match in _EN_MONTH.finditer(text):
        name = match.group().rstrip(".")
        month = next(i for i, m in enumerate(_MONTHS, 1) if m.startswith(name[:3]))
        figures.append(Figure(value=Decimal(month), percent=False, surface=name))
    return figures


def _round_sig(value: Decimal, digits: int, rounding: str) -> Decimal:
    if value == 0:
        return value
    exponent = value.adjusted() - digits + 1
    quantum = Decimal(1).scaleb(exponent)
    return value.quantize(quantum, rounding=rounding).normalize()


def _supports(source: Figure, english: Figure) -> bool:
    """The source figure backs the English one (same value, or rounded from it)."""
    if source.percent != english.percent:
        return False
    if source.value == english.value:
        return True
    # One significant digit ("10 million" for 1300万) says too little to
    # count as a rounding of anything.
    if not english.approximate or english.significant < 2:
        return False
    target = english.value.normalize()
    return any(
        _round_sig(source.value, english.significant, mode) == target
        for mode in (ROUND_HALF_UP, ROUND_DOWN)
    )


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _describe(figure: Figure) -> str:
    """The source as written, with its value where that is not plain: "23.3万 (233,000)"."""
    bare = figure.surface.replace(",", "").removesuffix("%")
    if re.fullmatch(r"\d+(?:\.\d+)?", bare) and Decimal(bare) == figure.value:
        return figure.surface
    plain = format(figure.value.normalize(), ",f")
    if "." in plain:
        plain = plain.rstrip("0").rstrip(".")
    return f"{figure.surface} ({plain}{'%' if figure.percent else ''})"


def check_numbers(source_zh: str, english: str) -> NumberCheck:
    """Numbers, percentages, money and dates in ``english`` checked against ``source_zh``.

    ``source_zh`` is the Chinese the English was made from (for a summary,
    its source sentences). See the module docstring for what counts.
    """
    source = _figures_zh(source_zh)
    target = _figures_en(english)
    unsupported = [e.surface for e in target if not any(_supports(s, e) for s in source)]
    missing = [_describe(s) for s in source if not any(_supports(s, e) for e in target)]
    return NumberCheck(missing=_unique(missing), unsupported=_unique(unsupported))


# ---------------------------------------------------------------- names

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
    ``missing``: people the source names whose romanization the English lacks.
    """
    names = _source_names(source_zh)
    people = names.people
    spelled = _spellable(source_zh)
    named = {_fold(w) for p in names.places for w in romanize_place(p).split()}
    named |= {_fold(w) for p in people for w in romanize_name(p).split()}
    named |= names.english
    unsupported = [
        group for group in _name_groups(english) if not _supported(group, spelled, named)
    ]
    folded_english = " ".join(
        _fold(w) for w in re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", english)
    )
    missing = []
    for person in people:
        romanized = romanize_name(person)
        surname, _, given = romanized.partition(" ")
        # "Jianfeng", "Jian-feng" (folded to jianfeng) or "Jian Feng".
        forms = {_fold(given), " ".join(_split_syllables(_fold(given)))}
        found_surname = re.search(rf"\b{re.escape(_fold(surname))}\b", folded_english)
        found_given = not given or any(
            re.search(rf"\b{re.escape(form)}\b", folded_english) for form in forms
        )
        if not (found_surname and found_given):
            missing.append(f"{romanized} ({person})")
    return NumberCheck(missing=_unique(missing), unsupported=_unique(unsupported))


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
