"""Does the English say only what the Chinese says? Numbers, percentages and dates.

``check_numbers`` reads every number on both sides to a value: Arabic and
Chinese numerals, 万/亿 scaled (1.3万 = 13,000; 5亿 = 500 million), English
scale words (13 thousand, 0.5 billion), number words (four, nineteenth),
months (September = 9), percentages kept apart. A number in the English that
no source number supports is ``unsupported``; a source number the English
does not carry is ``missing``. English may round what the source says
(34.08亿美元 → "$3.4 billion") but not invent precision.

Report strings: an unsupported item is the English as written ("250,000");
a missing number is the Chinese as written, with its value where the two
differ ("23.3万 (233,000)"). Names are checked by ``workers.english.name_checks``.

Known limits: Chinese numerals are read only where they count something:
words that count nothing are skipped, found in CC-CEDICT (idioms such as
千家万户, words such as 三角 "triangle", 十分 "very"; the longest dictionary
word around a numeral decides, so 十分钟 "ten minutes" reads as 十分 "very"),
and the value 1 from words is ignored on both sides ("one", "first", 一个 are
too common to check); Roman numerals and fractions (三成, "a third") are not
read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import lru_cache

from workers.contract import NumberCheck


@dataclass(frozen=True)
class Figure:
    """One number found in a text: its value, whether it is a percentage, how it was written."""

    value: Decimal
    percent: bool
    surface: str
    # Written with a scale word or decimals, or large: rounding is allowed.
    approximate: bool = False
    significant: int = 0
    # Written inside a word that counts nothing (三角, 十分): supports, never missing.
    weak: bool = False


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
# Words written with numeral characters that count nothing (三角 "triangle",
# 统一 "to unify", 十分 "very", 千家万户 "every family") come from CC-CEDICT
# (https://cc-cedict.org/, CC BY-SA 4.0): see ``not_number_words``.
_ZH_NUMERAL_CHARS = frozenset("零〇一二两三四五六七八九十百千万亿")
_MAX_WORD = 8
# A CC-CEDICT sense that states a count: a digit, or a number word or ordinal
# in the singular ("hundred years", "first quarter", "Three Represents").
# Plurals are vague ("millions and millions", "at sixes and sevens").
_COUNT_SENSE = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty"
    r"|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion"
    r"|trillion|dozen|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth"
    r"|\w+teenth|\w+tieth|hundredth|thousandth|double|twice|triple|half)\b",
    re.IGNORECASE,
)

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


@lru_cache(maxsize=1)
def not_number_words() -> frozenset[str]:
    """CC-CEDICT words with numeral characters that count nothing.

    A word counts nothing when CC-CEDICT calls it an idiom (三番五次, 千方百计)
    or when the first sense of each of its readings, leaving out literal glosses
    ("lit. …") and parentheses (a person's years), states no count: 三角 "triangle", 十分
    "very", 两岸 "both sides", 万一 "just in case", 亿万 "millions and
    millions". 百年 "hundred years" and 第一季度 "first quarter" count.
    """
    from workers.english.terms import cedict

    found: set[str] = set()
    for entry in cedict().get_words():
        word = entry.simp
        if not 2 <= len(word) <= _MAX_WORD or not _ZH_NUMERAL_CHARS & set(word):
            continue
        # A brand's name entry does not make a word a count (统一 "7-Eleven" beside
        # tǒngyī "to unify"): names count only when the word has no other reading.
        common = [e for e in entry.definition_entries if e.pinyin[:1].islower()]
        readings = [[d.strip() for d in e.definitions] for e in common or entry.definition_entries]
        if any("(idiom)" in sense for senses in readings for sense in senses):
            found.add(word)
            continue
        # Each reading's first sense (十一 is "PRC National Day" and "eleven").
        firsts = [
            next((s for s in senses if s and not s.startswith("lit.")), "") for senses in readings
        ]
        if any(firsts) and not any(
            _COUNT_SENSE.search(re.sub(r"\([^)]*\)", "", f)) for f in firsts
        ):
            found.add(word)
    return frozenset(found)


def _mask_words(text: str) -> str:
    """Numeral characters inside a word that counts nothing, blanked out (longest word wins)."""
    words = not_number_words()
    chars = list(text)
    for at, ch in enumerate(text):
        if ch not in _ZH_NUMERAL_CHARS or chars[at] == "□":
            continue
        best: tuple[int, int] | None = None
        for start in range(max(0, at - _MAX_WORD + 1), at + 1):
            if (
                start > 0
                and text[start] in _ZH_NUMERAL_CHARS
                and _continues_number(text[start - 1])
            ):
                continue  # 万名 of 三万名 is part of a number
            for end in range(min(len(text), start + _MAX_WORD), at, -1):
                if end - start >= 2 and text[start:end] in words:
                    if best is None or end - start > best[1] - best[0]:
                        best = (start, end)
                    break
        if best is not None:
            chars[best[0] : best[1]] = "□" * (best[1] - best[0])
    return "".join(chars)


def _continues_number(ch: str) -> bool:
    return ch.isdigit() or ch in _ZH_NUMERAL_CHARS


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
    plain = _ZH_PERCENT_WORDS.sub(lambda m: "□" * len(m.group()), text)
    masked = _mask_words(plain)
    for match in _ZH_NUMERAL.finditer(plain):
        run = match.group()
        has_digit = any(ch in _ZH_DIGITS for ch in run) or run.startswith("十")
        # 百亿 ("超百亿项目") counts; a lone 百/千/万 (百人, 千家) does not.
        if not has_digit and (len(run) < 2 or run in ("千万", "万万")):
            continue
        if match.start() > 0 and plain[match.start() - 1].isdigit():
            continue  # the 万 of 1.3万, read above
        number = parse_chinese_numeral(run) if has_digit else _unit_run(run)
        if number is None or number == 1:
            continue
        # Inside a word that counts nothing (两国 "both countries", 三角): the
        # number may back an English one ("the two countries") but is never missing.
        weak = "□" in masked[match.start() : match.end()]
        figures.append(Figure(value=Decimal(number), percent=False, surface=run, weak=weak))
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
    missing = [
        _describe(s) for s in source if not s.weak and not any(_supports(s, e) for e in target)
    ]
    return NumberCheck(missing=_unique(missing), unsupported=_unique(unsupported))
