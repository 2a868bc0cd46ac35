"""A memory soak: thousands of distinct articles through one process's engines.

Run it (from the repository root)::

    .venv/bin/python -m bench.soak                          # 2,000 articles, CTranslate2 int8
    .venv/bin/python -m bench.soak --engine transformers    # the same on the fp32 checkpoints
    .venv/bin/python -m bench.soak --engine offline --articles 5000   # no models
    .venv/bin/python -m bench.soak --json                   # one JSON object

The engines are loaded once, in this process, the way a worker loads them
(``workers.english.engines.load_engines`` with a worker's settings and thread counts;
``--engine`` is its ``NEWSUM_ENGINE``, ``--tokens`` and ``--beams`` its
``NEWSUM_MAX_NEW_TOKENS`` and ``NEWSUM_NUM_BEAMS``), on the benchmark's random-weight models
of the real sizes (built into ``--cache-dir`` by ``bench.workload.build_models``
on first use, as ``bench.run`` does). Then ``--articles`` distinct Chinese
articles go one by one through ``prepare_article`` + ``summarize_prepared``,
with the server glossary and review threshold a worker passes.

Articles: ``--sentences`` sentences (default 4) drawn, with a seeded random
generator, from the ~2,000 distinct sentences of the test articles in
../shared/data (the bench workload's sentences), each article different, so
no cache can answer for another one. Random weights never stop on their own, so
every generation runs to its cap (``--tokens``, default 8, greedy): a short,
fixed output per call that keeps the run to a few minutes.

The process's current RSS (``/proc/self/statm``, not the peak) is sampled every
``--sample-every`` articles (100). The verdict compares the sample at 10 % of
the run (allocators, bounded caches and thread pools settled) with the last:
"flat" when it grew by less than ``--max-growth-pct`` (5 %) of it. The
in-process soak has no Redis: a worker's translation memory and result cache
live in Redis, not in the worker, and are not part of it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.workload import DATA_DIR, build_models, cached_sentences

DEFAULT_CACHE_DIR = Path("~/.cache/newsum/bench")
ENGINES = ("ctranslate2", "transformers", "offline")
# Sentences of news length: long enough to carry content, short enough that the
# cost of an article stays even across the run.
MIN_CHARS, MAX_CHARS = 10, 80


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--articles", type=int, default=2000, help="articles to run (2000)")
    parser.add_argument("--engine", choices=ENGINES, default="ctranslate2")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--sample-every", type=int, default=100, help="articles per RSS sample")
    parser.add_argument("--sentences", type=int, default=4, help="sentences per article (4)")
    parser.add_argument("--tokens", type=int, default=8, help="tokens per generation (8)")
    parser.add_argument("--beams", type=int, default=1, help="beam size (1)")
    parser.add_argument("--threads", type=int, default=0, help="0: the worker's default")
    parser.add_argument(
        "--max-growth-pct", type=float, default=5.0, help="flat below this growth (5 %%)"
    )
    parser.add_argument("--seed", type=int, default=0, help="article draw")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument(
        "--model-size",
        choices=("real", "tiny"),
        default="real",
        help="tiny: a smoke run of the code path (numbers meaningless)",
    )
    parser.add_argument("--progress", action="store_true", help="each sample on stderr")
    args = parser.parse_args(argv)
    if args.articles < 1 or args.sample_every < 1 or args.sentences < 1 or args.tokens < 1:
        parser.error("--articles, --sample-every, --sentences and --tokens must be ≥ 1")
    return args


def rss_mib() -> float:
    """This process's current resident set size, in MiB."""
    try:
        fields = Path("/proc/self/statm").read_text().split()
        return int(fields[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):  # not Linux: the peak is the best there is
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def make_texts(pool: list[str], articles: int, sentences: int, seed: int) -> list[str]:
    """``articles`` distinct articles of ``sentences`` sentences drawn from ``pool``."""
    usable = [s for s in pool if MIN_CHARS <= len(s) <= MAX_CHARS]
    if len(usable) < sentences:
        raise SystemExit(f"only {len(usable)} usable sentences: is ../shared/data there?")
    rng = random.Random(seed)
    seen: set[str] = set()
    texts: list[str] = []
    while len(texts) < articles:
        text = "".join(rng.sample(usable, sentences))
        if text not in seen:
            seen.add(text)
            texts.append(text)
    return texts


@dataclass
class SoakReport:
    """What the soak saw; ``as_dict()`` is the JSON it prints."""

    engine: str
    engines_loaded: str
    articles: int
    sentences_per_article: int
    tokens_per_generation: int
    sample_every: int
    seconds: float
    rss_before_load_mib: float
    rss_after_load_mib: float
    samples: list[tuple[int, float]]
    max_growth_pct: float
    failed: int = 0
    notes: list[str] = field(default_factory=list)

    def baseline(self) -> tuple[int, float]:
        """The first sample at or after 10 % of the run (the last one if none)."""
        tenth = self.articles / 10.0
        for done, rss in self.samples:
            if done >= tenth:
                return done, rss
        return self.samples[-1]

    def as_dict(self) -> dict[str, Any]:
        base_done, base_rss = self.baseline()
        end_done, end_rss = self.samples[-1]
        growth = end_rss - base_rss
        growth_pct = 100.0 * growth / base_rss if base_rss else 0.0
        span = end_done - base_done
        data = asdict(self)
        data["samples"] = [{"articles": n, "rss_mib": round(r, 1)} for n, r in self.samples]
        data.update(
            {
                "seconds": round(self.seconds, 1),
                "articles_per_s": round(self.articles / self.seconds, 2) if self.seconds else None,
                "rss_before_load_mib": round(self.rss_before_load_mib, 1),
                "rss_after_load_mib": round(self.rss_after_load_mib, 1),
                "baseline": {"articles": base_done, "rss_mib": round(base_rss, 1)},
                "end": {"articles": end_done, "rss_mib": round(end_rss, 1)},
                "growth_mib": round(growth, 1),
                "growth_pct": round(growth_pct, 2),
                "growth_mib_per_1000": round(growth * 1000.0 / span, 1) if span else None,
                "peak_sample_mib": round(max(r for _, r in self.samples), 1),
                "verdict": "flat" if growth_pct < self.max_growth_pct else "growing",
            }
        )
        return data


def load(args: argparse.Namespace) -> tuple[Any, Any, list[str]]:
    """The worker's settings and engines for ``--engine``; and notes on what was built."""
    from workers.english.engines import load_engines
    from workers.settings import load_settings

    overrides: dict[str, object] = {
        "device": "cpu",
        "num_beams": args.beams,
        "max_new_tokens": args.tokens,
        "torch_threads": args.threads,
        "engine_threads": args.threads,
    }
    notes: list[str] = []
    if args.engine != "offline":
        folder = "models" if args.model_size == "real" else "tiny-models"
        model_dir = args.cache_dir.expanduser() / folder
        notes = build_models(model_dir, size=args.model_size)
        overrides.update(model_dir=model_dir, engine=args.engine, ct2_quantization="int8")
    # One worker process: its thread counts, as ``newsum worker --concurrency=1`` sets them.
    settings = load_settings(**overrides).threads_for(1)
    engines = load_engines(settings, "offline" if args.engine == "offline" else "standard")
    return settings, engines, notes


def run_soak(args: argparse.Namespace) -> SoakReport:
    """Load once, run every article, sample the RSS; the report."""
    from workers.contract import ArticleInput, SummaryOptions
    from workers.english.glossary import server_glossary
    from workers.errors import NewsumError
    from workers.pipeline import prepare_article, summarize_prepared

    pool, pool_notes = cached_sentences(args.cache_dir.expanduser(), args.data_dir)
    texts = make_texts(pool, args.articles, args.sentences, args.seed)
    before = rss_mib()
    settings, engines, notes = load(args)
    loaded = ", ".join(f"{r.role}={r.engine}" for r in engines.model_refs())
    after = rss_mib()
    options = SummaryOptions()
    samples: list[tuple[int, float]] = []
    failed = 0
    started = time.perf_counter()
    for index, text in enumerate(texts, start=1):
        try:
            prepared = prepare_article(ArticleInput(text=text), settings)
            summarize_prepared(
                prepared,
                options,
                engines,
                key=f"soak-{index}",
                base_glossary=server_glossary(settings),
                review_confidence=settings.review_confidence,
            )
        except NewsumError:  # refused input: counted, the soak goes on
            failed += 1
        if index % args.sample_every == 0 or index == len(texts):
            samples.append((index, rss_mib()))
            if args.progress:
                elapsed = time.perf_counter() - started
                print(
                    f"{index} articles, {samples[-1][1]:.1f} MiB, {elapsed:.0f} s", file=sys.stderr
                )
    if failed:
        notes.append(f"{failed} article(s) refused by the pipeline (counted, not summarized)")
    return SoakReport(
        engine=args.engine,
        engines_loaded=loaded,
        articles=len(texts),
        sentences_per_article=args.sentences,
        tokens_per_generation=args.tokens,
        sample_every=args.sample_every,
        seconds=time.perf_counter() - started,
        rss_before_load_mib=before,
        rss_after_load_mib=after,
        samples=samples,
        max_growth_pct=args.max_growth_pct,
        failed=failed,
        notes=pool_notes + notes + engines.warnings,
    )


def format_table(report: dict[str, Any]) -> str:
    """The report as a plain-text table of samples and the verdict."""
    lines = [
        f"memory soak: {report['articles']} articles, engine {report['engine']} "
        f"({report['engines_loaded']}), {report['sentences_per_article']} sentences each, "
        f"{report['tokens_per_generation']} tokens per generation",
        f"{'articles':>9}{'RSS MiB':>10}",
        "-" * 19,
    ]
    lines += [f"{s['articles']:>9}{s['rss_mib']:>10}" for s in report["samples"]]
    lines.append("")
    base, end = report["baseline"], report["end"]
    lines.append(
        f"RSS before load {report['rss_before_load_mib']} MiB, after load "
        f"{report['rss_after_load_mib']} MiB; {report['seconds']} s, "
        f"{report['articles_per_s']} articles/s"
    )
    lines.append(
        f"growth from {base['articles']} articles ({base['rss_mib']} MiB) to {end['articles']} "
        f"({end['rss_mib']} MiB): {report['growth_mib']:+} MiB ({report['growth_pct']:+} %, "
        f"{report['growth_mib_per_1000']} MiB per 1000 articles)"
    )
    lines.append(f"verdict: {report['verdict']} (flat: growth under {report['max_growth_pct']} %)")
    lines += [f"note: {note}" for note in report["notes"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.soak``: run the soak, print a table or JSON."""
    args = parse_args(argv)
    report = run_soak(args).as_dict()
    print(json.dumps(report, indent=2, ensure_ascii=False) if args.json else format_table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
