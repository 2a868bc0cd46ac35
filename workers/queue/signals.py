"""Signals a worker sends as an article moves through its job, for handlers an
operator (or a test) connects: metrics, tracing, fault injection in
tests/reliability.

Nothing is connected by default: a send to no receivers costs a dictionary look-up.
"""

from __future__ import annotations

from celery.utils.dispatch import Signal

from workers.contract import ArticleInput

# Sent as a job's article enters a stage (today "extract": before anything is
# done to it), with ``article`` (the ArticleInput as given), ``stage`` and ``job_id``.
article_stage = Signal(name="newsum.article_stage", providing_args={"article", "stage", "job_id"})


def enter_stage(article: ArticleInput, stage: str, job_id: str) -> None:
    """Tell ``article_stage``'s receivers; a receiver that raised fails the job as the
    stage would have. Celery's ``Signal.send`` catches receivers' errors and hands them
    back, so they are raised again here: a handler may stop an article, never hide."""
    for _, answer in article_stage.send(sender=None, article=article, stage=stage, job_id=job_id):
        if isinstance(answer, BaseException):
            raise answer
