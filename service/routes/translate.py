"""LibreTranslate-compatible routes, as LibreTranslate 1.9 answers them.

``/translate``, ``/detect``, ``/languages``, ``/translate_file`` (and
``/download_file/<name>``), ``/frontend/settings``, ``/health``. Parameters
come as JSON, form fields or the query string, ``api_key`` among them
(``service.libretranslate``); errors are ``{"error": "message"}`` with
LibreTranslate's codes: 400 bad request or unsupported language, 403 bad key,
429 slow down, 500 translation failure, and 503 when nobody can translate.
Only Chinese → English is offered, under every Chinese code clients send.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from service.auth import ApiKey
from service.deps import ServiceState, State
from service.errors import LibreTranslateError, status_for
from service.job_updates import wait_until_finished
from service.libretranslate import (
    LANGUAGES,
    alternatives_of,
    check_chars,
    detect,
    format_of,
    libre_caller,
    read_params,
    source_of,
    target_of,
    text_body_limit,
    texts_of,
)
from service.libretranslate_files import (
    SUPPORTED_FORMATS,
    load_file,
    read_document,
    store_file,
    suffix_of,
)
from service.routes.summaries import CLIENT_CLOSED_REQUEST, unless_disconnected
from service.schemas import (
    DetectedLanguage,
    FrontendLanguages,
    FrontendSettings,
    Language,
    LanguageName,
)
from workers.errors import TransientError
from workers.store.jobs import JobRecord, new_id

router = APIRouter(tags=["LibreTranslate-compatible"])

# LibreTranslate's default --frontend-timeout (ms).
FRONTEND_TIMEOUT_MS = 500


async def _wait_translation(
    state: ServiceState, job_id: str, request: Request | None = None
) -> dict[str, Any]:
    """The job's answer (``{"translatedText": [...], "alternatives"?: [...]}``),
    woken by its updates (``service.job_updates``); the wait stops when the client
    of ``request`` hangs up (499, which nobody reads but /metrics)."""
    seen: list[JobRecord | None] = []

    async def read() -> JobRecord | None:
        return await run_in_threadpool(state.jobs.get, job_id)

    async def wait() -> None:
        seen.append(await wait_until_finished(state.updates, job_id, read, state.limits.max_wait_s))

    if request is None:
        await wait()
    elif not await unless_disconnected(request, wait):
        raise LibreTranslateError(CLIENT_CLOSED_REQUEST, "the client closed the request")
    job = seen[0]
    if job is not None and job.state == "done":
        result = job.result
        if isinstance(result, list):  # a worker from before options: the texts alone
            return {"translatedText": [str(t) for t in result]}
        return dict(result or {})
    if job is not None and job.state == "failed" and job.error is not None:
        status = status_for(job.error.code)
        if status >= 500:
            raise LibreTranslateError(500, f"Cannot translate text: {job.error.message}")
        raise LibreTranslateError(400, job.error.message)
    raise LibreTranslateError(
        503, f"the translation did not finish within {state.limits.max_wait_s:g} s; try again"
    )


async def translate_on_worker(
    state: ServiceState,
    texts: list[str],
    fmt: str,
    caller: ApiKey | None,
    alternatives: int = 0,
    request: Request | None = None,
) -> dict[str, Any]:
    """``texts`` to English on a worker, with the caller's key glossary; the wait
    ends early if the client of ``request`` hangs up."""
    try:
        info = await run_in_threadpool(state.pipeline, "auto")
    except TransientError as exc:
        raise LibreTranslateError(503, exc.message) from None
    if not info.has_translator:
        raise LibreTranslateError(
            400,
            "zh → en translation needs a translation model, and the workers have none: "
            "run `newsum models pull translation`",
        )
    job_id = new_id()
    await run_in_threadpool(state.jobs.create, job_id, kind="translate")
    options: dict[str, Any] = {"alternatives": alternatives}
    if caller is not None and caller.glossary:
        options["glossary"] = caller.glossary
    try:
        await run_in_threadpool(
            state.queue.send_translate, texts, fmt, job_id, state.queues.interactive, options
        )
    except Exception as exc:
        raise LibreTranslateError(503, f"the task queue is not answering: {exc}") from None
    answer = await _wait_translation(state, job_id, request)
    if len(answer.get("translatedText", [])) != len(texts):
        raise LibreTranslateError(500, "Cannot translate text: the worker answered out of step")
    return answer


@router.post("/translate", summary="Translate zh → en (LibreTranslate API)")
async def translate(request: Request, state: State) -> dict[str, Any]:
    params = await read_params(request, max_bytes=text_body_limit(state.limits.max_chars))
    caller = await libre_caller(state, request, params)
    texts, many = texts_of(params)
    source = source_of(params)
    target_of(params)
    fmt = format_of(params)
    wanted = alternatives_of(params)
    check_chars(texts, state.limits.max_chars)

    detected = [detect(t) for t in texts] if source == "auto" else None
    # English in, English out: nothing for the model to do.
    todo = [i for i, t in enumerate(texts) if detected is None or detected[i].language == "zh"]
    out = list(texts)
    alternatives: list[list[str]] = [[] for _ in texts]
    if todo:
        answer = await translate_on_worker(
            state, [texts[i] for i in todo], fmt, caller, wanted, request
        )
        others = answer.get("alternatives") or [[] for _ in todo]
        for i, english, more in zip(todo, answer["translatedText"], others, strict=True):
            out[i] = english
            alternatives[i] = list(more)
    result: dict[str, Any] = {"translatedText": out if many else out[0]}
    if detected is not None:
        shown = [d.model_dump() for d in detected]
        result["detectedLanguage"] = shown if many else shown[0]
    if wanted > 0:
        result["alternatives"] = alternatives if many else alternatives[0]
    return result


@router.post(
    "/detect", response_model=list[DetectedLanguage], summary="Detect zh or en, for each text"
)
async def detect_language(request: Request, state: State) -> list[DetectedLanguage]:
    """A text: LibreTranslate's list of detections (one here). A list of texts: one
    detection per text, in their order."""
    params = await read_params(request, max_bytes=text_body_limit(state.limits.max_chars))
    await libre_caller(state, request, params)
    texts, _ = texts_of(params)
    check_chars(texts, state.limits.max_chars)  # /translate's limit: detection is no cheaper
    return [detect(t) for t in texts]


@router.get("/languages", response_model=list[Language], summary="Languages offered")
async def languages(request: Request, state: State) -> list[Language]:
    await libre_caller(state, request, await read_params(request), open_route=True)
    return LANGUAGES


@router.get(
    "/frontend/settings", response_model=FrontendSettings, summary="LibreTranslate's settings"
)
async def frontend_settings(request: Request, state: State) -> FrontendSettings:
    await libre_caller(state, request, await read_params(request), open_route=True)
    return FrontendSettings(
        charLimit=state.limits.max_chars,
        frontendTimeout=FRONTEND_TIMEOUT_MS,
        apiKeys=True,
        keyRequired=state.settings.anonymous == "none",
        suggestions=False,
        filesTranslation=True,
        supportedFilesFormat=list(SUPPORTED_FORMATS),
        language=FrontendLanguages(
            source=LanguageName(code="zh", name="Chinese"),
            target=LanguageName(code="en", name="English"),
        ),
    )


@router.get("/health", summary="The API process is up (LibreTranslate's /health)")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/translate_file", summary="Translate a .txt, .html or .docx file zh → en")
async def translate_file(request: Request, state: State) -> dict[str, str]:
    params = await read_params(request)
    caller = await libre_caller(state, request, params)
    upload = params.files.get("file")
    if upload is None:
        raise LibreTranslateError(400, "Invalid request: missing file parameter")
    source_of(params)
    target_of(params)
    if not upload.filename:
        raise LibreTranslateError(400, "Invalid request: empty file")
    suffix = suffix_of(upload.filename)
    data = await upload.read()
    document = await run_in_threadpool(read_document, data, suffix)
    check_chars(document.segments, state.limits.max_chars)
    english: list[str] = []
    if document.segments:
        answer = await translate_on_worker(
            state, document.segments, "text", caller, request=request
        )
        english = [str(t) for t in answer["translatedText"]]
    translated = await run_in_threadpool(document.rebuild, english)
    name = await run_in_threadpool(
        store_file, state.redis, state.layout, upload.filename, translated, state.settings.job_ttl_s
    )
    return {"translatedFileUrl": str(request.url_for("download_file", name=name))}


@router.get("/download_file/{name}", summary="A translated file")
async def download_file(name: str, state: State) -> Response:
    original, data, media = await run_in_threadpool(load_file, state.redis, state.layout, name)
    disposition = f"attachment; filename*=UTF-8''{quote(original)}"
    return Response(data, media_type=media, headers={"Content-Disposition": disposition})
