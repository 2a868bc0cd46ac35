"""Key terms of an article: the words a reader of the English needs, with pinyin and English.

Words come from jieba's part-of-speech tagger, scored by TF-IDF (jieba's own
IDF table) and filtered: people, places, organisations and nouns only
(``workers.english.kinds``: what a word is, checked against the dictionaries);
stop words (进行, 全市) and generic words, which jieba's IDF table finds in many
documents (发展, 问题: ``GENERIC_MAX_IDF``), never. Names count more than nouns:
they are what a foreign reader cannot guess. Two words that nearly always stand
together (主题 + 教育) become one term (主题教育).

Each term carries tone-marked pinyin and an English ``en``
(``workers.english.term_english``): a person's name as the press writes it
(Cantonese in a Hong Kong or Macau story, ``workers.english.region``), a place's
English name (CLDR, CC-CEDICT, pinyin by rule), an organisation's, or CC-CEDICT's
sense of the whole word; ``en`` is None rather than a wrong English. A caller's
glossary overrides it.

English glosses come from CC-CEDICT (https://cc-cedict.org/), © MDBG and the
CC-CEDICT contributors, licensed CC BY-SA 4.0
(https://creativecommons.org/licenses/by-sa/4.0/), the 2025-10-02 edition
(``workers.english.cc_cedict``); place names also from the Unicode CLDR through Babel.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from models.engines.extractive import stopwords_zh
from workers.contract import KeyTerm
from workers.english.cedict_senses import (
    cedict,
    entries,
    is_common_word,
    is_proper_noun,
    subjects,
)
from workers.english.kinds import (
    HAN,
    Kind,
    classify,
    dictionary_place,
    is_person_name,
    is_place_name,
    place_heads,
    tagged_words,
)
from workers.english.person_names import foreign_names, person_pinyin
from workers.english.region import is_hong_kong_story
from workers.english.romanize import pinyin_with_tones
from workers.english.term_english import StoryContext, english_for, term_english

__all__ = [
    "GENERIC_MAX_IDF",
    "Kind",
    "cedict",
    "classify",
    "compound_kind",
    "describe",
    "dictionary_place",
    "gloss",
    "is_common_word",
    "is_person_name",
    "is_place_name",
    "is_proper_noun",
    "key_terms",
    "place_heads",
    "story_context",
    "tagged_words",
]

# Generic words: nouns so common across documents that they say nothing about
# this one (发展, 问题, 建设, 管理, 信息, 部门 …). Read off the IDF table jieba
# ships (jieba/analyse/idf.txt, idf = ln(N / document frequency) over jieba's
# corpus): a term whose IDF is below GENERIC_MAX_IDF is in more than one
# document in e^5.5 (1 in 245) and is no key term on its own; it may still be
# part of a compound (教育 of 主题教育). Names are never generic. 175 of jieba's
# nouns (n, vn, nz) fall below it. The value was chosen on the seed article
# and the five gold texts of ../shared/data (in-sample): at 5.0 信息, 部门 and
# 工业 stay in the top 15 of a drug-supply notice; at 6.0 思想 and 教育 go.
GENERIC_MAX_IDF = 5.5
# Name weight over nouns: a person or place in one article is worth more
# to a foreign reader than the same TF-IDF of a common noun.
_NAME_BOOST = 1.5
_MIN_SUBJECT_WORDS = 3


@dataclass
class _Candidate:
    zh: str
    kind: Kind
    score: float
    flag: str
    parts: tuple[str, ...] = ()
    generic: bool = False
    count: int = 0


def gloss(word: str) -> str | None:
    """CC-CEDICT's English for ``word`` as a term (``workers.english.term_english``), or
    None when no whole-word sense fits."""
    word = word.strip()
    return term_english(word) if word else None


def _segments(word: str) -> list[str] | None:
    """``word`` cut into CC-CEDICT words, longest match first; None if a piece is unknown."""
    pieces: list[str] = []
    i = 0
    while i < len(word):
        for size in range(min(8, len(word) - i), 0, -1):
            if entries(word[i : i + size]):
                pieces.append(word[i : i + size])
                i += size
                break
        else:
            return None
    return pieces


def _idf() -> tuple[dict[str, float], float]:
    import jieba.analyse

    tfidf = jieba.analyse.default_tfidf
    return tfidf.idf_freq, tfidf.median_idf


def _candidates(tokens: list[tuple[str, str]]) -> dict[str, _Candidate]:
    stop = stopwords_zh()
    counts = Counter(w for w, _ in tokens)
    flags: dict[str, Counter[str]] = {}
    for word, flag in tokens:
        flags.setdefault(word, Counter())[flag] += 1
    idf, median = _idf()
    heads = place_heads(tokens)
    out: dict[str, _Candidate] = {}
    for word, count in counts.items():
        if len(word) < 2 or word in stop or not HAN.match(word):
            continue
        flag = flags[word].most_common(1)[0][0]
        kind = classify(word, flag, before_place_suffix=word in heads)
        if kind is None:
            continue
        word_idf = idf.get(word, median)
        score = count * word_idf
        if kind != "term":
            score *= _NAME_BOOST
        generic = kind == "term" and word_idf < GENERIC_MAX_IDF
        out[word] = _Candidate(word, kind, score, flag, generic=generic, count=count)
    return out


def compound_kind(word: str) -> Kind:
    """A compound's kind: 皓月 + 集团 is an organisation; most compounds are terms."""
    return classify(word, "n") or "term"


def _merge_compounds(
    tokens: list[tuple[str, str]], candidates: dict[str, _Candidate]
) -> dict[str, _Candidate]:
    """Join two adjacent terms that nearly always stand together (主题 + 教育)."""
    counts = Counter(w for w, _ in tokens)
    pairs = Counter(
        (a, b)
        for (a, _), (b, _) in itertools.pairwise(tokens)
        if a in candidates and b in candidates
    )
    merged = dict(candidates)
    for (a, b), together in pairs.most_common():
        first, second = candidates[a], candidates[b]
        if together < 3 or first.kind != "term" or second.kind != "term":
            continue
        if together < 0.6 * min(counts[a], counts[b]):
            continue
        compound = a + b
        merged[compound] = _Candidate(
            compound, compound_kind(compound), first.score + second.score, "n", parts=(a, b)
        )
        # A part that seldom stands alone is no term of its own any more.
        for part in (a, b):
            if together >= 0.75 * counts[part]:
                merged.pop(part, None)
    return merged


def _pinyin(candidate: _Candidate) -> str:
    if candidate.kind == "person":
        return person_pinyin(candidate.zh)
    if candidate.kind == "place":
        return pinyin_with_tones(candidate.zh, kind="place")
    # A compound is written as its words (zhǔtí jiàoyù); so is a long jieba
    # word made of dictionary words (dǎngyuán gànbù); a short one is one word.
    pieces = list(candidate.parts) or [candidate.zh]
    if not candidate.parts and len(candidate.zh) >= 4:
        segments = _segments(candidate.zh)
        if segments and all(len(p) >= 2 for p in segments):
            pieces = segments
    words = []
    for piece in pieces:
        # An organisation is a name; CC-CEDICT capitalizes the reading of a name (南湖).
        proper = candidate.kind == "organization" or is_proper_noun(piece)
        words.append(pinyin_with_tones(piece, kind="place" if proper else "term"))
    return " ".join(words)


def _subject(candidates: Mapping[str, _Candidate]) -> str | None:
    """The subject CC-CEDICT's labels give three or more of the story's words, if any."""
    counts = Counter(s for word in candidates for s in subjects(word))
    found = counts.most_common(1)
    return found[0][0] if found and found[0][1] >= _MIN_SUBJECT_WORDS else None


def _whole_words(
    tokens: list[tuple[str, str]], candidates: Mapping[str, _Candidate]
) -> dict[str, str]:
    """Candidates that stand, every time, inside the same longer CC-CEDICT word that
    jieba cut up (特色社会主义 of 中国特色社会主义, 大湾 of 大湾区, 京报 of 新京报)."""
    words = [w for w, _ in tokens]
    spans = {c.parts or (c.zh,): c.zh for c in candidates.values()}
    inside: dict[str, set[str]] = {}
    for start in range(len(words)):
        for size in (1, 2):
            word = spans.get(tuple(words[start : start + size]))
            if word is None:
                continue
            before = words[start - 1] if start else ""
            after = words[start + size] if start + size < len(words) else ""
            longer = {
                whole
                for whole in (before + word, word + after)
                if whole != word and HAN.match(whole) and entries(whole)
            }
            inside[word] = inside[word] & longer if word in inside else longer
    return {word: next(iter(found)) for word, found in inside.items() if len(found) == 1}


def story_context(
    text: str,
    tokens: list[tuple[str, str]],
    candidates: Mapping[str, _Candidate],
    url: str | None = None,
) -> StoryContext:
    """What the story says about its words (``workers.english.term_english.StoryContext``)."""
    places = sum(c.count for c in candidates.values() if c.kind == "place")
    return StoryContext(
        hong_kong=is_hong_kong_story(text, place_mentions=places, url=url),
        foreign=foreign_names(text, list(candidates)),
        subject=_subject(candidates),
        wholes=_whole_words(tokens, candidates),
    )


def describe(
    word: str,
    kind: Kind,
    parts: tuple[str, ...] = (),
    context: StoryContext | None = None,
    glossary: Mapping[str, str] | None = None,
) -> tuple[str | None, Kind]:
    """A key term's English and its kind in the story: a word the text spells in Latin
    letters beside a middle-dotted name is a person (茉莉·西尔斯（Jasmine Seales）→
    "Jasmine"); ``glossary`` (Chinese → English) overrides the English."""
    context = context or StoryContext()
    if context.foreign.get(word):
        kind = "person"
    english = (glossary or {}).get(word) or english_for(word, kind, parts, context)
    return english, kind


def key_terms(
    text: str,
    k: int = 10,
    glossary: Mapping[str, str] | None = None,
    *,
    url: str | None = None,
) -> list[KeyTerm]:
    """The ``k`` most telling terms of ``text``, best first, each with pinyin and English.

    ``glossary`` (Chinese → English) overrides the English of any term it names.
    ``url``: the page's address, one of the signs of a Hong Kong or Macau story.
    A term with no right English keeps ``en`` None: its pinyin still helps.
    """
    if k <= 0 or not text.strip():
        return []
    tokens = tagged_words(text)
    candidates = _merge_compounds(tokens, _candidates(tokens))
    context = story_context(text, tokens, candidates, url)
    ranked = sorted(candidates.values(), key=lambda c: (-c.score, c.zh))
    terms: list[KeyTerm] = []
    for candidate in ranked:
        if len(terms) == k:
            break
        if candidate.generic:
            continue
        en, candidate.kind = describe(
            candidate.zh, candidate.kind, candidate.parts, context, glossary
        )
        terms.append(
            KeyTerm(zh=candidate.zh, pinyin=_pinyin(candidate), en=en, kind=candidate.kind)
        )
    return terms
