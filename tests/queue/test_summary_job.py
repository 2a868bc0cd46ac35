"""A summary job's cache entries on a real (embedded) Redis: the model work is shared by
pages with the same body and headline; each page's result keeps its own page's fields
and warnings (issue 15, point 1). The pages are written here: one short story under
several headers, as text and as two outlets' HTML."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import redis

from tests.batch.test_batch_followers import RecordingApp
from tests.queue.test_chunk_together import EchoModel
from workers.batch.coordinator import BatchCoordinator
from workers.batch.plan import BatchPlans
from workers.contract import ArticleInput, SummaryJob, SummaryOptions, SummaryResult
from workers.english.engines import offline_engines
from workers.pipeline import prepare_article
from workers.queue.bootstrap import WorkerContext
from workers.queue.celery_app import CeleryBatchTasks
from workers.queue.summary_job import own_page, run_summary_job, shared_work
from workers.settings import Settings
from workers.store.batches import BatchStore
from workers.store.cache import PipelineInfo, RedisLayout, ResultCache, connect_redis
from workers.store.digests import content_digest, request_digest
from workers.store.embedded_redis import EmbeddedRedis
from workers.store.jobs import JobStore

STORY = "\n".join(
    [
        "国家统计局今天发布数据，前三季度全国居民人均可支配收入稳步提高。",
        "其中，城镇居民人均可支配收入增长百分之五点一，农村居民人均可支配收入增长百分之七点三。",
        "国家统计局新闻发言人表示，就业形势总体稳定，消费市场持续恢复。",
        "分地区看，东部地区收入增长较快，中部和西部地区增速也有所加快。",
        "下一步，有关部门将继续加大政策支持力度，推动经济持续回升向好。",
    ]
)
HEADLINE = "前三季度居民收入稳步提高"
NO_DATE = "no publication date"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(tmp_path_factory.mktemp("redis-summary-job")) as embedded:
        yield embedded


class Worker:
    """One worker's context (offline engines with an echoing translator) on its own prefix."""

    def __init__(self, server: EmbeddedRedis) -> None:
        client: redis.Redis = connect_redis(server.url)
        self.layout = layout = RedisLayout(f"t{uuid.uuid4().hex[:8]}")
        self.jobs = JobStore(client, layout, 600)
        engines = offline_engines(None)
        engines.translator = EchoModel("test/echo-translator")
        queues = RecordingApp.queues()
        self.ctx = WorkerContext(
            settings=Settings(),
            engines=engines,
            info=PipelineInfo("offline", "fingerprint", [], True, []),
            client=client,
            layout=layout,
            jobs=self.jobs,
            cache=ResultCache(client, layout, 600),
            batches=BatchCoordinator(
                BatchStore(client, layout, 600),
                BatchPlans(client, layout, 600),
                self.jobs,
                CeleryBatchTasks(RecordingApp(), queues),
            ),
            queues=queues,
            fetch=lambda url: (b"", None),
        )

    def run(self, article: ArticleInput) -> tuple[SummaryResult, bool]:
        """Run one job as a worker does; its result as the API reads it, and ``cached``."""
        options = SummaryOptions(profile="offline")
        key = request_digest(article, options, "fingerprint")
        job_id = uuid.uuid4().hex
        self.jobs.create(job_id, key=key)
        payload = SummaryJob(key=key, article=article, options=options).model_dump(mode="json")
        assert run_summary_job(self.ctx, payload, job_id)
        record = self.jobs.get(job_id)
        assert record is not None and record.state == "done" and record.result_key == key
        raw = self.ctx.cache.get_raw(record.result_key)
        assert raw is not None
        return SummaryResult.model_validate_json(raw), record.cached


@pytest.fixture
def worker(server: EmbeddedRedis) -> Worker:
    return Worker(server)


def text(header: str) -> ArticleInput:
    return ArticleInput(text=f"{header}\n{STORY}")


def test_the_same_headline_and_body_share_the_work_never_the_header(worker: Worker) -> None:
    forged, forged_cached = worker.run(text(f"{HEADLINE}\n2019-01-01 来源：假新闻社\n作者：李四"))
    real, real_cached = worker.run(text(f"{HEADLINE}\n2023-10-18 来源：新华社\n记者 张三"))
    assert not forged_cached and real_cached
    assert (forged.article.published, forged.article.outlet) == ("2019-01-01", "假新闻社")
    assert (real.article.published, real.article.outlet) == ("2023-10-18", "新华社")
    assert [a.name for a in forged.article.authors] == ["李四"]
    assert [(a.name, a.romanized) for a in real.article.authors] == [("张三", "Zhang San")]
    assert real.article.removed == ["2023-10-18 来源：新华社", "记者 张三"]
    assert real.summary == forged.summary and real.translation == forged.translation
    assert real.article.title == HEADLINE and real.article.title_en == forged.article.title_en


def test_another_headline_is_other_work_with_its_own_english(worker: Worker) -> None:
    forged, _ = worker.run(text("伪造标题\n2019-01-01 来源：假新闻社"))
    real, real_cached = worker.run(text(f"{HEADLINE}\n2023-10-18 来源：新华社"))
    assert not real_cached
    assert forged.article.title == "伪造标题" and real.article.title == HEADLINE
    assert real.article.title_en and real.article.title_en != forged.article.title_en
    assert (real.article.published, real.article.outlet) == ("2023-10-18", "新华社")


def _page(site: str, outlet: str, date: str | None) -> ArticleInput:
    paragraphs = "".join(f"<p>{line}</p>" for line in STORY.split("\n"))
    meta = f'<meta property="article:published_time" content="{date}T08:00:00+08:00">'
    shown = f"{date} 来源：{outlet}" if date else f"来源：{outlet}"
    return ArticleInput(
        html=f'<html><head><meta charset="utf-8"><title>{HEADLINE}_{site}</title>'
        f'<meta property="og:site_name" content="{site}">{meta if date else ""}</head><body>'
        f"<h1>{HEADLINE}</h1><div>{shown}</div><article>{paragraphs}</article></body></html>"
    )


def test_a_page_s_warnings_and_extraction_are_its_own(worker: Worker) -> None:
    undated, _ = worker.run(_page("假新闻网", "假新闻社", None))
    dated, cached = worker.run(_page("新华网", "新华社", "2023-10-18"))
    undated_again, cached_again = worker.run(_page("某某网", "某某报", None))
    assert cached and cached_again
    assert any(NO_DATE in w for w in undated.checks.warnings)
    assert not any(NO_DATE in w for w in dated.checks.warnings)
    assert any(NO_DATE in w for w in undated_again.checks.warnings)
    assert (dated.article.published, dated.article.outlet) == ("2023-10-18", "新华社")
    assert undated_again.article.outlet == "某某报" and undated_again.article.published is None
    assert dated.article.extraction is not None and dated.article.extraction.method
    # A fresh run of the dated page gives the same warnings, in the same order.
    worker.ctx.client.delete(*worker.ctx.client.keys(f"{worker.layout.prefix}:result:*"))
    fresh, fresh_cached = worker.run(_page("新华网", "新华社", "2023-10-18"))
    assert not fresh_cached and fresh.checks.warnings == dated.checks.warnings
    assert fresh.article == dated.article


def test_the_content_entry_holds_the_work_alone(worker: Worker) -> None:
    worker.run(text(f"{HEADLINE}\n2019-01-01 来源：假新闻社\n作者：李四"))
    prepared = prepare_article(text(HEADLINE), worker.ctx.settings)
    options = SummaryOptions(profile="offline")
    ckey = content_digest(prepared.text, options, "fingerprint", title=HEADLINE)
    raw = worker.ctx.cache.get_raw(ckey)
    assert raw is not None
    work = json.loads(raw)["article"]
    assert work["title"] == HEADLINE and work["text"] == prepared.text
    assert (work["published"], work["outlet"], work["authors"], work["removed"]) == (
        None,
        None,
        [],
        [],
    )
    assert "假新闻" not in raw and "李四" not in raw


def test_work_of_other_sentences_or_another_headline_is_not_taken(worker: Worker) -> None:
    settings = worker.ctx.settings
    result, _ = worker.run(text(f"{HEADLINE}\n2023-10-18 来源：新华社"))
    prepared = prepare_article(text(f"{HEADLINE}\n2023-10-18 来源：新华社"), settings)
    work = shared_work(result, prepared)
    assert own_page(work, prepared) is not None
    shorter = STORY.rsplit("\n", 1)[0]
    other = prepare_article(ArticleInput(text=f"{HEADLINE}\n{shorter}"), settings)
    assert own_page(work, other) is None
    retitled = prepare_article(ArticleInput(text=f"别的标题\n{STORY}"), settings)
    assert own_page(work, retitled) is None


def test_a_traditional_page_keeps_its_own_original_beside_shared_work(worker: Worker) -> None:
    import opencc

    simplified, _ = worker.run(text(HEADLINE))
    original = opencc.OpenCC("s2t").convert(f"{HEADLINE}\n{STORY}")
    traditional, cached = worker.run(ArticleInput(text=original))
    assert cached  # converted, the same body and headline: the same work
    assert traditional.article.language == "zh-Hant" and simplified.article.language == "zh-Hans"
    assert traditional.article.original_text and "國家統計局" in traditional.article.original_text
    assert simplified.article.original_text is None
    assert any("traditional Chinese" in w for w in traditional.checks.warnings)
    assert not any("traditional Chinese" in w for w in simplified.checks.warnings)
