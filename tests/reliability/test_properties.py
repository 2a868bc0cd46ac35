"""Property tests (hypothesis) for intake, cleaning and segmentation.

Any string in: no exception but our InputError, and the output is made of the
input's characters in order (a subsequence), after the documented
normalizations: control and bidi characters removed (``strip_controls``),
whitespace runs (full-width and no-break spaces too) collapsed or dropped at
line and sentence boundaries. Segmentation loses nothing but whitespace.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workers.article.intake import decode_bytes
from workers.article.scraped_text import clean_scraped_text
from workers.article.segment import article_sentences, split_sentences
from workers.contract import ArticleInput
from workers.errors import InputError
from workers.pipeline import prepare_article, strip_controls
from workers.settings import load_settings

pytestmark = pytest.mark.reliability

SETTINGS = load_settings()
_SPACE = re.compile(r"\s+")
CHECKS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# News-like text: Han characters, Chinese and ASCII punctuation, quotes, digits,
# letters, whitespace of every kind, controls and bidi characters, anything else.
_PIECES = st.one_of(
    st.sampled_from(
        list("新华社北京电国务院会议今天召开决定发展产业投资亿元指出要加强建设有关部门负责人出席")
    ),
    st.sampled_from(list("。！？；，、：…“”‘’「」（）《》!?;,.:\"'()")),
    st.sampled_from(["\n", "\n\n", " ", "\u3000", "\xa0", "\t", "\r\n", "……", "..."]),
    st.sampled_from(["\u202e", "\u2066", "\u200f", "\x00", "\x1b", "\ufeff", "\x85"]),
    st.characters(codec="utf-8"),
    st.sampled_from(list("0123456789abcXYZ")),
)
news_text = st.lists(_PIECES, max_size=400).map("".join)


def is_subsequence(small: str, big: str) -> bool:
    it = iter(big)
    return all(ch in it for ch in small)


def squeeze(text: str) -> str:
    return _SPACE.sub("", text)


@CHECKS
@given(
    st.binary(max_size=2000), st.sampled_from([None, "gbk", "utf-8", "big5", "latin-1", "bogus"])
)
def test_decoding_any_bytes_gives_text_or_an_input_error(data: bytes, charset: str | None) -> None:
    try:
        text = decode_bytes(data, charset)
    except InputError as exc:
        assert exc.message
        return
    assert isinstance(text, str)


@CHECKS
@given(news_text)
def test_strip_controls_keeps_a_subsequence_without_controls(text: str) -> None:
    out = strip_controls(text)
    assert is_subsequence(out, text)
    assert not re.search(
        "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]", out
    )


@CHECKS
@given(news_text)
def test_cleaning_any_text_keeps_its_characters_in_order(text: str) -> None:
    try:
        cleaned = clean_scraped_text(text)
    except InputError:
        assert not text.strip() or not squeeze(text.replace("\u3000", "").replace("\xa0", ""))
        return
    assert is_subsequence(squeeze(cleaned.text), squeeze(text))


@CHECKS
@given(news_text, st.integers(min_value=1, max_value=400))
def test_segmentation_loses_nothing_but_whitespace(text: str, max_chars: int) -> None:
    sentences = split_sentences(text, max_chars)
    assert all(0 < len(s) <= max_chars for s in sentences)
    assert squeeze("".join(sentences)) == squeeze(text)
    for sentence in sentences:
        assert sentence == sentence.strip()


@CHECKS
@given(news_text)
def test_article_sentences_keep_every_paragraph(text: str) -> None:
    sentences = article_sentences(text)
    assert squeeze("".join(sentences)) == squeeze(text)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(news_text, st.booleans())
def test_preparing_any_article_gives_sentences_or_an_input_error(text: str, as_html: bool) -> None:
    given_input = ArticleInput(html=f"<p>{text}</p>") if as_html else ArticleInput(text=text or " ")
    try:
        prepared = prepare_article(given_input, SETTINGS)
    except InputError as exc:
        assert exc.message
        return
    assert prepared.sentences
    assert squeeze("".join(prepared.sentences)) == squeeze(prepared.text)
    if not as_html and prepared.original_text is None:
        # Plain text: the body is the input's characters, in order, controls removed.
        assert is_subsequence(squeeze(prepared.text), squeeze(strip_controls(text)))
