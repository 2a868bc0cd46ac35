"""A small run of the memory soak (bench/soak.py): the report's shape.

Its RSS figures mean little over a few dozen articles; this checks that the
soak loads the engines as a worker does, runs every article and samples as
asked. The real soak (thousands of articles on the real-size models) is run by
hand: see bench/README.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.soak import format_table, main, make_texts

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the module: the sentence pool (51 pages extracted) is made once."""
    return tmp_path_factory.mktemp("soak-cache")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main([*argv, "--json"]) == 0
    report: dict[str, object] = json.loads(capsys.readouterr().out)
    return report


def test_offline_soak_samples_every_n_articles(
    cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _run(
        capsys,
        "--engine",
        "offline",
        "--articles",
        "25",
        "--sample-every",
        "5",
        "--cache-dir",
        str(cache_dir),
    )
    assert report["articles"] == 25
    assert report["engine"] == "offline"
    samples = report["samples"]
    assert isinstance(samples, list)
    assert [s["articles"] for s in samples] == [5, 10, 15, 20, 25]
    assert all(s["rss_mib"] > 0 for s in samples)
    # The baseline is the first sample at 10 % of the run (2.5 articles: the one at 5).
    assert report["baseline"] == samples[0]
    assert report["end"] == samples[-1]
    assert report["verdict"] in ("flat", "growing")
    assert report["growth_mib"] == pytest.approx(
        samples[-1]["rss_mib"] - samples[0]["rss_mib"], abs=0.11
    )
    assert report["failed"] == 0
    assert "extractive" in str(report["engines_loaded"])
    table = format_table(report)
    assert "verdict:" in table and "RSS MiB" in table


def test_soak_on_tiny_ctranslate2_models(
    cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _run(
        capsys,
        "--engine",
        "ctranslate2",
        "--model-size",
        "tiny",
        "--articles",
        "12",
        "--sample-every",
        "4",
        "--tokens",
        "4",
        "--cache-dir",
        str(cache_dir),
    )
    samples = report["samples"]
    assert isinstance(samples, list)
    assert len(samples) == 3
    assert "translation=ctranslate2" in str(report["engines_loaded"])
    assert "summary=ctranslate2" in str(report["engines_loaded"])
    assert float(str(report["rss_after_load_mib"])) >= float(str(report["rss_before_load_mib"]))


def test_a_last_partial_stretch_is_sampled_too(
    cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _run(
        capsys,
        "--engine",
        "offline",
        "--articles",
        "7",
        "--sample-every",
        "3",
        "--cache-dir",
        str(cache_dir),
    )
    samples = report["samples"]
    assert isinstance(samples, list)
    assert [s["articles"] for s in samples] == [3, 6, 7]


def test_articles_differ() -> None:
    pool = [f"这是第{i}个用于测试的中文句子。" for i in range(30)]
    texts = make_texts(pool, 200, 3, seed=1)
    assert len(texts) == len(set(texts)) == 200
    assert make_texts(pool, 5, 3, seed=1) == texts[:5]
