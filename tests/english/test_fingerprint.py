"""The pipeline fingerprint covers everything that changes output (issue 12).

Each input that changes what a model writes is flipped alone, on tiny real
models loaded through ``load_engines``, and the fingerprint (so the result
cache's digests and the translation memory's key) must change; settings that
change no output are flipped too, and it must not.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import redis

from models.convert import convert, ct2_path
from models.engines.base import ScoredText, TextGenerator, generation_signature
from models.engines.ctranslate2_engine import CTranslate2Engine
from models.engines.transformers_engine import TransformersEngine
from models.specs import get_spec
from models.store import checkpoint_digest, model_path
from workers.contract import ArticleInput, SummaryOptions
from workers.english.engines import Engines, load_engines, offline_engines
from workers.pipeline import summarize_article
from workers.settings import Settings, load_settings
from workers.store.cache import RedisLayout, ResultCache, connect_redis
from workers.store.digests import request_digest
from workers.store.embedded_redis import EmbeddedRedis
from workers.store.translation_memory import TranslationMemory, translator_fingerprint

# Random weights never stop on their own: short greedy outputs keep loading fast.
BASE = {"torch_threads": 1, "num_beams": 1, "max_new_tokens": 12, "device": "cpu"}
SENTENCE = "嘉兴市召开主题教育总结大会。"


@pytest.fixture(autouse=True)
def fresh_digests() -> Iterator[None]:
    # Tests below change checkpoints in place, which a worker never does unrestarted.
    checkpoint_digest.cache_clear()
    yield
    checkpoint_digest.cache_clear()


@pytest.fixture(scope="module")
def settings(tiny_model_dir: Path) -> Settings:
    return Settings(model_dir=tiny_model_dir, **BASE)  # type: ignore[arg-type]


def fingerprint(settings: Settings, **changes: object) -> str:
    return load_engines(settings.model_copy(update=changes), "auto").fingerprint()


def load_translator(path: Path, **generation: int) -> TransformersEngine:
    return TransformersEngine.load(
        get_spec("translation"),
        path,
        device="cpu",
        torch_threads=1,
        generation_overrides={"num_beams": 1, "max_new_tokens": 8, **generation},
    )


# ---------------------------------------------------------------- settings flipped one at a time


@pytest.mark.engine
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("num_beams", 4),
        ("max_new_tokens", 20),
        ("review_confidence", 0.9),
        ("default_glossary", False),
    ],
)
def test_a_setting_that_changes_output_changes_the_fingerprint(
    settings: Settings, name: str, value: object
) -> None:
    base = fingerprint(settings)
    assert fingerprint(settings) == base
    flipped = fingerprint(settings, **{name: value})
    assert flipped != base
    # ...and so the result cache's request digest: no old result is served.
    article, options = ArticleInput(text=SENTENCE), SummaryOptions()
    assert request_digest(article, options, flipped) != request_digest(article, options, base)


@pytest.mark.engine
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("max_batch_items", 7),
        ("cache_ttl_s", 60),
        ("redis_prefix", "elsewhere"),
        ("max_chars", 500),
    ],
)
def test_a_setting_that_changes_no_output_leaves_it(
    settings: Settings, name: str, value: object
) -> None:
    assert fingerprint(settings, **{name: value}) == fingerprint(settings)


@pytest.mark.engine
def test_the_log_level_leaves_it(
    settings: Settings, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSUM_LOG_LEVEL", "DEBUG")
    louder = load_engines(load_settings(model_dir=tiny_model_dir, **BASE), "auto")
    assert louder.fingerprint() == fingerprint(settings)


@pytest.mark.engine
def test_the_loaded_device_and_dtype_are_in_it(settings: Settings) -> None:
    engines = load_engines(settings, "auto")
    translator = engines.translator
    assert isinstance(translator, TransformersEngine)
    assert (translator.device, translator.dtype) == ("cpu", "float32")
    # One machine has one kind of device: what a CUDA load records is set by hand.
    on_gpu = copy.copy(translator)
    on_gpu.device = "cuda"
    half = copy.copy(on_gpu)
    half.dtype = "float16"
    prints = {
        dataclasses.replace(engines, translator=engine).fingerprint()
        for engine in (translator, on_gpu, half)
    }
    assert len(prints) == 3
    assert len({translator_fingerprint(e) for e in (translator, on_gpu, half)}) == 3


def test_the_pipeline_version_is_in_it(monkeypatch: pytest.MonkeyPatch) -> None:
    before = offline_engines(None).fingerprint()
    monkeypatch.setattr("workers.english.engines.PIPELINE_VERSION", "2099.1.1")
    assert offline_engines(None).fingerprint() != before


def test_the_glossary_file_and_review_threshold_are_in_it_offline(tmp_path: Path) -> None:
    base = Settings(model_dir=tmp_path)
    glossary = tmp_path / "glossary.tsv"
    glossary.write_text("嘉兴\tJiaxing City\n", encoding="utf-8")
    prints = [
        load_engines(base.model_copy(update=change), "offline").fingerprint()
        for change in ({}, {"glossary_file": glossary}, {"review_confidence": 0.7})
    ]
    assert len(set(prints)) == 3
    assert (
        load_engines(base.model_copy(update={"max_wait_s": 5.0}), "offline").fingerprint()
        == (prints[0])
    )


# ---------------------------------------------------------------- model content


@pytest.mark.engine
def test_model_content_is_in_it(tiny_model_dir: Path, tmp_path: Path) -> None:
    model_dir = tmp_path / "models"
    shutil.copytree(tiny_model_dir, model_dir)
    settings = Settings(model_dir=model_dir, **BASE)  # type: ignore[arg-type]
    # A copy of the same checkpoints (times kept) is the same pipeline.
    base = fingerprint(settings)
    assert base == fingerprint(Settings(model_dir=tiny_model_dir, **BASE))  # type: ignore[arg-type]

    folder = model_path(get_spec("translation"), model_dir)
    weights = folder / "model.safetensors"
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000_000))
    checkpoint_digest.cache_clear()  # a worker sees new weights when it restarts
    touched = fingerprint(settings)
    assert touched != base

    config = folder / "config.json"
    config.write_text(config.read_text(encoding="utf-8").rstrip()[:-1] + ', "newsum_test": 1}')
    checkpoint_digest.cache_clear()
    assert fingerprint(settings) not in (base, touched)


@pytest.mark.engine
def test_the_hub_snapshot_commit_is_in_it(tiny_model_dir: Path, tmp_path: Path) -> None:
    source = model_path(get_spec("translation"), tiny_model_dir)
    snapshots = tmp_path / "hub" / "models--Helsinki-NLP--opus-mt-zh-en" / "snapshots"
    engines = []
    for commit in ("a" * 40, "b" * 40):
        shutil.copytree(source, snapshots / commit)
        engines.append(load_translator(snapshots / commit))
    assert [e.checkpoint for e in engines] == ["snapshot:" + "a" * 40, "snapshot:" + "b" * 40]
    assert translator_fingerprint(engines[0]) != translator_fingerprint(engines[1])


# ---------------------------------------------------------------- CTranslate2: engine, quantization


@pytest.fixture(scope="module")
def ct2_model_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny checkpoints plus the translator converted to int8 and to float32."""
    model_dir = tmp_path_factory.mktemp("fingerprint-ct2") / "models"
    shutil.copytree(tiny_model_dir, model_dir)
    spec = get_spec("translation")
    for quantization in ("int8", "float32"):
        convert(
            spec,
            model_path(spec, model_dir),
            ct2_path(spec, model_dir, quantization),
            quantization=quantization,
        )
    return model_dir


@pytest.mark.engine
def test_the_engine_and_ct2_quantization_are_in_it(ct2_model_dir: Path) -> None:
    settings = Settings(model_dir=ct2_model_dir, **BASE)  # type: ignore[arg-type]
    transformers = fingerprint(settings, engine="transformers")
    int8 = fingerprint(settings, engine="ctranslate2", ct2_quantization="int8")
    float32 = fingerprint(settings, engine="ctranslate2", ct2_quantization="float32")
    assert len({transformers, int8, float32}) == 3
    assert fingerprint(settings, engine="ctranslate2", ct2_quantization="int8") == int8
    engines = load_engines(settings.model_copy(update={"engine": "ctranslate2"}), "auto")
    signature = generation_signature(engines.translator)
    assert signature["engine"] == "ctranslate2" and signature["quantization"] == "int8"
    assert signature["decoding"]["beam_size"] == 1
    assert signature["decoding"]["max_decoding_length"] == 12


@pytest.mark.engine
def test_the_ct2_compute_type_and_beams_are_in_the_translator_fingerprint(
    ct2_model_dir: Path,
) -> None:
    spec = get_spec("translation")
    path = ct2_path(spec, ct2_model_dir, "float32")

    def load(compute_type: str, beams: int) -> CTranslate2Engine:
        return CTranslate2Engine.load(
            spec,
            path,
            device="cpu",
            compute_type=compute_type,
            cores=1,
            generation_overrides={"num_beams": beams, "max_new_tokens": 8},
        )

    prints = [translator_fingerprint(load(c, b)) for c, b in (("float32", 1), ("int8", 1))]
    prints.append(translator_fingerprint(load("float32", 4)))
    assert len(set(prints)) == 3
    assert translator_fingerprint(load("float32", 1)) == prints[0]


# ---------------------------------------------------------------- the translation memory


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(tmp_path_factory.mktemp("redis-fingerprint")) as embedded:
        yield embedded


@pytest.fixture
def client(redis_server: EmbeddedRedis) -> redis.Redis:
    return connect_redis(redis_server.url)


class Recording:
    """Wraps a loaded engine and records what reaches the model."""

    def __init__(self, inner: TextGenerator) -> None:
        self.inner = inner
        self.calls: list[list[str]] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def generate_scored(
        self, texts: Sequence[str], *, max_new_tokens: int | None = None
    ) -> list[ScoredText]:
        self.calls.append(list(texts))
        return self.inner.generate_scored(texts, max_new_tokens=max_new_tokens)  # type: ignore[attr-defined]


@pytest.mark.engine
def test_a_translation_remembered_at_beam_1_is_not_served_at_beam_4(
    tiny_model_dir: Path, client: redis.Redis
) -> None:
    layout = RedisLayout(f"t{uuid.uuid4().hex[:8]}")
    path = model_path(get_spec("translation"), tiny_model_dir)

    def memory(beams: int) -> tuple[TranslationMemory, Recording]:
        model = Recording(load_translator(path, num_beams=beams))
        return TranslationMemory(model, client, layout, ttl_s=60), model  # type: ignore[arg-type]

    greedy, greedy_model = memory(1)
    greedy.generate([SENTENCE])
    assert greedy_model.calls == [[SENTENCE]]
    # The same settings, loaded again (a restarted worker): served from memory.
    again, again_model = memory(1)
    again.generate([SENTENCE])
    assert again_model.calls == []
    beam, beam_model = memory(4)
    beam.generate([SENTENCE])
    assert beam_model.calls == [[SENTENCE]]
    assert beam.fingerprint != greedy.fingerprint


# ---------------------------------------------------------------- provenance.fingerprint


@pytest.mark.engine
def test_the_memory_wrapper_keeps_the_fingerprint(settings: Settings, client: redis.Redis) -> None:
    engines = load_engines(settings, "auto")
    assert engines.translator is not None
    before = engines.fingerprint()
    wrapped = TranslationMemory(engines.translator, client, RedisLayout("fp"), ttl_s=60)
    assert dataclasses.replace(engines, translator=wrapped).fingerprint() == before


def test_every_result_carries_its_fingerprint_and_the_cache_keeps_it(
    tmp_path: Path, client: redis.Redis
) -> None:
    settings = Settings(model_dir=tmp_path)
    engines: Engines = load_engines(settings, "offline")
    article = ArticleInput(text="嘉兴市召开大会。会议总结了主题教育。会上强调要巩固成果。")
    key = request_digest(article, SummaryOptions(profile="offline"), engines.fingerprint())
    result = summarize_article(
        article, SummaryOptions(profile="offline"), engines, settings, key=key
    )
    assert result.provenance.fingerprint == engines.fingerprint()
    cache = ResultCache(client, RedisLayout(f"t{uuid.uuid4().hex[:8]}"), ttl_s=60)
    cache.put(result, "content-key", key)
    served = cache.get(key)
    assert served is not None and served.provenance.cached
    assert served.provenance.fingerprint == engines.fingerprint()
