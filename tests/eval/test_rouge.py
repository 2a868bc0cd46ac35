"""Character-level ROUGE, checked against scores worked out by hand."""

from __future__ import annotations

import pytest

from workers.eval.rouge import (
    chinese_tokens,
    english_tokens,
    lcs_length,
    rouge_chinese,
    rouge_english,
    rouge_n,
)


def test_tokens_drop_whitespace_and_punctuation_and_keep_digits_and_letters() -> None:
    # Full-width Ｇ and １ are NFKC-folded; Latin is case-folded; ，。“” and spaces go.
    assert chinese_tokens("５Ｇ 基站，“1200座”。") == [
        "5",
        "g",
        "基",
        "站",
        "1",
        "2",
        "0",
        "0",
        "座",
    ]
    assert chinese_tokens("。，、 \u3000！") == []


def test_worked_example() -> None:
    # candidate 今天下雨。 → 今 天 下 雨 (4 tokens); reference 今天不下雨 → 今 天 不 下 雨 (5).
    # ROUGE-1: overlap 4 → P = 4/4, R = 4/5, F1 = 2·4/(4+5) = 8/9.
    # ROUGE-2: candidate bigrams 今天 天下 下雨 (3), reference 今天 天不 不下 下雨 (4);
    #          overlap 今天, 下雨 = 2 → F1 = 2·2/(3+4) = 4/7.
    # ROUGE-L: LCS 今天下雨 = 4 → F1 = 2·4/(4+5) = 8/9.
    scores = rouge_chinese("今天下雨。", "今天不下雨")
    assert scores.rouge1 == pytest.approx(8 / 9)
    assert scores.rouge2 == pytest.approx(4 / 7)
    assert scores.rougeL == pytest.approx(8 / 9)


def test_counts_are_clipped() -> None:
    # 好好好 against 好: one 好 matches, not three. P = 1/3, R = 1 → F1 = 2·1/(3+1) = 0.5.
    assert rouge_n(list("好好好"), list("好"), 1) == pytest.approx(0.5)


def test_lcs_is_a_subsequence_not_a_substring() -> None:
    assert lcs_length(list("甲x乙y丙"), list("甲乙丙")) == 3
    assert lcs_length(list("丙乙甲"), list("甲乙丙")) == 1
    assert lcs_length([], list("甲")) == 0


def test_empty_or_disjoint_scores_zero() -> None:
    assert rouge_chinese("", "参考").rouge1 == 0.0
    assert rouge_chinese("。", "参考").rougeL == 0.0
    assert rouge_chinese("甲乙", "丙丁").rouge2 == 0.0


def test_identical_scores_one() -> None:
    scores = rouge_chinese("市政府发布5G规划。", "市政府 发布 5g 规划")
    assert (scores.rouge1, scores.rouge2, scores.rougeL) == (1.0, 1.0, 1.0)


def test_english_is_scored_in_words() -> None:
    assert english_tokens("The U.S. said 5G.") == ["the", "u", "s", "said", "5g"]
    # "the city opened" vs "the city closed": 2 of 3 words; bigram "the city" 1 of 2.
    scores = rouge_english("The city opened.", "the city closed")
    assert scores.rouge1 == pytest.approx(2 / 3)
    assert scores.rouge2 == pytest.approx(1 / 2)
