"""Thin Celery tasks: validate the payload, call into a module, store, update the job.

Registered on an app by ``register_tasks(app)`` (the API never imports this
module: it sends tasks by name). Where the work lives:

- ``workers.queue.bootstrap``: a worker process's start (engines, warm-up,
  the published pipeline) and its ``WorkerContext``;
- ``workers.queue.failure``: what is retried and what fails a job, with which
  reason; the hard time limit's bookkeeping;
- ``workers.queue.summary_job``: one summary job, end to end;
- ``workers.queue.batch_jobs``: a batch's plan and its chunks;
- ``workers.queue.libretranslate``, ``workers.queue.webhooks``: the rest.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, Task
from celery.signals import task_failure, worker_process_init

from workers.contract import TASK_SUMMARIZE
from workers.errors import FetchFailed, NewsumError
from workers.queue.batch_jobs import (
    plan_batch_items,
    summarize_planned_chunk,
    with_stored_glossary,
)
from workers.queue.bootstrap import WorkerContext, attach_app, context, on_process_init
from workers.queue.celery_app import (
    TASK_NOTIFY_BATCH,
    TASK_PLAN_BATCH,
    TASK_SUMMARIZE_PLANNED,
    TASK_TRANSLATE,
)
from workers.queue.failure import (
    TRANSIENT,
    backoff,
    batch_place,
    guarded,
    on_task_failure,
    retry_when_redis_has_room,
)
from workers.queue.libretranslate import request_options, translate_request, translate_texts
from workers.queue.summary_job import run_summary_job
from workers.queue.webhooks import notify_batch
from workers.store.maxmemory import is_out_of_memory

log = logging.getLogger("newsum.worker")

# A webhook that failed on the network is tried this many times more.
WEBHOOK_RETRIES = 2


def register_tasks(app: Celery) -> None:
    """Add newsum's tasks to ``app`` and hook engine loading to worker start."""
    attach_app(app)
    worker_process_init.connect(on_process_init, weak=False, dispatch_uid="newsum-init")
    task_failure.connect(on_task_failure, weak=False, dispatch_uid="newsum-hard-timeout")

    @app.task(name=TASK_SUMMARIZE, bind=True, max_retries=None)
    def summarize(self: Task, payload: dict[str, Any], job_id: str) -> None:
        key = payload.get("key") if isinstance(payload, dict) else None
        guarded(
            self,
            job_id,
            key,
            lambda ctx: run_summary_job(ctx, with_stored_glossary(ctx, payload), job_id),
        )
        place = batch_place(payload)
        if place is not None:
            # A batch item that failed before its plan (or ran before) is counted in.
            ctx = context()
            record = ctx.jobs.get(job_id)
            if record is None or record.finished:
                ctx.batches.arrive(place, None)

    @app.task(name=TASK_PLAN_BATCH, bind=True, max_retries=None)
    def plan(self: Task, batch_id: str) -> None:
        try:
            plan_batch_items(context(), batch_id)
        except Exception as exc:
            if is_out_of_memory(exc):  # Redis full: never a retry that cannot be sent
                retry_when_redis_has_room(self, context(), f"plan of {batch_id}", exc, None)
            if not isinstance(exc, TRANSIENT):
                raise
            raise self.retry(exc=exc, countdown=backoff(min(self.request.retries, 5))) from exc

    @app.task(name=TASK_SUMMARIZE_PLANNED, bind=True, max_retries=None)
    def summarize_planned(self: Task, batch_id: str, indices: list[int]) -> None:
        summarize_planned_chunk(self, batch_id, [int(i) for i in indices])

    @app.task(name=TASK_TRANSLATE, bind=True, max_retries=None)
    def translate(
        self: Task, texts: list[str], fmt: str, job_id: str, options: dict[str, Any] | None = None
    ) -> None:
        def work(ctx: WorkerContext) -> None:
            ctx.jobs.mark_running(job_id, "translate")
            if options is None:  # sent by an API without options: the plain list
                result: object = translate_texts(list(texts), fmt, ctx.engines)
            else:
                glossary, alternatives = request_options(options)
                result = translate_request(
                    list(texts), fmt, ctx.engines, glossary=glossary, alternatives=alternatives
                )
            ctx.jobs.mark_done(job_id, result=result)

        guarded(self, job_id, None, work)

    @app.task(name=TASK_NOTIFY_BATCH, bind=True, max_retries=WEBHOOK_RETRIES)
    def notify(self: Task, batch_id: str) -> None:
        try:
            ctx = context()
            answered = notify_batch(ctx.batches.store, ctx.jobs, batch_id)
        except FetchFailed as exc:  # the network: tried again
            if self.request.retries < WEBHOOK_RETRIES:
                raise self.retry(exc=exc, countdown=5 * (self.request.retries + 1)) from exc
            log.warning("webhook of batch %s failed: %s", batch_id, exc.message)
        except NewsumError as exc:  # an unsafe webhook URL: never retried
            log.warning("webhook of batch %s refused: %s", batch_id, exc.message)
        else:
            if answered is not None and answered >= 400:
                log.warning("webhook of batch %s answered HTTP %s", batch_id, answered)
