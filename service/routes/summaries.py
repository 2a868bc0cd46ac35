"""``/v1/summaries`` and ``/v1/jobs``: one article, answered now or by job id."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from service.auth import InteractiveCaller, QueueFull, with_key_glossary
from service.deps import ServiceState, State
from service.errors import NotFound, error_response
from service.job_updates import SAFETY_REREAD_S, wait_until_finished
from service.json_body import SafeJSONRoute
from service.schemas import Accepted, JobView, SummaryRequest
from workers.article.limits import check_glossary, check_input_size
from workers.contract import ArticleInput, SummaryJob, SummaryResult
from workers.errors import EmptyInput
from workers.store.batches import as_member
from workers.store.jobs import JobRecord, submit_summary

# Bodies are read by service.json_body (depth, lone surrogates, JSON only, off the loop).
router = APIRouter(tags=["summaries"], route_class=SafeJSONRoute)

QUEUE_FULL_RETRY_S = 10
CLIENT_CLOSED_REQUEST = 499


def check_article(article: ArticleInput, max_chars: int) -> None:
    """The checks that need no worker: empty, too long. Raise the InputError to answer."""
    if article.text is not None and not article.text.strip():
        raise EmptyInput("the article is empty (text has no characters besides whitespace)")
    if article.html is not None and not article.html.strip():
        raise EmptyInput("the page is empty (html has no characters besides whitespace)")
    if article.url is not None and not article.url.strip():
        raise EmptyInput("the url is empty")
    check_input_size(article, max_chars)


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


def answered(result: SummaryResult, job_id: str) -> JSONResponse:
    """200 with the result and the job that holds it: ``job_id`` in the body, and the
    job's address in ``Content-Location`` (GET it, or its ``/events``, for the same)."""
    result.job_id = job_id
    return JSONResponse(
        result.model_dump(mode="json"), headers={"Content-Location": f"/v1/jobs/{job_id}"}
    )


def accepted(job_id: str, state_name: str) -> JSONResponse:
    location = f"/v1/jobs/{job_id}"
    body = Accepted(job_id=job_id, state=state_name, location=location)  # type: ignore[arg-type]
    return JSONResponse(body.model_dump(), status_code=202, headers={"Location": location})


async def until_disconnected(request: Request) -> None:
    """Return when the client hangs up (the body has been read by then)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def unless_disconnected(request: Request, work: Callable[[], Awaitable[None]]) -> bool:
    """Run ``work()``, cancelled as soon as the client hangs up; True if it ran to its end."""
    finished = False
    async with anyio.create_task_group() as group:

        async def stop_when_gone() -> None:
            await until_disconnected(request)
            group.cancel_scope.cancel()

        group.start_soon(stop_when_gone)
        await work()
        finished = True
        group.cancel_scope.cancel()
    return finished


async def wait_for_job(
    state: ServiceState, job_id: str, wait_s: float, request: Request
) -> Response:
    """200 with the result if the job finishes within ``wait_s``, the error if it
    fails, else 202 with its id. Woken by the job's updates (``service.job_updates``);
    stops waiting when the client hangs up."""
    seen: list[JobRecord | None] = []

    async def read() -> JobRecord | None:
        return await run_in_threadpool(state.jobs.get, job_id)

    async def wait() -> None:
        seen.append(await wait_until_finished(state.updates, job_id, read, wait_s))

    if not await unless_disconnected(request, wait):
        # Nobody will read this answer; 499 ("client closed request") marks it in /metrics.
        return Response(status_code=CLIENT_CLOSED_REQUEST)
    job = seen[0]
    if job is None:
        raise NotFound(f"job {job_id} is unknown or expired")
    if job.state == "done":
        result = await run_in_threadpool(load_result, state, job)
        if result is not None:
            return answered(result, job_id)
    if job.state == "failed" and job.error is not None:
        return error_response(job.error, job_id=job_id)
    return accepted(job_id, job.state)


@router.post(
    "/v1/summaries",
    responses={202: {"model": Accepted}, 200: {"model": SummaryResult}},
    summary="Summarize one article (wait up to `wait` seconds for it)",
)
async def create_summary(
    body: SummaryRequest, state: State, caller: InteractiveCaller, request: Request
) -> Response:
    # The caller's own glossary (NEWSUM_MAX_GLOSSARY_*), before the key's joins it.
    cap = state.settings
    check_glossary(
        "the glossary", body.options.glossary, cap.max_glossary_entries, cap.max_glossary_bytes
    )
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

    def submit() -> tuple[str, bool, SummaryResult | None]:
        # One thread hop for the pipeline lookup, the submission and a cached read:
        # under load, hops (not Redis) are what a cache hit costs. A cache hit gets a
        # job born done (``record_hit``), so every 200 names a job a client can ask for.
        # A reader attaches only to another reader's job (``attachable``), never to a
        # batch item's: that one waits behind its batch, and its result may be a
        # near-duplicate's, shared inside its batch only (``workers.store.jobs``).
        info = state.pipeline(body.options.profile)
        sub = submit_summary(
            jobs=state.jobs,
            cache=state.cache,
            send=send,
            article=article,
            options=body.options,
            fingerprint=info.fingerprint,
            queue=state.queues.interactive,
            record_hit=True,
            attachable=True,
        )
        assert sub.job_id is not None  # record_hit gives every request a job
        return sub.job_id, sub.cached, state.cache.get(sub.key) if sub.cached else None

    for _attempt in range(2):  # a cached result may expire between the lookup and the read
        job_id, hit, cached = await run_in_threadpool(submit)
        if cached is not None:
            return answered(cached, job_id)
        if not hit:
            return await wait_for_job(state, job_id, wait, request)
    raise NotFound("the cached result vanished twice; try again")  # pragma: no cover


async def known_job(job_id: str, state: State, _: InteractiveCaller) -> JobRecord:
    """The job at ``{job_id}``, or 404 (to a caller allowed to ask: 401 comes first)."""
    job = await run_in_threadpool(state.jobs.get, job_id)
    if job is None:
        raise NotFound(f"job {job_id} is unknown or expired")
    return job


KnownJob = Annotated[JobRecord, Depends(known_job)]


@router.get("/v1/jobs/{job_id}", response_model=JobView, summary="A job's state and result")
async def get_job(job: KnownJob, state: State) -> JobView:
    return await run_in_threadpool(job_view, state, job)


def _event(name: str, data: dict[str, Any]) -> ServerSentEvent:
    return ServerSentEvent(event=name, raw_data=json.dumps(data, ensure_ascii=False))


@router.get(
    "/v1/jobs/{job_id}/events",
    response_class=EventSourceResponse,
    summary="Server-sent events: progress and the brief as it is written, then done or failed",
)
async def job_events(job: KnownJob, state: State) -> AsyncIterator[ServerSentEvent]:
    """``progress`` on every change of state, stage or progress; ``brief``
    (``{"job_id", "text"}``) whenever the direct-LLM brief's text grows as the
    model writes it (a reader's job on the llm profile: the raw reply so far, not
    yet parsed or checked, at most about four a second); then ``done`` or
    ``failed`` (with the job, and the result when done: the checked brief, or the
    extractive fallback with its reason in ``review_reasons``), and the stream ends.

    Woken by the job's updates (``service.job_updates``), re-read every
    SAFETY_REREAD_S regardless; FastAPI sends the keep-alive comments and stops
    this when the client hangs up."""
    job_id = job.job_id
    last: tuple[object, ...] | None = None
    last_brief = ""
    async with state.updates.watch(job_id) as watch:
        while True:
            now_job = await run_in_threadpool(state.jobs.get, job_id)
            if now_job is None:
                body = {
                    "job_id": job_id,
                    "state": "failed",
                    "error": {"code": "not_found", "message": "the job expired", "limit": None},
                }
                yield _event("failed", body)
                return
            if now_job.finished:
                view = await run_in_threadpool(job_view, state, now_job)
                name = "done" if now_job.state == "done" else "failed"
                yield _event(name, view.model_dump(mode="json"))
                return
            now = (now_job.state, now_job.stage, round(now_job.progress, 3))
            if now != last:
                last = now
                progress = JobView.of(now_job).model_dump(
                    mode="json", exclude={"result", "brief_text"}
                )
                yield _event("progress", progress)
            if now_job.brief_text and now_job.brief_text != last_brief:
                last_brief = now_job.brief_text
                yield _event("brief", {"job_id": job_id, "text": last_brief})
            await watch.changed(SAFETY_REREAD_S)
