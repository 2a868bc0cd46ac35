"""``/v1/batches``: many articles at once, JSON or JSONL; every item accounted for."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from service.auth import ApiKey, BatchCaller, InteractiveCaller, KeyStore, with_key_glossary
from service.deps import ServiceState, State
from service.errors import NotFound, too_large
from service.routes.summaries import check_article, check_url
from service.schemas import BatchAccepted, BatchItemRequest, BatchRequest, BatchView
from workers.batch.clustering import cluster_info
from workers.batch.coordinator import BatchCoordinator, Intake
from workers.batch.plan import BatchPlans, plan_plain_text
from workers.contract import ArticleInput, SummaryJob, SummaryOptions
from workers.errors import EmptyInput, InputError, InvalidRequest, UndecodableInput
from workers.store.batches import BatchItem, batch_results, batch_status
from workers.store.cache import PipelineInfo
from workers.store.digests import request_digest
from workers.store.jobs import SendSummary, new_id, submit_summary

router = APIRouter(tags=["batches"])

JSONL_TYPES = {
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/x-jsonlines",
    "application/jsonlines",
}
_ITEMS_PER_WRITE = 500


class _BadLine:
    """A JSONL line that is not JSON: it becomes a failed item, not a failed batch."""

    def __init__(self, message: str) -> None:
        self.message = message


def _pydantic_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()))
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


def parse_jsonl(raw: bytes) -> list[Any]:
    """One item per non-blank line; a line that is not JSON stays as a _BadLine."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UndecodableInput(
            f"the JSONL body is not UTF-8: {exc.reason} at byte {exc.start}"
        ) from None
    items: list[Any] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as exc:
            items.append(
                _BadLine(f"line {number} is not valid JSON: {exc.msg} (column {exc.colno})")
            )
    return items


def parse_json(raw: bytes) -> BatchRequest:
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"the body is not valid JSON: {exc}") from None
    if isinstance(data, list):  # a bare list of items is accepted too
        data = {"items": data}
    try:
        return BatchRequest.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequest(f"the batch is not readable: {_pydantic_message(exc)}") from None


def _client_id(raw: Any) -> str | int | None:
    client_id = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(client_id, str | int) or isinstance(client_id, bool):
        return None
    return client_id


def _parse_item(
    state: ServiceState,
    index: int,
    raw: Any,
    defaults: SummaryOptions,
    caller: ApiKey | None,
) -> tuple[ArticleInput, SummaryOptions] | InputError:
    """An item's article and options, or the error that fails it alone."""
    try:
        if isinstance(raw, _BadLine):
            raise InvalidRequest(raw.message)
        try:
            item = BatchItemRequest.model_validate(raw)
        except ValidationError as exc:
            raise InvalidRequest(f"item {index}: {_pydantic_message(exc)}") from None
        article = item.article()
        check_article(article, state.limits.max_chars)
        return article, with_key_glossary(caller, item.options or defaults)
    except InputError as exc:
        return exc


def item_ids(raw_items: list[Any]) -> list[str]:
    """The items' ids as ClusterInfo.representative_id shows them (client id, else index)."""
    ids = [_client_id(raw) for raw in raw_items]
    return [str(i if client_id is None else client_id) for i, client_id in enumerate(ids)]


class _ServiceBatchTasks:
    """The batch protocol's tasks as the API sends them (``BatchTasks``)."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state

    def send_plan(self, batch_id: str) -> None:
        self.state.queue.send_plan_batch(batch_id, self.state.queues.interactive)

    def send_notify(self, batch_id: str) -> None:
        self.state.queue.send_notify_batch(batch_id, self.state.queues.interactive)

    def send_planned(self, batch_id: str, indices: list[int]) -> None:
        raise NotImplementedError("planned chunks are sent by the workers' plan")


def coordinator(state: ServiceState) -> BatchCoordinator:
    """The batch protocol on the service's Redis."""
    plans = BatchPlans(state.redis, state.layout, state.batches.ttl_s)
    return BatchCoordinator(state.batches, plans, state.jobs, _ServiceBatchTasks(state))


def _planned_send(state: ServiceState, intake: Intake, index: int, group: bool) -> SendSummary:
    """Sends item ``index`` with its batch place: the workers extract it, then plan
    the batch (``workers.batch.plan``): group HTML and URL items, summarize in chunks."""

    def send(job: SummaryJob, job_id: str, queue: str) -> None:
        place = intake.expect(index, group)
        state.queue.send_summary(job.model_copy(update={"batch": place}), job_id, queue)

    return send


def enqueue_batch(
    state: ServiceState,
    raw_items: list[Any],
    defaults: SummaryOptions,
    webhook: str | None,
    caller: ApiKey | None = None,
    cluster: bool = True,
) -> str:
    """Create the batch and one job per item (cached, attached, queued or failed);
    with ``cluster``, near-duplicate items share one job: plain-text ones grouped
    here, HTML and URL ones by the workers after extraction."""
    infos: dict[str, PipelineInfo] = {defaults.profile: state.pipeline(defaults.profile)}
    batch_id = new_id()
    intake = coordinator(state).open(batch_id, len(raw_items), webhook)
    pending: list[BatchItem] = []
    waiting: list[str] = []
    parsed = [
        _parse_item(state, index, raw, defaults, caller) for index, raw in enumerate(raw_items)
    ]
    plan = (
        plan_plain_text([None if isinstance(p, InputError) else p for p in parsed])
        if cluster
        else {}
    )
    ids = item_ids(raw_items) if plan else []
    job_of: dict[int, str] = {}
    for index, raw in enumerate(raw_items):
        client_id = _client_id(raw)
        item_cluster: dict[str, Any] | None = None
        item_key: str | None = None
        try:
            given = parsed[index]
            if isinstance(given, InputError):
                raise given
            article, options = given
            if options.profile not in infos:
                infos[options.profile] = state.pipeline(options.profile)
            fingerprint = infos[options.profile].fingerprint
            assignment = plan.get(index)
            if assignment is not None and not assignment.summarize:
                # A near-duplicate of an earlier item: share its job (summarized once).
                job_id = job_of[assignment.representative]
                item_cluster = cluster_info(assignment, ids).model_dump()
                item_key = request_digest(article, options, fingerprint)
                pending.append(
                    BatchItem(index, client_id, job_id, cluster=item_cluster, key=item_key)
                )
                continue
            if assignment is not None:
                item_cluster = cluster_info(assignment, ids).model_dump()
            # HTML and URL items are grouped on the workers, after extraction; with
            # chunks, every item goes through the plan, to be translated with others.
            group = cluster and article.text is None
            planned_there = group or state.settings.batch_chunk_articles > 1
            sub = submit_summary(
                jobs=state.jobs,
                cache=state.cache,
                send=(
                    _planned_send(state, intake, index, group)
                    if planned_there
                    else state.queue.send_summary
                ),
                article=article,
                options=options,
                fingerprint=fingerprint,
                queue=state.queues.batch,
                record_hit=True,
            )
            assert sub.job_id is not None  # record_hit gives every item a job
            job_id = sub.job_id
            job_of[index] = job_id
            if sub.state not in ("done", "failed"):
                waiting.append(job_id)
        except InputError as exc:
            job_id = new_id()
            state.jobs.create(job_id, state="failed", error=exc.to_body())
        pending.append(BatchItem(index, client_id, job_id, cluster=item_cluster, key=item_key))
        if len(pending) >= _ITEMS_PER_WRITE:
            state.batches.add_items(batch_id, pending)
            pending = []
    state.batches.add_items(batch_id, pending)
    intake.close(waiting)
    return batch_id


@router.post(
    "/v1/batches",
    status_code=202,
    response_model=BatchAccepted,
    summary="Submit many articles: JSON {items: [...]}, JSONL, or a multipart file `file`",
)
async def create_batch(request: Request, state: State, caller: BatchCaller) -> JSONResponse:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    webhook = request.query_params.get("webhook")
    cluster = request.query_params.get("cluster", "true").lower() not in ("false", "0", "no")
    defaults = SummaryOptions()
    if ctype == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidRequest("a multipart upload needs a JSONL file in the field `file`")
        raw_items = parse_jsonl(await upload.read())
    elif ctype in JSONL_TYPES:
        raw_items = parse_jsonl(await request.body())
    else:
        batch = parse_json(await request.body())
        raw_items, defaults, webhook = batch.items, batch.options, batch.webhook or webhook
        cluster = cluster and batch.cluster
    limit = state.limits.max_batch_items
    if len(raw_items) > limit:
        raise too_large("the batch", len(raw_items), limit, "items; NEWSUM_MAX_BATCH_ITEMS")
    if not raw_items:
        raise EmptyInput("the batch has no items")
    if caller is not None:
        store = KeyStore(state.redis, state.layout)
        await run_in_threadpool(store.take_batch_items, caller, len(raw_items))
    if webhook:
        await run_in_threadpool(check_url, webhook)
    batch_id = await run_in_threadpool(
        enqueue_batch, state, raw_items, defaults, webhook, caller, cluster
    )
    location = f"/v1/batches/{batch_id}"
    body = BatchAccepted(batch_id=batch_id, count=len(raw_items), location=location)
    return JSONResponse(body.model_dump(), status_code=202, headers={"Location": location})


@router.get("/v1/batches/{batch_id}", response_model=BatchView, summary="A batch's progress")
async def get_batch(batch_id: str, state: State, _: InteractiveCaller) -> BatchView:
    status = await run_in_threadpool(batch_status, state.batches, state.jobs, batch_id)
    if status is None:
        raise NotFound(f"batch {batch_id} is unknown or expired")
    return BatchView.model_validate(status)


def _result_lines(state: ServiceState, batch_id: str) -> Iterator[str]:
    for row in batch_results(state.batches, state.jobs, batch_id):
        raw = row.pop("result")
        head = json.dumps(row, ensure_ascii=False)
        # The cached result is JSON already: splice it in rather than parse and re-dump.
        yield f'{head[:-1]}, "result": {raw or "null"}}}\n'


@router.get(
    "/v1/batches/{batch_id}/results",
    summary="One JSON line per item, in order (partial while running)",
    response_class=StreamingResponse,
)
async def get_batch_results(batch_id: str, state: State, _: InteractiveCaller) -> StreamingResponse:
    if await run_in_threadpool(state.batches.get, batch_id) is None:
        raise NotFound(f"batch {batch_id} is unknown or expired")
    return StreamingResponse(
        iterate_in_threadpool(_result_lines(state, batch_id)), media_type="application/x-ndjson"
    )
