"""Redis at ``maxmemory`` (policy ``noeviction``: writes refused with OOM), driven on the
suite's own redis-server: the worker stays up, a task it took is neither lost nor
failed for good, readiness says why, and a job whose message was lost anyway is
found and settled (issue 15, point 3)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from tests.reliability.conftest import Deployment, MemoryFill, RedisProcess, article, wait_for

pytestmark = pytest.mark.reliability

Deploy = Callable[..., Deployment]

# What the worker logs, said once each: the tests wait on these lines, never on sleeps.
HELD_BACK = "stays in this worker until Redis accepts writes again"
WAITING_FOR_WRITES = "waiting for Redis to accept writes"


def _finished(data: dict[str, str]) -> bool:
    return data.get("state") in ("done", "failed")


def _running(data: dict[str, str]) -> bool:
    return data.get("state") == "running" and "worker_pid" in data


def _ready(http: httpx.Client) -> dict[str, object] | None:
    r = http.get("/readyz")
    return r.json() if r.status_code == 200 else None


def _tail(d: Deployment) -> str:
    return "\n".join(w.log.read_text(errors="replace")[-3000:] for w in d.workers)


def test_a_task_taken_while_redis_is_full_waits_in_its_worker_and_runs_once_freed(
    deploy: Deploy, private_redis: RedisProcess
) -> None:
    d = deploy()
    worker = d.start_worker("w")
    d.start_api()
    queue = f"{d.layout.queue_prefix}interactive"
    unacked = f"{d.layout.queue_prefix}unacked"
    fill: MemoryFill | None = None
    try:
        with d.http() as http:
            # Frozen, the worker still holds its BRPOP: Redis hands it the message at
            # once, and the worker reads it (then writes it to the unacked index) later.
            worker.pause()
            r = http.post("/v1/summaries", json={"text": article(1, "满了"), "wait": 0})
            assert r.status_code == 202, r.text
            job_id = r.json()["job_id"]
            fill = private_redis.fill_to_maxmemory()
            assert fill.refused()
            full = http.get("/readyz")
            worker.resume()
            wait_for(
                lambda: worker.log_has(HELD_BACK) or not worker.alive(),
                timeout_s=90,
                what="the worker took the message while Redis was full",
            )
            assert worker.alive(), _tail(d)  # not "Unrecoverable error"
            # The message is nowhere in Redis now: only the worker holds it.
            held = (d.redis.llen(queue), d.redis.hlen(unacked), d.job(job_id)["state"])
            still_full = http.get("/readyz")
            fill.free()
            done = d.wait_job(job_id, _finished, timeout_s=90)
            ready = wait_for(
                lambda: _ready(http), timeout_s=60, what="readiness once memory was freed"
            )
    finally:
        if fill is not None:
            fill.lift()
    assert full.status_code == 503 and full.headers.get("retry-after"), full.text
    assert "Redis is at maxmemory" in full.json()["redis"], full.json()
    assert still_full.status_code == 503, still_full.text
    assert held == (0, 0, "queued"), held
    assert done["state"] == "done", done
    assert done["deliveries"] == "1", done  # run once, by the worker that took it
    assert worker.alive(), _tail(d)
    assert ready["redis"] == "ok"


def test_a_job_running_when_redis_fills_up_is_retried_not_failed(
    deploy: Deploy, private_redis: RedisProcess, tmp_path_factory: pytest.TempPathFactory
) -> None:
    go = tmp_path_factory.mktemp("full-running") / "go"
    d = deploy(NEWSUM_FAULT_INJECT=f"until-file-on:满载:{go}")
    worker = d.start_worker("w")
    d.start_api()
    fill: MemoryFill | None = None
    try:
        with d.http() as http:
            r = http.post("/v1/summaries", json={"text": article(2, "满载"), "wait": 0})
            assert r.status_code == 202, r.text
            job_id = r.json()["job_id"]
            d.wait_job(job_id, _running, timeout_s=60)  # held in "extract" until `go`
            fill = private_redis.fill_to_maxmemory()
            go.touch()  # the article goes on and its result cannot be stored
            wait_for(
                lambda: worker.log_has(WAITING_FOR_WRITES) or not worker.alive(),
                timeout_s=90,
                what="the task met the full Redis",
            )
            during = d.job(job_id)
            full = http.get("/readyz")
            fill.free()
            done = d.wait_job(job_id, _finished, timeout_s=120)
            again = http.post("/v1/summaries", json={"text": article(3), "wait": 60})
    finally:
        if fill is not None:
            fill.lift()
    assert during["state"] == "running", during  # never failed as "internal"
    assert full.status_code == 503 and "Redis is at maxmemory" in full.json()["redis"]
    assert done["state"] == "done", done
    assert int(done["deliveries"]) >= 2, done  # retried after the full Redis
    assert worker.alive(), _tail(d)
    assert again.status_code == 200, again.text  # the worker takes the next article


def test_a_queued_job_whose_message_was_lost_is_failed_transient_and_released(
    deploy: Deploy,
) -> None:
    d = deploy(NEWSUM_SWEEP_INTERVAL_S="1", NEWSUM_SWEEP_QUEUED_AFTER_S="1")
    doomed = d.start_worker("doomed")
    d.start_api()
    text = article(4, "丢了")
    with d.http() as http:
        # The worker takes the message and dies with it in hand (what a worker killed
        # by the full Redis did): the job stays "queued" with no message anywhere.
        doomed.pause()
        r = http.post("/v1/summaries", json={"text": text, "wait": 0})
        assert r.status_code == 202, r.text
        lost = r.json()["job_id"]
        doomed.kill()
        d.redis.delete(f"{d.layout.queue_prefix}interactive")
        attached = http.post("/v1/summaries", json={"text": text, "wait": 0}).json()
        d.start_worker("sweeper")
        failed = d.wait_job(lost, _finished, timeout_s=90)
        fresh = http.post("/v1/summaries", json={"text": text, "wait": 60})
    assert attached["job_id"] == lost  # before the sweep: identical requests attach to it
    error = json.loads(failed["error"])
    assert failed["state"] == "failed" and error["code"] == "transient", failed
    assert "lost" in error["message"] and "send the request again" in error["message"]
    assert fresh.status_code == 200, fresh.text  # the marker was released: a new job ran
    assert fresh.json()["job_id"] != lost
