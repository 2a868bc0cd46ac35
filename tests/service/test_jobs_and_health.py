"""A 200 answer names its job, /readyz counts only workers whose heartbeat is fresh, and
the API reference works with no internet (TestClient, embedded Redis)."""

from __future__ import annotations

import json
import re
import threading

import pytest

from tests.service.test_api_unit import ARTICLE, Harness, server  # noqa: F401 (server: a fixture)
from workers.store.cache import PIPELINE_HEARTBEAT_S, PipelineInfo
from workers.store.embedded_redis import EmbeddedRedis
from workers.store.heartbeats import STALE_AFTER_BEATS, beat, read_heartbeats, redis_now


@pytest.fixture
def h(server: EmbeddedRedis) -> Harness:  # noqa: F811 (the imported fixture)
    return Harness(server)


def events_of(h: Harness, job_id: str) -> list[tuple[str, dict[str, object]]]:
    with h.http.stream("GET", f"/v1/jobs/{job_id}/events") as r:
        assert r.status_code == 200
        text = "".join(r.iter_text())
    blocks = [b.split("\n") for b in text.strip().split("\n\n") if b.startswith("event:")]
    return [
        (lines[0].removeprefix("event: "), json.loads(lines[1].removeprefix("data: ")))
        for lines in blocks
    ]


def test_a_200_made_within_wait_names_its_job(h: Harness) -> None:
    h.queue.on_summary = lambda job, job_id: threading.Timer(0.2, h.finish, (job, job_id)).start()
    r = h.http.post("/v1/summaries", json={"text": ARTICLE, "wait": 30})
    assert r.status_code == 200
    body = r.json()
    [(_, sent_job_id, _)] = h.sent("summary")
    assert body["job_id"] == sent_job_id
    assert r.headers["content-location"] == f"/v1/jobs/{sent_job_id}"
    job = h.http.get(f"/v1/jobs/{body['job_id']}").json()
    assert job["state"] == "done" and job["result"]["summary"] == body["summary"]
    [(name, done)] = events_of(h, body["job_id"])
    assert name == "done" and done["result"]["id"] == body["id"]  # type: ignore[index]


def test_a_200_from_the_cache_names_a_job_too(h: Harness) -> None:
    h.queue.on_summary = h.finish
    first = h.http.post("/v1/summaries", json={"text": ARTICLE, "wait": 5})
    again = h.http.post("/v1/summaries", json={"text": ARTICLE, "wait": 5})
    assert again.status_code == 200 and again.json()["provenance"]["cached"] is True
    assert len(h.sent("summary")) == 1  # the second was answered from the cache
    job_id = again.json()["job_id"]
    assert job_id and job_id != first.json()["job_id"]
    job = h.http.get(f"/v1/jobs/{job_id}").json()
    assert job["state"] == "done" and job["result"]["id"] == again.json()["id"]
    assert [name for name, _ in events_of(h, job_id)] == ["done"]
    # The cached result itself is not changed by the answer.
    assert h.cache.get(again.json()["id"]).job_id is None  # type: ignore[union-attr]


def test_readyz_does_not_count_a_worker_whose_heartbeat_stopped(h: Harness) -> None:
    info = PipelineInfo("offline", "fp-test", [], False, [])
    ready = h.http.get("/readyz").json()
    assert ready["heartbeats"]["alive"] == 1 and ready["heartbeats"]["stale"] == 0

    # A second worker beats, then stops: after STALE_AFTER_BEATS intervals it is stale.
    beat(h.redis, h.layout, "worker-b", info)
    assert h.http.get("/readyz").json()["heartbeats"]["alive"] == 2
    old = redis_now(h.redis) - (STALE_AFTER_BEATS * PIPELINE_HEARTBEAT_S + 1)
    h.redis.zadd(h.layout.worker_beats, {"worker-b": old})
    r = h.http.get("/readyz")
    assert r.status_code == 200
    assert r.json()["heartbeats"] == {
        "alive": 1,
        "stale": 1,
        "stale_after_s": STALE_AFTER_BEATS * PIPELINE_HEARTBEAT_S,
        "names": ["test-worker"],
    }

    # The last one stops too, while its pipeline record still stands: not ready.
    h.redis.zadd(h.layout.worker_beats, {"test-worker": old})
    assert h.redis.exists(h.layout.pipeline("auto"))
    r = h.http.get("/readyz")
    assert r.status_code == 503 and r.headers["retry-after"]
    assert r.json()["heartbeats"]["alive"] == 0 and r.json()["heartbeats"]["stale"] == 2
    assert "heartbeat" in r.json()["workers"]

    # A beat again: ready again. Long-dead entries are forgotten when read.
    beat(h.redis, h.layout, "test-worker", info)
    assert h.http.get("/readyz").status_code == 200
    h.redis.zadd(h.layout.worker_beats, {"worker-b": old - 3600})
    assert read_heartbeats(h.redis, h.layout).stale == 0
    assert h.redis.hget(h.layout.worker_pipelines, "worker-b") is None


def test_the_api_reference_loads_nothing_from_another_host(h: Harness) -> None:
    page = h.http.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert "https://" not in page.text and "cdn" not in page.text.lower()
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        r = h.http.get(f"/docs/assets/{asset}")
        assert r.status_code == 200 and len(r.content) > 100_000
    redoc = h.http.get("/redoc")
    assert redoc.status_code == 200 and "https://" not in redoc.text
    assert h.http.get("/docs/assets/redoc.standalone.js").status_code == 200
    assert h.http.get("/openapi.json").json()["info"]["title"] == "newsum"


def test_getting_english_is_served_by_the_server(h: Harness) -> None:
    r = h.http.get("/docs/getting-english")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert 'id="getting-english"' in r.text
    assert "newsum models pull" in r.text and "newsum models import" in r.text
