"""A batch's results as people get them: grouped as `newsum batch` groups them, rows of
one shape, a near-duplicate under its own headline, an overall state, downloads as
JSON lines and CSV.

The API runs through TestClient on an embedded Redis (``tests.service.test_api_unit``'s
harness); the workers' side of a batch (extract, plan, summarize, finish the
followers) runs in this process with the workers' own code (``InProcessWorkers``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.paths import SEED_ARTICLE
from tests.service.test_api_unit import WIRE, Harness, server  # noqa: F401 (server: a fixture)
from workers.batch.coordinator import BatchCoordinator
from workers.batch.plan import BatchPlans
from workers.batch.rows import BOM, CSV_COLUMNS, ROW_FIELDS
from workers.english.engines import offline_engines
from workers.queue.batch_jobs import plan_batch_items, with_stored_glossary
from workers.queue.bootstrap import WorkerContext
from workers.queue.celery_app import QueueConfig
from workers.queue.failure import after_job
from workers.queue.summary_job import StageClock, run_summary_job, summarize_and_store
from workers.store.batches import BatchStore, overall_state
from workers.store.cache import PipelineInfo, ResultCache
from workers.store.embedded_redis import EmbeddedRedis


@dataclass
class RecordedTasks:
    """The batch protocol's follow-up tasks, kept to be run here in order."""

    plans: list[str] = field(default_factory=list)
    planned: list[tuple[str, list[int]]] = field(default_factory=list)
    notified: list[str] = field(default_factory=list)

    def send_plan(self, batch_id: str) -> None:
        self.plans.append(batch_id)

    def send_planned(self, batch_id: str, indices: list[int]) -> None:
        self.planned.append((batch_id, list(indices)))

    def send_notify(self, batch_id: str) -> None:
        self.notified.append(batch_id)


class InProcessWorkers:
    """An offline worker's part of a batch, with the workers' own functions: each sent
    item is extracted and arrives, the plan groups the batch, the planned articles are
    summarized and their jobs finished (with their followers)."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.tasks = RecordedTasks()
        ttl = h.settings.job_ttl_s
        coordinator = BatchCoordinator(
            BatchStore(h.redis, h.layout, ttl),
            BatchPlans(h.redis, h.layout, ttl),
            h.jobs,
            self.tasks,
        )
        self.ctx = WorkerContext(
            settings=h.settings,
            engines=offline_engines(),
            info=PipelineInfo("offline", "fp-test", [], False, []),
            client=h.redis,
            layout=h.layout,
            jobs=h.jobs,
            cache=ResultCache(h.redis, h.layout, 300),
            batches=coordinator,
            queues=QueueConfig.from_settings(h.settings),
            fetch=lambda url: (b"", None),
        )
        self.done = 0

    def run(self) -> None:
        for job, job_id, _ in self.h.sent("summary")[self.done :]:
            self.done += 1
            payload = with_stored_glossary(self.ctx, job.model_dump(mode="json"))
            if run_summary_job(self.ctx, payload, job_id):
                after_job(self.ctx.jobs, self.ctx.batches, job_id, job.key)
        while self.tasks.plans:
            plan_batch_items(self.ctx, self.tasks.plans.pop(0))
        while self.tasks.planned:
            batch_id, indices = self.tasks.planned.pop(0)
            for item in self.ctx.batches.plans.get(batch_id, indices):
                assert item is not None
                self.ctx.jobs.mark_running(item.job_id, "summarize")
                clock = StageClock(self.ctx, item.job_id)
                summarize_and_store(
                    self.ctx, item.job_id, item.prepared, item.options, item.own_key, clock
                )
                after_job(self.ctx.jobs, self.ctx.batches, item.job_id, item.key)


@pytest.fixture
def h(server: EmbeddedRedis) -> Harness:  # noqa: F811 (the imported fixture)
    return Harness(server)


def seed_text() -> str:
    return SEED_ARTICLE.read_text(encoding="utf-8")


def reposts() -> list[dict[str, Any]]:
    """The seed article and a repost of it with its own source line and headline, a
    wire story and its repost, and a word-for-word repeat of the wire story."""
    seed = seed_text()
    lines = seed.splitlines()
    # The body from its first paragraph: without the seed's headline and source line.
    start = next(i for i, line in enumerate(lines) if "回首来时路" in line)
    body = "\n".join(lines[start:])
    repost = "嘉兴主题教育综述\n来源：新华网\n" + body + "\n责任编辑：张三"
    return [
        {"id": "seed", "text": seed},
        {"id": "wire", "text": WIRE},
        {"id": "repost", "text": repost},
        {"id": "wire-repost", "text": "本报讯 " + WIRE + "\n（责任编辑：王五）"},
        {"id": "wire-again", "text": WIRE},
    ]


def run_batch(h: Harness, items: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    r = h.http.post("/v1/batches", json={"items": items})
    assert r.status_code == 202, r.text
    InProcessWorkers(h).run()
    location = r.json()["location"]
    rows = [json.loads(line) for line in h.http.get(location + "/results").text.splitlines()]
    return location, rows


def test_the_service_groups_a_batch_as_newsum_batch_does_in_rows_of_one_shape(
    h: Harness, tmp_path: Path
) -> None:
    items = reposts()
    location, rows = run_batch(h, items)
    assert h.http.get(location).json()["state"] == "done"

    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items), "utf-8")
    out = tmp_path / "out.jsonl"
    env = {**os.environ, "NEWSUM_MODEL_DIR": str(tmp_path / "models")}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "newsum"), "batch", str(source), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    command_rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]

    # One shape: the same fields, in the same order, from both.
    assert [list(row) for row in rows] == [list(ROW_FIELDS)] * len(items)
    assert [list(row) for row in command_rows] == [list(ROW_FIELDS)] * len(items)

    # The same groups: the seed with its repost, the wire story with its repost and repeat.
    def groups(found: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        clusters = [row["cluster"] or {} for row in found]
        return [
            (row["id"], row["state"], c.get("id"), c.get("representative_id"))
            for row, c in zip(found, clusters, strict=True)
        ]

    assert (
        groups(rows)
        == groups(command_rows)
        == [
            ("seed", "done", 0, "seed"),
            ("wire", "done", 1, "wire"),
            ("repost", "done", 0, "seed"),
            ("wire-repost", "done", 1, "wire"),
            ("wire-again", "done", 1, "wire"),
        ]
    )
    for found in (rows, command_rows):
        assert [row["cluster"] for row in found] == [row["result"]["cluster"] for row in found]
        assert found[2]["result"]["summary"] == found[0]["result"]["summary"]
        # The repost keeps its own headline and outlet; the seed keeps its own.
        seed, repost = found[0]["result"]["article"], found[2]["result"]["article"]
        assert (seed["title"], seed["outlet"]) == ("思想再洗礼 使命再升华", "嘉兴日报")
        assert (repost["title"], repost["outlet"]) == ("嘉兴主题教育综述", "新华网")
        assert any(
            "the same story as batch item seed" in w
            for w in found[2]["result"]["checks"]["warnings"]
        )
    # Every item has its own job, and its job shows it the same way.
    assert len({row["job_id"] for row in rows}) == len(items)
    member = h.http.get(f"/v1/jobs/{rows[2]['job_id']}").json()
    assert member["result"]["article"]["outlet"] == "新华网"
    assert member["result"]["cluster"]["representative_id"] == "seed"


def test_batch_results_download_as_csv_for_a_spreadsheet(h: Harness) -> None:
    items = [*reposts()[:3], {"id": "empty", "text": "  "}]
    location, rows = run_batch(h, items)
    r = h.http.get(location + "/results?format=csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith("attachment; filename=")
    assert r.headers["content-disposition"].endswith('.csv"')
    text = r.content.decode("utf-8")
    assert text.startswith(BOM)  # Excel reads the Chinese as UTF-8
    table = list(csv.DictReader(io.StringIO(text.removeprefix(BOM))))
    assert list(table[0]) == list(CSV_COLUMNS)
    assert [row["id"] for row in table] == ["seed", "wire", "repost", "empty"]
    assert [row["state"] for row in table] == ["done", "done", "done", "failed"]
    assert table[0]["title"] == "思想再洗礼 使命再升华" and table[0]["published"] == "2020-01-09"
    assert table[0]["summary_zh"] == rows[0]["result"]["summary"]["zh"]
    assert "嘉兴 Jiaxing" in table[0]["key_terms"]
    assert (table[2]["cluster"], table[2]["representative_id"]) == ("0", "seed")
    assert table[2]["outlet"] == "新华网"
    assert table[3]["error_code"] == "empty_input" and table[3]["error_message"]
    assert table[0]["job_id"] == rows[0]["job_id"]

    jsonl = h.http.get(location + "/results?format=jsonl")
    assert jsonl.headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(x) for x in jsonl.text.splitlines()] == rows
    bad = h.http.get(location + "/results?format=xlsx")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize(
    ("states", "finished", "word"),
    [
        ({"queued": 3}, False, "queued"),
        ({"queued": 2, "running": 1}, False, "running"),
        ({"queued": 1, "done": 2}, False, "running"),
        ({"done": 3}, True, "done"),
        ({"failed": 3}, True, "failed"),
        ({"done": 2, "failed": 1}, True, "partial"),
    ],
)
def test_a_batch_has_one_overall_state(states: dict[str, int], finished: bool, word: str) -> None:
    assert overall_state(states, 3, "2026-01-01T00:00:00Z" if finished else None) == word


def test_get_batch_says_its_overall_state(h: Harness) -> None:
    r = h.http.post("/v1/batches", json={"items": [{"text": WIRE}, {"text": ""}]})
    location = r.json()["location"]
    assert h.http.get(location).json()["state"] == "running"  # one failed, one queued
    InProcessWorkers(h).run()
    status = h.http.get(location).json()
    assert status["state"] == "partial" and status["states"]["failed"] == 1
    r = h.http.post("/v1/batches", json={"items": [{"text": WIRE + "又讯。"}]})
    assert h.http.get(r.json()["location"]).json()["state"] == "queued"
