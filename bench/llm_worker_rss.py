"""Issue 16's memory target measured on a real worker: profile ``llm`` with a decoder
of the real Qwen2.5-1.5B-Instruct size and a real-size opus-mt, both CTranslate2 int8.

The ``llm`` arm of ``bench.run`` times the decoder in a bare process; a worker holds
more (Celery, the pipeline's imports, the tokenizers, transformers) and loads its
models in its own order. This script measures the worker itself:

1. the bench's random decoder of the real size (``bench.llm_arm.build_decoder``) and
   its real-size opus-mt (``bench.workload.build_models``), built once and cached;
2. a model folder laid out as ``newsum models pull`` + ``convert`` leave it: the tiny
   Qwen2 checkpoint of ``tests.tiny_instruct`` converted by ``models.convert`` (its
   tokenizer, chat template and marker), whose ``model.bin`` and vocabulary are then
   the real-size decoder's (linked, not copied), and the real-size opus-mt copy;
3. ``newsum worker --profile llm`` (prefork, one process, ``NEWSUM_ENGINE=ctranslate2``)
   started on it, until its child logs "ready" (engines loaded and warmed up);
4. the child's peak (``VmHWM``) and current (``VmRSS``) resident memory, in MiB.

    .venv/bin/python -m bench.llm_worker_rss            # ~1 min once the models are built
    .venv/bin/python -m bench.llm_worker_rss --json

Needs a Redis (``--redis-url``; the machine's on 127.0.0.1:6379, database 15, by
default); only the worker's heartbeat and pipeline keys are written there.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.arms import status_mib
from bench.llm_arm import SHAPES, TARGETS, build_decoder, model_folder

DEFAULT_CACHE = Path("~/.cache/newsum/bench")
READY = re.compile(r"worker process (\d+) ready: profile (\w+)")
START_TIMEOUT_S = 600.0


def assemble_model_dir(cache_dir: Path, size: str) -> tuple[Path, list[str]]:
    """The worker's model folder (step 2 of the module docstring); returns it and notes."""
    from bench.workload import build_models
    from models.convert import convert, ct2_path
    from models.specs import get_spec, instruct_spec
    from models.store import model_path
    from tests.tiny_instruct import build_qwen2

    cache_dir = cache_dir.expanduser()
    shape = SHAPES[size]
    notes = build_models(cache_dir / ("models" if size == "real" else "tiny-models"), size=size)
    decoder = model_folder(cache_dir, shape, "int8")
    note = build_decoder(decoder, shape, weights="int8")
    notes += [note] if note else []

    out = cache_dir / f"worker-llm-{size}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    spec = instruct_spec("Qwen/Qwen2.5-1.5B-Instruct")
    checkpoint = build_qwen2(model_path(spec, out))
    converted = convert(spec, checkpoint, ct2_path(spec, out))
    for name in ("model.bin", "vocabulary.json"):
        (converted / name).unlink()
        (converted / name).symlink_to(decoder / name)
    translation = get_spec("translation")
    source = ct2_path(translation, cache_dir / ("models" if size == "real" else "tiny-models"))
    ct2_path(translation, out).symlink_to(source, target_is_directory=True)
    return out, notes


def measure_worker(model_dir: Path, redis_url: str, threads: int) -> dict[str, Any]:
    """Start the worker on ``model_dir``, wait for its child to be ready, read its memory."""
    env = {
        **os.environ,
        "NEWSUM_MODEL_DIR": str(model_dir),
        "NEWSUM_ENGINE": "ctranslate2",
        "NEWSUM_ENGINE_THREADS": str(threads),
        "NEWSUM_REDIS_URL": redis_url,
        "NEWSUM_LLM_MODEL": "Qwen/Qwen2.5-1.5B-Instruct",
    }
    command = [sys.executable, "-m", "service.commands", "worker", "--profile", "llm"]
    command += ["--concurrency", "1", "--loglevel", "INFO"]
    started = time.perf_counter()
    worker = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert worker.stdout is not None
    lines: list[str] = []
    try:
        for line in worker.stdout:
            lines.append(line.rstrip())
            match = READY.search(line)
            if match:
                child = int(match.group(1))
                return {
                    "profile": match.group(2),
                    "peak_rss_mib": round(status_mib("VmHWM", child) or 0.0, 1),
                    "rss_mib": round(status_mib("VmRSS", child) or 0.0, 1),
                    "ready_s": round(time.perf_counter() - started, 1),
                }
            if time.perf_counter() - started > START_TIMEOUT_S:
                break
        tail = "\n".join(lines[-15:])
        raise SystemExit(f"the worker never said it was ready; its last lines:\n{tail}")
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.llm_worker_rss", description=__doc__)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--model-size", choices=sorted(SHAPES), default="real")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args(argv)

    model_dir, notes = assemble_model_dir(args.cache_dir, args.model_size)
    row = measure_worker(model_dir, args.redis_url, args.threads)
    limit = TARGETS["peak_rss_mib"]
    row["target_peak_rss_mib"] = limit
    row["pass"] = row["peak_rss_mib"] <= limit
    row["model_size"] = args.model_size
    row["notes"] = notes
    if args.json:
        print(json.dumps(row, indent=2))
    else:
        verdict = "met" if row["pass"] else "MISSED"
        print(
            f"worker (profile {row['profile']}, {args.model_size}-size decoder + opus-mt, "
            f"CTranslate2 int8): peak RSS {row['peak_rss_mib']:,.0f} MiB, "
            f"{row['rss_mib']:,.0f} MiB once ready ({row['ready_s']} s); "
            f"target ≤ {limit:,.0f} MiB: {verdict}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
