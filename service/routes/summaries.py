"""``/v1/summaries`` and ``/v1/jobs``: one article, answered now or by job id."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from service.auth import InteractiveCaller, QueueFull, with_key_glossary
from service.deps import ServiceState, State
from service.errors import NotFound, error_response, too_large
from service.schemas import Accepted, JobView, SummaryRequest
from workers.contract import ArticleInput, SummaryJob, SummaryResult
from workers.errors import EmptyInput, InvalidRequest
from workers.store.batches import as_member
from workers.store.jobs import JobRecord, submit_summary

router = APIRouter(tags=["summaries"])

# HTML carries markup around its text; the pipeline allows it this many times max_chars.
HTML_CHARS_FACTOR = 10
MAX_URL_CHARS = 2048
SSE_POLL_S = 0.25
SSE_KEEPALIVE_S = 15.0
QUEUE_FULL_RETRY_S = 10


def check_article(article: ArticleInput, max_chars: int) -> None:
    """The checks that need no worker: empty, too long. Raise the InputError to answer."""
    if article.text is not None:
        if not article.text.strip():
            raise EmptyInput("the article is empty (text has no characters besides whitespace)")
        if len(article.text) > max_chars:
            raise too_large("text", len(article.text), max_chars, "characters; NEWSUM_MAX_CHARS")
    elif article.html is not None:
        if not article.html.strip():
            raise EmptyInput("the page is empty (html has no characters besides whitespace)")
        limit = max_chars * HTML_CHARS_FACTOR
        if len(article.html) > limit:
            raise too_large("html", len(article.html), limit, "characters; NEWSUM_MAX_CHARS × 10")
    elif article.url is not None:
        if not article.url.strip():
            raise EmptyInput("the url is empty")
        if len(article.url) > MAX_URL_CHARS:
            raise InvalidRequest(
                f"the url is {len(article.url):,} characters; the limit is {MAX_URL_CHARS:,}",
                limit=MAX_URL_CHARS,
            )


def check_queue_depth(state: ServiceState, queue: str) -> None:
    """QueueFull (429 + Retry-After) when ``queue`` holds more than NEWSUM_MAX_QUEUE_DEPTH."""
    limit = state.limits.max_queue_depth
    depth = state.queue_depth(queue)
    if depth >= limit:
        raise QueueFull(
            f"the {queue} queue holds {depth:,} articles; the limit is {limit:,} "
            "(NEWSUM_MAX_QUEUE_DEPTH): try again shortly, or submit a batch",
            retry_after_s=QUEUE_FULL_RETRY_S,
            limit=limit,
        )


def check_url(url: str) -> None:
    """Refuse a URL to a private, loopback or metadata address (UnsafeURL → 422)."""
    from workers.article.fetch import check_public_url

    check_public_url(url)


def load_result(state: ServiceState, job: JobRecord) -> SummaryResult | None:
    """A done job's result from the cache, with ``provenance.cached`` as the job saw it."""
    if not job.result_key:
        return None
    raw = state.cache.get_raw(job.result_key)
    if raw is None:
        return None
    if job.cluster is not None:  # a batch item grouped on a worker: shown as its own
        raw = as_member(raw, job.cluster, job.member_key)
    result = SummaryResult.model_validate_json(raw)
    result.provenance.cached = job.cached
    return result


def job_view(state: ServiceState, job: JobRecord, with_result: bool = True) -> JobView:
    result = load_result(state, job) if with_result and job.state == "done" else None
    return JobView.of(job, result)


def accepted(job_id: str, state_name: str) -> JSONResponse:
    location = f"/v1/jobs/{job_id}"
    body = Accepted(job_id=job_id, state=state_name, location=location)  # type: ignore[arg-type]
    return JSONResponse(body.model_dump(), status_code=202, headers={"Location": location})


async def wait_for_job(state: ServiceState, job_id: str, wait_s: float) -> Response:
    """200 with the result if the job finishes within ``wait_s``, the error if it
    fails, else 202 with its id."""
    deadline = time.monotonic() + wait_s
    pause = 0.05
    while True:
        job = await run_in_threadpool(state.jobs.get, job_id)
        if job is None:
            raise NotFound(f"job {job_id} is unknown or expired")
        if job.state == "done":
            result = await run_in_threadpool(load_result, state, job)
            if result is not None:
                return JSONResponse(result.model_dump(mode="json"))
        if job.state == "failed" and job.error is not None:
            return error_response(job.error, job_id=job_id)
        left = deadline - time.monotonic()
        if left <= 0:
            return accepted(job_id, job.state)
        await asyncio.sleep(min(pause, left))
        pause = min(pause * 1.5, 0.5)


@router.post(
    "/v1/summaries",
    responses={202: {"model": Accepted}, 200: {"model": SummaryResult}},
    summary="Summarize one article (wait up to `wait` seconds for it)",
)
async def create_summary(body: SummaryRequest, state: State, caller: InteractiveCaller) -> Response:
    body.options = with_key_glossary(caller, body.options)
    article = body.article()
    check_article(article, state.limits.max_chars)
    if article.url is not None:
        await run_in_threadpool(check_url, article.url)
    wait = min(body.wait, state.limits.max_wait_s)

    def send(job: SummaryJob, job_id: str, queue: str) -> None:
        # Back-pressure: checked only when a task would be queued, so cache hits
        # and requests that attach to a running job are still answered.
        check_queue_depth(state, queue)
        state.queue.send_summary(job, job_id, queue)

    def submit() -> tuple[str | None, SummaryResult | None]:
        # One thread hop for the pipeline lookup, the submission and a cached read:
        # under load, hops (not Redis) are what a cache hit costs.
        info = state.pipeline(body.options.profile)
        sub = submit_summary(
            jobs=state.jobs,
            cache=state.cache,
            send=send,
            article=article,
            options=body.options,
            fingerprint=info.fingerprint,
            queue=state.queues.interactive,
        )
        if sub.job_id is not None:
            return sub.job_id, None
        return None, state.cache.get(sub.key)

    for _attempt in range(2):  # a cached result may expire between the lookup and the read
        job_id, cached = await run_in_threadpool(submit)
        if job_id is not None:
            return await wait_for_job(state, job_id, wait)
        if cached is not None:
            return JSONResponse(cached.model_dump(mode="json"))
    raise NotFound("the cached result vanished twice; try again")  # pragma: no cover


@router.get("/v1/jobs/{job_id}", response_model=JobView, summary="A job's state and result")
async def get_job(job_id: str, state: State, _: InteractiveCaller) -> JobView:
    job = await run_in_threadpool(state.jobs.get, job_id)
    if job is None:
        raise NotFound(f"job {job_id} is unknown or expired")
    return await run_in_threadpool(job_view, state, job)


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _job_events(state: ServiceState, job_id: str) -> AsyncIterator[str]:
    last: tuple[object, ...] | None = None
    quiet_since = time.monotonic()
    while True:
        job = await run_in_threadpool(state.jobs.get, job_id)
        if job is None:
            body = {
                "job_id": job_id,
                "state": "failed",
                "error": {"code": "not_found", "message": "the job expired", "limit": None},
            }
            yield _event("failed", body)
            return
        if job.finished:
            view = await run_in_threadpool(job_view, state, job)
            yield _event("done" if job.state == "done" else "failed", view.model_dump(mode="json"))
            return
        now = (job.state, job.stage, round(job.progress, 3))
        if now != last:
            last = now
            quiet_since = time.monotonic()
            yield _event("progress", JobView.of(job).model_dump(mode="json", exclude={"result"}))
        elif time.monotonic() - quiet_since > SSE_KEEPALIVE_S:
            quiet_since = time.monotonic()
            yield ": keep-alive\n\n"
        await asyncio.sleep(SSE_POLL_S)


@router.get("/v1/jobs/{job_id}/events", summary="Server-sent events: progress, then done or failed")
async def job_events(job_id: str, state: State, _: InteractiveCaller) -> StreamingResponse:
    if await run_in_threadpool(state.jobs.get, job_id) is None:
        raise NotFound(f"job {job_id} is unknown or expired")
    return StreamingResponse(
        _job_events(state, job_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
