"""The full strategies end to end on tiny models of the real architectures.

Their English is noise; what is asserted is the structure, provenance, chunking
and batching of the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.paths import SEED_ARTICLE, seed_body
from workers.article.prepared import PreparedArticle
from workers.article.segment import article_sentences
from workers.batch.summarize_together import ChunkArticle, summarize_together
from workers.contract import ArticleInput, SummaryOptions, SummaryResult
from workers.english.engines import Engines, load_engines
from workers.errors import ModelUnavailable
from workers.pipeline import prepare_article, summarize_prepared
from workers.settings import Settings

pytestmark = pytest.mark.engine


class CountingGenerator:
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
def settings(tiny_model_dir: Path) -> Settings:
    # Random weights never stop on their own: short greedy outputs keep the test fast.
    return Settings(model_dir=tiny_model_dir, torch_threads=1, num_beams=1, max_new_tokens=12)


@pytest.fixture(scope="module")
def engines(settings: Settings) -> Engines:
    return load_engines(settings, "auto")


@pytest.fixture(scope="module")
def seed_prepared(settings: Settings):  # type: ignore[no-untyped-def]
    return prepare_article(ArticleInput(text=SEED_ARTICLE.read_text(encoding="utf-8")), settings)


def test_auto_loads_both_models_through_the_real_path(engines: Engines) -> None:
    assert engines.profile == "standard"
    refs = {ref.role: ref for ref in engines.model_refs()}
    assert refs["translation"].id == "Helsinki-NLP/opus-mt-zh-en"
    assert refs["summary"].id == "sshleifer/distilbart-cnn-12-6"
    assert refs["translation"].engine == "transformers"
    assert refs["summary"].licence == "Apache-2.0"
    assert engines.warnings == []


def test_fingerprint_changes_with_the_models(engines: Engines, tmp_path: Path) -> None:
    offline = load_engines(Settings(model_dir=tmp_path), "auto")
    assert offline.fingerprint() != engines.fingerprint()
    assert engines.fingerprint() == engines.fingerprint()


def test_translate_then_summarize(engines: Engines, seed_prepared) -> None:  # type: ignore[no-untyped-def]
    translator = CountingGenerator(engines.translator)
    summarizer = CountingGenerator(engines.summarizer)
    counted = Engines(
        profile="standard",
        ranker=engines.ranker,
        translator=translator,  # type: ignore[arg-type]
        summarizer=summarizer,  # type: ignore[arg-type]
        specs=engines.specs,
    )
    stages: list[str] = []
    result = summarize_prepared(
        seed_prepared,
        SummaryOptions(),
        counted,
        key="k",
        progress=lambda stage, fraction: stages.append(stage),
    )
    SummaryResult.model_validate_json(result.model_dump_json())
    assert result.summary.method == "translate-then-summarize"
    assert isinstance(result.summary.en, str) and result.summary.en.strip()
    assert result.summary.zh, "the Chinese key sentences come with every strategy"
    assert result.translation is not None
    assert [t.zh for t in result.translation] == result.article.sentences
    assert all(isinstance(t.en, str) for t in result.translation)
    assert result.article.title_en is not None
    for sentence in result.summary.sentences:
        assert all(0 <= i < len(result.article.sentences) for i in sentence.sources)
    # Every sentence translated in one batched call (plus the title), not one by one.
    assert len(translator.calls) == 2
    assert len(translator.calls[0]) >= len(result.article.sentences)
    # Every summarizer input fits the model's window: nothing silently truncated.
    window = engines.summarizer.max_input_tokens  # type: ignore[union-attr]
    for call in summarizer.calls:
        for text in call:
            assert engines.summarizer.count_tokens(text) <= window  # type: ignore[union-attr]
    assert stages[-1] == "done" and "translate" in stages and "summarize" in stages
    assert [m.role for m in result.provenance.models] == ["extractive", "translation", "summary"]
    assert not any("newsum models pull" in w for w in result.checks.warnings)


def test_long_article_goes_through_map_reduce(engines: Engines, seed_prepared) -> None:  # type: ignore[no-untyped-def]
    summarizer = CountingGenerator(engines.summarizer)
    counted = Engines(
        profile="standard",
        ranker=engines.ranker,
        translator=engines.translator,
        summarizer=summarizer,  # type: ignore[arg-type]
        specs=engines.specs,
    )
    long = seed_prepared
    long.sentences = seed_prepared.sentences * 3
    result = summarize_prepared(long, SummaryOptions(), counted, key="k")
    assert result.summary.en
    # More than one map chunk, then at least one reduce call.
    assert len(summarizer.calls) >= 2
    assert sum(len(c) for c in summarizer.calls) >= 3


def test_summarize_then_translate_translates_only_what_it_selects(
    engines: Engines, settings: Settings
) -> None:
    prepared = prepare_article(
        ArticleInput(text=SEED_ARTICLE.read_text(encoding="utf-8")), settings
    )
    translator = CountingGenerator(engines.translator)
    counted = Engines(
        profile="standard",
        ranker=engines.ranker,
        translator=translator,  # type: ignore[arg-type]
        summarizer=engines.summarizer,
        specs=engines.specs,
    )
    options = SummaryOptions(strategy="summarize-then-translate", sentences=3)
    result = summarize_prepared(prepared, options, counted, key="k")
    assert result.summary.method == "summarize-then-translate"
    assert result.summary.en
    assert result.translation is None
    assert any("translates only the sentences it selects" in w for w in result.checks.warnings)
    translated = sum(len(c) for c in translator.calls[:1])
    assert translated < len(prepared.sentences)


def test_extractive_with_a_translator_gives_english_key_sentences(
    engines: Engines,
    seed_prepared,  # type: ignore[no-untyped-def]
) -> None:
    result = summarize_prepared(
        seed_prepared, SummaryOptions(strategy="extractive", sentences=3), engines, key="k"
    )
    assert result.summary.method == "extractive"
    assert len(result.summary.sentences) == 3
    assert result.translation is not None
    for sentence in result.summary.sentences:
        (i,) = sentence.sources
        assert sentence.en == result.translation[i].en


def test_no_translate_option_is_respected(engines: Engines, seed_prepared) -> None:  # type: ignore[no-untyped-def]
    result = summarize_prepared(
        seed_prepared,
        SummaryOptions(strategy="extractive", translate=False),
        engines,
        key="k",
    )
    assert result.translation is None
    assert "No full translation: it was not asked for (translate=false)." in (
        result.checks.warnings
    )


def test_direct_strategy_refused_without_the_noncommercial_opt_in(
    tiny_model_dir_with_direct: Path,
    seed_prepared,  # type: ignore[no-untyped-def]
) -> None:
    engines = load_engines(
        Settings(model_dir=tiny_model_dir_with_direct, torch_threads=1, max_new_tokens=12)
    )
    assert engines.direct is None
    with pytest.raises(ModelUnavailable, match="NEWSUM_ALLOW_NONCOMMERCIAL"):
        summarize_prepared(seed_prepared, SummaryOptions(strategy="direct"), engines, key="k")


def test_direct_strategy_with_the_opt_in(tiny_model_dir_with_direct: Path, seed_prepared) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(
        model_dir=tiny_model_dir_with_direct,
        torch_threads=1,
        allow_noncommercial=True,
        num_beams=1,
        max_new_tokens=12,
    )
    engines = load_engines(settings)
    assert engines.direct is not None
    result = summarize_prepared(seed_prepared, SummaryOptions(strategy="direct"), engines, key="k")
    assert result.summary.method == "direct"
    assert result.summary.en
    assert "csebuetnlp/mT5_m2o_english_crossSum" in [m.id for m in result.provenance.models]


@pytest.fixture(scope="module")
def converted_model_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny models plus CTranslate2 int8 copies, made by the real command."""
    import os
    import shutil
    import subprocess
    import sys

    model_dir = tmp_path_factory.mktemp("converted") / "models"
    shutil.copytree(tiny_model_dir, model_dir)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "newsum"), "models", "convert"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NEWSUM_MODEL_DIR": str(model_dir)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "translation:" in done.stdout and "summary:" in done.stdout
    return model_dir


def test_converted_models_run_on_ctranslate2(converted_model_dir: Path, seed_prepared) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(model_dir=converted_model_dir, num_beams=1, max_new_tokens=8)
    engines = load_engines(settings.threads_for(1))
    assert {r.role: r.engine for r in engines.model_refs()} == {
        "extractive": "extractive",
        "translation": "ctranslate2",
        "summary": "ctranslate2",
    }
    result = summarize_prepared(seed_prepared, SummaryOptions(), engines, key="k")
    assert result.summary.method == "translate-then-summarize"
    assert result.summary.en
    assert result.translation is not None
    assert len(result.translation) == len(result.article.sentences)
    # Another engine is another pipeline: the cache can never mix their results.
    forced = load_engines(settings.model_copy(update={"engine": "transformers"}))
    assert {r.engine for r in forced.model_refs()} == {"extractive", "transformers"}
    assert forced.fingerprint() != engines.fingerprint()


def test_ctranslate2_engine_required_but_not_converted(tiny_model_dir: Path) -> None:
    settings = Settings(model_dir=tiny_model_dir, engine="ctranslate2")
    with pytest.raises(ModelUnavailable, match="newsum models convert"):
        load_engines(settings, "standard")


# ---------------------------------------------------------------- a chunk summarized together


def recording(engines: Engines) -> tuple[Engines, CountingGenerator]:
    summarizer = CountingGenerator(engines.summarizer)
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
    # No sentences: an article prepare_article would never let through, whose run fails.
    broken = PreparedArticle(text="", sentences=[], language="zh-Hans")
    articles.insert(1, ChunkArticle(broken, SummaryOptions(), "bad"))
    with pytest.raises(ValueError) as alone:
        summarize_prepared(broken, SummaryOptions(), engines, key="bad")
    results = summarize_together(articles, engines)
    assert isinstance(results[1], ValueError) and str(results[1]) == str(alone.value)
    assert isinstance(results[0], SummaryResult) and isinstance(results[2], SummaryResult)
