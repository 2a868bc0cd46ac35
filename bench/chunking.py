"""Cross-article batching, measured: a chunk of articles translated one call each
(what a worker does with one article a task) against one call for the whole chunk
(``workers.batch.pretranslate``, what a worker does with a chunk of batch articles).

Run it (from the repository root, after ``bench.run`` has built the models)::

    .venv/bin/python -m bench.chunking                    # 4 articles, beam 4
    .venv/bin/python -m bench.chunking --articles 8 --json

The translator is the CTranslate2 int8 copy of the random-weight opus-mt-zh-en of
the real size that ``bench.run`` builds into its cache; the articles are the
benchmark's (sentences of ../shared/data), each sentence forced to the same
output length, so both ways do exactly the same decoding steps and differ only
in how sentences are grouped into engine batches. Each way runs ``--rounds``
times, alternating, and the best round counts (the least disturbed by other
load).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from bench.run import DEFAULT_CACHE_DIR
from bench.workload import Lengths, build_models, cached_articles


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.chunking", description=__doc__)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument("--articles", type=int, default=4, help="a chunk (default 4)")
    parser.add_argument("--sentences", type=int, default=60, help="per article")
    parser.add_argument("--translation-tokens", type=int, default=40)
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0, help="0: every core")
    parser.add_argument("--json", action="store_true")
    return parser.parse_args(argv)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from models.convert import locate_ct2
    from models.engines.ctranslate2_engine import CTranslate2Engine, threads_per_process
    from models.specs import get_spec

    model_dir = args.cache_dir.expanduser() / "models"
    build_models(model_dir)
    lengths = Lengths(translation_tokens=args.translation_tokens, beams=args.beams)
    articles, _ = cached_articles(
        model_dir, articles=args.articles, sentences_per_article=args.sentences, lengths=lengths
    )
    spec = get_spec("translation")
    path = locate_ct2(spec, model_dir, "int8")
    if path is None:
        raise SystemExit(f"no CTranslate2 int8 copy of {spec.id} in {model_dir}: run bench.run")
    engine = CTranslate2Engine.load(
        spec,
        path,
        device="cpu",
        compute_type="int8",
        cores=args.threads or threads_per_process(1),
        generation_overrides=lengths.ctranslate2_overrides("translation"),
    )
    engine.generate(articles[0].sentences[:4])  # warm-up
    chunk = [a.sentences for a in articles]
    sentences = sum(len(s) for s in chunk)

    def per_article() -> float:
        started = time.perf_counter()
        for article in chunk:
            engine.generate(article)
        return time.perf_counter() - started

    def together() -> float:
        started = time.perf_counter()
        engine.generate([s for article in chunk for s in article])
        return time.perf_counter() - started

    best = {"per_article": float("inf"), "together": float("inf")}
    for _ in range(args.rounds):
        best["per_article"] = min(best["per_article"], per_article())
        best["together"] = min(best["together"], together())
    tokens = sentences * args.translation_tokens
    return {
        "articles": len(chunk),
        "sentences": sentences,
        "beams": args.beams,
        "max_batch_tokens": engine.max_batch_tokens,
        "per_article_s": round(best["per_article"], 2),
        "together_s": round(best["together"], 2),
        "per_article_tokens_per_s": round(tokens / best["per_article"], 1),
        "together_tokens_per_s": round(tokens / best["together"], 1),
        "speedup": round(best["per_article"] / best["together"], 3),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = measure(args)
    if args.json:
        print(json.dumps(report))
        return 0
    print(
        f"{report['articles']} articles, {report['sentences']} sentences, beam "
        f"{report['beams']}, batches of ≤ {report['max_batch_tokens']} source tokens\n"
        f"one call per article : {report['per_article_s']:>7.2f} s  "
        f"{report['per_article_tokens_per_s']:>7.1f} tokens/s\n"
        f"one call for the lot : {report['together_s']:>7.2f} s  "
        f"{report['together_tokens_per_s']:>7.1f} tokens/s\n"
        f"speed-up             : {report['speedup']:.2f}×"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
