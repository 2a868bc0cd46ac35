"""bench/load.py, small: it starts its own stack, holds the load, stops by itself,
and reports no errors apart from the intended 429s of back-pressure."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.reliability.conftest import REPO_ROOT

pytestmark = pytest.mark.reliability


def test_the_load_script_runs_bounded_with_no_errors_and_shows_back_pressure() -> None:
    command = [sys.executable, "-m", "bench.load", "--json", "--clients", "40", "--hits", "3"]
    command += [
        "--articles",
        "4",
        "--burst",
        "150",
        "--max-queue-depth",
        "20",
        "--max-seconds",
        "90",
    ]
    out = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    cache, burst, batch = report["phases"]
    assert cache["statuses"] == {"200": 120} and cache["errors"] == 0
    assert cache["p99_ms"] is not None and cache["p50_ms"] <= cache["p99_ms"]
    assert burst["errors"] == 0 and sum(burst["statuses"].values()) == 150
    assert burst["statuses"].get("429", 0) > 0  # the queue filled: back-pressure answered
    accepted = burst["statuses"].get("202", 0) + burst["statuses"].get("200", 0)
    assert accepted >= 20 and set(burst["statuses"]) <= {"200", "202", "429"}
    assert batch["statuses"] == {"202": 1}  # batches are accepted however deep the queue
    assert report["redis"]["keys"] > 0 and report["redis"]["used_memory_human"]


def test_the_load_script_refuses_a_non_loopback_target() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench.load", "--url", "http://93.184.216.34:8000"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "must be on loopback" in out.stderr
