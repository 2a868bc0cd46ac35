"""newsum's speed benchmark: naive transformers vs newsum's engines vs the service.

Run it (from the repository root)::

    .venv/bin/python -m bench.run                # full run, a table (~10-15 min on 2 quiet cores)
    .venv/bin/python -m bench.run --json         # one JSON object instead
    .venv/bin/python -m bench.run --quick        # reduced set, about a minute
    bench/gpu.sh                                 # the same on CUDA

What it measures, on the same articles and the same forced output lengths
(random weights never stop on their own, so minimum = maximum new tokens):

1. ``naive``        every sentence its own transformers ``generate()``, batch 1, fp32;
                    timed on a subset of sentences, per-article figures extrapolated
                    (the output says so).
2. ``transformers`` newsum's TransformersEngine, batched and length-sorted, fp32.
3. ``ctranslate2``  newsum's CTranslate2Engine, int8 on CPU.
   ``pipeline``     the whole in-process pipeline on the CTranslate2 engines
                    (extract → segment → translate → map-reduce summary → checks):
                    the work one worker does per article.
4. ``service``      end to end: HTTP → Redis → Celery worker → cache, N concurrent
                    clients, a worker loading the same CTranslate2 models.
5. ``cache_hit``    the same requests again: served from the cache.

One article = N Chinese sentences translated (``--translation-tokens`` each)
plus one summary of a ~1,000-token English input (``--summary-tokens``) for
arms 1-3. Models are random weights of the real sizes (opus-mt-zh-en: 6+6
layers, d_model 512, vocab 65,001; distilbart-cnn-12-6: 12+6 layers, d_model
1,024, vocab 50,264), built once into ``--cache-dir`` and converted to
CTranslate2 int8 there. Decoding uses the specs' beam size (4) unless
``--beams`` says otherwise.

Each engine family is measured in its own child process, so that peak RSS is
that family's alone (models included); the service's RSS is its worker's.
Timings on a shared machine are noisy: run the full benchmark on a quiet one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.workload import DATA_DIR, Lengths, Plan, build_models, cached_articles

DEFAULT_CACHE_DIR = Path("~/.cache/newsum/bench")
ARMS = ("naive", "transformers", "ctranslate2", "pipeline", "service", "cache_hit")
CHILD_ARMS = {"transformers": ("naive", "transformers"), "ctranslate2": ("ctranslate2", "pipeline")}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="a reduced set, about a minute")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument(
        "--ct2-compute-type", default=None, help="default: int8 on cpu, int8_float16 on cuda"
    )
    parser.add_argument("--articles", type=int, default=None, help="default 4 (quick: 2)")
    parser.add_argument("--sentences", type=int, default=None, help="per article; 60 (quick: 8)")
    parser.add_argument("--translation-tokens", type=int, default=None, help="40 (quick: 16)")
    parser.add_argument("--summary-tokens", type=int, default=None, help="128 (quick: 16)")
    parser.add_argument("--summary-input-tokens", type=int, default=None, help="1000 (quick: 256)")
    parser.add_argument(
        "--beams", type=int, default=None, help="beam size in every arm; the specs' 4 (quick: 1)"
    )
    parser.add_argument("--naive-articles", type=int, default=None, help="1")
    parser.add_argument("--naive-sentences", type=int, default=None, help="8 (quick: 2)")
    parser.add_argument("--threads", type=int, default=0, help="0: every core")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (service)")
    parser.add_argument(
        "--model-size",
        choices=("real", "tiny"),
        default="real",
        help="tiny: a smoke run of the code path (numbers meaningless)",
    )
    parser.add_argument("--skip", action="append", default=[], choices=ARMS, help="skip an arm")
    parser.add_argument("--child", choices=tuple(CHILD_ARMS), help=argparse.SUPPRESS)
    parser.add_argument("--plan", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _pick(value: int | None, full: int, quick: int, is_quick: bool) -> int:
    if value is not None:
        return value
    return quick if is_quick else full


def make_plan(args: argparse.Namespace) -> tuple[Plan, list[str]]:
    """Build (or reuse) the models and cut the articles every arm will run."""
    from models.engines.ctranslate2_engine import DEFAULT_COMPUTE_TYPE, threads_per_process

    quick = args.quick
    lengths = Lengths(
        translation_tokens=_pick(args.translation_tokens, 40, 16, quick),
        summary_tokens=_pick(args.summary_tokens, 128, 16, quick),
        summary_input_tokens=_pick(args.summary_input_tokens, 1000, 256, quick),
        beams=_pick(args.beams, 4, 1, quick),
    )
    folder = "models" if args.model_size == "real" else "tiny-models"
    model_dir = args.cache_dir.expanduser() / folder
    notes = build_models(model_dir, size=args.model_size)
    articles, article_notes = cached_articles(
        model_dir,
        articles=_pick(args.articles, 4, 2, quick),
        sentences_per_article=_pick(args.sentences, 60, 8, quick),
        lengths=lengths,
        data_dir=args.data_dir,
    )
    if not articles:
        raise SystemExit("no articles: is ../shared/data there? (--data-dir)")
    plan = Plan(
        model_dir=str(model_dir),
        device=args.device,
        ct2_compute_type=args.ct2_compute_type or DEFAULT_COMPUTE_TYPE[args.device],
        lengths=lengths,
        articles=articles,
        naive_articles=min(_pick(args.naive_articles, 1, 1, quick), len(articles)),
        naive_sentences=_pick(args.naive_sentences, 8, 2, quick),
        threads=args.threads or threads_per_process(1),
    )
    return plan, notes + article_notes


def run_child(family: str, plan_file: Path) -> dict[str, Any]:
    """Run one engine family's arms in a fresh process; its last stdout line is JSON."""
    command = [sys.executable, "-m", "bench.run", "--child", family, "--plan", str(plan_file)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        return {
            arm: {"not_run": f"child failed ({done.returncode}): {tail}"}
            for arm in CHILD_ARMS[family]
        }
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def ratios(results: dict[str, Any]) -> dict[str, float | None]:
    """Throughput ratios (articles per minute) the targets are stated in."""

    def rate(arm: str) -> float | None:
        value = results.get(arm, {}).get("articles_per_min")
        return float(value) if value else None

    def ratio(a: str, b: str) -> float | None:
        top, bottom = rate(a), rate(b)
        return round(top / bottom, 2) if top and bottom else None

    return {
        "ctranslate2_vs_naive": ratio("ctranslate2", "naive"),
        "ctranslate2_vs_transformers": ratio("ctranslate2", "transformers"),
        # Against the same pipeline in process: the service does that work, plus HTTP,
        # Redis and Celery.
        "service_vs_ctranslate2": ratio("service", "pipeline"),
        "service_vs_engine_only": ratio("service", "ctranslate2"),
    }


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    """All arms, in order; returns the report object."""
    started = time.perf_counter()
    plan, notes = make_plan(args)
    phases = {"models_and_articles": round(time.perf_counter() - started, 1)}
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="newsum-bench-") as scratch:
        plan_file = Path(scratch) / "plan.json"
        plan_file.write_text(plan.to_json(), encoding="utf-8")
        for family, arms in CHILD_ARMS.items():
            if all(arm in args.skip for arm in arms):
                continue
            t0 = time.perf_counter()
            results.update(run_child(family, plan_file))
            phases[family] = round(time.perf_counter() - t0, 1)
        if "service" not in args.skip:
            from bench.service import measure_service

            t0 = time.perf_counter()
            results.update(
                measure_service(
                    plan,
                    clients=args.clients,
                    workers=args.workers,
                    scratch=Path(scratch),
                    pipeline_tokens=results.get("pipeline", {}),
                )
            )
            phases["service"] = round(time.perf_counter() - t0, 1)
    for arm in args.skip:
        results[arm] = {"not_run": "skipped (--skip)"}
    lengths = plan.lengths
    report: dict[str, Any] = {arm: results.get(arm, {"not_run": "not measured"}) for arm in ARMS}
    report["ratios"] = ratios(report)
    report["setup"] = {
        "quick": args.quick,
        "model_size": args.model_size,
        "device": plan.device,
        "ct2_compute_type": plan.ct2_compute_type,
        "threads": plan.threads,
        "beams": lengths.beams,
        "articles": len(plan.articles),
        "sentences_per_article": len(plan.articles[0].sentences),
        "source_tokens_per_article": round(
            sum(a.source_tokens for a in plan.articles) / len(plan.articles)
        ),
        "translation_tokens": lengths.translation_tokens,
        "summary_input_tokens": lengths.summary_input_tokens,
        "summary_tokens": lengths.summary_tokens,
        "clients": args.clients,
        "workers": args.workers,
        "cpu_count": os.cpu_count(),
        "elapsed_s": round(time.perf_counter() - started, 1),
        "phases_s": phases,
        "notes": notes + plan.notes,
    }
    return report


def format_table(report: dict[str, Any]) -> str:
    """The report as a plain-text table, with the setup and notes under it."""
    header = (
        f"{'arm':<13}{'articles/min':>13}{'tokens/s':>10}{'p50 ms':>10}{'p95 ms':>10}"
        f"{'peak RSS MiB':>14}"
    )
    lines = [header, "-" * len(header)]
    for arm in ARMS:
        row = report[arm]
        if "not_run" in row:
            lines.append(f"{arm:<13}not run: {row['not_run']}")
            continue
        if arm == "cache_hit":
            lines.append(
                f"{arm:<13}{'':>13}{'':>10}{row['p50_ms']:>10}{row['p95_ms']:>10}"
                f"{'':>14}  p99 {row.get('p99_ms')} ms over {row.get('requests')} requests"
            )
            continue

        def cell(key: str, width: int, row: dict[str, Any] = row) -> str:
            value = row.get(key)
            return f"{value if value is not None else '-':>{width}}"

        lines.append(
            f"{arm:<13}{cell('articles_per_min', 13)}{cell('tokens_per_s', 10)}"
            f"{cell('p50_ms', 10)}{cell('p95_ms', 10)}{cell('peak_rss_mib', 14)}"
        )
    lines.append("")
    lines.append(
        "ratios (articles/min): " + ", ".join(f"{k} {v}" for k, v in report["ratios"].items())
    )
    setup = report["setup"]
    lines.append("setup: " + ", ".join(f"{k} {v}" for k, v in setup.items() if k != "notes"))
    for arm in ARMS:
        for note in report[arm].get("notes", []):
            lines.append(f"note ({arm}): {note}")
    for note in setup["notes"]:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def child_main(args: argparse.Namespace) -> int:
    """Inside a child: measure one engine family, print its JSON as the last line."""
    from bench.arms import measure_ctranslate2, measure_transformers

    assert args.plan is not None
    plan = Plan.from_json(args.plan.read_text(encoding="utf-8"))
    measure = measure_transformers if args.child == "transformers" else measure_ctranslate2
    result = measure(plan)
    print(json.dumps(result))
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.run``: run the benchmark, print a table or JSON."""
    args = parse_args(argv)
    if args.child:
        return child_main(args)
    report = run_benchmark(args)
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
