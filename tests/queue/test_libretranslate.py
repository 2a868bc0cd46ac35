"""LibreTranslate's /translate on a worker (``workers.queue.libretranslate``): the
key's glossary and the alternatives made of the engine's n-best lists, with a
stand-in engine whose hypotheses are known."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from workers.english.engines import Engines, offline_engines
from workers.errors import InvalidRequest
from workers.queue.libretranslate import (
    n_best_sentences,
    request_options,
    translate_request,
    translate_texts,
)


class NBestModel:
    """Translates each sentence to ``EN(<sentence>)``; its k-th hypothesis is
    ``EN<k>(<sentence>)`` (the 0th is the translation). Glossary placeholders
    (QX1 …) are copied through, as opus-mt copies them."""

    model_id = "test/n-best"
    revision: str | None = None
    engine_name = "fake"

    def __init__(self, max_input_tokens: int = 400, distinct: int = 9) -> None:
        self.max_input_tokens = max_input_tokens
        self.distinct = distinct  # hypotheses beyond this repeat the last one
        self.n_best_calls: list[tuple[list[str], int]] = []

    def count_tokens(self, text: str) -> int:
        return len(text) + 1

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        return [f"EN({t})" for t in texts]

    def generate_n_best(
        self, texts: Sequence[str], n: int, *, max_new_tokens: int | None = None
    ) -> list[list[str]]:
        self.n_best_calls.append((list(texts), n))
        return [
            [f"EN({t})"] + [f"EN{min(k, self.distinct)}({t})" for k in range(1, n)] for t in texts
        ]


class PlainModel(NBestModel):
    """The same model without an n-best list."""

    generate_n_best = None  # type: ignore[assignment]


def engines(model: object) -> Engines:
    built = offline_engines(warning=None)
    built.translator = model  # type: ignore[assignment]
    return built


def test_alternatives_join_each_sentences_kth_hypothesis() -> None:
    model = NBestModel()
    answer = translate_request(["你好。世界。", "新闻"], "text", engines(model), alternatives=2)
    assert answer["translatedText"] == ["EN(你好。) EN(世界。)", "EN(新闻)"]
    assert answer["alternatives"] == [
        ["EN1(你好。) EN1(世界。)", "EN2(你好。) EN2(世界。)"],
        ["EN1(新闻)", "EN2(新闻)"],
    ]
    # One call for every sentence of every text, one more hypothesis than asked.
    assert model.n_best_calls == [(["你好。", "世界。", "新闻"], 3)]


def test_alternatives_drop_repeats_and_the_translation_itself() -> None:
    answer = translate_request(["你好"], "text", engines(NBestModel(distinct=1)), alternatives=3)
    assert answer["alternatives"] == [["EN1(你好)"]]


def test_no_alternatives_for_html_english_runs_or_an_engine_without_a_list() -> None:
    answer = translate_request(["<p>你好</p>"], "html", engines(NBestModel()), alternatives=2)
    assert answer == {"translatedText": ["<p>EN(你好)</p>"], "alternatives": [[]]}
    answer = translate_request(["你好"], "text", engines(PlainModel()), alternatives=2)
    assert answer == {"translatedText": ["EN(你好)"], "alternatives": [[]]}
    assert "alternatives" not in translate_request(["你好"], "text", engines(NBestModel()))
    assert translate_texts(["Hello"], "text", engines(NBestModel())) == ["Hello"]


def test_a_long_sentence_is_cut_for_the_n_best_list_as_for_the_translation() -> None:
    model = NBestModel(max_input_tokens=12)
    sentence = "第一部分很长，第二部分也很长，第三部分"
    [options] = n_best_sentences([sentence], model, 2)
    pieces = model.n_best_calls[0][0]
    assert len(pieces) > 1 and "".join(pieces) == sentence
    assert options == [" ".join(f"EN({p})" for p in pieces), " ".join(f"EN1({p})" for p in pieces)]


def test_the_keys_glossary_shapes_the_translation_and_filters_alternatives() -> None:
    answer = translate_request(
        ["嘉兴新闻"], "text", engines(NBestModel()), glossary={"嘉兴": "Jiaxing"}, alternatives=2
    )
    # The stand-in never writes "Jiaxing" itself: the glossary puts it there, and
    # alternatives without it are dropped.
    assert "Jiaxing" in answer["translatedText"][0]
    assert answer["alternatives"] == [[]]
    plain = translate_request(["嘉兴新闻"], "text", engines(NBestModel()), alternatives=2)
    assert "Jiaxing" not in plain["translatedText"][0] and len(plain["alternatives"][0]) == 2


def test_request_options_are_checked() -> None:
    assert request_options(None) == (None, 0)
    assert request_options({"glossary": {"嘉兴": "Jiaxing"}, "alternatives": 9}) == (
        {"嘉兴": "Jiaxing"},
        3,
    )
    with pytest.raises(InvalidRequest):
        request_options({"glossary": {"嘉兴": 3}})


class Memory:
    """A wrapper as the worker's translation memory is: the engine is ``inner``."""

    def __init__(self, inner: NBestModel) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.revision = inner.revision
        self.engine_name = "memory"
        self.max_input_tokens = inner.max_input_tokens

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        return self.inner.generate(texts)


def test_alternatives_come_from_the_engine_under_the_translation_memory() -> None:
    answer = translate_request(["新闻"], "text", engines(Memory(NBestModel())), alternatives=1)
    assert answer == {"translatedText": ["EN(新闻)"], "alternatives": [["EN1(新闻)"]]}
