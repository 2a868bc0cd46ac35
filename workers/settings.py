"""One typed settings object per process, read once from ``NEWSUM_*`` variables.

A bad value stops start-up with the variable named (see ``load_settings``).
Nothing reads the environment at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(Exception):
    """A NEWSUM_* variable is missing or bad; the message names it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSUM_", extra="ignore")

    # models
    model_dir: Path = Field(default=Path("~/.cache/newsum/models"))
    hub_offline: bool = Field(default=True, description="never reach the hub while loading")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    allow_noncommercial: bool = False
    engine: Literal["auto", "transformers", "ctranslate2"] = Field(
        default="auto",
        description="auto: CTranslate2 where a converted copy exists (newsum models convert)",
    )
    ct2_quantization: Literal["int8", "int8_float16", "float16", "float32"] = "int8"
    torch_threads: int = Field(default=0, ge=0, description="0: cores ÷ worker processes")
    engine_threads: int = Field(
        default=0, ge=0, description="CTranslate2 threads; 0: cores ÷ worker processes"
    )
    num_beams: int | None = Field(
        default=None, ge=1, le=16, description="beam size for every model; unset: each model's own"
    )
    max_new_tokens: int | None = Field(
        default=None, ge=1, le=1024, description="cap on generated tokens; unset: each model's own"
    )
    llm_model: str | None = Field(
        default=None,
        description="the instruct model of profile llm (a hub id from `newsum models list`, "
        "e.g. Qwen/Qwen3-4B); unset: Qwen/Qwen2.5-1.5B-Instruct, Qwen/Qwen3-8B on device cuda",
    )

    # limits on what is accepted
    max_bytes: int = Field(default=5_000_000, ge=1_000)
    max_chars: int = Field(default=100_000, ge=100)
    # a caller's glossary (workers.article.limits.check_glossary); a batch's is stored once
    max_glossary_entries: int = Field(
        default=5_000, ge=1, description="terms a request's or batch's own glossary may hold"
    )
    max_glossary_bytes: int = Field(
        default=500_000,
        ge=100,
        description="UTF-8 bytes of a request's or batch's own glossary (terms and English)",
    )

    fetch_timeout_s: float = Field(default=10.0, gt=0, le=120)

    # redis, cache, jobs (the service)
    redis_url: str | None = None
    redis_dir: Path = Field(default=Path("~/.cache/newsum/redis"))
    redis_prefix: str = Field(default="newsum", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    cache_ttl_s: int = Field(default=7 * 24 * 3600, ge=1)
    job_ttl_s: int = Field(default=24 * 3600, ge=1)

    # glossaries and review flags (workers.english.glossary, workers.english.review)
    glossary_file: Path | None = Field(
        default=None, description="server-wide zh→en glossary: JSON object or TSV lines"
    )
    default_glossary: bool = Field(
        default=True, description="use the built-in CC-CEDICT names of places and institutions"
    )
    review_confidence: float = Field(
        default=0.4,
        ge=0.0,
        le=1.0,
        description="a translated sentence below this mean token probability needs review",
    )

    # queues and tasks
    queue_interactive: str = Field(default="interactive", min_length=1)
    queue_batch: str = Field(default="batch", min_length=1)
    task_soft_time_limit_s: int = Field(default=600, ge=1)
    task_time_limit_s: int = Field(default=660, ge=1)
    task_max_retries: int = Field(default=3, ge=0, le=20)
    batch_chunk_articles: int = Field(
        default=4,
        ge=1,
        le=64,
        description="batch articles summarized by one worker task, their sentences "
        "translated together; the task's time limits are this many times the per-article ones",
    )
    visibility_timeout_s: int | None = Field(
        default=None,
        ge=1,
        description="an unacked task (its worker died) is redelivered after this; "
        "unset: max(3600, 2 × the hard time limit). Must outlast the longest task.",
    )

    sweep_interval_s: int = Field(
        default=60,
        ge=1,
        description="how often one worker looks for queued jobs whose task message was lost "
        "(workers.queue.sweeper)",
    )
    sweep_queued_after_s: int = Field(
        default=300,
        ge=1,
        description="a job queued this long, never delivered, and whose message is in no queue "
        "and not unacked (twice in a row) is failed transient",
    )

    # limits of the HTTP API
    max_batch_items: int = Field(default=10_000, ge=1)
    max_body_bytes: int = Field(default=20_000_000, ge=1_000)
    max_wait_s: float = Field(default=60.0, ge=0, le=600)
    max_queue_depth: int = Field(
        default=500,
        ge=1,
        description="interactive queue deeper than this: new interactive requests get 429",
    )

    # access (service.auth, service.security)
    anonymous: Literal["interactive", "all", "none"] = Field(
        default="interactive",
        description="what callers without an API key may do: interactive requests only, "
        "everything, or nothing",
    )
    anonymous_rate: int = Field(
        default=0, ge=0, description="requests a minute per client address without a key; 0: no cap"
    )
    cors_origins: str = Field(
        default="", description="comma-separated origins allowed to call the API from a browser"
    )

    def resolved_model_dir(self) -> Path:
        return self.model_dir.expanduser()

    def threads_for(self, processes: int) -> Settings:
        """These settings with thread counts that fit ``processes`` worker processes
        on this machine's cores (explicit values are kept)."""
        share = max(1, (os.cpu_count() or 1) // max(1, processes))
        return self.model_copy(
            update={
                "torch_threads": self.torch_threads or share,
                "engine_threads": self.engine_threads or share,
            }
        )

    def generation_overrides(self) -> dict[str, int]:
        """generate() settings that replace every model's defaults."""
        overrides = {"num_beams": self.num_beams, "max_new_tokens": self.max_new_tokens}
        return {name: value for name, value in overrides.items() if value is not None}


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; raise SettingsError naming the bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            problems.append(f"NEWSUM_{field.upper()}: {err['msg']}")
        raise SettingsError("bad configuration: " + "; ".join(problems)) from None
