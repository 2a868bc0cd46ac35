"""The result cache, pipeline records, Redis URLs, the translation memory and the
embedded Redis, against a real (embedded) redis-server."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import redis

from models.engines.base import ScoredText
from workers.contract import (
    Article,
    ArticleInput,
    ModelRef,
    Provenance,
    Summary,
    SummaryOptions,
    SummaryResult,
)
from workers.store.cache import (
    PIPELINE_TTL_S,
    PipelineInfo,
    RedisLayout,
    ResultCache,
    celery_broker_url,
    connect_redis,
    publish_pipeline,
    read_pipeline,
    redis_py_url,
)
from workers.store.digests import content_digest, request_digest
from workers.store.embedded_redis import EmbeddedRedis, EmbeddedRedisError
from workers.store.translation_memory import TranslationMemory


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(tmp_path_factory.mktemp("redis-cache")) as embedded:
        yield embedded


@pytest.fixture
def client(server: EmbeddedRedis) -> redis.Redis:
    return connect_redis(server.url)


@pytest.fixture
def layout() -> RedisLayout:
    return RedisLayout(f"t{uuid.uuid4().hex[:8]}")


def make_result(key: str = "k", text: str = "新闻正文。") -> SummaryResult:
    return SummaryResult(
        id=key,
        article=Article(language="zh-Hans", text=text, sentences=[text]),
        summary=Summary(method="extractive", zh=text),
        provenance=Provenance(profile="offline"),
    )


def test_request_key_covers_fingerprint_and_options() -> None:
    article = ArticleInput(text="新闻正文。")
    base = request_digest(article, SummaryOptions(), "fp1")
    assert base == request_digest(ArticleInput(text="新闻正文。  \n"), SummaryOptions(), "fp1")
    assert base != request_digest(article, SummaryOptions(), "fp2")
    assert base != request_digest(article, SummaryOptions(sentences=2), "fp1")
    assert content_digest("新闻正文。", SummaryOptions(), "fp1", title=None) != content_digest(
        "新闻正文。", SummaryOptions(), "fp2", title=None
    )


def test_cached_result_comes_back_marked_cached_with_a_ttl(
    client: redis.Redis, layout: RedisLayout
) -> None:
    cache = ResultCache(client, layout, ttl_s=120)
    assert cache.get("a") is None
    cache.put(make_result("a"), "a", "b")
    for key in ("a", "b"):
        got = cache.get(key)
        assert got is not None and got.provenance.cached is True
        assert 0 < client.ttl(layout.result(key)) <= 120
    # What is stored says cached=false: it is the reader who sees it as a cache hit.
    raw = cache.get_raw("a")
    assert raw is not None and '"cached":false' in raw


def test_cache_counts_hits_and_misses(client: redis.Redis, layout: RedisLayout) -> None:
    cache = ResultCache(client, layout, ttl_s=60)
    cache.count(hit=True)
    cache.count(hit=False)
    cache.count(hit=False)
    assert client.hgetall(layout.stats) == {"cache_hit": "1", "cache_miss": "2"}


def test_pipeline_record_round_trips_and_falls_back_to_auto(
    client: redis.Redis, layout: RedisLayout
) -> None:
    info = PipelineInfo(
        profile="offline",
        fingerprint="abc",
        models=[ModelRef(id="newsum/textrank", engine="extractive", role="extractive")],
        has_translator=False,
        warnings=["no models"],
    )
    assert read_pipeline(client, layout, "auto") is None
    publish_pipeline(client, layout, info, also_as=("auto",))
    assert read_pipeline(client, layout, "offline") == info
    # A request for a profile no worker names is keyed by what "auto" serves.
    assert read_pipeline(client, layout, "standard") == info
    assert 0 < client.ttl(layout.pipeline("auto")) <= PIPELINE_TTL_S


@pytest.mark.parametrize(
    ("given", "redis_py", "celery"),
    [
        ("redis://h:6379/3", "redis://h:6379/3", "redis://h:6379/3"),
        ("unix:///tmp/r.sock", "unix:///tmp/r.sock", "redis+socket:///tmp/r.sock"),
        (
            "unix:///tmp/r.sock?db=2",
            "unix:///tmp/r.sock?db=2",
            "redis+socket:///tmp/r.sock?virtual_host=2",
        ),
        ("redis+socket:///tmp/r.sock", "unix:///tmp/r.sock", "redis+socket:///tmp/r.sock"),
    ],
)
def test_redis_urls_are_spelled_for_each_client(given: str, redis_py: str, celery: str) -> None:
    assert redis_py_url(given) == redis_py
    assert celery_broker_url(given) == celery


class CountingTranslator:
    """A fake translator: upper-cases, and remembers what it was asked."""

    engine_name = "fake"
    max_input_tokens = 512

    def __init__(self, revision: str = "r1") -> None:
        self.model_id = "fake/zh-en"
        self.revision: str | None = revision
        self.calls: list[list[str]] = []

    def count_tokens(self, text: str) -> int:
        return len(text)

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        self.calls.append(list(texts))
        return [f"EN({t})" for t in texts]


def test_translation_memory_translates_each_sentence_once(
    client: redis.Redis, layout: RedisLayout
) -> None:
    inner = CountingTranslator()
    memory = TranslationMemory(inner, client, layout, ttl_s=60)
    assert memory.generate(["甲。", "乙。", "甲。"]) == ["EN(甲。)", "EN(乙。)", "EN(甲。)"]
    assert inner.calls == [["甲。", "乙。"]]
    assert memory.generate(["乙。", "丙。"]) == ["EN(乙。)", "EN(丙。)"]
    assert inner.calls[-1] == ["丙。"]
    assert memory.generate([]) == []
    assert memory.count_tokens("abc") == 3 and memory.model_id == "fake/zh-en"


class ScoringTranslator(CountingTranslator):
    """A fake translator that also gives each output a log-probability."""

    def generate_scored(
        self, texts: Sequence[str], *, max_new_tokens: int | None = None
    ) -> list[ScoredText]:
        self.calls.append(list(texts))
        return [ScoredText(f"EN({t})", -0.5 * len(t)) for t in texts]


def test_translation_memory_remembers_scores(client: redis.Redis, layout: RedisLayout) -> None:
    inner = ScoringTranslator()
    memory = TranslationMemory(inner, client, layout, ttl_s=60)
    first = memory.generate_scored(["甲。", "乙乙。"])
    assert first == [ScoredText("EN(甲。)", -1.0), ScoredText("EN(乙乙。)", -1.5)]
    again = memory.generate_scored(["乙乙。"])
    assert again == [ScoredText("EN(乙乙。)", -1.5)]
    assert inner.calls == [["甲。", "乙乙。"]]  # the score came from the memory


def test_translation_memory_without_scores_gives_nan(
    client: redis.Redis, layout: RedisLayout
) -> None:
    memory = TranslationMemory(CountingTranslator(), client, layout, ttl_s=60)
    (scored,) = memory.generate_scored(["丁。"])
    assert scored.text == "EN(丁。)" and math.isnan(scored.mean_logprob)
    (again,) = memory.generate_scored(["丁。"])
    assert again.text == "EN(丁。)" and math.isnan(again.mean_logprob)


def test_translation_memory_is_keyed_by_the_model(client: redis.Redis, layout: RedisLayout) -> None:
    TranslationMemory(CountingTranslator("r1"), client, layout, ttl_s=60).generate(["甲。"])
    newer = CountingTranslator("r2")
    TranslationMemory(newer, client, layout, ttl_s=60).generate(["甲。"])
    assert newer.calls == [["甲。"]]


def test_translation_memory_without_redis_still_translates(layout: RedisLayout) -> None:
    away = connect_redis("redis://127.0.0.1:1/0")
    inner = CountingTranslator()
    assert TranslationMemory(inner, away, layout, ttl_s=60).generate(["甲。"]) == ["EN(甲。)"]


def test_embedded_redis_refuses_a_second_server_on_the_same_socket(
    server: EmbeddedRedis,
) -> None:
    with pytest.raises(EmbeddedRedisError, match="already runs"):
        EmbeddedRedis(server.directory).start()


def test_embedded_redis_names_a_socket_path_that_is_too_long(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedRedisError, match="NEWSUM_REDIS_DIR"):
        EmbeddedRedis(tmp_path / ("x" * 120)).start()


def test_embedded_redis_keeps_data_across_a_restart(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path / "r") as first:
        connect_redis(first.url).set("accepted", "job-1")
    with EmbeddedRedis(tmp_path / "r") as second:
        assert connect_redis(second.url).get("accepted") == "job-1"
