"""Admitting a batch: all of it or nothing.

``POST /v1/batches`` goes in two steps, so that a batch is never left half queued:

1. **check** (``check_items``): every item is read and checked before anything is
   sent or counted: its shape, its size, its glossary's size, a URL's form and
   address literal, a plain text's language by its letters, its request key. An
   item that fails a check fails alone (a job born failed), as the worker would
   fail it; a profile no worker serves refuses the batch (503), nothing taken.
2. **send** (``admit``): the batch record, one job per item (a cache hit born
   done, a running one attached to, the rest sent to the workers). Each distinct
   glossary is stored once for the batch (``workers.store.batches.BatchGlossaries``)
   and the tasks carry its ref. If sending fails part-way (the broker refuses, Redis
   is at maxmemory), what the batch took is given back
   (``workers.batch.coordinator.BatchCoordinator.abandon``): single-flight markers
   released, its jobs failed with a transient reason, the batch failed, its
   glossaries deleted; the route then gives back the key's quota, charged only
   between the two steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from service.deps import ServiceState
from workers.article.fetch import check_url_form
from workers.article.language import require_chinese_letters
from workers.article.limits import check_glossary
from workers.batch.coordinator import BatchCoordinator, Intake
from workers.batch.plan import BatchPlans
from workers.contract import ArticleInput, SummaryJob, SummaryOptions
from workers.errors import InputError, InvalidRequest
from workers.store.batches import BatchItem
from workers.store.cache import PipelineInfo
from workers.store.digests import request_digest
from workers.store.jobs import new_id, submit_summary

_ITEMS_PER_WRITE = 500


@dataclass
class CheckedItem:
    """One batch item after the checks: its job to submit, or the error that fails it."""

    index: int
    client_id: str | int | None
    job: SummaryJob | None  # key, article, options (the key's glossary merged in)
    error: InputError | None = None
    fingerprint: str = ""  # the pipeline its key names


def check_glossary_of(state: ServiceState, what: str, options: SummaryOptions | None) -> None:
    """The caller's own glossary against NEWSUM_MAX_GLOSSARY_ENTRIES / _BYTES (413)."""
    settings = state.settings
    glossary = options.glossary if options is not None else None
    check_glossary(what, glossary, settings.max_glossary_entries, settings.max_glossary_bytes)


def check_input(article: ArticleInput) -> None:
    """What a worker would refuse and the API can tell cheaply, without a name lookup:
    a URL's form and address literal, a plain text that is not Chinese by its letters.
    (Text holding markup is a page to the worker: its language is checked there.)"""
    if article.url is not None:
        check_url_form(article.url)
    elif article.text is not None and "<" not in article.text:
        require_chinese_letters(article.text)


def request_key(article: ArticleInput, options: SummaryOptions, fingerprint: str) -> str:
    """The item's request key; InvalidRequest for text Redis could not hold (a lone
    surrogate), found here, before anything is sent, not part-way through."""
    try:
        return request_digest(article, options, fingerprint)
    except UnicodeEncodeError as exc:
        raise InvalidRequest(
            f"the item holds text that is not valid Unicode ({exc.reason} at {exc.start})"
        ) from None


def keyed(
    state: ServiceState,
    index: int,
    client_id: str | int | None,
    given: tuple[ArticleInput, SummaryOptions] | InputError,
    infos: dict[str, PipelineInfo],
) -> CheckedItem:
    """One parsed item checked and keyed; TransientError (503, the whole batch) when
    no worker serves its profile."""
    if isinstance(given, InputError):
        return CheckedItem(index, client_id, None, given)
    article, options = given
    try:
        check_input(article)
        if options.profile not in infos:
            infos[options.profile] = state.pipeline(options.profile)
        key = request_key(article, options, infos[options.profile].fingerprint)
    except InputError as exc:
        return CheckedItem(index, client_id, None, exc)
    job = SummaryJob(key=key, article=article, options=options)
    return CheckedItem(index, client_id, job, fingerprint=infos[options.profile].fingerprint)


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


@dataclass
class _Sending:
    """One batch being sent: what it took so far, to give back if it fails part-way."""

    state: ServiceState
    coordinator: BatchCoordinator
    batch_id: str
    cluster: bool
    intake: Intake | None = None
    taken: list[tuple[str, str | None]] = field(default_factory=list)  # (job, its marker key)
    glossaries: list[str] = field(default_factory=list)  # refs stored for the batch
    _refs: dict[int, tuple[Mapping[str, str], str]] = field(default_factory=dict)

    def glossary_ref(self, glossary: Mapping[str, str]) -> str:
        """The batch's stored copy of ``glossary`` (stored on first use)."""
        known = self._refs.get(id(glossary))
        if known is not None and known[0] is glossary:
            return known[1]
        store = self.coordinator.plans.glossaries
        ref = store.ref(self.batch_id, glossary)
        if ref not in self.glossaries:
            self.glossaries.append(ref)  # before the write: a failed write is dropped too
            store.put(self.batch_id, glossary)
        self._refs[id(glossary)] = (glossary, ref)
        return ref

    def sender(self, index: int, planned: bool) -> Any:
        """``submit_summary``'s send for item ``index``: its glossary by ref and, when
        the workers plan the batch, its place in it."""

        def send(job: SummaryJob, job_id: str, queue: str) -> None:
            if job.options.glossary:
                ref = self.glossary_ref(job.options.glossary)
                options = job.options.model_copy(update={"glossary": None})
                job = job.model_copy(update={"options": options, "glossary_ref": ref})
            if planned:
                assert self.intake is not None
                job = job.model_copy(update={"batch": self.intake.expect(index, self.cluster)})
            self.state.queue.send_summary(job, job_id, queue)

        return send


def admit(state: ServiceState, items: list[CheckedItem], webhook: str | None, cluster: bool) -> str:
    """Create the batch and one job per item (cached, attached, queued or failed); its
    id. If anything fails part-way, the batch is abandoned (what it took given back)
    and the error raised.

    With ``cluster``, every item to summarize goes to the workers' plan
    (``workers.batch.plan``): each is extracted first, then near-duplicates are
    grouped by ``group_near_duplicates`` over the clean articles, as ``newsum batch``
    groups them, and each story is summarized once. An item repeating an earlier
    one of the batch word for word is planned too (not attached to its job), so it
    is grouped with it as ``newsum batch`` would."""
    sending = _Sending(state, coordinator(state), new_id(), cluster)
    try:
        _send_all(sending, items, webhook)
    except Exception as exc:
        sending.coordinator.abandon(
            sending.batch_id, sending.taken, sending.glossaries, _reason(exc)
        )
        raise
    return sending.batch_id


def _reason(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return str(message)[:300]


def _send_all(sending: _Sending, items: list[CheckedItem], webhook: str | None) -> None:
    state, batch_id = sending.state, sending.batch_id
    intake = sending.coordinator.open(batch_id, len(items), webhook)
    sending.intake = intake
    pending: list[BatchItem] = []
    waiting: list[str] = []
    planned_keys: set[str] = set()  # request keys this batch sent to be planned
    # With chunks, every item goes through the plan, to be translated with others.
    planned_there = sending.cluster or state.settings.batch_chunk_articles > 1
    for item in items:
        if item.job is None:
            job_id = new_id()
            assert item.error is not None
            state.jobs.create(job_id, state="failed", error=item.error.to_body())
        elif sending.cluster and item.job.key in planned_keys:
            # A repeat of an earlier item of the batch: a job of its own, sent to the
            # plan without single flight (whose marker the earlier item's job holds).
            job_id = new_id()
            state.jobs.create(job_id, key=item.job.key)
            sending.taken.append((job_id, None))
            sending.sender(item.index, True)(item.job, job_id, state.queues.batch)
            waiting.append(job_id)
        else:
            sub = submit_summary(
                jobs=state.jobs,
                cache=state.cache,
                send=sending.sender(item.index, planned_there),
                article=item.job.article,
                options=item.job.options,
                fingerprint=item.fingerprint,
                queue=state.queues.batch,
                record_hit=True,
            )
            assert sub.job_id is not None  # record_hit gives every item a job
            job_id = sub.job_id
            if sub.state not in ("done", "failed"):
                waiting.append(job_id)
                if not sub.attached:
                    sending.taken.append((job_id, item.job.key))
                    if planned_there:
                        planned_keys.add(item.job.key)
        pending.append(BatchItem(item.index, item.client_id, job_id))
        if len(pending) >= _ITEMS_PER_WRITE:
            state.batches.add_items(batch_id, pending)
            pending = []
    state.batches.add_items(batch_id, pending)
    intake.close(waiting)
