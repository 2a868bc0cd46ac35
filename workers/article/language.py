"""Which language a text is in, and traditional → simplified Chinese.

Detection counts scripts instead of asking a statistical model: langdetect
calls short Chinese Korean, and a model that knows every language is 1.3 GB.
Han characters among the letters decide Chinese; Hangul or kana mark Korean
and Japanese ("other"); Latin text with English function words is "en".
Simplified vs traditional is an OpenCC round trip: the script that OpenCC
changes more when converting *away* from it is the one the text is in.

newsum summarizes Chinese only: :func:`require_chinese` is the one check that
refuses everything else (English and other Latin-script text, Japanese,
Korean) with 422 ``not_chinese``, for the API's jobs, the command line and
batch items alike (all go through ``workers.pipeline.prepare_article``). A page
is checked on its visible text before extraction (:func:`require_chinese_page`),
so an English page is refused as not Chinese rather than as empty.
Web addresses and e-mail addresses are not prose: their letters are not counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal, Protocol

from workers.errors import NotChinese

Language = Literal["zh-Hans", "zh-Hant", "en", "other"]
Chinese = Literal["zh-Hans", "zh-Hant"]

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
# Web and e-mail addresses (a government portal's footer lists dozens of
# www.….gov.cn links): their letters say nothing about the language.
_ADDRESS = re.compile(
    r"(?:https?://|www\.)[!-~]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+"
    r"|\b[A-Za-z0-9.-]+\.(?:com|cn|net|org|gov|edu|html?|php|jsp)\b[!-~]*",
    re.IGNORECASE,
)


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


@dataclass(frozen=True)
class ScriptCounts:
    """Letters of a text by script (web and e-mail addresses left out)."""

    han: int = 0
    kana: int = 0
    hangul: int = 0
    latin: int = 0
    letters: int = 0


def script_counts(text: str) -> ScriptCounts:
    """How many of ``text``'s letters are Han, kana, Hangul and Latin."""
    han = kana = hangul = latin = letters = 0
    for ch in _ADDRESS.sub(" ", text):
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
    return ScriptCounts(han, kana, hangul, latin, letters)


def detect_language(text: str, *, min_han_ratio: float = MIN_HAN_RATIO) -> Language:
    """Tell Chinese (simplified or traditional) from English and everything else.

    Returns ``"zh-Hans"``, ``"zh-Hant"``, ``"en"`` or ``"other"`` (Japanese,
    Korean, other Latin-script languages, text without letters). Text is
    Chinese when Han characters make up at least ``min_han_ratio`` of its
    letters, web and e-mail addresses not counted.
    """
    counts = script_counts(text)
    return _language(text, counts, min_han_ratio)


def _language(text: str, counts: ScriptCounts, min_han_ratio: float) -> Language:
    if counts.letters == 0 or _korean(counts) or _japanese(counts):
        return "other"
    if counts.han / counts.letters >= min_han_ratio:
        return _chinese_script(text)
    if counts.latin / counts.letters >= 0.5 and _looks_english(text):
        return "en"
    return "other"


def _korean(counts: ScriptCounts) -> bool:
    return counts.hangul / counts.letters > MAX_HANGUL_RATIO


def _japanese(counts: ScriptCounts) -> bool:
    kana, han = counts.kana, counts.han
    kana_ratio = kana / (han + kana) if han + kana else 0.0
    return kana_ratio >= HIGH_KANA_RATIO or (kana >= 2 and kana_ratio > MAX_KANA_RATIO)


def require_chinese(
    text: str, *, what: str = "article", min_han_ratio: float = MIN_HAN_RATIO
) -> Chinese:
    """The Chinese script ``text`` is in; :class:`NotChinese` (422 ``not_chinese``) for
    anything else, with what was found: mostly Latin script (English, French …),
    Japanese, Korean, or no letters at all.

    ``what`` names the text in the message ("article", "page").
    """
    counts = script_counts(text)
    language = _language(text, counts, min_han_ratio)
    if language in ("zh-Hans", "zh-Hant"):
        return "zh-Hans" if language == "zh-Hans" else "zh-Hant"
    raise NotChinese(_refusal(what, language, counts, min_han_ratio))


def require_chinese_letters(
    text: str, *, what: str = "article", min_han_ratio: float = MIN_HAN_RATIO
) -> None:
    """:func:`require_chinese`'s verdict from the letters alone, without telling the
    Chinese scripts apart (no OpenCC round trip): the cheap check the API runs on a
    batch's plain-text items before queueing any. The worker checks again."""
    counts = script_counts(text)
    if (
        counts.letters
        and not _korean(counts)
        and not _japanese(counts)
        and counts.han / counts.letters >= min_han_ratio
    ):
        return
    latin = counts.letters and counts.latin / counts.letters >= 0.5
    language: Language = "en" if latin and _looks_english(text) else "other"
    raise NotChinese(_refusal(what, language, counts, min_han_ratio))


def _refusal(what: str, language: Language, counts: ScriptCounts, min_han_ratio: float) -> str:
    share = counts.han / counts.letters if counts.letters else 0.0
    if counts.letters == 0:
        found = "it has no letters at all"
    elif _korean(counts):
        found = "it is Korean"
    elif _japanese(counts):
        found = "it is Japanese"
    elif counts.latin / counts.letters >= 0.5:
        kind = "English" if language == "en" else "a Latin-script language"
        found = (
            f"{share:.0%} of its letters are Chinese characters and "
            f"{counts.latin / counts.letters:.0%} are Latin script: it reads as {kind}"
        )
    else:
        found = f"{share:.0%} of its letters are Chinese characters"
    return (
        f"the {what} is not Chinese (fewer than {min_han_ratio:.0%} of its letters are "
        f"Chinese characters, or it is Japanese or Korean; here {found}); "
        "newsum summarizes Chinese news into English"
    )


def require_chinese_page(html: str, *, min_han_ratio: float = MIN_HAN_RATIO) -> None:
    """Refuse a page whose visible text is not Chinese, before extraction.

    Extraction keeps Chinese paragraphs only, so an English page would come back
    "empty"; read on its visible text (scripts and styles dropped), it is plainly
    not Chinese. A page with no visible letters is left to extraction to judge.
    """
    text = visible_text(html)
    if script_counts(text).letters:
        require_chinese(text, what="page", min_han_ratio=min_han_ratio)


def visible_text(html: str) -> str:
    """The text a reader sees on ``html`` (no scripts, styles, templates); "" when
    lxml cannot parse it."""
    import lxml.html
    from lxml import etree

    try:
        # Encoded with an explicit parser encoding: a page's own charset
        # declaration (gbk) must not make lxml decode the str a second time.
        parser = lxml.html.HTMLParser(encoding="utf-8")
        page = lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, ValueError):
        return ""
    for element in page.xpath("//script|//style|//noscript|//template"):
        element.drop_tree()
    return str(page.text_content())
