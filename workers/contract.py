"""The task contract: what goes into a summary job and what comes out.

These pydantic models are the only schema shared by the API process, the
Celery workers and the command line. The API imports this module and the light
parts of ``workers`` (settings, errors, the Redis stores, batch planning, the
Celery app by name), never the pipeline or the engines; it never imports torch.

Result shape (see DESIGN.md)::

    SummaryResult
     ├─ article      Article: clean text, sentences, metadata, removed boilerplate
     ├─ summary      Summary: en / zh brief, method, sentences with source indices
     ├─ translation  [TranslatedSentence] or null (no translator)
     ├─ key_terms    [KeyTerm]
     ├─ checks       Checks: numbers missing / unsupported, warnings
     ├─ provenance   Provenance: pipeline version, models, fingerprint, cached, elapsed_ms
     ├─ cluster      ClusterInfo or null: near-duplicate group in a batch
     └─ needs_review review_reasons: low model confidence, failed checks

A field that a profile cannot fill is ``None`` and ``checks.warnings`` says
why; never a silent placeholder.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

PIPELINE_VERSION = "2026.12.3"

# Task names, sent by name from the API so it never imports the task module.
TASK_SUMMARIZE = "newsum.summarize"

Profile = Literal["auto", "offline", "standard", "llm"]
Strategy = Literal[
    "translate-then-summarize", "summarize-then-translate", "direct", "direct-llm", "extractive"
]
JobState = Literal["queued", "running", "done", "failed"]

MAX_SENTENCES = 20


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SummaryOptions(_Strict):
    """What the caller wants; every field has a default."""

    profile: Profile = "auto"
    strategy: Strategy | None = Field(
        default=None,
        description="None picks the profile's default: translate-then-summarize "
        "with models, extractive without.",
    )
    sentences: int = Field(default=4, ge=1, le=MAX_SENTENCES)
    translate: bool = True
    glossary: dict[str, str] | None = None


class ArticleInput(_Strict):
    """Exactly one of text, html, url (raw bytes travel base64-encoded in html_b64)."""

    text: str | None = None
    html: str | None = None
    html_b64: str | None = Field(
        default=None, description="raw page bytes, base64; charset sniffed"
    )
    url: str | None = None
    charset: str | None = Field(default=None, description="charset from the HTTP header, if any")

    @model_validator(mode="after")
    def _exactly_one(self) -> ArticleInput:
        check_one_input(self, ("text", "html", "html_b64", "url"))
        return self


def check_one_input(model: BaseModel, fields: tuple[str, ...]) -> None:
    """ValueError unless exactly one of ``fields`` is set: an article comes one way.

    The one check behind every input model (``ArticleInput`` here, the API's request
    bodies in ``service.schemas``), so the rule and its message are written once."""
    given = [name for name in fields if getattr(model, name) is not None]
    if len(given) != 1:
        raise ValueError(
            f"give exactly one of text, html or url (got {', '.join(given) or 'none'})"
        )


class BatchPlace(_Strict):
    """Where a summarize task's article sits in a service batch (``workers.batch.plan``):
    the worker extracts it, then waits for the batch's plan, which groups
    near-duplicates (``group``: HTML and URL items; the API grouped plain text) and
    summarizes the rest in chunks whose sentences are translated together."""

    batch_id: str
    index: int = Field(ge=0)
    group: bool = True


class SummaryJob(_Strict):
    """The payload of the summarize task."""

    key: str
    article: ArticleInput
    options: SummaryOptions = SummaryOptions()
    batch: BatchPlace | None = None
    glossary_ref: str | None = Field(
        default=None,
        description="a batch's glossary stored once in Redis (workers.store.batches."
        "BatchGlossaries): the worker puts it back into options.glossary",
    )


class Author(_Strict):
    name: str
    romanized: str | None = None


class ExtractionCandidate(_Strict):
    method: str
    score: float = Field(ge=0, le=1)
    chars: int = Field(ge=0, description="characters of the candidate body, spaces not counted")


class Extraction(_Strict):
    """How the body was chosen among the extractors' candidates (``workers.article.gate``)."""

    method: str = Field(
        description="the extractor whose body was kept: readability, trafilatura, newspaper, "
        "rules (the page's visible text through the scraped-text rules), any of them with "
        "+html5 (over an HTML5 parser's reading of broken markup), or text (plain text given)"
    )
    score: float = Field(ge=0, le=1, description="how much the body reads as article text")
    candidates: list[ExtractionCandidate] = []


class Article(_Strict):
    title: str | None = None
    title_en: str | None = None
    published: str | None = Field(default=None, description="ISO date, YYYY-MM-DD")
    outlet: str | None = None
    authors: list[Author] = []
    editors: list[Author] = []
    photo_credits: list[str] = Field(
        default=[],
        description="who the page credits for its pictures (photographers, picture agencies); "
        "never counted as authors or outlet",
    )
    url: str | None = None
    language: str = Field(
        description="zh-Hans or zh-Hant: the script the article was written in (other "
        "languages are refused with not_chinese)"
    )
    text: str = Field(description="clean body, simplified Chinese, paragraphs split by blank lines")
    original_text: str | None = Field(
        default=None, description="the body as given when it was converted (traditional)"
    )
    sentences: list[str] = Field(description="body sentences; summary sources index into this")
    removed: list[str] = Field(default=[], description="boilerplate lines taken out of the body")
    extraction: Extraction | None = Field(
        default=None,
        description="the extractors' candidate bodies and the one kept (null: results cached "
        "before extraction was recorded)",
    )


class SummarySentence(_Strict):
    en: str | None = None
    zh: str | None = None
    sources: list[int] = []
    confidence: float | None = Field(
        default=None,
        description="the model's mean token probability for this sentence (0–1), where "
        "a model wrote or translated it; None for sentences no model scored",
    )


class Summary(_Strict):
    en: str | None = None
    zh: str | None = None
    headline: str | None = Field(
        default=None,
        description="the English headline the direct-llm brief wrote (checked with it); "
        "None for other methods",
    )
    method: Strategy
    sentences: list[SummarySentence] = []


class TranslatedSentence(_Strict):
    zh: str
    en: str
    confidence: float | None = Field(
        default=None,
        description="the translator's mean token probability (0–1); None when the "
        "engine gives no scores (translation memory hits, engines without scores)",
    )


class KeyTerm(_Strict):
    zh: str
    pinyin: str
    en: str | None = None
    kind: Literal["person", "place", "organization", "term"] = "term"


class NumberCheck(_Strict):
    missing: list[str] = Field(
        default=[], description="in the source's summary sentences, not in the English"
    )
    unsupported: list[str] = Field(default=[], description="in the English, not in the source")


class Checks(_Strict):
    numbers: NumberCheck = NumberCheck()
    names: NumberCheck = NumberCheck()
    warnings: list[str] = []


class ModelRef(_Strict):
    id: str
    revision: str | None = None
    licence: str | None = None
    attribution: str | None = Field(
        default=None,
        description="the credit the model's licence requires wherever this result is used "
        "(e.g. CC BY 4.0 for Helsinki-NLP/opus-mt-zh-en); null when it requires none",
    )
    engine: str
    role: str


class Provenance(_Strict):
    pipeline: str = PIPELINE_VERSION
    profile: Profile
    models: list[ModelRef] = []
    fingerprint: str | None = Field(
        default=None,
        description="how the result was made: pipeline version, each model's id and "
        "content, engine, quantization, device and dtype, every generation setting, "
        "the server glossary and the review threshold; results with equal input, options "
        "and fingerprint are made alike (null: made before fingerprints were recorded)",
    )
    cached: bool = False
    elapsed_ms: int = 0


class ClusterInfo(_Strict):
    """Where a batch item stands among near-duplicates (the same story reposted).

    Each cluster is summarized once, from its ``representative``; the others
    share that summary and list the sentences they add or lack against it.
    """

    id: int = Field(description="the cluster's number: the batch position of its first item")
    representative: int = Field(description="batch position of the item that was summarized")
    representative_id: str | None = Field(default=None, description="that item's id")
    size: int = Field(ge=1, description="items in the cluster")
    added: list[str] = Field(default=[], description="sentences this item has and it lacks")
    removed: list[str] = Field(default=[], description="sentences it has and this item lacks")

    def member_warning(self) -> str:
        """What a member's ``checks.warnings`` says: whose summary it shows, and where
        the differences are (``workers.batch.members``)."""
        whose = self.representative_id or self.representative
        return (
            f"This article is the same story as batch item {whose} and shares its summary; "
            "the sentences only one of them has are listed with the cluster "
            "(cluster.added / cluster.removed)."
        )


class SummaryResult(_Strict):
    id: str
    status: Literal["done"] = "done"
    article: Article
    summary: Summary
    translation: list[TranslatedSentence] | None = None
    key_terms: list[KeyTerm] = []
    checks: Checks = Checks()
    provenance: Provenance
    cluster: ClusterInfo | None = Field(
        default=None, description="set in batches: near-duplicate group of this item"
    )
    needs_review: bool = Field(
        default=False,
        description="a person should look at this output before it runs (review_reasons)",
    )
    review_reasons: list[str] = []
    job_id: str | None = Field(
        default=None,
        description="on a 200 answer of POST /v1/summaries: the job that made or found this "
        "result, which GET /v1/jobs/{job_id} and its /events answer for; null elsewhere",
    )


class ErrorBody(_Strict):
    """One JSON shape for every error, from the API, a failed job or a batch line."""

    code: str
    message: str
    limit: int | None = None
