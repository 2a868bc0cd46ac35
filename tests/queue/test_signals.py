"""The stage signal workers send: nothing listens by default, and a handler that
raises stops the article as a failing stage would (the reliability tests' faults)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from workers.contract import ArticleInput
from workers.queue.signals import article_stage, enter_stage

ARTICLE = ArticleInput(text="新华社北京电 会议今天召开。")


@pytest.fixture
def seen() -> Iterator[list[tuple[str, str, str | None]]]:
    calls: list[tuple[str, str, str | None]] = []

    def record(article: ArticleInput, stage: str, job_id: str, **_: Any) -> None:
        calls.append((job_id, stage, article.text))

    article_stage.connect(record, weak=False, dispatch_uid="test-record")
    try:
        yield calls
    finally:
        article_stage.disconnect(record, dispatch_uid="test-record")


def test_nothing_listens_in_production() -> None:
    assert article_stage.receivers == []
    enter_stage(ARTICLE, "extract", "job-1")  # no handler: nothing happens


def test_handlers_hear_the_article_and_its_stage(seen: list[tuple[str, str, str | None]]) -> None:
    enter_stage(ARTICLE, "extract", "job-1")
    assert seen == [("job-1", "extract", ARTICLE.text)]


def test_a_handler_that_raises_fails_the_stage() -> None:
    def crash(**_: Any) -> None:
        raise RuntimeError("poison")

    article_stage.connect(crash, weak=False, dispatch_uid="test-crash")
    try:
        with pytest.raises(RuntimeError, match="poison"):
            enter_stage(ARTICLE, "extract", "job-1")
    finally:
        article_stage.disconnect(crash, dispatch_uid="test-crash")
    enter_stage(ARTICLE, "extract", "job-1")  # disconnected: quiet again
