"""Request and response bodies of the HTTP API (the result itself is workers.contract)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workers.contract import (
    ArticleInput,
    ErrorBody,
    JobState,
    SummaryOptions,
    SummaryResult,
    check_one_input,
)
from workers.store.jobs import JobRecord

DEFAULT_WAIT_S = 10.0

BatchState = Literal["queued", "running", "done", "failed", "partial"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _OneInput(_Strict):
    text: str | None = None
    html: str | None = None
    url: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> _OneInput:
        check_one_input(self, ("text", "html", "url"))
        return self

    def article(self) -> ArticleInput:
        return ArticleInput(text=self.text, html=self.html, url=self.url)


class SummaryRequest(_OneInput):
    """``POST /v1/summaries``."""

    options: SummaryOptions = SummaryOptions()
    wait: float = Field(
        default=DEFAULT_WAIT_S,
        ge=0,
        le=60,
        description="seconds to hold the connection for the result; 0 answers with the job id",
    )


class BatchItemRequest(_OneInput):
    """One item of ``POST /v1/batches``; ``options`` default to the batch's."""

    id: str | int | None = None
    options: SummaryOptions | None = None


class BatchRequest(BaseModel):
    """``POST /v1/batches`` as JSON. Items stay raw: a bad item fails alone."""

    model_config = ConfigDict(extra="forbid")

    items: list[Any]
    options: SummaryOptions = SummaryOptions()
    webhook: str | None = None
    cluster: bool = Field(
        default=True,
        description="summarize near-duplicate plain-text items (reposted wire copy) once",
    )


class Accepted(_Strict):
    job_id: str
    state: JobState
    location: str


class BatchAccepted(_Strict):
    batch_id: str
    count: int
    location: str


class JobView(_Strict):
    """``GET /v1/jobs/{id}``."""

    job_id: str
    state: JobState
    progress: float
    stage: str | None
    created_at: str
    updated_at: str
    error: ErrorBody | None
    brief_text: str | None = Field(
        default=None,
        description="while a reader's job runs on profile llm: the brief as the model has "
        "written it so far, not yet checked (the events stream sends it as `brief`); "
        "None once the job has finished: the result holds the checked brief",
    )
    result: SummaryResult | None = None

    @classmethod
    def of(cls, job: JobRecord, result: SummaryResult | None = None) -> JobView:
        return cls(
            job_id=job.job_id,
            state=job.state,
            progress=round(job.progress, 4),
            stage=job.stage,
            created_at=job.created_at,
            updated_at=job.updated_at,
            error=job.error,
            brief_text=None if job.finished else job.brief_text,
            result=result,
        )


class BatchStates(_Strict):
    queued: int = 0
    running: int = 0
    done: int = 0
    failed: int = 0


class BatchView(_Strict):
    """``GET /v1/batches/{id}``."""

    batch_id: str
    count: int
    state: BatchState = Field(
        description="the batch in one word: queued (no item started), running, then, once "
        "every item has finished, done (all done), failed (all failed) or partial (some of each)"
    )
    states: BatchStates
    progress: float
    created_at: str
    finished_at: str | None


class Language(_Strict):
    """One entry of LibreTranslate's ``/languages``."""

    code: str
    name: str
    targets: list[str]


class DetectedLanguage(_Strict):
    """LibreTranslate's ``detectedLanguage``: confidence 0-100, then the code."""

    confidence: float = Field(ge=0, le=100)
    language: str


class LanguageName(_Strict):
    code: str
    name: str


class FrontendLanguages(_Strict):
    source: LanguageName
    target: LanguageName


class FrontendSettings(_Strict):
    """LibreTranslate's ``/frontend/settings``."""

    charLimit: int  # LibreTranslate's names
    frontendTimeout: int
    apiKeys: bool
    keyRequired: bool
    suggestions: bool
    filesTranslation: bool
    supportedFilesFormat: list[str]
    language: FrontendLanguages


TranslateFormat = Literal["text", "html"]
