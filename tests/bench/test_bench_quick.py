"""A smoke run of the benchmark's code path on tiny models: the report's shape.

The numbers of a tiny run mean nothing; this checks that every in-process arm
runs and reports what the lead's table and targets read. The service arms
start Redis, the API and a worker: they are covered by the full benchmark.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.run import ARMS, format_table, main, ratios

pytestmark = pytest.mark.engine

FIELDS = ("articles_per_min", "tokens_per_s", "p50_ms", "p95_ms", "peak_rss_mib")


def test_quick_run_on_tiny_models_reports_every_arm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "--quick",
            "--json",
            "--model-size",
            "tiny",
            "--cache-dir",
            str(tmp_path),
            "--articles",
            "2",
            "--sentences",
            "4",
            "--translation-tokens",
            "6",
            "--summary-tokens",
            "6",
            "--summary-input-tokens",
            "120",
            "--naive-sentences",
            "2",
            "--skip",
            "service",
            "--skip",
            "cache_hit",
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert set(ARMS) | {"ratios", "setup"} <= set(report)
    for arm in ("naive", "transformers", "ctranslate2", "pipeline"):
        row = report[arm]
        assert "not_run" not in row, row
        for name in FIELDS:
            assert isinstance(row[name], (int, float)) and row[name] > 0, (arm, name, row[name])
        assert row["p95_ms"] >= row["p50_ms"]
    # Forced lengths: 2 articles × (4 sentences × 6 tokens + one 6-token summary).
    ct2 = report["ctranslate2"]
    assert ct2["articles"] == 2
    assert ct2["tokens_per_s"] * 60 / ct2["articles_per_min"] == pytest.approx(30, rel=0.01)
    assert not any("WARNING" in n for arm in ARMS for n in report[arm].get("notes", []))
    assert report["naive"]["notes"][0].startswith("extrapolated")
    assert report["service"] == {"not_run": "skipped (--skip)"}
    assert set(report["ratios"]) >= {
        "ctranslate2_vs_naive",
        "ctranslate2_vs_transformers",
        "service_vs_ctranslate2",
    }
    assert report["ratios"]["ctranslate2_vs_naive"] > 0
    assert report["ratios"]["service_vs_ctranslate2"] is None
    assert report["setup"]["sentences_per_article"] == 4
    # Both articles in one chunk, as a batch worker takes them; and one at a time.
    assert report["setup"]["chunk_articles"] == 4
    assert ct2["p50_ms"] == ct2["p95_ms"]  # one chunk: one latency for both
    alone = ct2["one_at_a_time"]
    assert alone["articles_per_min"] > 0 and alone["p50_ms"] > 0 and alone["tokens_per_s"] > 0
    assert any(n.startswith("articles 4 at a time") for n in ct2["notes"])
    # --quick loads both children at once, then times them in turn.
    assert report["setup"]["parallel_load"] is True
    assert {"parallel_load", "transformers", "ctranslate2"} <= set(report["setup"]["phases_s"])
    table = format_table(report)
    assert "ctranslate2" in table and "not run: skipped" in table


def test_ratios_divide_articles_per_minute() -> None:
    report = {
        "naive": {"articles_per_min": 2.0},
        "transformers": {"articles_per_min": 10.0},
        "ctranslate2": {"articles_per_min": 40.0},
        "pipeline": {"articles_per_min": 20.0},
        "service": {"articles_per_min": 18.0},
    }
    assert ratios(report) == {
        "ctranslate2_vs_naive": 20.0,
        "ctranslate2_vs_transformers": 4.0,
        "service_vs_ctranslate2": 0.9,
        "service_vs_engine_only": 0.45,
    }
    assert ratios({"naive": {"not_run": "x"}})["ctranslate2_vs_naive"] is None
