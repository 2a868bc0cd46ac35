"""A service batch planned on the workers: near-duplicate items grouped after
extraction, and articles summarized in chunks.

An article is known only after extraction, a worker's job: an HTML page's or a
URL's, and a plain text's too (its clean body, without the header and footer
lines a repost changes). Grouping the clean articles with the function ``newsum
batch`` uses makes the service and the command group the same articles. And a
worker that takes a batch's articles a chunk at a time translates their
sentences together (``workers.batch.pretranslate``). So a batch item's summarize
task carries its place in the batch (``SummaryJob.batch``; every item when
grouping is on or NEWSUM_BATCH_CHUNK_ARTICLES > 1) and goes in three steps:

1. **arrive**: the worker extracts the article (``prepare_article``), leaves it
   in the batch's ``prepared`` hash (its glossary by ref, when the API stored it
   for the batch: ``workers.store.batches.BatchGlossaries``; the terms are in Redis
   once, not once an article) and counts it in; an item that fails here
   fails alone, and is counted in too. The batch hash's ``planning`` field
   counts the items still to arrive, plus one token the API holds while it adds
   items.
2. **plan**: the arrival that brings ``planning`` to zero sends one plan task.
   It runs ``workers.batch.clustering.group_near_duplicates`` (the grouping ``newsum batch``
   uses) over the arrived articles with the same options (the ``group`` ones),
   records each cluster on its jobs, makes every near-duplicate's job a *follower* of its
   representative's, and sends the representatives to be summarized,
   ``NEWSUM_BATCH_CHUNK_ARTICLES`` to a task, whose sentences are translated
   together (``workers.batch.pretranslate``).
3. **summarize**: when a representative's job finishes, its followers finish
   with it: done with its result (each shown as its own member, with its own
   headline, date and outlet and what it adds and lacks: ``workers.batch.members``),
   or, if it failed, sent to be summarized on their own.

The plan and ``newsum batch`` run the one function
``workers.batch.clustering.group_near_duplicates``. The protocol's steps are driven through
``workers.batch.coordinator.BatchCoordinator``; this module holds the plan and
its Redis records (``BatchPlans``).

Every step survives a redelivered task (its worker was killed): an item is
counted in once (a set of arrived indices), a plan runs under a lease (redis-py's
``Lock``: only its holder's token releases it) and once (``planned``), and
finished jobs are skipped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import redis
from redis.exceptions import LockError
from redis.lock import Lock

from workers.batch.clustering import DEFAULT_THRESHOLD, group_near_duplicates
from workers.contract import ClusterInfo, SummaryOptions
from workers.errors import Expired
from workers.store.batches import BatchGlossaries
from workers.store.cache import RedisLayout

if TYPE_CHECKING:  # the API imports this module; extraction (lxml) stays on the workers
    from workers.article.prepared import PreparedArticle

# A plan that has not finished in this long (its worker was lost) may be run again;
# the worker passes a lease shorter than its visibility timeout, so the plan task's
# redelivery finds the lease expired.
PLAN_LEASE_S = 600

log = logging.getLogger("newsum.worker")

_ARRIVE = """
local fresh = redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
if fresh == 1 then
  if ARGV[2] ~= '' then
    redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
    redis.call('EXPIRE', KEYS[2], ARGV[3])
  end
  return redis.call('HINCRBY', KEYS[3], 'planning', -1)
end
return tonumber(redis.call('HGET', KEYS[3], 'planning') or '-1')
"""


@dataclass
class PlannedItem:
    """An extracted batch article waiting for (or following) its batch's plan."""

    index: int
    job_id: str
    key: str  # the API's request key: the job's single-flight marker
    own_key: str  # this worker's request key, where the result is cached too
    options: SummaryOptions
    prepared: PreparedArticle
    group: bool = True  # False: summarized on its own (the API grouped it, or no grouping)
    # Read back from Redis: the batch glossary its options' glossary came from.
    glossary_ref: str | None = None

    def dumps(self, glossary_ref: str | None = None) -> str:
        """As JSON; with ``glossary_ref`` (the batch's stored glossary, the one in its
        options), the glossary's terms are left out and the ref stands for them."""
        options = (
            self.options.model_copy(update={"glossary": None}) if glossary_ref else self.options
        )
        data = {
            "index": self.index,
            "job_id": self.job_id,
            "key": self.key,
            "own_key": self.own_key,
            "options": options.model_dump(mode="json"),
            "prepared": asdict(self.prepared),
            "group": self.group,
        }
        if glossary_ref:
            data["glossary_ref"] = glossary_ref
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def loads(cls, raw: str | bytes) -> PlannedItem:
        from workers.article.prepared import PreparedArticle

        data = json.loads(raw)
        return cls(
            index=int(data["index"]),
            job_id=data["job_id"],
            key=data["key"],
            own_key=data["own_key"],
            options=SummaryOptions.model_validate(data["options"]),
            prepared=PreparedArticle(**data["prepared"]),
            group=bool(data.get("group", True)),
            glossary_ref=data.get("glossary_ref") or None,
        )


@dataclass
class Follower:
    """A near-duplicate's job, finished by its representative's."""

    job_id: str
    key: str
    batch_id: str
    index: int

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, raw: str | bytes) -> Follower:
        return cls(**json.loads(raw))


@dataclass
class BatchPlan:
    """What the plan decided: who is summarized, who follows whom, the clusters."""

    summarize: list[int] = field(default_factory=list)  # batch positions, in order
    follows: dict[int, int] = field(default_factory=dict)  # member → its representative
    clusters: dict[int, ClusterInfo] = field(default_factory=dict)  # items in clusters ≥ 2


def plan_items(
    items: Sequence[PlannedItem],
    client_ids: Sequence[str],
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> BatchPlan:
    """Group arrived items with the same options into stories (``group_near_duplicates``);
    items with ``group`` False are summarized as they are.

    ``client_ids``: every batch item's id as ``ClusterInfo.representative_id``
    shows it, by batch position. Clusters are numbered by their representative's
    batch position, as the API numbers plain-text clusters, so the two never clash.
    """
    plan = BatchPlan()
    ordered = sorted(items, key=lambda i: i.index)
    assignments = group_near_duplicates(
        [i.prepared if i.group else None for i in ordered],
        same=[i.options.model_dump_json() for i in ordered],
        threshold=threshold,
    )
    chosen: set[int] = set()
    for item, assignment in zip(ordered, assignments, strict=True):
        if assignment is None or assignment.size < 2:
            chosen.add(item.index)
            continue
        representative = ordered[assignment.representative].index
        plan.clusters[item.index] = ClusterInfo(
            id=representative,
            representative=representative,
            representative_id=(
                client_ids[representative] if representative < len(client_ids) else None
            ),
            size=assignment.size,
            added=list(assignment.added),
            removed=list(assignment.removed),
        )
        if assignment.summarize:
            chosen.add(item.index)
        else:
            plan.follows[item.index] = representative
    plan.summarize = sorted(chosen)
    return plan


def chunks(indices: Sequence[int], size: int) -> list[list[int]]:
    """``indices`` cut into runs of at most ``size``."""
    return [list(indices[i : i + size]) for i in range(0, len(indices), size)]


class BatchPlans:
    """The Redis side: counting arrivals, the prepared articles, the plan's lease,
    followers."""

    def __init__(
        self, client: redis.Redis, layout: RedisLayout, ttl_s: int, plan_lease_s: int = PLAN_LEASE_S
    ) -> None:
        self.client = client
        self.layout = layout
        self.ttl_s = ttl_s
        self.plan_lease_s = plan_lease_s
        self.glossaries = BatchGlossaries(client, layout, ttl_s)

    # --- the API's side -----------------------------------------------------------

    def expect(self, batch_id: str, count: int = 1) -> None:
        """``count`` more items (or the API's adding token) to arrive before the plan."""
        self.client.hincrby(self.layout.batch(batch_id), "planning", count)

    def close(self, batch_id: str) -> bool:
        """The API gives back its adding token; True if every item had arrived (the
        caller sends the plan)."""
        left = int(self.client.hincrby(self.layout.batch(batch_id), "planning", -1))
        return left == 0

    # --- arrivals -------------------------------------------------------------------

    def arrive(self, batch_id: str, index: int, item: PlannedItem | None) -> bool:
        """Count item ``index`` in, with its article (None: it failed). True when the
        batch is ready to plan and not planned yet: the caller sends the plan. Asked
        again for an item already counted (a redelivered task), it answers the same."""
        left = self.client.eval(
            _ARRIVE,
            3,
            self.layout.batch_arrived(batch_id),
            self.layout.batch_prepared(batch_id),
            self.layout.batch(batch_id),
            str(index),
            self._dumps(batch_id, item) if item is not None else "",
            str(self.ttl_s),
        )
        return int(left) == 0 and not self.planned(batch_id)

    def _dumps(self, batch_id: str, item: PlannedItem) -> str:
        """The item as stored: its glossary by ref when the API stored it for the batch."""
        glossary = item.options.glossary
        if glossary:
            ref = BatchGlossaries.ref(batch_id, glossary)
            if self.glossaries.stored(ref):
                return item.dumps(glossary_ref=ref)
        return item.dumps()

    def _loads(self, rows: Sequence[str | bytes | None]) -> list[PlannedItem | None]:
        """Items read back, each with its batch glossary in its options again."""
        glossaries: dict[str, dict[str, str]] = {}
        items: list[PlannedItem | None] = []
        for row in rows:
            item = PlannedItem.loads(row) if row else None
            ref = item.glossary_ref if item is not None else None
            if item is not None and ref is not None:
                if ref not in glossaries:
                    found = self.glossaries.get(ref)
                    if found is None:
                        raise Expired(
                            f"the glossary of batch item {item.index} expired with its batch "
                            "(NEWSUM_JOB_TTL_S)"
                        )
                    glossaries[ref] = found
                item.options = item.options.model_copy(update={"glossary": glossaries[ref]})
            items.append(item)
        return items

    def items(self, batch_id: str) -> list[PlannedItem]:
        rows = self.client.hvals(self.layout.batch_prepared(batch_id))
        return [item for item in self._loads(rows) if item is not None]

    def get(self, batch_id: str, indices: Sequence[int]) -> list[PlannedItem | None]:
        if not indices:
            return []
        rows = self.client.hmget(self.layout.batch_prepared(batch_id), [str(i) for i in indices])
        return self._loads(rows)

    def drop(self, batch_id: str, index: int) -> None:
        """Forget an item's article once its job has finished."""
        self.client.hdel(self.layout.batch_prepared(batch_id), str(index))

    # --- the plan ---------------------------------------------------------------------

    def start_plan(self, batch_id: str) -> Lock | None:
        """Take the plan's lease (None if the batch is planned or another plan runs):
        give it back to ``finish_plan``. A lease that outlived ``plan_lease_s`` (its
        worker was lost) is another plan's to take."""
        if self.planned(batch_id):
            return None
        lease = self.client.lock(
            f"{self.layout.batch(batch_id)}:plan-lease",
            timeout=self.plan_lease_s,
            blocking=False,
            thread_local=False,
        )
        return lease if lease.acquire() else None

    def finish_plan(self, batch_id: str, lease: Lock) -> None:
        """The batch is planned; its lease goes back, if it is still ours (past its
        time another plan may hold it: that one's lease is left alone)."""
        self.client.hset(self.layout.batch(batch_id), "planned", "1")
        try:
            lease.release()
        except LockError:
            log.warning("batch %s: the plan's lease had expired before the plan ended", batch_id)

    def planned(self, batch_id: str) -> bool:
        return bool(self.client.hexists(self.layout.batch(batch_id), "planned"))

    # --- followers --------------------------------------------------------------------

    def follow(self, leader_job: str, follower: Follower) -> None:
        name = self.layout.job_followers(leader_job)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.rpush(name, follower.dumps())
            pipe.expire(name, self.ttl_s)
            pipe.execute()

    def take_followers(self, leader_job: str) -> list[Follower]:
        """The job's followers, each handed out once (whoever takes them finishes them)."""
        name = self.layout.job_followers(leader_job)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.lrange(name, 0, -1)
            pipe.delete(name)
            rows, _ = pipe.execute()
        seen: dict[str, Follower] = {}
        for row in rows:
            follower = Follower.loads(row)
            seen.setdefault(follower.job_id, follower)  # a replanned batch pushes twice
        return list(seen.values())
