"""newsum's near-duplicate clustering beside datasketch's MinHash + MinHashLSH.

Run it (from the repository root, datasketch installed: ``pip install -c
constraints.txt -e '.[bench]'``)::

    .venv/bin/python -m bench.clustering_vs_datasketch            # 10,000 articles
    .venv/bin/python -m bench.clustering_vs_datasketch --articles 2000 --repeat 1 --json

The batch is the one tests/batch/test_clustering.py generates (a quarter of the
articles are stories, the rest reposts with a header, a footer and two
characters changed), so the README's "10,000 articles cluster in about 2 s"
is measured on the same kind of batch. Both sides cut the same text into the same
5-character shingles (``normalize_for_shingles``), use 128 permutations and the
0.8 threshold, check every LSH candidate on the estimated Jaccard and join the
checked pairs with union-find; only the MinHash and the LSH differ:

* ``newsum``                 ``workers.batch.clustering.cluster_articles``
* ``datasketch``             ``MinHash.bulk`` (its default hash, SHA-1 of each shingle's
                             UTF-8) and ``MinHashLSH(threshold=0.8)``, as its docs use it
* ``datasketch_our_hashes``  the same, fed the top 32 bits of newsum's shingle hashes
                             through an identity hash function (its default scheme
                             takes 32-bit values): datasketch without its SHA-1 cost

Timings are the best of ``--repeat`` runs, one process, one thread of Python.
"Pairs" are the article pairs put in one cluster; agreement compares them with
the batch's true stories and with each other.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from workers.batch.clustering import (
    DEFAULT_THRESHOLD,
    NUM_PERM,
    SHINGLE,
    cluster_articles,
    normalize_for_shingles,
    shingle_hashes,
)

Pairs = set[tuple[int, int]]


def generated_batch(n: int) -> tuple[list[str], list[int]]:
    """The test suite's batch (one generator, so the README figure and this agree)."""
    from tests.batch.test_clustering import generated_batch as generate

    return generate(n)


def text_shingles(text: str, size: int = SHINGLE) -> list[bytes]:
    """The distinct character ``size``-grams of the normalized text, as UTF-8."""
    normal = normalize_for_shingles(text)
    if not normal:
        return []
    width = min(size, len(normal))
    return [
        s.encode("utf-8") for s in {normal[i : i + width] for i in range(len(normal) - width + 1)}
    ]


def _identity(value: int) -> int:
    return value


def datasketch_clusters(
    shingle_sets: Sequence[Iterable[Any]],
    *,
    hashfunc: Callable[[Any], int] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    num_perm: int = NUM_PERM,
) -> list[int]:
    """Cluster ids as ``cluster_articles`` numbers them, with datasketch doing the MinHash
    and the LSH; candidates are checked on datasketch's Jaccard estimate."""
    from datasketch import MinHash, MinHashLSH

    kwargs: dict[str, Any] = {"num_perm": num_perm}
    if hashfunc is not None:
        kwargs["hashfunc"] = hashfunc
    sketches = MinHash.bulk(shingle_sets, **kwargs)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    live = [i for i, shingles in enumerate(shingle_sets) if shingles]
    with lsh.insertion_session() as session:
        for i in live:
            session.insert(i, sketches[i])
    parent = list(range(len(shingle_sets)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in live:
        for j in lsh.query(sketches[i]):
            if j <= i or find(i) == find(j):
                continue
            if sketches[i].jaccard(sketches[j]) >= threshold:
                a, b = find(i), find(j)
                parent[max(a, b)] = min(a, b)
    ids: dict[int, int] = {}
    return [ids.setdefault(find(i), len(ids)) for i in range(len(shingle_sets))]


def clustered_pairs(ids: Sequence[int]) -> Pairs:
    """Every pair of articles given one cluster id."""
    groups: dict[int, list[int]] = {}
    for index, cluster in enumerate(ids):
        groups.setdefault(cluster, []).append(index)
    return {pair for members in groups.values() for pair in itertools.combinations(members, 2)}


def _best_of(repeat: int, run: Callable[[], list[int]]) -> tuple[float, list[int]]:
    best, ids = float("inf"), []
    for _ in range(repeat):
        started = time.perf_counter()
        ids = run()
        best = min(best, time.perf_counter() - started)
    return best, ids


def measure(articles: int, repeat: int) -> dict[str, Any]:
    """Both clusterings of one generated batch: seconds, pairs, agreement."""
    texts, truth = generated_batch(articles)
    true_pairs = clustered_pairs(truth)
    runs: dict[str, Callable[[], list[int]]] = {
        "newsum": lambda: cluster_articles(texts),
        "datasketch": lambda: datasketch_clusters([text_shingles(t) for t in texts]),
        "datasketch_our_hashes": lambda: datasketch_clusters(
            [(shingle_hashes(t) >> 32).tolist() for t in texts], hashfunc=_identity
        ),
    }
    report: dict[str, Any] = {"articles": articles, "true_pairs": len(true_pairs)}
    found: dict[str, Pairs] = {}
    for name, run in runs.items():
        seconds, ids = _best_of(repeat, run)
        pairs = found[name] = clustered_pairs(ids)
        shared = len(pairs & true_pairs)
        report[name] = {
            "seconds": round(seconds, 3),
            "clusters": len(set(ids)),
            "pairs": len(pairs),
            "precision": round(shared / len(pairs), 4) if pairs else 1.0,
            "recall": round(shared / len(true_pairs), 4) if true_pairs else 1.0,
        }
    for name in ("datasketch", "datasketch_our_hashes"):
        both = found["newsum"] | found[name]
        report[name]["pairs_agreeing_with_newsum"] = (
            round(len(found["newsum"] & found[name]) / len(both), 4) if both else 1.0
        )
        report[name]["newsum_speedup"] = round(
            report[name]["seconds"] / report["newsum"]["seconds"], 1
        )
    return report


def format_report(report: dict[str, Any]) -> str:
    lines = [
        f"{report['articles']:,} articles, {report['true_pairs']:,} true same-story pairs",
        f"{'':<23}{'seconds':>9}{'clusters':>10}{'pairs':>9}{'precision':>11}{'recall':>8}"
        f"{'agree':>8}{'newsum ×':>10}",
    ]
    for name in ("newsum", "datasketch", "datasketch_our_hashes"):
        row = report[name]
        lines.append(
            f"{name:<23}{row['seconds']:>9.3f}{row['clusters']:>10,}{row['pairs']:>9,}"
            f"{row['precision']:>11.4f}{row['recall']:>8.4f}"
            f"{row.get('pairs_agreeing_with_newsum', 1.0):>8.4f}"
            f"{row.get('newsum_speedup', 1.0):>10.1f}"
        )
    lines.append("agree: pairs both found / pairs either found; newsum ×: its speed-up")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.clustering_vs_datasketch", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs each")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        import datasketch  # noqa: F401
    except ImportError:
        print(
            "needs datasketch: .venv/bin/pip install -c constraints.txt -e '.[bench]'",
            file=sys.stderr,
        )
        return 2
    report = measure(args.articles, args.repeat)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
