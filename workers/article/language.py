"""Which language a text is in, and traditional → simplified Chinese.

Detection counts scripts instead of asking a statistical model: langdetect
calls short Chinese Korean, and a model that knows every language is 1.3 GB.
Han characters among the letters decide Chinese; Hangul or kana mark Korean
and Japanese ("other"); Latin text with English function words is "en".
Simplified vs traditional is an OpenCC round trip: the script that OpenCC
changes more when converting *away* from it is the one the text is in.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal, Protocol

Language = Literal["zh-Hans", "zh-Hant", "en", "other"]

# Share of Han characters among all letters above which a text is Chinese.
# Chinese news quotes English names and acronyms (PM2.5, G60, CEO); 0.3 keeps
# those Chinese while an English report quoting a few characters stays English.
MIN_HAN_RATIO = 0.3
# Any real share of kana or Hangul means Japanese or Korean: Chinese text has
# none, while Japanese prose is a third or more kana even when kanji-heavy.
# One kana in a Chinese sentence (a shop called "××の店") is not Japanese, so
# a low share needs at least two kana; a high one (日本の首相) needs only one.
MAX_KANA_RATIO = 0.05
HIGH_KANA_RATIO = 0.15
MAX_HANGUL_RATIO = 0.05

_ENGLISH_FUNCTION_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "and",
        "or",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "by",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "he",
        "she",
        "they",
        "we",
        "you",
        "i",
        "his",
        "her",
        "their",
        "our",
        "not",
        "but",
        "has",
        "have",
        "had",
        "will",
        "would",
        "can",
        "could",
        "said",
        "says",
        "which",
        "who",
        "what",
        "when",
    ]
)
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


class _Converter(Protocol):
    def convert(self, text: str) -> str: ...


def _is_han(ch: str) -> bool:
    cp = ord(ch)
    return (
        0x4E00 <= cp <= 0x9FFF  # CJK Unified Ideographs
        or 0x3400 <= cp <= 0x4DBF  # Extension A
        or 0x20000 <= cp <= 0x2EBEF  # Extensions B–F
        or 0xF900 <= cp <= 0xFAFF  # Compatibility Ideographs
        or cp == 0x3007  # 〇
    )


def _is_kana(ch: str) -> bool:
    cp = ord(ch)
    # ー (U+30FC) and ・ (U+30FB) occur in Chinese transliterations of foreign
    # names too, so they do not count as kana.
    return (0x3040 <= cp <= 0x309F or 0x30A0 <= cp <= 0x30FF or 0x31F0 <= cp <= 0x31FF) and (
        cp not in (0x30FB, 0x30FC)
    )


def _is_hangul(ch: str) -> bool:
    cp = ord(ch)
    return 0xAC00 <= cp <= 0xD7AF or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F


def _is_latin(ch: str) -> bool:
    return (ch.isascii() and ch.isalpha()) or "\u00c0" <= ch <= "\u024f"


def han_ratio(text: str) -> float:
    """Share of Han characters among the letters of ``text`` (0.0 when it has none).

    Digits, punctuation and spaces are not letters, so "PM2.5浓度35微克" counts
    only P, M and the Han characters.
    """
    han = letters = 0
    for ch in text:
        if _is_han(ch):
            han += 1
            letters += 1
        elif ch.isalpha():
            letters += 1
    return han / letters if letters else 0.0


@cache
def _converter(config: str) -> _Converter:
    # OpenCC loads its dictionaries on construction; build each converter once,
    # on first use, never at import.
    import opencc

    converter: _Converter = opencc.OpenCC(config)
    return converter


def to_simplified(text: str) -> str:
    """Traditional Chinese → simplified (OpenCC ``t2s``); simplified text comes back unchanged."""
    if not text:
        return text
    return _converter("t2s").convert(text)


def _changed(before: str, after: str) -> int:
    if len(before) != len(after):
        # t2s/s2t are character for character; a length change (rare phrase
        # conversions) still means the text was changed.
        return abs(len(before) - len(after)) + 1
    return sum(1 for a, b in zip(before, after, strict=True) if a != b)


def _chinese_script(text: str) -> Language:
    han = "".join(ch for ch in text if _is_han(ch))
    to_simp = _changed(han, _converter("t2s").convert(han))
    to_trad = _changed(han, _converter("s2t").convert(han))
    # Characters shared by both scripts change in neither direction; a text
    # made only of those (一二三, 中国人) is called simplified.
    return "zh-Hant" if to_simp > to_trad else "zh-Hans"


def _looks_english(text: str) -> bool:
    words = [w.lower() for w in _LATIN_WORD.findall(text)]
    if len(words) < 6:
        # Too short to tell English from other Latin-script languages; a
        # headline or a name is most likely English here.
        return True
    function_words = sum(1 for w in words if w in _ENGLISH_FUNCTION_WORDS)
    return function_words / len(words) >= 0.08


def detect_language(text: str, *, min_han_ratio: float = MIN_HAN_RATIO) -> Language:
    """Tell Chinese (simplified or traditional) from English and everything else.

    Returns ``"zh-Hans"``, ``"zh-Hant"``, ``"en"`` or ``"other"`` (Japanese,
    Korean, other Latin-script languages, text without letters). Text is
    Chinese when Han characters make up at least ``min_han_ratio`` of its
    letters (``NEWSUM_MIN_CHINESE_RATIO`` is the pipeline's setting for it).
    """
    han = kana = hangul = latin = letters = 0
    for ch in text:
        if _is_han(ch):
            han += 1
        elif _is_kana(ch):
            kana += 1
        elif _is_hangul(ch):
            hangul += 1
        elif _is_latin(ch):
            latin += 1
        elif not ch.isalpha():
            continue
        letters += 1
    if letters == 0:
        return "other"
    if hangul / letters > MAX_HANGUL_RATIO:
        return "other"
    kana_ratio = kana / (han + kana) if han + kana else 0.0
    if kana_ratio >= HIGH_KANA_RATIO or (kana >= 2 and kana_ratio > MAX_KANA_RATIO):
        return "other"
    if han / letters >= min_han_ratio:
        return _chinese_script(text)
    if latin / letters >= 0.5 and _looks_english(text):
        return "en"
    return "other"
