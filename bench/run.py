"""newsum's speed benchmark: naive transformers vs newsum's engines vs the service.

Run it (from the repository root)::

    .venv/bin/python -m bench.run                # full run, a table (~10-15 min on 2 quiet cores)
    .venv/bin/python -m bench.run --json         # one JSON object instead
    .venv/bin/python -m bench.run --quick        # reduced set (the llm arm on 1 article)
    .venv/bin/python -m bench.run --no-llm       # without the llm arm
    bench/gpu.sh                                 # the same on CUDA

What it measures, on the same articles and the same forced output lengths
(random weights never stop on their own, so minimum = maximum new tokens):

1. ``naive``        every sentence its own transformers ``generate()``, batch 1, fp32;
                    timed on a subset of sentences, per-article figures extrapolated
                    (the output says so).
2. ``transformers`` newsum's TransformersEngine, batched and length-sorted, fp32,
                    articles a chunk at a time as a batch worker takes them
                    (``--chunk-articles``, 4): one translate call for the chunk's
                    sentences, one summarize call for its summaries.
3. ``ctranslate2``  newsum's CTranslate2Engine, int8 on CPU, the same way (and
                    one article at a time, a reader's request, in its notes).
   ``pipeline``     the whole in-process pipeline on the CTranslate2 engines
                    (extract → segment → translate → map-reduce summary → checks):
                    the work one worker does per article.
4. ``service``      end to end: HTTP → Redis → Celery worker → cache, N concurrent
                    clients, a worker loading the same CTranslate2 models.
5. ``cache_hit``    the same requests again: served from the cache.
6. ``llm``          the direct brief (issue 16): a random-weight decoder of the real
                    Qwen2.5-1.5B-Instruct size in CTranslate2 (int8 on CPU), a
                    1,500-character article's prompt prefilled and a 150-token brief
                    streamed, opus-mt loaded beside it (``bench.llm_arm``); shown
                    beside translate-then-summarize with issue 16's targets.

One article = N Chinese sentences translated (``--translation-tokens`` each)
plus one summary of a ~1,000-token English input (``--summary-tokens``) for
arms 1-3. Models are random weights of the real sizes (opus-mt-zh-en: 6+6
layers, d_model 512, vocab 65,001; distilbart-cnn-12-6: 12+6 layers, d_model
1,024, vocab 50,264), built once into ``--cache-dir`` and converted to
CTranslate2 int8 there. Decoding uses the specs' beam size (4) unless
``--beams`` says otherwise.

Each engine family is measured in its own child process, so that peak RSS is
that family's alone (models included); the service's RSS is its worker's.
With ``--parallel-load`` (the default of ``--quick``) every process starts and
loads its models at once, then the arms are timed one after another while the
other processes wait, idle.
Timings on a shared machine are noisy: run the full benchmark on a quiet one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.workload import DATA_DIR, BenchSetup, Lengths, build_models, cached_articles

if TYPE_CHECKING:
    from bench.llm_arm import LlmSetup

DEFAULT_CACHE_DIR = Path("~/.cache/newsum/bench")
ARMS = ("naive", "transformers", "ctranslate2", "pipeline", "service", "cache_hit")
CHILD_ARMS = {
    "transformers": ("naive", "transformers"),
    "ctranslate2": ("ctranslate2", "pipeline"),
    "llm": ("llm",),
}
LLM_ARM = "llm"
LLM_ARTICLES = {"full": 4, "quick": 1}
# A staged child (--parallel-load) gives up waiting for its turn after this long.
TURN_TIMEOUT_S = 3600.0


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be ≥ 1, got {value}")
    return value


def parse_args(
    argv: list[str] | None = None, prog: str = "python -m bench.run"
) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a reduced set, ~35 s on 2 cores")
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
    parser.add_argument(
        "--chunk-articles",
        type=_at_least_one,
        default=4,
        help="articles the transformers and ctranslate2 arms take at a time, as a batch "
        "worker's chunk (NEWSUM_BATCH_CHUNK_ARTICLES, 4); 1: one by one",
    )
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (service)")
    parser.add_argument(
        "--model-size",
        choices=("real", "tiny"),
        default="real",
        help="tiny: a smoke run of the code path (numbers meaningless)",
    )
    parser.add_argument("--skip", action="append", default=[], choices=ARMS, help="skip an arm")
    parser.add_argument(
        "--no-llm", action="store_true", help="skip the llm arm (and building its 1.5 B model)"
    )
    parser.add_argument(
        "--llm-articles",
        type=_at_least_one,
        default=None,
        help=f"articles the llm arm briefs; {LLM_ARTICLES['full']} (quick: "
        f"{LLM_ARTICLES['quick']}); always the real model size",
    )
    parser.add_argument(
        "--llm-new-tokens", type=_at_least_one, default=150, help="tokens per brief (150)"
    )
    parser.add_argument(
        "--llm-compute-type",
        default=None,
        help="the llm arm's; default: int8 on cpu, float16 on cuda",
    )
    parser.add_argument(
        "--parallel-load",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="start every process (both engine children, the service) and load its models "
        "at once, then time the arms one after another; default: on with --quick only",
    )
    parser.add_argument("--child", choices=tuple(CHILD_ARMS), help=argparse.SUPPRESS)
    parser.add_argument("--plan", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ready-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--go-file", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _pick(value: int | None, full: int, quick: int, is_quick: bool) -> int:
    if value is not None:
        return value
    return quick if is_quick else full


def make_llm_setup(args: argparse.Namespace, plan: BenchSetup) -> LlmSetup:
    """Build (or reuse) the llm arm's decoder and cut its 1,500-character articles.

    ``--model-size tiny`` (a smoke run) uses a tiny decoder; every other run, ``--quick``
    included, the real Qwen2.5-1.5B-Instruct size.
    """
    from bench.llm_arm import SHAPES, make_setup

    compute_type = args.llm_compute_type or ("int8" if args.device == "cpu" else "float16")
    return make_setup(
        cache_dir=args.cache_dir,
        shape=SHAPES[args.model_size],
        device=args.device,
        compute_type=compute_type,
        threads=plan.threads,
        translator_dir=Path(plan.model_dir),
        translator_compute_type=plan.ct2_compute_type,
        translation_overrides=plan.lengths.ctranslate2_overrides("translation"),
        articles=plan.articles,
        count=_pick(args.llm_articles, LLM_ARTICLES["full"], LLM_ARTICLES["quick"], args.quick),
        new_tokens=args.llm_new_tokens,
    )


def make_plan(args: argparse.Namespace) -> tuple[BenchSetup, list[str]]:
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
    plan = BenchSetup(
        model_dir=str(model_dir),
        device=args.device,
        ct2_compute_type=args.ct2_compute_type or DEFAULT_COMPUTE_TYPE[args.device],
        lengths=lengths,
        articles=articles,
        naive_articles=min(_pick(args.naive_articles, 1, 1, quick), len(articles)),
        naive_sentences=_pick(args.naive_sentences, 8, 2, quick),
        threads=args.threads or threads_per_process(1),
        warm_up=not quick,
        chunk_articles=args.chunk_articles,
    )
    return plan, notes + article_notes


class _Child:
    """One engine family's arms in a fresh process; its last stdout line is JSON.

    Staged (``--parallel-load``): the child loads and warms its models, touches its
    ready file, and waits for its go file before the first timed call.
    """

    def __init__(self, family: str, plan_file: Path, scratch: Path, *, staged: bool) -> None:
        self.family = family
        self.ready = scratch / f"{family}.ready"
        self.go = scratch / f"{family}.go"
        self.stdout = scratch / f"{family}.out"
        self.stderr = scratch / f"{family}.err"
        command = [sys.executable, "-m", "bench.run", "--child", family, "--plan", str(plan_file)]
        if staged:
            command += ["--ready-file", str(self.ready), "--go-file", str(self.go)]
        # Files, not pipes: a staged child waiting for its turn must never block on a
        # full pipe that nobody reads yet.
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(command, stdout=out, stderr=err)

    def loaded(self) -> bool:
        """Ready to be timed, or already gone (a failure ``finish`` reports)."""
        return self.ready.exists() or self.process.poll() is not None

    def finish(self) -> dict[str, Any]:
        """Let it time its arms, wait for it, and return its results."""
        self.go.touch()
        code = self.process.wait()
        if code != 0:
            lines = self.stderr.read_text(encoding="utf-8", errors="replace").strip()
            tail = "\n".join(lines.splitlines()[-5:])
            return {
                arm: {"not_run": f"child failed ({code}): {tail}"}
                for arm in CHILD_ARMS[self.family]
            }
        out = self.stdout.read_text(encoding="utf-8").strip().splitlines()
        result: dict[str, Any] = json.loads(out[-1])
        return result

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def run_child(family: str, plan_file: Path) -> dict[str, Any]:
    """Run one engine family's arms in a fresh process, start to end."""
    return _Child(family, plan_file, plan_file.parent, staged=False).finish()


class _BackgroundService:
    """``bench.service.measure_service`` in a thread, held after its warm-up request.

    The stack (Redis, the API, the worker loading its models) starts while the
    engine children load theirs; ``measure_service``'s first request (the one
    that names the worker's engines and warms it) is wrapped so that the thread
    then waits for ``release()`` before any timed request is sent.
    """

    def __init__(self, plan: BenchSetup, args: argparse.Namespace, scratch: Path) -> None:
        import bench.service as service

        self._service = service
        self._original = service._engines_used
        self._ready = threading.Event()
        self._go = threading.Event()
        # Filled with arm pipeline's figures before release(): read after the timing.
        self.pipeline: dict[str, Any] = {}
        self.result: dict[str, Any] = {}

        def engines_used(http: Any, text: str) -> str:
            try:
                return self._original(http, text)
            finally:
                self._ready.set()
                self._go.wait()

        def target() -> None:
            try:
                self.result = service.measure_service(
                    plan,
                    clients=args.clients,
                    workers=args.workers,
                    scratch=scratch,
                    pipeline_tokens=self.pipeline,
                )
            except Exception as exc:  # measure_service reports its own failures
                reason = f"{type(exc).__name__}: {exc}"
                self.result = {"service": {"not_run": reason}, "cache_hit": {"not_run": reason}}

        service._engines_used = engines_used
        self._thread = threading.Thread(target=target, name="bench-service", daemon=True)
        self._thread.start()

    def loaded(self) -> bool:
        """Warmed up and waiting, or already finished (it failed to start)."""
        return self._ready.is_set() or not self._thread.is_alive()

    def finish(self) -> dict[str, Any]:
        """Run the timed requests, stop the stack, return arms service and cache_hit."""
        self._go.set()
        self._thread.join()
        self._service._engines_used = self._original
        return self.result


def _run_in_turn(
    plan: BenchSetup,
    args: argparse.Namespace,
    plan_files: dict[str, Path],
    scratch: Path,
    phases: dict[str, float],
) -> dict[str, Any]:
    """Each process started, loaded, timed and stopped before the next one starts."""
    results: dict[str, Any] = {}
    for family, plan_file in plan_files.items():
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
                scratch=scratch,
                pipeline_tokens=results.get("pipeline", {}),
            )
        )
        phases["service"] = round(time.perf_counter() - t0, 1)
    return results


def _run_parallel_load(
    plan: BenchSetup,
    args: argparse.Namespace,
    plan_files: dict[str, Path],
    scratch: Path,
    phases: dict[str, float],
) -> dict[str, Any]:
    """Every process starts and loads at once; then each times its arms in turn."""
    results: dict[str, Any] = {}
    t0 = time.perf_counter()
    children = [
        _Child(family, plan_file, scratch, staged=True) for family, plan_file in plan_files.items()
    ]
    service = None
    if "service" not in args.skip:
        service_scratch = scratch / "service"
        service_scratch.mkdir()
        service = _BackgroundService(plan, args, service_scratch)
    finished = False
    try:
        waiting: list[_Child | _BackgroundService] = [*children]
        if service is not None:
            waiting.append(service)
        while not all(part.loaded() for part in waiting):
            time.sleep(0.05)
        phases["parallel_load"] = round(time.perf_counter() - t0, 1)
        for child in children:
            t0 = time.perf_counter()
            results.update(child.finish())
            phases[child.family] = round(time.perf_counter() - t0, 1)
        if service is not None:
            t0 = time.perf_counter()
            service.pipeline.update(results.get("pipeline", {}))
            results.update(service.finish())
            phases["service"] = round(time.perf_counter() - t0, 1)
        finished = True
    finally:
        for child in children:
            child.kill()
        if service is not None and not finished:
            service.finish()  # measure_service stops the stack it started
    return results


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
    llm_setup = None
    if not args.no_llm:
        t0 = time.perf_counter()
        llm_setup = make_llm_setup(args, plan)
        phases["llm_model_and_articles"] = round(time.perf_counter() - t0, 1)
    parallel = args.quick if args.parallel_load is None else args.parallel_load
    with tempfile.TemporaryDirectory(prefix="newsum-bench-") as scratch:
        plan_file = Path(scratch) / "plan.json"
        plan_file.write_text(plan.to_json(), encoding="utf-8")
        plan_files = {
            family: plan_file
            for family in ("transformers", "ctranslate2")
            if not all(arm in args.skip for arm in CHILD_ARMS[family])
        }
        if llm_setup is not None:
            plan_files[LLM_ARM] = Path(scratch) / "llm-plan.json"
            plan_files[LLM_ARM].write_text(llm_setup.to_json(), encoding="utf-8")
        run = _run_parallel_load if parallel else _run_in_turn
        results = run(plan, args, plan_files, Path(scratch), phases)
    for arm in args.skip:
        results[arm] = {"not_run": "skipped (--skip)"}
    lengths = plan.lengths
    report: dict[str, Any] = {arm: results.get(arm, {"not_run": "not measured"}) for arm in ARMS}
    report["ratios"] = ratios(report)
    report[LLM_ARM] = _llm_row(results, skipped=args.no_llm)
    report["setup"] = {
        "quick": args.quick,
        "model_size": args.model_size,
        "device": plan.device,
        "ct2_compute_type": plan.ct2_compute_type,
        "threads": plan.threads,
        "chunk_articles": plan.chunk_articles,
        "beams": lengths.beams,
        "articles": len(plan.articles),
        "sentences_per_article": len(plan.articles[0].sentences),
        "chars_per_article": round(sum(len(a.text) for a in plan.articles) / len(plan.articles)),
        "source_tokens_per_article": round(
            sum(a.source_tokens for a in plan.articles) / len(plan.articles)
        ),
        "translation_tokens": lengths.translation_tokens,
        "summary_input_tokens": lengths.summary_input_tokens,
        "summary_tokens": lengths.summary_tokens,
        "clients": args.clients,
        "workers": args.workers,
        "parallel_load": parallel,
        "cpu_count": os.cpu_count(),
        "elapsed_s": round(time.perf_counter() - started, 1),
        "phases_s": phases,
        "notes": notes + plan.notes,
    }
    return report


def _llm_row(results: dict[str, Any], *, skipped: bool) -> dict[str, Any]:
    """The llm arm's object, with issue 16's targets judged on it."""
    if skipped:
        return {"not_run": "skipped (--no-llm)"}
    row: dict[str, Any] = results.get(LLM_ARM, {"not_run": "not measured"})
    if "not_run" not in row:
        from bench.llm_arm import judge_targets

        row["targets"] = judge_targets(row)
    return row


def format_llm(report: dict[str, Any]) -> list[str]:
    """The llm arm beside translate-then-summarize, and issue 16's targets: pass or miss."""
    row = report.get(LLM_ARM, {"not_run": "not measured"})
    if "not_run" in row:
        return [f"{LLM_ARM:<13}not run: {row['not_run']}"]
    shape = row["model"]["shape"]
    lines = [
        f"llm (direct brief): {shape['name']} shape ({row['model']['size']}, "
        f"{row['model']['weights']} weights), {row['model']['compute_type']} on "
        f"{row['model']['device']}, {row['articles']} article(s) of {row['article_chars']:,} "
        f"characters",
        f"  prompt {row['prompt_tokens']} tokens at {row['prompt_tokens_per_s']} tokens/s; "
        f"first token {row['first_token_s']} s; {row['new_tokens']} new tokens at "
        f"{row['tokens_per_s']} tokens/s; {row['seconds_per_article']} s per article "
        f"(+ {row['translation_s']} s translating it with opus-mt after the brief, as "
        f"the worker does: {row['worker_seconds_per_article']} s in all); peak RSS "
        f"{row['peak_rss_mib']} MiB with opus-mt loaded",
    ]
    for arm, label in (("pipeline", "in-process pipeline"), ("ctranslate2", "CT2 engines")):
        other = report.get(arm, {})
        if "not_run" in other or "p50_ms" not in other:
            continue
        per_article = other.get("one_at_a_time", other)["p50_ms"] / 1000.0
        sentences = report["setup"]["sentences_per_article"]
        chars = report["setup"].get("chars_per_article", 0)
        lines.append(
            f"  beside translate-then-summarize ({arm}, {label}): {per_article:.2f} s per "
            f"article of {sentences} sentences, ~{chars:,} characters (p50, one at a "
            f"time), peak RSS "
            f"{other['peak_rss_mib']} MiB"
        )
    for name, judged in row.get("targets", {}).items():
        verdict = "pass" if judged["pass"] else "MISS"
        lines.append(f"  target {name} ≤ {judged['target']:g}: {judged['value']} → {verdict}")
    return lines


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
    lines.extend(format_llm(report))
    lines.append("")
    lines.append(
        "ratios (articles/min): " + ", ".join(f"{k} {v}" for k, v in report["ratios"].items())
    )
    setup = report["setup"]
    lines.append("setup: " + ", ".join(f"{k} {v}" for k, v in setup.items() if k != "notes"))
    for arm in (*ARMS, LLM_ARM):
        for note in report.get(arm, {}).get("notes", []):
            lines.append(f"note ({arm}): {note}")
    for note in setup["notes"]:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def child_main(args: argparse.Namespace) -> int:
    """Inside a child: measure one engine family, print its JSON as the last line."""
    from bench.arms import measure_ctranslate2, measure_transformers
    from bench.llm_arm import LlmSetup, measure_llm

    assert args.plan is not None
    raw_plan = args.plan.read_text(encoding="utf-8")
    ready, go = args.ready_file, args.go_file

    def wait_for_turn() -> None:
        if ready is None or go is None:
            return
        ready.touch()
        parent = os.getppid()
        deadline = time.monotonic() + TURN_TIMEOUT_S
        while not go.exists():
            if os.getppid() != parent or time.monotonic() > deadline:
                raise SystemExit("bench child: no go from the parent")
            time.sleep(0.05)

    if args.child == LLM_ARM:
        result = {LLM_ARM: measure_llm(LlmSetup.from_json(raw_plan), wait_for_turn)}
    else:
        plan = BenchSetup.from_json(raw_plan)
        measure = measure_transformers if args.child == "transformers" else measure_ctranslate2
        result = measure(plan, wait_for_turn)
    print(json.dumps(result))
    return 0


def main(argv: list[str] | None = None, prog: str = "python -m bench.run") -> int:
    """``python -m bench.run`` (or ``newsum bench``): run the benchmark, print a table
    or JSON."""
    args = parse_args(argv, prog)
    if args.child:
        return child_main(args)
    report = run_benchmark(args)
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
