"""bench/clustering_vs_datasketch.py on a small batch: both sides run and agree."""

from __future__ import annotations

import pytest

from bench.clustering_vs_datasketch import clustered_pairs, format_report, measure


def test_clustered_pairs_are_the_pairs_within_each_cluster() -> None:
    assert clustered_pairs([0, 1, 0, 2, 0, 1]) == {(0, 2), (0, 4), (2, 4), (1, 5)}
    assert clustered_pairs([0, 1, 2]) == set()


def test_both_clusterings_find_the_generated_stories() -> None:
    pytest.importorskip("datasketch")
    report = measure(200, repeat=1)
    assert report["newsum"]["clusters"] == 50  # a quarter of the articles are stories
    assert report["newsum"]["precision"] == report["newsum"]["recall"] == 1.0
    for name in ("datasketch", "datasketch_our_hashes"):
        row = report[name]
        assert row["seconds"] > 0 and row["precision"] == 1.0
        assert row["recall"] > 0.9 and row["pairs_agreeing_with_newsum"] > 0.9
    assert "datasketch_our_hashes" in format_report(report)
