"""Worker-side grouping of a batch's items after extraction: the plan and its Redis side."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.exceptions import LockError

from tests.paths import seed_body
from workers.article.prepared import PreparedArticle
from workers.article.segment import article_sentences
from workers.batch.plan import (
    BatchPlans,
    Follower,
    PlannedItem,
    chunks,
    plan_items,
)
from workers.contract import SummaryOptions
from workers.errors import Expired
from workers.store.cache import RedisLayout, connect_redis
from workers.store.embedded_redis import EmbeddedRedis

OTHER = (
    "嘉兴市今天召开全市经济工作会议，部署明年重点工作任务。会议强调，要坚持稳中求进工作总基调，"
    "推动高质量发展。会议要求各地各部门狠抓落实，确保各项任务按期完成。"
)


def prepared(text: str) -> PreparedArticle:
    return PreparedArticle(text=text, sentences=article_sentences(text), language="zh-Hans")


def item(index: int, text: str, options: SummaryOptions | None = None) -> PlannedItem:
    return PlannedItem(
        index=index,
        job_id=f"job-{index}",
        key=f"key-{index}",
        own_key=f"own-{index}",
        options=options or SummaryOptions(),
        prepared=prepared(text),
    )


def test_reposts_follow_the_first_copy_and_say_what_differs() -> None:
    story = seed_body()
    repost = "本站讯 " + story + "\n记者将继续关注此事进展。"
    items = [item(1, OTHER), item(2, story), item(4, repost), item(5, story)]
    ids = ["a", "b", "c", "d", "e", "f"]
    plan = plan_items(items, ids)
    assert plan.summarize == [1, 2]
    assert plan.follows == {4: 2, 5: 2}
    assert set(plan.clusters) == {2, 4, 5}  # the lone article has no cluster
    for index in (2, 4, 5):
        info = plan.clusters[index]
        assert (info.id, info.representative, info.representative_id, info.size) == (2, 2, "c", 3)
    assert any("继续关注" in s for s in plan.clusters[4].added)
    assert plan.clusters[5].added == plan.clusters[5].removed == []


def test_only_items_with_the_same_options_share_a_summary() -> None:
    story = seed_body()
    short = SummaryOptions(sentences=1)
    plan = plan_items([item(0, story), item(1, story, short), item(2, story)], ["0", "1", "2"])
    assert plan.summarize == [0, 1]
    assert plan.follows == {2: 0}
    assert 1 not in plan.clusters


def test_items_not_to_group_are_summarized_as_they_are() -> None:
    story = seed_body()
    alone = item(1, story)
    alone.group = False  # a plain-text item the API grouped already
    plan = plan_items([item(0, story), alone, item(2, story)], ["0", "1", "2"])
    assert plan.summarize == [0, 1]
    assert plan.follows == {2: 0} and plan.clusters[0].size == 2


def test_a_planned_item_survives_its_trip_through_redis_as_json() -> None:
    original = item(3, seed_body(), SummaryOptions(sentences=2, glossary={"嘉兴": "Jiaxing"}))
    original.prepared.authors = ["王五"]
    original.prepared.warnings = ["traditional Chinese converted to simplified for the models"]
    assert PlannedItem.loads(original.dumps()) == original


def test_chunks_cut_in_order() -> None:
    assert chunks([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunks([], 4) == []


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(tmp_path_factory.mktemp("redis-plan")) as embedded:
        yield embedded


@pytest.fixture
def plans(server: EmbeddedRedis) -> BatchPlans:
    client: redis.Redis = connect_redis(server.url)
    return BatchPlans(client, RedisLayout(f"t{uuid.uuid4().hex[:8]}"), ttl_s=600)


def test_the_plan_waits_for_the_api_to_finish_adding(plans: BatchPlans) -> None:
    plans.expect("b")  # the adding token
    plans.expect("b")
    plans.expect("b")
    assert plans.arrive("b", 0, item(0, OTHER)) is False
    assert plans.arrive("b", 0, item(0, OTHER)) is False  # a redelivered task counts once
    assert plans.arrive("b", 1, None) is False  # failed items count in too
    assert plans.close("b") is True  # every item had arrived: the API sends the plan
    assert [i.index for i in plans.items("b")] == [0]


def test_the_last_arrival_sends_the_plan_and_a_redelivery_may_send_it_again(
    plans: BatchPlans,
) -> None:
    plans.expect("b")
    plans.expect("b", 2)
    assert plans.close("b") is False
    assert plans.arrive("b", 0, item(0, OTHER)) is False
    assert plans.arrive("b", 1, item(1, OTHER)) is True
    assert plans.arrive("b", 1, item(1, OTHER)) is True  # not planned yet: plan again
    lease = plans.start_plan("b")
    assert lease is not None
    assert plans.start_plan("b") is None  # one plan at a time
    plans.finish_plan("b", lease)
    assert plans.arrive("b", 1, item(1, OTHER)) is False
    assert plans.start_plan("b") is None
    got = plans.get("b", [1, 7, 0])
    assert [g.index if g else None for g in got] == [1, None, 0]
    plans.drop("b", 1)
    assert [i.index for i in plans.items("b")] == [0]


def test_a_plan_lease_held_by_one_worker_is_not_released_by_another(
    plans: BatchPlans,
) -> None:
    lease_name = f"{plans.layout.batch('b')}:plan-lease"
    slow = BatchPlans(plans.client, plans.layout, plans.ttl_s, plan_lease_s=1)
    late_lease = slow.start_plan("b")  # A: its worker stalls past the lease
    assert late_lease is not None
    held_by_a = plans.client.get(lease_name)
    time.sleep(1.2)
    assert plans.client.get(lease_name) is None  # expired: another plan may run
    lease = plans.start_plan("b")  # B takes the lease
    assert lease is not None
    held_by_b = plans.client.get(lease_name)
    assert held_by_b is not None and held_by_b != held_by_a  # an owner token each
    with pytest.raises(LockError):  # A's token no longer opens it
        late_lease.release()
    assert plans.client.get(lease_name) == held_by_b
    slow.finish_plan("b", late_lease)  # A's plan ends late: B's lease is left alone
    assert plans.client.get(lease_name) == held_by_b
    plans.finish_plan("b", lease)
    assert plans.client.get(lease_name) is None  # its holder's release does free it


def test_followers_are_handed_out_once(plans: BatchPlans) -> None:
    follower = Follower(job_id="j2", key="k2", batch_id="b", index=2)
    plans.follow("j1", follower)
    plans.follow("j1", follower)  # a plan run twice pushes twice
    plans.follow("j1", Follower(job_id="j3", key="k3", batch_id="b", index=3))
    assert [f.job_id for f in plans.take_followers("j1")] == ["j2", "j3"]
    assert plans.take_followers("j1") == []


def test_the_api_never_imports_extraction() -> None:
    import subprocess
    import sys

    code = (
        "import sys, service.routes.batches\n"
        "assert 'workers.pipeline' not in sys.modules and 'lxml' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


def test_an_arrived_item_keeps_its_batch_glossary_by_ref(plans: BatchPlans) -> None:
    glossary = {f"术语{i}": f"term {i}" for i in range(500)}
    with_glossary = SummaryOptions(glossary=glossary)
    ref = plans.glossaries.put("b", glossary)
    plans.expect("b", 3)
    plans.arrive("b", 0, item(0, OTHER, with_glossary))
    plans.arrive("b", 1, item(1, OTHER, with_glossary))
    other = SummaryOptions(glossary={"嘉兴": "Jiaxing"})  # not stored for the batch: inline
    plans.arrive("b", 2, item(2, OTHER, other))
    rows = plans.client.hmget(plans.layout.batch_prepared("b"), ["0", "1", "2"])
    stored = [str(row) for row in rows]
    assert all("术语1" not in row and ref in row for row in stored[:2])
    assert "Jiaxing" in stored[2] and ref not in stored[2]
    # Read back, each has its glossary again.
    got = plans.get("b", [0, 1, 2])
    assert [i.options.glossary if i else None for i in got] == [glossary, glossary, other.glossary]
    assert {i.index for i in plans.items("b")} == {0, 1, 2}
    # Once the glossary is gone (expired with its batch), reading the items says so.
    plans.glossaries.drop([ref])
    with pytest.raises(Expired, match="expired with its batch"):
        plans.get("b", [0])
