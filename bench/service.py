"""Arms 4 and 5: the service end to end (HTTP → Redis → Celery worker → cache).

The stack is the one ``newsum serve`` starts, launched piece by piece so that the
benchmark can hold each part: an embedded Redis in a fresh folder (no cache or
translation memory from an earlier run), the API (``service.app.create_app``
under uvicorn) and a worker (``service.server.run_worker``, prefork, the same
queues). The worker is ``python -m bench.service worker``: exactly what
``newsum worker`` runs, except that every engine load gets the benchmark's
forced output lengths, and a transformers load is replaced by the CTranslate2
copy of the same model (``models.convert.locate_ct2``) so the worker runs the
same engine as arms ``ctranslate2``/``pipeline``. Its processes' peak RSS
(``VmHWM``) is the arm's memory figure.

``service``: every article POSTed once by ``clients`` concurrent clients
(``wait`` 60 s, then polling the job) while one worker process per
``--workers`` computes: the queue never runs dry, so the workers are saturated.
``cache_hit``: the same requests again, one client, answered from the cache.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.arms import percentile
from bench.workload import BenchSetup

READY_TIMEOUT_S = 180.0
JOB_TIMEOUT_S = 900.0
CACHE_HIT_ROUNDS = 10
# A request that warms the worker (jieba, first batches) without touching any
# article's sentences, which would then come from the translation memory.
WARM_UP_TEXT = "这是一篇用于预热服务的短文。记者在现场看到，工作人员正在检查设备。"


def measure_service(
    plan: BenchSetup, *, clients: int, workers: int, scratch: Path, pipeline_tokens: dict[str, Any]
) -> dict[str, Any]:
    """Arms ``service`` and ``cache_hit``; ``not_run`` with the reason if the stack fails."""
    try:
        import httpx

        from workers.store.embedded_redis import EmbeddedRedis
    except Exception as exc:
        reason = f"service parts not importable: {type(exc).__name__}: {exc}"
        return {"service": {"not_run": reason}, "cache_hit": {"not_run": reason}}

    redis_server = EmbeddedRedis(scratch / "redis")
    redis_server.start()
    processes: list[subprocess.Popen[bytes]] = []
    logs = scratch / "logs"
    logs.mkdir()
    try:
        port = _free_port()
        env = dict(
            os.environ,
            NEWSUM_REDIS_URL=redis_server.url,
            NEWSUM_MODEL_DIR=plan.model_dir,
            NEWSUM_DEVICE=plan.device,
        )
        threads = max(1, plan.threads // workers)
        worker_args = {
            "lengths": {
                role: plan.lengths.ctranslate2_overrides(role)
                for role in ("translation", "summary")
            },
            "compute_type": plan.ct2_compute_type,
            "cores": threads,
        }
        worker = _start(
            [
                sys.executable,
                "-m",
                "bench.service",
                "worker",
                json.dumps(worker_args),
                str(workers),
            ],
            env,
            logs / "worker.log",
        )
        api = _start(
            [sys.executable, "-m", "bench.service", "api", str(port)], env, logs / "api.log"
        )
        processes += [api, worker]
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=120.0) as http:
            problem = _wait_ready(http, processes, logs)
            if problem:
                return {"service": {"not_run": problem}, "cache_hit": {"not_run": problem}}
            engines = _engines_used(http, WARM_UP_TEXT)
            service = _saturate(base, plan, clients)
        service["peak_rss_mib"] = round(_peak_rss_mib(worker.pid), 1)
        service["notes"] = [
            f"{clients} concurrent clients, {workers} worker process(es) with "
            f"{threads} CTranslate2 threads each; worker engines: {engines}",
            "compare with arm pipeline (the same work in process)",
        ]
        if pipeline_tokens.get("tokens_per_s") and pipeline_tokens.get("articles_per_min"):
            # Same articles, same engines, same decoding: the same tokens per article.
            per_article = (
                pipeline_tokens["tokens_per_s"] * 60.0 / pipeline_tokens["articles_per_min"]
            )
            service["tokens_per_s"] = round(per_article * service["articles_per_min"] / 60.0, 1)
        with httpx.Client(base_url=base, timeout=30.0) as http:
            cache_hit = _cache_hits(http, plan)
        return {"service": service, "cache_hit": cache_hit}
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc} (logs in {logs})"
        return {"service": {"not_run": reason}, "cache_hit": {"not_run": reason}}
    finally:
        for process in processes:
            _stop(process)
        redis_server.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        # Own session: stopping the worker stops its prefork children too.
        return subprocess.Popen(command, env=env, stdout=out, stderr=out, start_new_session=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    from service.server import stop_process

    stop_process(process, grace_s=10.0)


def _wait_ready(http: Any, processes: list[subprocess.Popen[bytes]], logs: Path) -> str | None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                tail = _tail(logs)
                return f"a service process exited ({process.returncode}): {tail}"
        try:
            if http.get("/readyz").status_code == 200:
                return None
        except Exception:  # the API is still starting
            pass
        time.sleep(0.5)
    return f"not ready after {READY_TIMEOUT_S:.0f} s: {_tail(logs)}"


def _tail(logs: Path) -> str:
    lines: list[str] = []
    for log in sorted(logs.glob("*.log")):
        lines += [
            f"{log.name}: {line}" for line in log.read_text(errors="replace").splitlines()[-3:]
        ]
    return " | ".join(lines)


def _summarize(http: Any, text: str) -> dict[str, Any]:
    """POST one article and follow its job to the end; the SummaryResult JSON."""
    response = http.post("/v1/summaries", json={"text": text, "wait": 60})
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while response.status_code == 202:
        location = response.json()["location"]
        while time.monotonic() < deadline:
            job = http.get(location)
            job.raise_for_status()
            body = job.json()
            if body["state"] == "done":
                result: dict[str, Any] = body["result"]
                return result
            if body["state"] == "failed":
                raise RuntimeError(f"job failed: {body['error']}")
            time.sleep(0.05)
        raise TimeoutError(f"job not done after {JOB_TIMEOUT_S:.0f} s")
    if response.status_code != 200:
        raise RuntimeError(f"POST /v1/summaries: {response.status_code} {response.text[:300]}")
    done: dict[str, Any] = response.json()
    return done


def _engines_used(http: Any, text: str) -> str:
    result = _summarize(http, text)
    models = result.get("provenance", {}).get("models", [])
    return ", ".join(f"{m['role']}={m['engine']}" for m in models) or "unknown"


def _saturate(base: str, plan: BenchSetup, clients: int) -> dict[str, Any]:
    """Every article once, ``clients`` at a time; throughput and per-article latency."""
    import httpx

    pending = list(range(len(plan.articles)))
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []

    def client() -> None:
        with httpx.Client(base_url=base, timeout=120.0) as http:
            while True:
                with lock:
                    if not pending:
                        return
                    index = pending.pop(0)
                t0 = time.perf_counter()
                try:
                    result = _summarize(http, plan.articles[index].text)
                    if result["provenance"]["cached"]:
                        errors.append(f"article {index} was a cache hit")
                except Exception as exc:
                    errors.append(f"article {index}: {type(exc).__name__}: {exc}")
                    continue
                with lock:
                    latencies.append((time.perf_counter() - t0) * 1000.0)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise RuntimeError("; ".join(errors[:3]))
    return {
        "articles": len(latencies),
        "seconds": round(seconds, 2),
        "articles_per_min": round(len(latencies) / seconds * 60.0, 2),
        "tokens_per_s": None,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
    }


def _cache_hits(http: Any, plan: BenchSetup) -> dict[str, Any]:
    """The same requests again, one at a time: every answer must come from the cache."""
    latencies: list[float] = []
    for _ in range(CACHE_HIT_ROUNDS):
        for article in plan.articles:
            t0 = time.perf_counter()
            response = http.post("/v1/summaries", json={"text": article.text, "wait": 0})
            latencies.append((time.perf_counter() - t0) * 1000.0)
            if response.status_code != 200 or not response.json()["provenance"]["cached"]:
                raise RuntimeError(f"expected a cache hit, got {response.status_code}")
    seconds = sum(latencies) / 1000.0
    return {
        "requests": len(latencies),
        "articles_per_min": round(len(latencies) / seconds * 60.0, 1),
        "tokens_per_s": None,
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "peak_rss_mib": None,
        "notes": [
            "one client, sequential; latency of POST /v1/summaries answered 200 from the cache"
        ],
    }


def _peak_rss_mib(pid: int) -> float:
    """The largest peak RSS (VmHWM) among a process and its children."""
    peak = 0.0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        if int(fields.get("Pid", "0")) == pid or int(fields.get("PPid", "0")) == pid:
            hwm = fields.get("VmHWM", "0 kB").split()[0]
            peak = max(peak, int(hwm) / 1024.0)
    return peak


# ---------------------------------------------------------------- the two launched processes


def _run_api(port: int) -> None:
    import uvicorn

    from service.app import create_app
    from workers.settings import load_settings

    uvicorn.run(create_app(load_settings()), host="127.0.0.1", port=port, log_level="warning")


def _run_worker(options: dict[str, Any], concurrency: int) -> None:
    """``newsum worker``, with the benchmark's lengths and the CTranslate2 engines."""
    from models.convert import locate_ct2
    from models.engines.ctranslate2_engine import CTranslate2Engine
    from models.engines.transformers_engine import TransformersEngine
    from service.server import run_worker
    from workers.settings import load_settings

    settings = load_settings()
    lengths: dict[str, dict[str, int]] = options["lengths"]
    ct2_load = CTranslate2Engine.load.__func__  # type: ignore[attr-defined]

    def load_ct2(cls: type, spec: Any, path: Path, **kwargs: Any) -> CTranslate2Engine:
        kwargs["generation_overrides"] = {
            **(kwargs.get("generation_overrides") or {}),
            **lengths.get(spec.role, {}),
        }
        kwargs["compute_type"] = options["compute_type"]
        kwargs["cores"] = options["cores"]
        kwargs.pop("torch_threads", None)
        engine: CTranslate2Engine = ct2_load(CTranslate2Engine, spec, path, **kwargs)
        return engine

    def load_instead(cls: type, spec: Any, path: Path, **kwargs: Any) -> CTranslate2Engine:
        converted = locate_ct2(spec, settings.resolved_model_dir(), "int8")
        if converted is None:
            raise SystemExit(f"bench worker: no CTranslate2 int8 copy of {spec.id}")
        return load_ct2(cls, spec, converted, device=kwargs.get("device", "auto"))

    # A benchmark-only patch, in this process alone: see the module docstring.
    CTranslate2Engine.load = classmethod(load_ct2)  # type: ignore[method-assign,assignment]
    TransformersEngine.load = classmethod(load_instead)  # type: ignore[method-assign,assignment]
    run_worker(
        settings,
        concurrency=concurrency,
        profile="standard",
        queues=["interactive", "batch"],
        pool="prefork",
        loglevel="WARNING",
    )


if __name__ == "__main__":
    if sys.argv[1] == "api":
        _run_api(int(sys.argv[2]))
    elif sys.argv[1] == "worker":
        _run_worker(json.loads(sys.argv[2]), int(sys.argv[3]))
    else:
        raise SystemExit("usage: python -m bench.service api PORT | worker OPTIONS_JSON N")
