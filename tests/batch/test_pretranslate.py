"""Cross-article batching: a chunk's sentences go to the model in one call, and each
article's own run then finds them remembered, with the same results."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence

import pytest

from models.engines.base import ScoredText
from tests.paths import seed_body
from workers.article.prepared import PreparedArticle
from workers.article.segment import article_sentences
from workers.batch.pretranslate import pretranslate, sentences_to_pretranslate
from workers.contract import SummaryOptions
from workers.english.engines import Engines, offline_engines
from workers.pipeline import summarize_prepared
from workers.store.cache import RedisLayout, connect_redis
from workers.store.embedded_redis import EmbeddedRedis
from workers.store.translation_memory import TranslationMemory


class RecordingTranslator:
    """A stand-in model: "translates" to a tagged copy, records every call."""

    model_id: str = "test/recording"
    revision: str | None = None
    engine_name: str = "recording"
    max_input_tokens: int = 512

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def count_tokens(self, text: str) -> int:
        return len(text) + 1

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        return [s.text for s in self.generate_scored(texts)]

    def generate_scored(
        self, texts: Sequence[str], *, max_new_tokens: int | None = None
    ) -> list[ScoredText]:
        self.calls.append(list(texts))
        return [ScoredText(f"EN<{t}>", -0.1) for t in texts]


def prepared(text: str, language: str = "zh-Hans") -> PreparedArticle:
    return PreparedArticle(text=text, sentences=article_sentences(text), language=language)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(tmp_path_factory.mktemp("redis-pretranslate")) as embedded:
        yield embedded


def engines_with(server: EmbeddedRedis, inner: RecordingTranslator) -> Engines:
    engines = offline_engines(None)
    client = connect_redis(server.url)
    engines.translator = TranslationMemory(
        inner, client, RedisLayout(f"t{uuid.uuid4().hex[:8]}"), ttl_s=60
    )
    return engines


def chunk() -> list[tuple[PreparedArticle, SummaryOptions]]:
    sentences = article_sentences(seed_body())
    first = "".join(sentences[:6])
    second = "".join(sentences[6:12])
    third = "".join(sentences[12:16])
    return [
        (prepared(first), SummaryOptions(strategy="extractive")),
        (prepared(second), SummaryOptions(strategy="extractive")),
        (prepared(third), SummaryOptions(strategy="extractive", translate=False)),
        (prepared("The council met today. It agreed a plan.", "en"), SummaryOptions()),
    ]


def test_only_sentences_translated_one_by_one_are_sent_ahead(server: EmbeddedRedis) -> None:
    engines = engines_with(server, RecordingTranslator())
    articles = chunk()
    first, second = articles[0][0].sentences, articles[1][0].sentences
    # Not the article with translate=false, not the English one.
    assert sentences_to_pretranslate(articles, engines) == list(dict.fromkeys(first + second))
    # A strategy that translates a summary, not the sentences: nothing ahead.
    engines.summarizer = RecordingTranslator()
    summary_first = [(articles[0][0], SummaryOptions(strategy="summarize-then-translate"))]
    assert sentences_to_pretranslate(summary_first, engines) == []
    # A title is translated by every strategy that translates: it goes first.
    titled = prepared(articles[0][0].text)
    titled.title = "思想再洗礼 使命再升华"
    summary_first = [(titled, SummaryOptions(strategy="summarize-then-translate"))]
    assert sentences_to_pretranslate(summary_first, engines) == [titled.title]
    with_title = [(titled, SummaryOptions(strategy="extractive"))]
    assert sentences_to_pretranslate(with_title, engines) == [titled.title, *first]
    untranslated = [(titled, SummaryOptions(strategy="extractive", translate=False))]
    assert sentences_to_pretranslate(untranslated, engines) == []


def test_the_chunk_goes_to_the_model_once_and_results_do_not_change(
    server: EmbeddedRedis,
) -> None:
    articles = chunk()
    glossary = {"嘉兴": "Jiaxing"}

    alone_model = RecordingTranslator()
    alone = engines_with(server, alone_model)
    expected = [
        summarize_prepared(p, o, alone, key="k", base_glossary=glossary) for p, o in articles
    ]

    model = RecordingTranslator()
    engines = engines_with(server, model)
    sent = pretranslate(articles, engines)
    assert len(model.calls) == 1 and len(model.calls[0]) == sent > 0
    ahead = set(model.calls[0])
    results = [
        summarize_prepared(p, o, engines, key="k", base_glossary=glossary) for p, o in articles
    ]
    later = [text for call in model.calls[1:] for text in call]
    # Afterwards the model sees only glossary sentences (with their placeholders).
    assert later and not ahead & set(later)
    assert all("嘉兴" not in text for text in later)
    for got, want in zip(results, expected, strict=True):
        assert got.translation == want.translation
        assert got.summary == want.summary


def test_nothing_is_sent_ahead_without_a_memory_to_keep_it() -> None:
    model = RecordingTranslator()
    engines = offline_engines(None)
    engines.translator = model
    assert pretranslate(chunk(), engines) == 0
    assert model.calls == []
