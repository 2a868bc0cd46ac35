"""The batch protocol in one place: the API opens a batch, expects its planned items
and seals it; workers count items in, plan, and finish jobs and their followers.

``BatchCoordinator`` is the only caller of the protocol's Redis records
(``workers.store.batches.BatchStore``: pending counts; ``workers.batch.plan.
BatchPlans``: arrivals, the plan's lease, followers) and the only one deciding
when a step's task goes out (``BatchTasks``: sent by name, by the API or a
worker). The steps, in order:

1. **open** (API): the batch record, its adding token held.
2. **expect** (API, ``Intake``): each item sent to be planned is expected; the
   first also takes the plan's adding token.
3. **close** (API): the plan's adding token goes back; if every item had arrived
   already, the plan is sent.
4. **seal** (API): items wait on their jobs, those finished meanwhile are
   settled, the adding token goes back; a batch finished there is notified.
5. **arrive** (worker): an item counted in (None: it failed); the last sends the plan.
6. **job finished** (worker): the batches it finished are notified, and the
   jobs that share its summary (its followers) finish with it.

A batch the API could not queue whole (the broker or Redis refused part-way) is
**abandoned** (API): what it took goes back (the items' single-flight markers,
its stored glossaries), the jobs it created fail with a transient reason (whoever
attached to one stops waiting), and the batch is failed; an item of it arriving
later fails there, and its plan never runs. Nothing of it is left waiting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Protocol

import redis

from workers.batch.members import member_result
from workers.batch.plan import BatchPlans, Follower, PlannedItem
from workers.contract import BatchPlace, ClusterInfo, ErrorBody, SummaryResult
from workers.store.batches import BatchStore
from workers.store.jobs import JobStore

log = logging.getLogger("newsum.batch")


def abandoned_error(reason: str) -> ErrorBody:
    """Why a job of a batch that could not be queued whole failed (transient: send again)."""
    return ErrorBody(
        code="transient",
        message=f"its batch could not be queued whole ({reason}); nothing of that batch "
        "runs: submit it again",
    )


class BatchTasks(Protocol):
    """The tasks the protocol sends, by name (``workers.queue.celery_app.
    CeleryBatchTasks`` on a worker; the service's queue on the API)."""

    def send_plan(self, batch_id: str) -> None: ...

    def send_planned(self, batch_id: str, indices: list[int]) -> None: ...

    def send_notify(self, batch_id: str) -> None: ...


class BatchCoordinator:
    """Expect, arrive, close, seal, followers: the batch protocol over Redis."""

    def __init__(
        self, store: BatchStore, plans: BatchPlans, jobs: JobStore, tasks: BatchTasks
    ) -> None:
        self.store = store
        self.plans = plans
        self.jobs = jobs
        self.tasks = tasks

    # --- the API's side -------------------------------------------------------------

    def open(self, batch_id: str, count: int, webhook: str | None) -> Intake:
        """A new batch; its items go through the returned ``Intake``."""
        self.store.create(batch_id, count, webhook)
        return Intake(self, batch_id)

    def seal(self, batch_id: str, waiting: Sequence[str]) -> bool:
        """Every item is added: items wait on the ``waiting`` jobs (those finished
        meanwhile settle now) and the adding token goes back. True if that finished
        the batch (its webhook, if any, is sent)."""
        self.store.wait_on(batch_id, waiting)
        self.store.settle_finished(batch_id, self.jobs.get_many(list(waiting)))
        if self.store.seal(batch_id):
            self._notify_if_wanted(batch_id)
            return True
        return False

    def abandon(
        self,
        batch_id: str,
        taken: Sequence[tuple[str, str | None]],
        glossaries: Sequence[str],
        reason: str,
    ) -> None:
        """The batch could not be queued whole: give back what it took. ``taken``: the
        jobs it created and sent, with the single-flight key each holds (None: none);
        ``glossaries``: the refs it stored. Each step is tried even if one before failed
        (Redis at maxmemory refuses writes, never deletes): first what frees memory."""
        error = abandoned_error(reason)
        steps: list[Callable[[], object]] = [partial(self.plans.glossaries.drop, glossaries)]
        steps += [partial(self.jobs.release, key, job_id) for job_id, key in taken if key]
        steps.append(partial(self._mark_abandoned, batch_id, error))
        steps += [partial(self._fail_taken, job_id, error, batch_id) for job_id, _ in taken]
        for step in steps:
            _try(step, batch_id)

    def _mark_abandoned(self, batch_id: str, error: ErrorBody) -> None:
        """The batch failed for good; if Redis refuses that write, the batch deleted."""
        if not _try(partial(self.store.abandon, batch_id, error), batch_id):
            self.store.forget(batch_id)

    def _fail_taken(self, job_id: str, error: ErrorBody, batch_id: str) -> None:
        """A job of an abandoned batch fails (one a worker finished already stands)."""
        record = self.jobs.get(job_id)
        if record is not None and record.finished:
            return
        if not _try(partial(self.jobs.mark_failed, job_id, error), batch_id):
            # Unknown rather than waiting forever: an attached reader stops too.
            self.jobs.delete(job_id)
        self.job_finished(job_id)

    # --- the workers' side ----------------------------------------------------------

    def arrive(self, place: BatchPlace, item: PlannedItem | None) -> None:
        """Count a batch item in (None: it failed); the last one sends the plan. An
        item of an abandoned batch (or one gone) fails here instead of waiting for a plan."""
        if self.store.abandoned(place.batch_id):
            if item is not None:
                self.jobs.mark_failed(item.job_id, abandoned_error("it was abandoned"))
                self.jobs.release(item.key, item.job_id)
                self.job_finished(item.job_id)
            return
        if self.plans.arrive(place.batch_id, place.index, item):
            self.tasks.send_plan(place.batch_id)

    def send_planned(self, batch_id: str, indices: Sequence[int], *, each: bool = False) -> None:
        """Planned articles to summarize: one task for them all, or one each."""
        for chunk in [[i] for i in indices] if each else [list(indices)]:
            if chunk:
                self.tasks.send_planned(batch_id, chunk)

    def job_finished(self, job_id: str) -> None:
        """After done or failed: settle the batches waiting on it, then its followers."""
        for batch_id in self.store.job_finished(job_id):
            self._notify_if_wanted(batch_id)
        self.finish_followers(job_id)

    def follow(self, leader_job: str, follower: Follower) -> None:
        self.plans.follow(leader_job, follower)

    def finish_followers(self, leader: str) -> None:
        """A representative's job has finished: so do the jobs that share its summary;
        if it failed, each is sent to be summarized on its own (nothing is lost)."""
        followers = self.plans.take_followers(leader)
        if not followers:
            return
        record = self.jobs.get(leader)
        shared = self._result(record.result_key) if record is not None else None
        for follower in followers:
            if record is not None and record.state == "done" and record.result_key:
                result_key = record.result_key
                if shared is not None:
                    result_key = self._store_member(shared, follower) or result_key
                self.jobs.mark_done(follower.job_id, result_key=result_key, cached=True)
                self.jobs.release(follower.key, follower.job_id)
                self.plans.drop(follower.batch_id, follower.index)
                for batch_id in self.store.job_finished(follower.job_id):
                    self._notify_if_wanted(batch_id)
            else:
                self.jobs.set_cluster(follower.job_id, None)
                self.tasks.send_planned(follower.batch_id, [follower.index])

    def _result(self, result_key: str | None) -> SummaryResult | None:
        if not result_key:
            return None
        raw = self.jobs.client.get(self.jobs.layout.result(result_key))
        return SummaryResult.model_validate_json(raw) if raw else None

    def _store_member(self, shared: SummaryResult, follower: Follower) -> str | None:
        """The follower's own result (``workers.batch.members``: the shared summary
        with its page's headline, date and outlet), stored for as long as its job
        lives, under a key of its batch (never where a later request could find it:
        membership belongs to this batch); its key, or None when its cluster or its
        article is gone (the shared result is shown as it is)."""
        record = self.jobs.get(follower.job_id)
        [item] = self.plans.get(follower.batch_id, [follower.index])
        if record is None or record.cluster is None or item is None:
            return None
        member = member_result(
            shared,
            ClusterInfo.model_validate(record.cluster),
            key=follower.key,
            own=item.prepared,
        )
        member_key = f"member:{follower.batch_id}:{follower.index}"
        self.jobs.client.set(
            self.jobs.layout.result(member_key), member.model_dump_json(), ex=self.jobs.ttl_s
        )
        return member_key

    def _notify_if_wanted(self, batch_id: str) -> None:
        record = self.store.get(batch_id)
        # An abandoned batch was refused to its caller: no webhook.
        if record is not None and record.webhook and record.error is None:
            self.tasks.send_notify(batch_id)


def _try(step: Callable[[], object], batch_id: str) -> bool:
    """One step of giving an abandoned batch back; False (logged) if Redis refused it."""
    try:
        step()
    except redis.RedisError as exc:
        log.warning("batch %s: could not give back part of it: %s", batch_id, exc)
        return False
    return True


class Intake:
    """The API adding one batch's items: each item sent to be planned is expected,
    and the plan is held back (the adding token) until ``close``."""

    def __init__(self, coordinator: BatchCoordinator, batch_id: str) -> None:
        self.coordinator = coordinator
        self.batch_id = batch_id
        self.opened = False

    def expect(self, index: int, group: bool) -> BatchPlace:
        """Item ``index`` goes to be planned: its place in the batch, for its task."""
        # The first item also takes the adding token, given back by ``close``.
        self.coordinator.plans.expect(self.batch_id, 1 if self.opened else 2)
        self.opened = True
        return BatchPlace(batch_id=self.batch_id, index=index, group=group)

    def close(self, waiting: Sequence[str]) -> bool:
        """Every item is added: the plan may go (now, if every planned item arrived
        already), then the batch is sealed (``BatchCoordinator.seal``)."""
        if self.opened and self.coordinator.plans.close(self.batch_id):
            self.coordinator.tasks.send_plan(self.batch_id)
        return self.coordinator.seal(self.batch_id, waiting)
