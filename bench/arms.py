"""The in-process arms of the benchmark, each run in its own child process.

A child process per engine family keeps each peak RSS honest (``ru_maxrss``
never goes down, so fp32 transformers would inflate CTranslate2's figure) and
lets every arm load its models once, outside the timings.

- ``transformers`` child: arm ``naive`` (every sentence its own ``generate``, batch 1,
  fp32; measured on a subset, per-article figures extrapolated) and arm
  ``transformers`` (newsum's TransformersEngine: batched, length-sorted).
- ``ctranslate2`` child: arm ``ctranslate2`` (CTranslate2Engine, int8 on CPU) and arm
  ``pipeline`` (the whole in-process pipeline, ``prepare_article`` +
  ``summarize_prepared``, on the same CTranslate2 engines: the work a worker does).
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.workload import BenchArticle, BenchSetup


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linear between ranks; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def status_mib(field: str, pid: int | str = "self") -> float | None:
    """A memory line of /proc/PID/status (``VmHWM``, ``VmRSS``) in MiB; None without it."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return None


def peak_rss_mib() -> float:
    """This process's peak resident memory so far, in MiB.

    ``VmHWM`` (this process image's own high-water mark) where /proc has it:
    ``ru_maxrss`` survives ``exec``, so a child started by a parent that had just
    built the models in torch would report the parent's peak as its own.
    """
    peak = status_mib("VmHWM")
    if peak is not None:
        return peak
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rss_mib() -> float:
    """This process's resident memory now (``VmRSS``), in MiB; 0.0 where /proc lacks it."""
    return status_mib("VmRSS") or 0.0


def _nothing() -> None:
    return None


@dataclass
class ArmResult:
    """What one arm measured; ``summary()`` is the JSON the report prints."""

    articles: int
    seconds: float
    generated_tokens: int
    latencies_ms: list[float]
    peak_rss_mib: float
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        minutes = self.seconds / 60.0
        return {
            "articles": self.articles,
            "seconds": round(self.seconds, 2),
            "articles_per_min": round(self.articles / minutes, 2) if minutes else None,
            "tokens_per_s": round(self.generated_tokens / self.seconds, 1)
            if self.seconds and self.generated_tokens
            else None,
            "p50_ms": round(percentile(self.latencies_ms, 50), 1),
            "p95_ms": round(percentile(self.latencies_ms, 95), 1),
            "peak_rss_mib": round(self.peak_rss_mib, 1),
            "notes": self.notes,
            **self.extra,
        }


def tokens_per_article(plan: BenchSetup, article: BenchArticle) -> int:
    """Decoding steps one article costs at the forced lengths."""
    lengths = plan.lengths
    return len(article.sentences) * lengths.translation_tokens + lengths.summary_tokens


def _time_articles(
    plan: BenchSetup, run: Callable[[BenchArticle], object]
) -> tuple[float, list[float]]:
    return _time_chunks(plan, lambda chunk: run(chunk[0]), size=1)


def _time_chunks(
    plan: BenchSetup, run: Callable[[list[BenchArticle]], object], *, size: int | None = None
) -> tuple[float, list[float]]:
    """The articles ``size`` (default ``plan.chunk_articles``) at a time; each
    article's latency is its chunk's (none is done before the chunk is)."""
    latencies: list[float] = []
    size = max(1, plan.chunk_articles if size is None else size)
    started = time.perf_counter()
    for start in range(0, len(plan.articles), size):
        chunk = plan.articles[start : start + size]
        t0 = time.perf_counter()
        run(chunk)
        latencies.extend([(time.perf_counter() - t0) * 1000.0] * len(chunk))
    return time.perf_counter() - started, latencies


def run_chunk(translator: Any, summarizer: Any) -> Callable[[list[BenchArticle]], None]:
    """What a batch worker asks of its engines for a chunk of articles: every
    sentence in one translate call (``workers.batch.pretranslate``), every summary input in
    one summarize call (``workers.batch.summarize_together``)."""

    def run(chunk: list[BenchArticle]) -> None:
        translator.generate([s for article in chunk for s in article.sentences])
        summarizer.generate([article.summary_input for article in chunk])

    return run


def _engine_arm(
    plan: BenchSetup,
    translator: Any,
    summarizer: Any,
    *,
    size: int | None = None,
    notes: Sequence[str] = (),
    extra: dict[str, Any] | None = None,
) -> ArmResult:
    """The engines timed over the plan's articles, ``size`` (default
    ``plan.chunk_articles``) at a time as ``run_chunk`` gives them."""
    seconds, latencies = _time_chunks(plan, run_chunk(translator, summarizer), size=size)
    return ArmResult(
        articles=len(plan.articles),
        seconds=seconds,
        generated_tokens=sum(tokens_per_article(plan, a) for a in plan.articles),
        latencies_ms=latencies,
        peak_rss_mib=peak_rss_mib(),
        notes=list(notes),
        extra=extra or {},
    )


def _chunk_note(plan: BenchSetup) -> str:
    return (
        f"articles {plan.chunk_articles} at a time, as a batch worker takes a chunk "
        "(NEWSUM_BATCH_CHUNK_ARTICLES): the chunk's sentences in one translate call, its "
        "summaries in one summarize call; each article's latency is its chunk's"
    )


# ---------------------------------------------------------------- transformers child


def measure_transformers(
    plan: BenchSetup, before_timing: Callable[[], None] = _nothing
) -> dict[str, dict[str, Any]]:
    """Arms ``naive`` and ``transformers`` on the same loaded fp32 (fp16 on CUDA) engines.

    ``before_timing`` is called once the models are loaded, checked and warm, just
    before the first timed call (``bench.run`` makes it wait for this process's turn).
    """
    from models.engines.transformers_engine import TransformersEngine
    from models.specs import get_spec
    from models.store import model_path

    model_dir = Path(plan.model_dir)
    engines = {}
    for role in ("translation", "summary"):
        spec = get_spec(role)
        engines[role] = TransformersEngine.load(
            spec,
            model_path(spec, model_dir),
            device=plan.device,
            torch_threads=plan.threads,
            generation_overrides=plan.lengths.transformers_overrides(role),
        )
    translator, summarizer = engines["translation"], engines["summary"]
    checked = _check_transformers_lengths(plan, translator, summarizer)
    if plan.warm_up or checked:  # a clean check has run both models already
        _warm_up(plan, translator.generate, summarizer.generate)
    before_timing()

    # (1) naive: one generate per sentence; a subset, extrapolated to whole articles.
    per_article_ms: list[float] = []
    measured_sentences = 0
    naive_seconds = 0.0
    for article in plan.articles[: plan.naive_articles]:
        subset = article.sentences[: plan.naive_sentences]
        t0 = time.perf_counter()
        for sentence in subset:
            translator.generate([sentence])
        sentence_s = (time.perf_counter() - t0) / len(subset)
        t1 = time.perf_counter()
        summarizer.generate([article.summary_input])
        summary_s = time.perf_counter() - t1
        measured_sentences += len(subset)
        naive_seconds += sentence_s * len(article.sentences) + summary_s
        per_article_ms.append((sentence_s * len(article.sentences) + summary_s) * 1000.0)
    naive_articles = plan.articles[: plan.naive_articles]
    naive = ArmResult(
        articles=len(naive_articles),
        seconds=naive_seconds,
        generated_tokens=sum(tokens_per_article(plan, a) for a in naive_articles),
        latencies_ms=per_article_ms,
        peak_rss_mib=peak_rss_mib(),
        notes=[
            f"extrapolated: {measured_sentences} sentences timed one by one (batch 1) over "
            f"{len(naive_articles)} article(s) plus each article's summary; per-article "
            "time = mean sentence time × sentences per article + summary time",
            *checked,
        ],
    )

    # (2) newsum's transformers engine: batched and length-sorted, a chunk at a time.
    batched = _engine_arm(
        plan, translator, summarizer, notes=[_chunk_note(plan), *checked], extra=_gpu_memory(plan)
    )
    return {"naive": naive.summary(), "transformers": batched.summary()}


def _gpu_memory(plan: BenchSetup) -> dict[str, float]:
    if plan.device != "cuda":
        return {}
    import torch

    return {"gpu_peak_mib": round(torch.cuda.max_memory_allocated() / 2**20, 1)}


def _check_transformers_lengths(plan: BenchSetup, translator: Any, summarizer: Any) -> list[str]:
    """Confirm the forced lengths on a couple of inputs (the engine returns text only,
    so this asks its model directly; skipped, and said so, if the engine changes)."""
    import torch

    try:
        pairs = (
            (translator, plan.articles[0].sentences[:2], plan.lengths.translation_tokens),
            (summarizer, [plan.articles[0].summary_input], plan.lengths.summary_tokens),
        )
        for engine, texts, wanted in pairs:
            model, tokenizer = engine._model, engine._tokenizer
            encoded = tokenizer(texts, return_tensors="pt", padding=True).to(engine.device)
            with torch.inference_mode():
                out = model.generate(**encoded, **engine.generation)
            # The decoder start token is not generated; the forced </s> is.
            steps = out.shape[1] - 1
            if steps != wanted:
                return [f"WARNING: transformers generated {steps} tokens, not {wanted}"]
    except AttributeError:
        return ["transformers output lengths not checked (engine internals changed)"]
    return []


def _warm_up(
    plan: BenchSetup,
    translate: Callable[[Sequence[str]], object],
    summarize: Callable[[Sequence[str]], object],
) -> None:
    article = plan.articles[0]
    translate(article.sentences[:4])
    summarize([article.summary_input[:200]])


# ---------------------------------------------------------------- CTranslate2 child


def measure_ctranslate2(
    plan: BenchSetup, before_timing: Callable[[], None] = _nothing
) -> dict[str, dict[str, Any]]:
    """Arms ``ctranslate2`` and ``pipeline`` on the same CTranslate2 engines.

    Everything untimed (loads, length check, warm-ups, the pipeline's own lazy parts)
    runs before ``before_timing``; both arms' timings after it.
    """
    from models.convert import locate_ct2
    from models.engines.ctranslate2_engine import CTranslate2Engine
    from models.specs import get_spec

    model_dir = Path(plan.model_dir)
    engines: dict[str, CTranslate2Engine] = {}
    for role in ("translation", "summary"):
        spec = get_spec(role)
        path = locate_ct2(spec, model_dir, "int8")
        if path is None:
            raise SystemExit(f"no CTranslate2 int8 copy of {spec.id} in {model_dir}")
        engines[role] = CTranslate2Engine.load(
            spec,
            path,
            device=plan.device,
            compute_type=plan.ct2_compute_type,
            cores=plan.threads,
            generation_overrides=plan.lengths.ctranslate2_overrides(role),
        )
    translator, summarizer = engines["translation"], engines["summary"]
    checked = _check_ct2_lengths(plan, translator, summarizer)
    loaded_rss = peak_rss_mib()
    if plan.warm_up or checked:
        _warm_up(plan, translator.generate, summarizer.generate)
    pipeline = prepare_pipeline(plan, translator, summarizer)
    before_timing()

    chunked = _engine_arm(plan, translator, summarizer)
    one_at_a_time = _one_at_a_time(plan, translator, summarizer)
    ct2 = replace(
        chunked,
        peak_rss_mib=peak_rss_mib(),  # the process's peak over both timings
        notes=[
            f"compute type {translator.compute_type} on {translator.device}; threads "
            f"(batches at once, per batch): translator {translator.threads}, summarizer "
            f"{summarizer.threads}; batches of ≤ {translator.max_batch_tokens} / "
            f"{summarizer.max_batch_tokens} source tokens",
            _chunk_note(plan),
            f"one article at a time (a reader's request): {one_at_a_time['articles_per_min']} "
            f"articles/min, p50 {one_at_a_time['p50_ms']} ms",
            *checked,
        ],
        extra={"rss_after_load_mib": round(loaded_rss, 1), "one_at_a_time": one_at_a_time},
    )
    return {
        "ctranslate2": ct2.summary(),
        "pipeline": pipeline if isinstance(pipeline, dict) else pipeline(),
    }


def _one_at_a_time(plan: BenchSetup, translator: Any, summarizer: Any) -> dict[str, Any]:
    """The same engines, one article per call pair: what a reader's request costs."""
    summary = _engine_arm(plan, translator, summarizer, size=1).summary()
    return {
        name: summary[name] for name in ("articles_per_min", "tokens_per_s", "p50_ms", "p95_ms")
    }


def _check_ct2_lengths(plan: BenchSetup, translator: Any, summarizer: Any) -> list[str]:
    pairs = (
        (translator, plan.articles[0].sentences[:2], plan.lengths.translation_tokens),
        (summarizer, [plan.articles[0].summary_input], plan.lengths.summary_tokens),
    )
    for engine, texts, wanted in pairs:
        steps = {len(ids) for ids in engine.generate_ids(texts)}
        if steps != {wanted}:
            return [f"WARNING: CTranslate2 generated {sorted(steps)} tokens, not {wanted}"]
    return []


class _CountingGenerator:
    """Wraps an engine and counts the decoding steps it is asked for (forced lengths)."""

    def __init__(self, inner: Any, default_tokens: int) -> None:
        self.inner = inner
        self.default_tokens = default_tokens
        self.steps = 0
        self.calls = 0
        self.model_id = inner.model_id
        self.revision = inner.revision
        self.engine_name = inner.engine_name
        self.max_input_tokens = inner.max_input_tokens

    def count_tokens(self, text: str) -> int:
        return int(self.inner.count_tokens(text))

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        # Random weights never stop early: a call runs to its cap.
        tokens = self.default_tokens if max_new_tokens is None else max_new_tokens
        self.steps += tokens * len(texts)
        self.calls += len(texts)
        return list(self.inner.generate(texts, max_new_tokens=max_new_tokens))


def measure_pipeline(plan: BenchSetup, translator: Any, summarizer: Any) -> dict[str, Any]:
    """Arm ``pipeline``: prepare + summarize each article in process, as a worker does."""
    pipeline = prepare_pipeline(plan, translator, summarizer)
    return pipeline if isinstance(pipeline, dict) else pipeline()


def prepare_pipeline(
    plan: BenchSetup, translator: Any, summarizer: Any
) -> dict[str, Any] | Callable[[], dict[str, Any]]:
    """Arm ``pipeline`` made ready (imports, jieba's dictionary warmed): a function that
    times it and returns its summary; or ``not_run`` with the reason, at once."""
    try:
        from models.engines.extractive import TextRankRanker
        from models.specs import get_spec
        from workers.contract import ArticleInput, SummaryOptions
        from workers.english.engines import Engines
        from workers.english.glossary import server_glossary
        from workers.pipeline import prepare_article, summarize_prepared
        from workers.settings import load_settings
    except Exception as exc:
        return {"not_run": f"workers.pipeline not importable: {type(exc).__name__}: {exc}"}

    counted_tr = _CountingGenerator(translator, plan.lengths.translation_tokens)
    counted_sum = _CountingGenerator(summarizer, plan.lengths.summary_tokens)
    engines = Engines(
        profile="standard",
        ranker=TextRankRanker(),
        translator=counted_tr,
        summarizer=counted_sum,
        specs={"translation": get_spec("translation"), "summary": get_spec("summary")},
    )
    settings = load_settings()
    options = SummaryOptions()
    # What a worker passes (workers.queue.summary_job.summarize_and_store): the server's glossary
    # (the built-in CC-CEDICT names) makes the translator redo sentences whose English
    # lacks a term; random weights never render one, so that costs real time here.
    glossary = server_glossary(settings)

    def run(article: BenchArticle) -> None:
        prepared = prepare_article(ArticleInput(text=article.text), settings)
        summarize_prepared(
            prepared,
            options,
            engines,
            key="bench",
            base_glossary=glossary,
            review_confidence=settings.review_confidence,
        )

    # Warm the pipeline's own lazy parts (jieba's dictionary) outside the timings.
    run(BenchArticle(sentences=plan.articles[0].sentences[:3], summary_input=""))

    def measure() -> dict[str, Any]:
        counted_tr.steps = counted_sum.steps = counted_tr.calls = counted_sum.calls = 0
        seconds, latencies = _time_articles(plan, run)
        result = ArmResult(
            articles=len(plan.articles),
            seconds=seconds,
            generated_tokens=counted_tr.steps + counted_sum.steps,
            latencies_ms=latencies,
            peak_rss_mib=peak_rss_mib(),
            notes=[
                "whole pipeline (extract, segment, translate, map-reduce summary, checks) on "
                "the CTranslate2 engines; random-weight English makes the summary step larger "
                "than the fixed one of arm ctranslate2"
            ],
            extra={
                "translated_pieces_per_article": round(counted_tr.calls / len(plan.articles), 1),
                "summary_calls_per_article": round(counted_sum.calls / len(plan.articles), 1),
            },
        )
        return result.summary()

    return measure
