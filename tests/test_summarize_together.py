"""A chunk of articles summarized together: the summarizer's calls are joined across
articles, and each article gets the result its own run gives (tiny real models)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.paths import seed_body
from workers.contract import SummaryOptions, SummaryResult
from workers.engines import Engines, load_engines
from workers.pipeline import PreparedArticle, summarize_prepared
from workers.segment import article_sentences
from workers.settings import Settings
from workers.summarize_together import ChunkArticle, summarize_together

pytestmark = pytest.mark.engine


class RecordingGenerator:
    """Wraps an engine and records every batch it is given."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.calls: list[list[str]] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        self.calls.append(list(texts))
        return self.inner.generate(texts, max_new_tokens=max_new_tokens)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def engines(tiny_model_dir: Path) -> Engines:
    settings = Settings(model_dir=tiny_model_dir, torch_threads=1, num_beams=1, max_new_tokens=12)
    return load_engines(settings, "auto")


def recording(engines: Engines) -> tuple[Engines, RecordingGenerator]:
    summarizer = RecordingGenerator(engines.summarizer)
    return (
        Engines(
            profile="standard",
            ranker=engines.ranker,
            translator=engines.translator,
            summarizer=summarizer,  # type: ignore[arg-type]
            specs=engines.specs,
        ),
        summarizer,
    )


def chunk() -> list[ChunkArticle]:
    sentences = article_sentences(seed_body())

    def prepared(part: list[str]) -> PreparedArticle:
        return PreparedArticle(text="".join(part), sentences=part, language="zh-Hans")

    return [
        ChunkArticle(prepared(sentences[:5]), SummaryOptions(), "a"),
        # Long enough for several map chunks and a reduce.
        ChunkArticle(prepared(sentences * 2), SummaryOptions(), "b"),
        ChunkArticle(prepared(sentences[5:12]), SummaryOptions(strategy="extractive"), "c"),
        ChunkArticle(
            prepared(sentences[12:20]), SummaryOptions(strategy="summarize-then-translate"), "d"
        ),
        ChunkArticle(prepared(sentences[20:26]), SummaryOptions(sentences=2), "e"),
    ]


def same(got: SummaryResult, want: SummaryResult) -> None:
    assert got.id == want.id
    assert got.summary == want.summary
    assert got.translation == want.translation
    assert got.article == want.article
    assert got.checks == want.checks
    assert got.key_terms == want.key_terms
    assert got.provenance.models == want.provenance.models


def test_results_are_each_articles_own_with_fewer_summarizer_calls(engines: Engines) -> None:
    alone_engines, alone = recording(engines)
    expected = [
        summarize_prepared(a.prepared, a.options, alone_engines, key=a.key) for a in chunk()
    ]
    together_engines, together = recording(engines)
    results = summarize_together(chunk(), together_engines)
    for got, want in zip(results, expected, strict=True):
        assert isinstance(got, SummaryResult), got
        same(got, want)
    assert results[1].summary.en  # type: ignore[union-attr]
    # The same inputs went to the model, in fewer, fuller calls.
    assert sorted(t for call in together.calls for t in call) == sorted(
        t for call in alone.calls for t in call
    )
    assert len(together.calls) < len(alone.calls)
    assert len(together.calls[0]) > max(len(call) for call in alone.calls)


def test_an_article_that_fails_alone_fails_alone_together(engines: Engines) -> None:
    articles = chunk()[:2]
    english_only = PreparedArticle(text="   ", sentences=["   "], language="en")
    articles.insert(1, ChunkArticle(english_only, SummaryOptions(), "bad"))
    with pytest.raises(ValueError) as alone:
        summarize_prepared(english_only, SummaryOptions(), engines, key="bad")
    results = summarize_together(articles, engines)
    assert isinstance(results[1], ValueError) and str(results[1]) == str(alone.value)
    assert isinstance(results[0], SummaryResult) and isinstance(results[2], SummaryResult)
