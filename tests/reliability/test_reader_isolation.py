"""What a reader gets, on a real deployment (issue 15, points 1, 4 and 6): the page's
own headline, date and outlet (never those of another page that shares its body),
never another page's article (a near-duplicate in someone else's batch), and never
a wait behind a batch's queue.

The pages here are written for these tests: one short story (six sentences about
household income) under several headers, two outlets' HTML pages of it, and a
near-duplicate pair that differs in one figure.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.reliability.conftest import Deployment, article

pytestmark = pytest.mark.reliability

Deploy = Callable[..., Deployment]

STORY = [
    "国家统计局今天发布数据，前三季度全国居民人均可支配收入稳步提高。",
    "其中，城镇居民人均可支配收入增长百分之五点一，农村居民人均可支配收入增长百分之七点三。",
    "国家统计局新闻发言人表示，就业形势总体稳定，消费市场持续恢复。",
    "分地区看，东部地区收入增长较快，中部和西部地区增速也有所加快。",
    "业内专家认为，随着一系列稳增长政策落地见效，居民收入有望继续稳步增加。",
    "下一步，有关部门将继续加大政策支持力度，推动经济持续回升向好。",
]
BODY = "\n".join(STORY)
HEADLINE = "前三季度居民收入稳步提高"


def _summarize(http: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    r = http.post("/v1/summaries", json={**body, "wait": 60})
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def _job_result(http: httpx.Client, job_id: str) -> dict[str, Any]:
    job = http.get(f"/v1/jobs/{job_id}").json()
    assert job["state"] == "done", job
    result: dict[str, Any] = job["result"]
    return result


def _header(result: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    found = result["article"]
    return found["title"], found["published"], found["outlet"]


def test_a_body_under_another_text_s_header_never_brings_that_header(deploy: Deploy) -> None:
    d = deploy()
    d.start_worker("w")
    d.start_api()
    with d.http() as http:
        forged = _summarize(http, {"text": f"伪造标题\n2019-01-01 来源：假新闻社\n{BODY}"})
        # The real headline above the same body, with a forged date and outlet: the
        # model work (the same headline and body) may be shared, its header never.
        forged_date = _summarize(http, {"text": f"{HEADLINE}\n2019-01-01 来源：假新闻社\n{BODY}"})
        real = _summarize(http, {"text": f"{HEADLINE}\n2023-10-18 来源：新华社\n{BODY}"})
        real_job = _job_result(http, real["job_id"])
        again = _summarize(http, {"text": f"{HEADLINE}\n2023-10-18 来源：新华社\n{BODY}"})
    assert _header(forged) == ("伪造标题", "2019-01-01", "假新闻社")
    assert _header(forged_date) == (HEADLINE, "2019-01-01", "假新闻社")
    assert forged_date["provenance"]["cached"] is False  # another headline: other work
    assert _header(real) == (HEADLINE, "2023-10-18", "新华社")
    assert real["provenance"]["cached"] is True  # the same headline and body: shared
    assert real["summary"] == forged_date["summary"]
    assert real["article"]["removed"] == ["2023-10-18 来源：新华社"]
    assert _header(real_job) == (HEADLINE, "2023-10-18", "新华社")
    assert _header(again) == (HEADLINE, "2023-10-18", "新华社") and again["provenance"]["cached"]


def _page(site: str, outlet: str, date: str | None) -> str:
    paragraphs = "".join(f"<p>{sentence}</p>" for sentence in STORY)
    meta = (
        f'<meta property="article:published_time" content="{date}T08:00:00+08:00">' if date else ""
    )
    shown = f"{date} 来源：{outlet}" if date else f"来源：{outlet}"
    return (
        f'<html><head><meta charset="utf-8"><title>{HEADLINE}_{site}</title>'
        f'<meta property="og:site_name" content="{site}">{meta}</head><body>'
        f'<div class="nav"><a href="/">首页</a></div><h1>{HEADLINE}</h1>'
        f'<div class="info">{shown}</div><article>{paragraphs}</article>'
        '<div class="footer">版权所有</div></body></html>'
    )


def test_a_body_on_another_site_s_page_never_brings_that_page_s_metadata(
    deploy: Deploy,
) -> None:
    d = deploy()
    d.start_worker("w")
    d.start_api()
    with d.http() as http:
        # The forging page shows no date: its result warns of that; the real one's must not.
        forged = _summarize(http, {"html": _page("假新闻网", "假新闻社", None)})
        real = _summarize(http, {"html": _page("新华网", "新华社", "2023-10-18")})
    assert _header(forged) == (HEADLINE, None, "假新闻社")
    assert any("no publication date" in w for w in forged["checks"]["warnings"])
    assert _header(real) == (HEADLINE, "2023-10-18", "新华社")
    assert real["provenance"]["cached"] is True and real["summary"] == forged["summary"]
    assert not any("no publication date" in w for w in real["checks"]["warnings"])
    assert "2023-10-18 来源：新华社" in real["article"]["removed"]
    assert not any("假新闻" in line for line in real["article"]["removed"])


def _batch_job_ids(d: Deployment, batch_id: str) -> list[str]:
    rows = d.redis.lrange(d.layout.batch_items(batch_id), 0, -1)
    return [json.loads(row)["job_id"] for row in rows]


def _finished(data: dict[str, str]) -> bool:
    return data.get("state") in ("done", "failed")


def test_a_reader_never_gets_a_near_duplicate_s_page_from_someone_else_s_batch(
    deploy: Deploy,
) -> None:
    d = deploy(NEWSUM_FAULT_INJECT="sleep-on:慢稿:1")
    d.start_worker("w")
    d.start_api()
    real = "\n".join([*STORY[:2], "前三季度，全国社会消费品零售总额同比增长6.5%。", *STORY[2:]])
    fake = real.replace("同比增长6.5%", "同比下降百分之九点五")
    items = [{"id": "fake", "text": f"慢稿\n{fake}"}, {"id": "real", "text": f"慢稿\n{real}"}]
    with d.http() as http:
        r = http.post("/v1/batches", json={"items": items})
        assert r.status_code == 202, r.text
        batch_id = r.json()["batch_id"]
        # Asked while the batch's items are still being extracted (one second each).
        reader = http.post("/v1/summaries", json={"text": f"慢稿\n{real}", "wait": 60})
        assert reader.status_code == 200, reader.text
        mine = reader.json()
        job_ids = _batch_job_ids(d, batch_id)
        member = d.wait_job(job_ids[1], _finished, timeout_s=90)
        batch_real = _job_result(http, job_ids[1])
    assert "增长6.5%" in mine["article"]["text"] and "下降" not in mine["article"]["text"]
    assert mine["job_id"] not in job_ids
    assert mine["cluster"] is None
    assert not any("the same story as batch item" in w for w in mine["checks"]["warnings"])
    # Inside its batch, the member still shares its representative's summary.
    assert member["state"] == "done"
    assert batch_real["cluster"]["representative_id"] == "fake"


def test_a_reader_never_waits_behind_a_batch(deploy: Deploy) -> None:
    # Ten batch articles of two seconds each keep the one worker process busy ~20 s.
    d = deploy(NEWSUM_FAULT_INJECT="sleep-on:排队:2")
    d.start_worker("w")
    d.start_api()
    items = [{"id": f"item-{i}", "text": article(i, "排队")} for i in range(10)]
    with d.http() as http:
        r = http.post("/v1/batches", json={"items": items})
        assert r.status_code == 202, r.text
        batch_id = r.json()["batch_id"]
        job_ids = _batch_job_ids(d, batch_id)
        # The text of the batch's last item: its job sits at the back of the batch queue.
        reader = http.post("/v1/summaries", json={"text": article(9, "排队"), "wait": 0})
        assert reader.status_code == 202, reader.text
        reader_job = reader.json()["job_id"]
        done = d.wait_job(reader_job, _finished, timeout_s=120)
        batch_then = [d.job(job_id).get("state") for job_id in job_ids]
        status = http.get(f"/v1/batches/{batch_id}").json()
        result = _job_result(http, reader_job)
    assert reader_job not in job_ids  # its own job, not the batch's
    assert done["state"] == "done"
    assert "排队第9篇" in result["article"]["text"]
    # The batch was still being worked through when the reader's article was done.
    assert status["finished_at"] is None, status
    assert batch_then.count("done") <= 5, batch_then
