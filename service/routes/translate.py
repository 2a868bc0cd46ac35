"""LibreTranslate-compatible routes: ``/translate``, ``/detect``, ``/languages``.

Existing LibreTranslate clients work unchanged: the same parameters (JSON or
form), the same answers, and its error shape ``{"error": "message"}`` with its
status codes (400 bad request or unsupported language, 500 translation
failure, 503 nobody to translate). Only zh → en is offered.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from service.auth import InteractiveCaller
from service.deps import ServiceState, State
from service.errors import LibreTranslateError, status_for
from service.job_updates import wait_until_finished
from service.schemas import DetectedLanguage, Language
from workers.article.language import han_ratio
from workers.errors import TransientError
from workers.store.jobs import JobRecord, new_id

router = APIRouter(tags=["LibreTranslate-compatible"])

SOURCES = {"zh", "zh-hans", "zh-cn", "zh-hant", "zh-tw", "auto"}
LANGUAGES = [
    Language(code="zh", name="Chinese", targets=["en"]),
    Language(code="en", name="English", targets=[]),
]
CHINESE_RATIO = 0.3


def detect(text: str) -> DetectedLanguage:
    """zh when enough of the letters are Han characters, else en."""
    ratio = han_ratio(text)
    if ratio >= CHINESE_RATIO:
        return DetectedLanguage(language="zh", confidence=round(min(1.0, ratio + 0.3) * 100, 1))
    return DetectedLanguage(language="en", confidence=round((1.0 - ratio) * 100, 1))


async def _params(request: Request) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        data: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
        many = [v for v in form.getlist("q") if isinstance(v, str)]
        if len(many) > 1:
            data["q"] = many
        return data
    body = await request.body()
    if not body:
        return dict(request.query_params)
    try:
        data = await request.json()
    except ValueError:
        raise LibreTranslateError(400, "Invalid request: the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise LibreTranslateError(400, "Invalid request: the body must be a JSON object")
    return data


def _texts(params: dict[str, Any]) -> tuple[list[str], bool]:
    q = params.get("q")
    if q is None or q == "" or q == []:
        raise LibreTranslateError(400, "Invalid request: missing q parameter")
    if isinstance(q, str):
        return [q], False
    if isinstance(q, list) and all(isinstance(t, str) for t in q):
        return list(q), True
    raise LibreTranslateError(400, "Invalid request: q must be a string or a list of strings")


async def _wait_translation(state: ServiceState, job_id: str) -> list[str]:
    """The job's translations, woken by its updates (``service.job_updates``)."""

    async def read() -> JobRecord | None:
        return await run_in_threadpool(state.jobs.get, job_id)

    job = await wait_until_finished(state.updates, job_id, read, state.limits.max_wait_s)
    if job is not None and job.state == "done":
        return [str(t) for t in job.result or []]
    if job is not None and job.state == "failed" and job.error is not None:
        status = status_for(job.error.code)
        if status >= 500:
            raise LibreTranslateError(status, f"Cannot translate text: {job.error.message}")
        raise LibreTranslateError(400, job.error.message)
    raise LibreTranslateError(
        503, f"the translation did not finish within {state.limits.max_wait_s:g} s; try again"
    )


@router.post("/translate", summary="Translate zh → en (LibreTranslate API)")
async def translate(request: Request, state: State, _: InteractiveCaller) -> dict[str, Any]:
    params = await _params(request)
    texts, many = _texts(params)
    source = str(params.get("source") or "").lower()
    target = str(params.get("target") or "").lower()
    fmt = str(params.get("format") or "text").lower()
    if not source:
        raise LibreTranslateError(400, "Invalid request: missing source parameter")
    if not target:
        raise LibreTranslateError(400, "Invalid request: missing target parameter")
    if source not in SOURCES:
        raise LibreTranslateError(400, f"{source} is not supported (source languages: zh, auto)")
    if target != "en":
        raise LibreTranslateError(400, f"{target} is not supported (target languages: en)")
    if fmt not in ("text", "html"):
        raise LibreTranslateError(400, f"Invalid request: format {fmt} is not text or html")
    chars = sum(len(t) for t in texts)
    if chars > state.limits.max_chars:
        raise LibreTranslateError(
            400,
            f"Invalid request: request ({chars}) exceeds text limit ({state.limits.max_chars})",
        )

    detected = [detect(t) for t in texts] if source == "auto" else None
    answer: dict[str, Any] = {}
    if detected is not None:
        answer["detectedLanguage"] = (
            [d.model_dump() for d in detected] if many else detected[0].model_dump()
        )
    # English in, English out: nothing for the model to do.
    todo = [i for i, t in enumerate(texts) if detected is None or detected[i].language == "zh"]
    out = list(texts)
    if todo:
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
        selected = [texts[i] for i in todo]
        try:
            await run_in_threadpool(
                state.queue.send_translate, selected, fmt, job_id, state.queues.interactive
            )
        except Exception as exc:
            raise LibreTranslateError(503, f"the task queue is not answering: {exc}") from None
        for i, english in zip(todo, await _wait_translation(state, job_id), strict=True):
            out[i] = english
    answer["translatedText"] = out if many else out[0]
    return answer


@router.post("/detect", response_model=list[DetectedLanguage], summary="Detect zh or en")
async def detect_language(request: Request) -> list[DetectedLanguage]:
    texts, _ = _texts(await _params(request))
    return [detect("\n".join(texts))]


@router.get("/languages", response_model=list[Language], summary="Languages offered")
async def languages() -> list[Language]:
    return LANGUAGES
