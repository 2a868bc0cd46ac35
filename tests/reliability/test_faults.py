"""Faults, injected into a real deployment: killed workers, a restarted Redis, time
limits, poison articles, SIGTERM. Nothing is lost and nothing is done twice.

Every wait here is on an event (a job's state, a worker busy, a log line) with a
generous deadline, never a fixed sleep: a loaded machine makes these tests slower,
not flaky."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.conftest import (
    VISIBILITY_TIMEOUT_S,
    Deployment,
    RedisProcess,
    article,
    wait_for,
)

# Deadlines here are generous (a loaded machine is slow, never wrong): past the
# suite's 300 s default per test.
pytestmark = [pytest.mark.reliability, pytest.mark.timeout(900)]

Deploy = Callable[..., Deployment]


def _running(data: dict[str, str]) -> bool:
    return data.get("state") == "running" and "worker_pid" in data


def _finished(data: dict[str, str]) -> bool:
    return data.get("state") in ("done", "failed")


def _poll_batch(http: httpx.Client, batch_id: str, timeout_s: float) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        status: dict[str, Any] = http.get(f"/v1/batches/{batch_id}").json()
        return status if status["finished_at"] else None

    result: dict[str, Any] = wait_for(
        finished, timeout_s, f"batch {batch_id} finishing", every_s=0.25
    )
    return result


def _results(http: httpx.Client, batch_id: str) -> list[dict[str, Any]]:
    text = http.get(f"/v1/batches/{batch_id}/results").text
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_killed_worker_s_article_runs_again_on_another_worker_once(deploy: Deploy) -> None:
    d = deploy(NEWSUM_FAULT_INJECT="sleep-on:慢慢:3")
    first = d.start_worker("a")
    second = d.start_worker("b")
    d.start_api()
    with d.http() as http:
        r = http.post("/v1/summaries", json={"text": article(1, "慢慢"), "wait": 0})
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        running = d.wait_job(job_id, _running, timeout_s=120)
        victim, survivor = (
            (first, second) if first.owns(int(running["worker_pid"])) else (second, first)
        )
        assert victim.owns(int(running["worker_pid"]))
        victim.kill(signal.SIGKILL)  # mid-article: it sleeps 3 s inside the task
        started = time.monotonic()
        done = d.wait_job(job_id, _finished, timeout_s=VISIBILITY_TIMEOUT_S + 180)
        redelivered_after = time.monotonic() - started
        job = http.get(f"/v1/jobs/{job_id}").json()
    assert done["state"] == "done", done
    assert survivor.owns(int(done["worker_pid"]))
    assert done["deliveries"] == "2"  # killed once, run once more: never a third time
    assert job["state"] == "done" and job["result"]["summary"]["zh"]
    # Completed once: one result, the single-flight marker released.
    assert len(list(d.redis.scan_iter(f"{d.prefix}:result:*"))) == 2  # request + content key
    assert not list(d.redis.scan_iter(f"{d.prefix}:inflight:*"))
    assert redelivered_after >= VISIBILITY_TIMEOUT_S - 2  # it came back by the visibility timeout


def test_a_batch_of_200_survives_a_worker_killed_twice(
    deploy: Deploy, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Two articles wait at a gate as they are extracted: whichever worker takes one is
    # killed right there, mid-article for sure (no race with an article that ends as
    # the kill lands), and the gate opens for the article's next delivery.
    gates = tmp_path_factory.mktemp("gates")
    first_gate, second_gate = gates / "first", gates / "second"
    d = deploy(
        NEWSUM_FAULT_INJECT=";".join(
            [
                "sleep-on:批量:0.15",
                f"until-file-on:第一闸:{first_gate}",
                f"until-file-on:第二闸:{second_gate}",
            ]
        )
    )
    # Every worker started and warm before the batch: one still loading its engines
    # when the batch ends would take nothing.
    workers = [d.start_worker(name) for name in ("a", "b", "c")]
    d.start_api()
    marked = {40: "批量第一闸", 120: "批量第二闸"}
    items = [{"id": f"item-{i}", "text": article(i, marked.get(i, "批量"))} for i in range(200)]
    with d.http() as http:
        r = http.post("/v1/batches", json={"items": items, "cluster": False})
        assert r.status_code == 202, r.text
        batch_id = r.json()["batch_id"]
        job_ids = _batch_jobs(d, batch_id)
        killed = []
        for index, gate in ((40, first_gate), (120, second_gate)):
            held = d.wait_job(job_ids[index], _running, timeout_s=240)
            owner = next(w for w in workers if w.owns(int(held["worker_pid"])))
            owner.kill(signal.SIGKILL)
            killed.append(owner)
            gate.touch()
        status = _poll_batch(http, batch_id, timeout_s=600)
        lines = _results(http, batch_id)
    assert len({w.name for w in killed}) == 2  # two workers killed, one left
    assert status["count"] == 200 and sum(status["states"].values()) == 200
    assert [line["index"] for line in lines] == list(range(200))  # none missing, none twice
    assert [line["id"] for line in lines] == [f"item-{i}" for i in range(200)]
    assert len({line["job_id"] for line in lines}) == 200
    for line in lines:
        assert line["state"] in ("done", "failed"), line
        if line["state"] == "done":
            assert line["result"]["summary"]["zh"], line
        else:
            assert line["error"]["code"] and line["error"]["message"], line
    assert status["states"]["done"] == 200, status  # a kill is no reason to fail an item
    assert int(d.redis.hget(d.layout.batch(batch_id), "pending") or 0) == 0
    # Exactly the two killed articles ran twice (a planned batch item counts its
    # extraction's and its summary's deliveries apart); every other one ran once.
    steps = ("deliveries", "deliveries_summarize")
    redelivered = [
        line["index"]
        for line in lines
        if any(int(d.job(line["job_id"]).get(step) or 0) > 1 for step in steps)
    ]
    assert redelivered == [40, 120], redelivered
    again = [d.job(job_ids[i]).get("deliveries") for i in (40, 120)]
    assert again == ["2", "2"], again


def _batch_jobs(d: Deployment, batch_id: str) -> list[str]:
    rows = d.redis.lrange(d.layout.batch_items(batch_id), 0, -1)
    return [json.loads(row)["job_id"] for row in rows]


def _records(d: Deployment, job_ids: list[str]) -> list[dict[str, str]]:
    with d.redis.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hgetall(d.layout.job(job_id))
        rows: list[dict[str, str]] = pipe.execute()
    return rows


def _extracted(d: Deployment, job_ids: list[str]) -> int:
    """Articles past their first step (extracted, waiting for the plan, or further)."""
    return sum(float(row.get("progress") or 0) >= 0.2 for row in _records(d, job_ids))


def test_redis_restart_answers_503_then_resumes_queued_work(
    deploy: Deploy, tmp_path_factory: pytest.TempPathFactory
) -> None:
    own = RedisProcess(tmp_path_factory.mktemp("redis-restart"))
    own.start()
    try:
        d = deploy(redis_url=own.url, NEWSUM_FAULT_INJECT="sleep-on:重启:0.3")
        d.start_worker("w")
        d.start_api()
        items = [{"text": article(i, "重启")} for i in range(20)]
        with d.http(timeout=30) as http:
            batch_id = http.post("/v1/batches", json={"items": items, "cluster": False}).json()[
                "batch_id"
            ]
            # Redis goes away while the worker is at it, most articles still queued.
            job_ids = _batch_jobs(d, batch_id)
            wait_for(lambda: _extracted(d, job_ids) >= 1, 120, "the first article extracted")
            before = http.get(f"/v1/batches/{batch_id}").json()["states"]
            assert before["queued"] > 0, before
            own.stop()
            answers = []
            for method, path, body in [
                ("POST", "/v1/summaries", {"text": article(99, "新的"), "wait": 0}),
                ("GET", f"/v1/batches/{batch_id}", None),
                ("GET", "/v1/jobs/0123456789abcdef", None),
                ("GET", "/readyz", None),
            ]:
                started = time.monotonic()
                r = http.request(method, path, json=body)
                answers.append(
                    (path, r.status_code, r.headers.get("retry-after"), time.monotonic() - started)
                )
            health = http.get("/healthz").status_code
            own.start()  # the same port, dir and AOF
            status = _poll_batch(http, batch_id, timeout_s=300)
            after = http.post("/v1/summaries", json={"text": article(98, "之后"), "wait": 60})
    finally:
        own.stop()
    for path, code, retry_after, took in answers:
        assert code == 503 and retry_after, (path, code)
        assert took < 10, (path, took)  # no hung requests
    assert health == 200
    assert status["states"]["done"] == 20, status  # the queued work survived in the AOF
    assert after.status_code == 200, after.text


def test_a_task_over_its_time_limit_fails_with_the_reason_and_the_worker_goes_on(
    deploy: Deploy,
) -> None:
    d = deploy(
        NEWSUM_FAULT_INJECT="sleep-on:太慢:60;hang-on:卡住",
        NEWSUM_TASK_SOFT_TIME_LIMIT_S="2",
        NEWSUM_TASK_TIME_LIMIT_S="4",
    )
    d.start_worker("w")
    d.start_api()
    with d.http() as http:
        soft = http.post("/v1/summaries", json={"text": article(1, "太慢"), "wait": 60})
        hard = http.post("/v1/summaries", json={"text": article(2, "卡住"), "wait": 0})
        hard_job = d.wait_job(hard.json()["job_id"], _finished, timeout_s=180)
        normal = _summary_after(d, http, article(3))
    assert soft.status_code == 504, soft.text
    error = soft.json()["error"]
    assert error["code"] == "timeout" and error["limit"] == 2
    assert "longer than 2 s (NEWSUM_TASK_SOFT_TIME_LIMIT_S)" in error["message"]
    # Past the hard limit the pool kills the process; the job still gets its reason.
    hard_error = json.loads(hard_job["error"])
    assert hard_job["state"] == "failed" and hard_error["code"] == "timeout"
    assert "stopped after 4 s (NEWSUM_TASK_TIME_LIMIT_S)" in hard_error["message"]
    assert hard_job["deliveries"] == "1"  # not handed to another worker to hang again
    assert normal["state"] == "done", normal  # the worker took the next article


def _summary_after(d: Deployment, http: httpx.Client, text: str) -> dict[str, str]:
    """Send ``text`` and wait for its job to finish (a worker process may be starting
    again after a kill: seconds unloaded, minutes on a loaded machine)."""
    r = http.post("/v1/summaries", json={"text": text, "wait": 0})
    assert r.status_code in (200, 202), r.text
    return d.wait_job(r.json()["job_id"], _finished, timeout_s=300)


def test_a_poison_article_fails_alone_and_is_not_retried(deploy: Deploy) -> None:
    d = deploy(NEWSUM_FAULT_INJECT="crash-on:毒药")
    d.start_worker("w")
    d.start_api()
    items = [{"text": article(i)} for i in range(4)]
    items.insert(2, {"text": article(10, "毒药")})
    with d.http() as http:
        batch_id = http.post("/v1/batches", json={"items": items, "cluster": False}).json()[
            "batch_id"
        ]
        status = _poll_batch(http, batch_id, timeout_s=300)
        lines = _results(http, batch_id)
    assert status["states"] == {"queued": 0, "running": 0, "done": 4, "failed": 1}, status
    assert [line["state"] for line in lines] == ["done", "done", "failed", "done", "done"]
    poison = lines[2]
    assert poison["error"]["code"] == "internal"
    assert "InjectedFault: injected crash on marker '毒药'" in poison["error"]["message"]
    assert d.job(poison["job_id"])["deliveries"] == "1"  # a crash is never retried


def test_an_article_that_kills_its_worker_every_time_is_given_up(deploy: Deploy) -> None:
    # A long visibility timeout: the killed task comes back by its rejection, at once,
    # and a message waiting for a respawning pool process is not restored twice.
    d = deploy(
        NEWSUM_FAULT_INJECT="kill-on:炸弹",
        NEWSUM_TASK_MAX_RETRIES="0",
        NEWSUM_VISIBILITY_TIMEOUT_S="300",
    )
    d.start_worker("w")
    d.start_api()
    with d.http() as http:
        bomb = http.post("/v1/summaries", json={"text": article(11, "炸弹"), "wait": 0}).json()
        job = d.wait_job(bomb["job_id"], _finished, timeout_s=600)
        normal = _summary_after(d, http, article(12))
    error = json.loads(job["error"])
    assert job["state"] == "failed" and error["code"] == "worker_lost", job
    assert "was lost 4 times" in error["message"] and "not trying again" in error["message"]
    # 1 delivery + 0 retries + 3 lost deliveries allowed; the 5th fails it unrun.
    assert job["deliveries"] == "5"
    assert normal["state"] == "done", normal


def test_sigterm_lets_the_running_article_finish_and_leaves_the_queue_alone(
    deploy: Deploy,
) -> None:
    d = deploy(NEWSUM_FAULT_INJECT="sleep-on:收尾:3")
    worker = d.start_worker("w")
    d.start_api()
    with d.http() as http:
        first = http.post("/v1/summaries", json={"text": article(1, "收尾"), "wait": 0}).json()
        d.wait_job(first["job_id"], _running, timeout_s=120)
        second = http.post("/v1/summaries", json={"text": article(2, "收尾"), "wait": 0}).json()
        worker.process.send_signal(signal.SIGTERM)  # Celery: warm shutdown
        code = worker.process.wait(120)
        finished = d.job(first["job_id"])
        waiting = d.job(second["job_id"])
        d.start_worker("next")
        later = d.wait_job(second["job_id"], _finished, timeout_s=300)
    assert code == 0
    assert finished["state"] == "done", finished  # the running article was finished
    assert waiting["state"] == "queued", waiting  # the queued one was left in the queue
    assert later["state"] == "done"
    # Handed back, then run by the next worker. Celery with late acks on Redis may
    # restore a message during warm shutdown that the next worker then sees twice
    # (celery/celery#3802); results are idempotent by content key, so at most one
    # extra delivery is tolerated here, never more.
    assert later["deliveries"] in ("1", "2"), later


def test_the_private_redis_keeps_an_append_only_file(private_redis: RedisProcess) -> None:
    client = __import__("redis").Redis(port=private_redis.port)
    assert client.config_get("appendonly")["appendonly"] == "yes"
    assert (Path(client.config_get("dir")["dir"]) / "appendonlydir").exists()
