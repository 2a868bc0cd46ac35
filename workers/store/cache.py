"""The result cache: request keys, content keys, the Redis key layout and the cached results.

Two keys lead to one result::

    request key  sha256(normalized input + options + pipeline fingerprint)
                 what the API can compute before any work; checked first
    content key  sha256(extracted article text + headline + options + pipeline fingerprint)
                 computed by the worker after ``prepare_article``: the same
                 article arriving as other HTML or via another URL is summarized once

The two lead to different entries. A request key's entry is that request's own
result. A content key's entry is the model work alone, shared by every page with
that body and headline: it carries no page's date, outlet, bylines, address or
boilerplate, and none of the warnings a page's metadata gave
(``workers.queue.summary_job``): a page never shows another page's metadata.

The fingerprint (``workers.english.engines.Engines.fingerprint``: pipeline
version, models and their content, engines and every setting that changes output)
is part of both, so such a change never serves an old result.

This module is imported by the API process: it needs redis and the contract,
never torch.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from workers.contract import ModelRef, SummaryResult
from workers.settings import Settings

DEFAULT_PREFIX = "newsum"
# A worker refreshes its pipeline record this often; the record dies after
# PIPELINE_TTL_S without a refresh, so "no worker answers" is visible in Redis.
PIPELINE_HEARTBEAT_S = 10
PIPELINE_TTL_S = 30


def redis_prefix(settings: Settings) -> str:
    """The prefix of every key newsum writes (``NEWSUM_REDIS_PREFIX``, default ``newsum``)."""
    return settings.redis_prefix


@dataclass(frozen=True)
class RedisLayout:
    """Where everything lives in Redis, under one prefix (tests use their own)."""

    prefix: str = DEFAULT_PREFIX

    def pipeline(self, profile: str) -> str:
        return f"{self.prefix}:pipeline:{profile}"

    def result(self, key: str) -> str:
        return f"{self.prefix}:result:{key}"

    def inflight(self, key: str) -> str:
        return f"{self.prefix}:inflight:{key}"

    def job(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}"

    def job_updates(self, job_id: str) -> str:
        """The pub/sub channel every write to the job's record is announced on."""
        return f"{self.prefix}:updates:job:{job_id}"

    @property
    def job_updates_pattern(self) -> str:
        """Every job's channel, for one subscription per API process (``service.job_updates``)."""
        return self.job_updates("*")

    def job_batches(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}:batches"

    def batch(self, batch_id: str) -> str:
        return f"{self.prefix}:batch:{batch_id}"

    def batch_items(self, batch_id: str) -> str:
        return f"{self.prefix}:batch:{batch_id}:items"

    def batch_prepared(self, batch_id: str) -> str:
        """Extracted articles waiting for their batch's plan (``workers.batch.plan``)."""
        return f"{self.prefix}:batch:{batch_id}:prepared"

    def batch_arrived(self, batch_id: str) -> str:
        return f"{self.prefix}:batch:{batch_id}:arrived"

    def job_followers(self, job_id: str) -> str:
        """Jobs of near-duplicate articles that share this job's summary."""
        return f"{self.prefix}:job:{job_id}:followers"

    def translation(self, fingerprint: str, sentence: str) -> str:
        digest = hashlib.sha256(sentence.encode("utf-8")).hexdigest()
        return f"{self.prefix}:tm:{fingerprint[:16]}:{digest}"

    @property
    def worker_beats(self) -> str:
        """Each worker process's last heartbeat, a sorted set scored by Redis time
        (``workers.store.heartbeats``)."""
        return f"{self.prefix}:workers:beats"

    @property
    def worker_pipelines(self) -> str:
        """Each worker process's profile and fingerprint (``workers.store.heartbeats``)."""
        return f"{self.prefix}:workers:pipelines"

    @property
    def stats(self) -> str:
        return f"{self.prefix}:stats"

    @property
    def stage_seconds(self) -> str:
        return f"{self.prefix}:stats:stage_seconds"

    @property
    def stage_count(self) -> str:
        return f"{self.prefix}:stats:stage_count"

    def api_key(self, key_id: str) -> str:
        """An API key's record (``service.auth``): its hash, name, limits, glossary."""
        return f"{self.prefix}:apikey:{key_id}"

    @property
    def api_key_pattern(self) -> str:
        return self.api_key("*")

    def rate_window(self, who: str, window: int) -> str:
        """Submissions of one caller in one minute (``service.auth``)."""
        return f"{self.prefix}:rate:{who}:{window}"

    def daily_quota(self, key_id: str, day: str) -> str:
        """Batch items one API key sent on one UTC day (``service.auth``)."""
        return f"{self.prefix}:quota:{key_id}:{day}"

    @property
    def queue_prefix(self) -> str:
        """Celery's own keys (queues, unacked) go under this (kombu ``global_keyprefix``)."""
        return f"{self.prefix}:q:"


def redis_layout(settings: Settings) -> RedisLayout:
    return RedisLayout(redis_prefix(settings))


# --- Redis URLs -------------------------------------------------------------------------


def _socket_url(scheme: str, url: str, rename: tuple[str, str]) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if rename[0] in query:
        query[rename[1]] = query.pop(rename[0])
    # urlunsplit drops the "//" of an empty host for schemes it does not know.
    return f"{scheme}://{parts.path}" + (f"?{urlencode(query)}" if query else "")


def redis_py_url(url: str) -> str:
    """The URL redis-py understands (``redis+socket://`` is Celery's spelling of ``unix://``)."""
    if url.startswith("redis+socket://"):
        return _socket_url("unix", url, ("virtual_host", "db"))
    return url


def celery_broker_url(url: str) -> str:
    """The URL kombu understands (it spells unix sockets ``redis+socket://``)."""
    if url.startswith("unix://"):
        return _socket_url("redis+socket", url, ("db", "virtual_host"))
    return url


def connect_redis(url: str) -> redis.Redis:
    """A client with short timeouts: an API request must fail fast when Redis is away."""
    return redis.Redis.from_url(
        redis_py_url(url),
        decode_responses=True,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
        socket_connect_timeout=2,
        socket_timeout=5,
        health_check_interval=15,
    )


# --- the pipeline a worker serves -------------------------------------------------------


@dataclass(frozen=True)
class PipelineInfo:
    """What a worker publishes at start: enough for the API to build request keys."""

    profile: str
    fingerprint: str
    models: list[ModelRef]
    has_translator: bool
    warnings: list[str]

    def to_json(self) -> str:
        return json.dumps(
            {
                "profile": self.profile,
                "fingerprint": self.fingerprint,
                "models": [m.model_dump(mode="json") for m in self.models],
                "has_translator": self.has_translator,
                "warnings": self.warnings,
            }
        )

    @classmethod
    def from_json(cls, raw: str) -> PipelineInfo:
        data = json.loads(raw)
        return cls(
            profile=data["profile"],
            fingerprint=data["fingerprint"],
            models=[ModelRef.model_validate(m) for m in data.get("models", [])],
            has_translator=bool(data.get("has_translator")),
            warnings=list(data.get("warnings", [])),
        )


def publish_pipeline(
    client: redis.Redis, layout: RedisLayout, info: PipelineInfo, *, also_as: tuple[str, ...] = ()
) -> None:
    """Record (or refresh) the pipeline a worker serves, under its profile and aliases."""
    blob = info.to_json()
    with client.pipeline(transaction=False) as pipe:
        for profile in (info.profile, *also_as):
            pipe.set(layout.pipeline(profile), blob, ex=PIPELINE_TTL_S)
        pipe.execute()


def read_pipeline(client: redis.Redis, layout: RedisLayout, profile: str) -> PipelineInfo | None:
    """The pipeline some live worker serves for ``profile`` (``auto`` as fallback), or None."""
    for name in (profile, "auto") if profile != "auto" else ("auto",):
        raw = client.get(layout.pipeline(name))
        if raw:
            return PipelineInfo.from_json(str(raw))
    return None


# --- results ----------------------------------------------------------------------------


class ResultCache:
    """Finished results by key, each with a TTL (``cache_ttl_s``)."""

    def __init__(self, client: redis.Redis, layout: RedisLayout, ttl_s: int) -> None:
        self.client = client
        self.layout = layout
        self.ttl_s = ttl_s

    def get(self, key: str) -> SummaryResult | None:
        """The cached result, marked ``provenance.cached``, or None."""
        raw = self.client.get(self.layout.result(key))
        if not raw:
            return None
        result = SummaryResult.model_validate_json(str(raw))
        result.provenance.cached = True
        return result

    def get_raw(self, key: str) -> str | None:
        raw = self.client.get(self.layout.result(key))
        return str(raw) if raw else None

    def put(self, result: SummaryResult, *keys: str) -> None:
        """Store one result under every key that leads to it."""
        self.put_each(dict.fromkeys(keys, result))

    def put_each(self, results: Mapping[str, SummaryResult]) -> None:
        """Store each result under its key, in one round trip."""
        blobs: dict[int, str] = {}  # one serialization per result object
        with self.client.pipeline(transaction=False) as pipe:
            for key, result in results.items():
                if id(result) not in blobs:
                    stored = result.model_copy(deep=True)
                    stored.provenance.cached = False
                    blobs[id(result)] = stored.model_dump_json()
                pipe.set(self.layout.result(key), blobs[id(result)], ex=self.ttl_s)
            pipe.execute()

    def count(self, hit: bool) -> None:
        """Count a lookup for the hit ratio on /metrics."""
        self.client.hincrby(self.layout.stats, "cache_hit" if hit else "cache_miss", 1)
