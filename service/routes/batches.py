"""``/v1/batches``: many articles at once, JSON or JSONL; every item accounted for."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from service.auth import ApiKey, BatchCaller, InteractiveCaller, KeyStore, with_key_glossary
from service.batch_admission import CheckedItem, admit, check_glossary_of, keyed
from service.deps import ServiceState, State
from service.errors import NotFound, too_large
from service.json_body import UnsupportedMediaType, is_json_type, read_json
from service.routes.summaries import check_article, check_url
from service.schemas import BatchAccepted, BatchItemRequest, BatchRequest, BatchView
from workers.batch.rows import csv_lines, row_line
from workers.contract import ArticleInput, SummaryOptions
from workers.errors import EmptyInput, InputError, InvalidRequest, UndecodableInput
from workers.store.batches import batch_results, batch_status
from workers.store.cache import PipelineInfo

router = APIRouter(tags=["batches"])

JSONL_TYPES = {
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/x-jsonlines",
    "application/jsonlines",
}


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
        try:  # nesting depth and lone surrogates checked too (service.json_body)
            items.append(read_json(line, what=f"line {number}"))
        except InvalidRequest as exc:
            items.append(_BadLine(exc.message))
    return items


def parse_json(raw: bytes) -> BatchRequest:
    data = read_json(raw)  # InvalidRequest: not UTF-8 JSON, too deep, a lone surrogate
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
    with_key: dict[int, SummaryOptions],
) -> tuple[ArticleInput, SummaryOptions] | InputError:
    """An item's article and options, or the error that fails it alone. ``with_key``:
    the batch's options with the key's glossary, merged once for every item using them."""
    try:
        if isinstance(raw, _BadLine):
            raise InvalidRequest(raw.message)
        try:
            item = BatchItemRequest.model_validate(raw)
        except ValidationError as exc:
            raise InvalidRequest(f"item {index}: {_pydantic_message(exc)}") from None
        article = item.article()
        check_article(article, state.limits.max_chars)
        if item.options is not None:
            check_glossary_of(state, f"the glossary of item {index}", item.options)
            return article, with_key_glossary(caller, item.options)
        if id(defaults) not in with_key:
            with_key[id(defaults)] = with_key_glossary(caller, defaults)
        return article, with_key[id(defaults)]
    except InputError as exc:
        return exc


def check_items(
    state: ServiceState,
    raw_items: list[Any],
    defaults: SummaryOptions,
    caller: ApiKey | None = None,
) -> list[CheckedItem]:
    """Every item read and checked, nothing sent yet (``service.batch_admission``)."""
    # No worker for the batch's profile: 503 before anything is taken.
    infos: dict[str, PipelineInfo] = {defaults.profile: state.pipeline(defaults.profile)}
    with_key: dict[int, SummaryOptions] = {}
    return [
        keyed(
            state,
            index,
            _client_id(raw),
            _parse_item(state, index, raw, defaults, caller, with_key),
            infos,
        )
        for index, raw in enumerate(raw_items)
    ]


def enqueue_batch(
    state: ServiceState,
    raw_items: list[Any],
    defaults: SummaryOptions,
    webhook: str | None,
    caller: ApiKey | None = None,
    cluster: bool = True,
) -> str:
    """Check every item, then create the batch and its jobs (``admit``): its id."""
    return admit(state, check_items(state, raw_items, defaults, caller), webhook, cluster)


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
        raw_items = await run_in_threadpool(parse_jsonl, await upload.read())
    elif ctype in JSONL_TYPES:
        raw_items = await run_in_threadpool(parse_jsonl, await request.body())
    elif is_json_type(ctype):
        batch = await run_in_threadpool(parse_json, await request.body())
        raw_items, defaults, webhook = batch.items, batch.options, batch.webhook or webhook
        cluster = cluster and batch.cluster
    else:  # a text/plain post is what a cross-site form can send without asking
        raise UnsupportedMediaType(
            f"a batch is JSON (application/json), JSON lines ({', '.join(sorted(JSONL_TYPES))}) "
            f"or a multipart upload; this request's content type is {ctype or 'none'}"
        )
    limit = state.limits.max_batch_items
    if len(raw_items) > limit:
        raise too_large("the batch", len(raw_items), limit, "items; NEWSUM_MAX_BATCH_ITEMS")
    if not raw_items:
        raise EmptyInput("the batch has no items")
    # All of it is checked before anything is counted or sent (service.batch_admission).
    check_glossary_of(state, "the batch's glossary", defaults)
    if webhook:
        await run_in_threadpool(check_url, webhook)
    items = await run_in_threadpool(check_items, state, raw_items, defaults, caller)
    # The key's quota is charged for a batch accepted whole, and given back if queueing
    # it fails part-way.
    charged_at = time.time()
    store = KeyStore(state.redis, state.layout)
    if caller is not None:
        await run_in_threadpool(store.take_batch_items, caller, len(raw_items), charged_at)
    try:
        batch_id = await run_in_threadpool(admit, state, items, webhook, cluster)
    except Exception:
        if caller is not None:
            await run_in_threadpool(store.refund_batch_items, caller, len(raw_items), charged_at)
        raise
    location = f"/v1/batches/{batch_id}"
    body = BatchAccepted(batch_id=batch_id, count=len(raw_items), location=location)
    return JSONResponse(body.model_dump(), status_code=202, headers={"Location": location})


@router.get("/v1/batches/{batch_id}", response_model=BatchView, summary="A batch's progress")
async def get_batch(batch_id: str, state: State, _: InteractiveCaller) -> BatchView:
    status = await run_in_threadpool(batch_status, state.batches, state.jobs, batch_id)
    if status is None:
        raise NotFound(f"batch {batch_id} is unknown or expired")
    return BatchView.model_validate(status)


def _rows(state: ServiceState, batch_id: str) -> Iterator[tuple[dict[str, Any], str | None]]:
    for row in batch_results(state.batches, state.jobs, batch_id):
        raw = row.pop("result")
        yield row, raw


def _jsonl(state: ServiceState, batch_id: str) -> Iterator[str]:
    for row, raw in _rows(state, batch_id):
        yield row_line(row, raw)


RESULT_FORMATS = {
    "jsonl": ("application/x-ndjson", "jsonl"),
    "csv": ("text/csv; charset=utf-8", "csv"),
}


@router.get(
    "/v1/batches/{batch_id}/results",
    summary="The items' results in order, as JSON lines or CSV (partial while running)",
    response_class=StreamingResponse,
)
async def get_batch_results(
    batch_id: str,
    state: State,
    _: InteractiveCaller,
    format: Annotated[
        Literal["jsonl", "csv"],
        Query(
            description="jsonl: one JSON line per item {index, id, job_id, state, cluster, "
            "result, error}; csv: one line per item with its headline, date, outlet, "
            "summaries, key terms, review flags and error, for a spreadsheet"
        ),
    ] = "jsonl",
) -> StreamingResponse:
    if await run_in_threadpool(state.batches.get, batch_id) is None:
        raise NotFound(f"batch {batch_id} is unknown or expired")
    media_type, suffix = RESULT_FORMATS[format]
    lines = csv_lines(_rows(state, batch_id)) if format == "csv" else _jsonl(state, batch_id)
    disposition = f'attachment; filename="newsum-batch-{batch_id}.{suffix}"'
    return StreamingResponse(
        iterate_in_threadpool(lines),
        media_type=media_type,
        headers={"Content-Disposition": disposition} if format == "csv" else None,
    )
