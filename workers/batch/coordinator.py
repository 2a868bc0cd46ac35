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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from workers.batch.plan import BatchPlans, Follower, PlannedItem
from workers.contract import BatchPlace
from workers.store.batches import BatchStore
from workers.store.jobs import JobStore


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

    # --- the workers' side ----------------------------------------------------------

    def arrive(self, place: BatchPlace, item: PlannedItem | None) -> None:
        """Count a batch item in (None: it failed); the last one sends the plan."""
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
        for follower in followers:
            if record is not None and record.state == "done" and record.result_key:
                self.jobs.mark_done(follower.job_id, result_key=record.result_key, cached=True)
                self.jobs.release(follower.key, follower.job_id)
                self.plans.drop(follower.batch_id, follower.index)
                for batch_id in self.store.job_finished(follower.job_id):
                    self._notify_if_wanted(batch_id)
            else:
                self.jobs.set_cluster(follower.job_id, None)
                self.tasks.send_planned(follower.batch_id, [follower.index])

    def _notify_if_wanted(self, batch_id: str) -> None:
        record = self.store.get(batch_id)
        if record is not None and record.webhook:
            self.tasks.send_notify(batch_id)


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
