"""The direct-LLM brief streamed to a reader: a real worker process (``--profile llm``)
on a tiny random-weight Qwen2 (``NEWSUM_MODEL_DIR``), the real Redis, the API on a
real port; ``/v1/jobs/{id}/events`` sends the brief growing, then ``done``.

The model dir holds the instruct model only: uncapped, the tiny opus-mt takes
minutes on random weights, and NEWSUM_MAX_NEW_TOKENS would cap the instruct model
too (and leave little to stream). Random weights write 320 tokens of garbage, so
the result is the extractive fallback with the reason: the stream is still seen.

A job runs ahead of the one watched, on the worker's one process, so the event
stream is open before the watched job starts (else a fast machine could finish it
before the stream opens, and there would be nothing left to stream).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.conftest import Stack
from tests.tiny_instruct import build_instruct_models

pytestmark = pytest.mark.integration

# Databases 13 and 14 are the shared stacks' (tests/integration/conftest.py).
LLM_DB = 11
ARTICLE = (
    "嘉兴市召开主题教育总结大会。会议回顾了2019年的工作，全市共有120个单位参加。\n"
    "市委书记在会上讲话，要求巩固主题教育成果。"
)
AHEAD = "海宁市举行新春团拜会。会议总结了去年的工作，部署了今年的任务。"


@pytest.fixture(scope="module")
def llm_stack(
    _stack_factory: Callable[[int, str, int, dict[str, str]], Stack],
    tmp_path_factory: pytest.TempPathFactory,
) -> Stack:
    model_dir: Path = tmp_path_factory.mktemp("tiny-instruct-stack")
    build_instruct_models(model_dir)
    return _stack_factory(
        LLM_DB,
        "llm",
        1,
        {"NEWSUM_MODEL_DIR": str(model_dir), "NEWSUM_DEVICE": "cpu", "HF_HUB_OFFLINE": "1"},
    )


def read_events(http: httpx.Client, job_id: str) -> list[tuple[str, dict[str, Any]]]:
    """Every event of the job's stream, in order, until it ends (done or failed)."""
    events: list[tuple[str, dict[str, Any]]] = []
    name = ""
    with http.stream("GET", f"/v1/jobs/{job_id}/events") as stream:
        assert stream.status_code == 200
        for line in stream.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((name, json.loads(line.removeprefix("data: "))))
    return events


def test_events_send_the_brief_as_it_is_written_then_the_checked_result(
    llm_stack: Stack,
) -> None:
    with llm_stack.http(timeout=180.0) as http:
        ahead = http.post("/v1/summaries", json={"text": AHEAD, "wait": 0})
        assert ahead.status_code == 202, ahead.text
        watched = http.post("/v1/summaries", json={"text": ARTICLE, "wait": 0})
        assert watched.status_code == 202, watched.text
        job_id = watched.json()["job_id"]
        events = read_events(http, job_id)

    names = [name for name, _ in events]
    assert names[-1] == "done", f"{names}\n{llm_stack.log.read_text(errors='replace')[-3000:]}"
    assert set(names[:-1]) <= {"progress", "brief"}
    briefs = [body for name, body in events if name == "brief"]
    assert briefs, f"no brief event before done: {names}"
    assert all(body == {"job_id": job_id, "text": body["text"]} for body in briefs)
    texts = [body["text"] for body in briefs]
    assert all(texts)
    # The text only grows: each event's is the one before it, with more written.
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(texts))
    assert len(set(texts)) == len(texts)
    first_brief = names.index("brief")
    assert "progress" in names[:first_brief]

    done = events[-1][1]
    assert done["state"] == "done" and done.get("brief_text") is None  # the draft is gone
    result = done["result"]
    assert result["provenance"]["profile"] == "llm"
    # Random weights: the reply cannot be read, so the result falls back, with the
    # reason; the raw text streamed is in no part of it.
    assert result["summary"]["method"] in ("direct-llm", "extractive")
    if result["summary"]["method"] == "extractive":
        assert any("language model's brief was not used" in r for r in result["review_reasons"])
    assert texts[-1] not in json.dumps(result, ensure_ascii=False)
