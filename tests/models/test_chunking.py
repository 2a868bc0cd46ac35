"""Token-aware chunking and map-reduce summaries: nothing dropped, nothing over the window."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.chunking import chunk_by_tokens, map_reduce_summary, split_long_sentence


def chars(text: str) -> int:
    return len(text)


def with_specials(text: str) -> int:
    # Like a real tokenizer: every input carries <s> and </s>.
    return len(text) + 2


# ---------------------------------------------------------------- split_long_sentence


def test_a_sentence_that_fits_comes_back_whole() -> None:
    assert split_long_sentence("嘉兴开展主题教育。", chars, 9) == ["嘉兴开展主题教育。"]


def test_cuts_fall_at_clause_marks_first() -> None:
    text = "思想再洗礼，使命再升华；精神再补钙，工作再加油。"
    pieces = split_long_sentence(text, chars, 12)
    assert "".join(pieces) == text
    assert pieces == ["思想再洗礼，使命再升华；", "精神再补钙，工作再加油。"]


def test_commas_when_semicolons_are_not_enough() -> None:
    text = "思想再洗礼，使命再升华，精神再补钙，工作再加油。"
    pieces = split_long_sentence(text, chars, 7)
    assert pieces == ["思想再洗礼，", "使命再升华，", "精神再补钙，", "工作再加油。"]


def test_english_is_cut_between_words() -> None:
    text = "the quick brown fox jumps over the lazy dog"
    pieces = split_long_sentence(text, chars, 10)
    assert "".join(pieces) == text
    assert all(len(p) <= 10 for p in pieces)
    assert pieces[0] == "the quick "


def test_a_clause_without_marks_is_cut_between_characters() -> None:
    text = "一" * 25
    pieces = split_long_sentence(text, with_specials, 10)
    assert pieces == ["一" * 8, "一" * 8, "一" * 8, "一"]


def test_a_budget_below_one_character_is_refused() -> None:
    with pytest.raises(ValueError, match="over the budget of 2 tokens"):
        split_long_sentence("一二三", with_specials, 2)


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet="一二三 ab，、；;:,\n", min_size=1, max_size=80),
    budget=st.integers(min_value=3, max_value=30),
)
def test_pieces_rebuild_the_text_and_fit(text: str, budget: int) -> None:
    pieces = split_long_sentence(text, with_specials, budget)
    assert "".join(pieces) == text
    assert all(with_specials(p) <= budget for p in pieces)
    assert all(pieces)


# ---------------------------------------------------------------- chunk_by_tokens


def test_chunks_are_consecutive_and_greedy() -> None:
    sentences = ["aaaa", "bbb", "cc", "dddddd", "e"]
    assert chunk_by_tokens(sentences, chars, 7) == [[0, 1], [2], [3, 4]]


def test_an_oversized_sentence_gets_a_chunk_of_its_own() -> None:
    assert chunk_by_tokens(["ab", "x" * 20, "cd"], chars, 5) == [[0], [1], [2]]


def test_no_sentences_no_chunks() -> None:
    assert chunk_by_tokens([], chars, 5) == []


@settings(max_examples=200, deadline=None)
@given(
    lengths=st.lists(st.integers(min_value=0, max_value=40), max_size=60),
    budget=st.integers(min_value=1, max_value=50),
)
def test_every_index_once_and_no_chunk_over_budget(lengths: list[int], budget: int) -> None:
    sentences = ["x" * n for n in lengths]
    chunks = chunk_by_tokens(sentences, chars, budget)
    assert [i for chunk in chunks for i in chunk] == list(range(len(sentences)))
    for chunk in chunks:
        total = sum(lengths[i] for i in chunk)
        assert total <= budget or len(chunk) == 1
    # Greedy: no two neighbouring chunks could have been one.
    for left, right in itertools.pairwise(chunks):
        assert sum(lengths[i] for i in left) + lengths[right[0]] > budget


# ---------------------------------------------------------------- map_reduce_summary


class CountingSummarizer:
    """A fake summarizer that counts words and keeps the first few of each input.

    It records every call and refuses inputs over its window, as the real engine does.
    """

    engine_name = "fake"
    model_id = "fake/summarizer"
    revision: str | None = "test"

    def __init__(self, window: int = 40, keep: int = 6) -> None:
        self.max_input_tokens = window
        self.keep = keep
        self.calls: list[list[str]] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 2

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        self.calls.append(list(texts))
        for text in texts:
            assert self.count_tokens(text) <= self.max_input_tokens, text
        keep = self.keep if max_new_tokens is None else min(self.keep, max_new_tokens)
        return [" ".join(text.split()[:keep]) for text in texts]


def article(sentences: int, words: int = 8) -> list[str]:
    return [" ".join(f"w{s}_{w}" for w in range(words)) + "." for s in range(sentences)]


def test_short_text_is_one_call() -> None:
    fake = CountingSummarizer()
    summary, chunks = map_reduce_summary(article(2), fake)
    assert chunks == 1
    assert len(fake.calls) == 1
    assert summary == "w0_0 w0_1 w0_2 w0_3 w0_4 w0_5"


def test_long_text_is_mapped_then_reduced_within_the_window() -> None:
    fake = CountingSummarizer(window=40)
    text = article(60)
    summary, chunks = map_reduce_summary(text, fake, reserve_tokens=4)
    assert chunks > 1
    assert len(fake.calls) >= 2
    # The map round saw every word of the article, in order: nothing truncated.
    mapped_words = " ".join(fake.calls[0]).split()
    assert mapped_words == " ".join(text).split()
    assert len(fake.calls[0]) == chunks
    # Every call, map and reduce, fit the window less the reserve.
    for call in fake.calls:
        assert all(fake.count_tokens(t) <= 40 - 4 for t in call)
    assert len(fake.calls[-1]) == 1
    assert summary.startswith("w0_0")


def test_reduction_converges_when_summaries_do_not_shrink() -> None:
    # A summarizer that echoes up to 30 words: two partials never fit together
    # in a 40-token window unless the engine is asked for shorter outputs.
    fake = CountingSummarizer(window=40, keep=30)
    summary, chunks = map_reduce_summary(article(40), fake)
    assert chunks > 1
    assert len(fake.calls[-1]) == 1
    assert 0 < fake.count_tokens(summary) <= 40


def test_a_sentence_over_the_window_is_split_not_truncated() -> None:
    fake = CountingSummarizer(window=20)
    long_sentence = " ".join(f"x{i}" for i in range(50))
    _, chunks = map_reduce_summary([long_sentence], fake, reserve_tokens=2)
    assert chunks >= 3
    assert " ".join(fake.calls[0]).split() == long_sentence.split()


def test_chinese_sentences_are_joined_without_spaces() -> None:
    fake = CountingSummarizer()
    map_reduce_summary(["嘉兴开展主题教育。", "初心是什么？"], fake)
    assert fake.calls == [["嘉兴开展主题教育。初心是什么？"]]


def test_nothing_to_summarize_is_refused() -> None:
    with pytest.raises(ValueError, match="nothing to summarize"):
        map_reduce_summary(["", "  "], CountingSummarizer())


def test_a_reserve_that_eats_the_window_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 8"):
        map_reduce_summary(article(3), CountingSummarizer(window=20), reserve_tokens=15)
