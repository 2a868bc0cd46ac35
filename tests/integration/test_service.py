"""The service end to end: the API on a port, real Redis, real worker processes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.conftest import REPO_ROOT, Stack, _free_port
from tests.paths import SHARED_DATA
from workers.contract import ArticleInput

pytestmark = pytest.mark.integration

SEED = REPO_ROOT / "../shared/data/articles/jiaxing-theme-education-2020-01-09.txt"
_SENTENCE = re.compile(r"[^。！？]+[。！？]”?")


def seed_sentences() -> list[str]:
    text = SEED.read_text(encoding="utf-8")
    return [s.strip() for s in _SENTENCE.findall(text) if len(s.strip()) > 8]


def article(start: int, length: int = 5, tag: str = "") -> str:
    """A distinct short article made of consecutive sentences of the seed article."""
    sentences = seed_sentences()
    picked = [sentences[(start + i) % len(sentences)] for i in range(length)]
    return tag + "\n".join(picked)


def run_batch(http: httpx.Client, body: dict[str, Any], timeout_s: float) -> list[dict[str, Any]]:
    """POST a batch, wait until it is finished, return its result lines."""
    r = http.post("/v1/batches", json=body)
    assert r.status_code == 202, r.text
    location = r.json()["location"]
    deadline = time.monotonic() + timeout_s
    while not (status := http.get(location).json())["finished_at"]:
        assert time.monotonic() < deadline, status
        time.sleep(0.25)
    return [json.loads(x) for x in http.get(location + "/results").text.splitlines()]


def poll_job(http: httpx.Client, location: str, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job: dict[str, Any] = http.get(location).json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"{location} did not finish in {timeout_s} s")


def test_submit_then_poll_until_done(offline_stack: Stack) -> None:
    with offline_stack.http() as http:
        r = http.post("/v1/summaries", json={"text": article(0, tag="甲"), "wait": 0})
        assert r.status_code == 202
        job = poll_job(http, r.headers["location"])
    assert job["state"] == "done" and job["progress"] == 1.0 and job["error"] is None
    result = job["result"]
    assert result["summary"]["zh"] and result["provenance"]["profile"] == "offline"
    assert result["provenance"]["cached"] is False
    assert job["created_at"] <= job["updated_at"]


def test_the_second_identical_call_is_a_cache_hit(offline_stack: Stack) -> None:
    body = {"text": article(10, tag="乙"), "options": {"sentences": 2}, "wait": 30}
    with offline_stack.http() as http:
        first = http.post("/v1/summaries", json=body)
        runs = offline_stack.stat("summaries_run")
        second = http.post("/v1/summaries", json=body)
    assert first.status_code == 200 and second.status_code == 200
    assert first.json()["provenance"]["cached"] is False
    assert second.json()["provenance"]["cached"] is True
    assert second.json()["id"] == first.json()["id"]
    assert offline_stack.stat("summaries_run") == runs  # nothing ran for the second


def test_the_same_article_in_other_html_is_computed_once(offline_stack: Stack) -> None:
    paragraphs = "".join(f"<p>{s}</p>" for s in article(20, length=8).split("\n"))
    plain = (
        f"<html><head><title>新闻</title></head><body><article>{paragraphs}</article></body></html>"
    )
    other = (
        '<html><head><meta charset="utf-8"><title>新闻</title></head><body>'
        f'<article class="story" data-id="7"><!-- 广告位 -->{paragraphs}</article></body></html>'
    )
    with offline_stack.http() as http:
        first = http.post("/v1/summaries", json={"html": plain, "wait": 30})
        second = http.post("/v1/summaries", json={"html": other, "wait": 30})
    assert first.status_code == 200 and second.status_code == 200
    # A different request key, the same content key: the second one reused the result.
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["provenance"]["cached"] is True


def test_twenty_identical_requests_run_one_task(offline_stack: Stack) -> None:
    body = {"text": article(30, tag="丙"), "wait": 30}
    runs_before = offline_stack.stat("summaries_run")

    def post(_: int) -> httpx.Response:
        with offline_stack.http() as http:
            return http.post("/v1/summaries", json=body)

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(post, range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    assert len({r.json()["id"] for r in responses}) == 1
    assert offline_stack.stat("summaries_run") - runs_before == 1


def test_a_batch_of_fifty_accounts_for_every_item(offline_stack: Stack) -> None:
    bad: dict[int, tuple[dict[str, Any] | str, str]] = {
        3: ({"text": ""}, "empty_input"),
        7: ({"text": "甲", "html": "<p>乙</p>"}, "invalid_request"),
        11: ({"url": "http://127.0.0.1:6379/"}, "unsafe_url"),
        17: ("not an object", "invalid_request"),
        23: ({"text": "안녕하세요 이것은 한국어 기사입니다 " * 5}, "not_chinese"),
        29: ({"html": "<html><body><div></div></body></html>"}, "empty_input"),
        31: ({"text": "字" * (offline_stack.settings.max_chars + 1)}, "too_large"),
        37: ({"text": "甲", "options": {"sentences": 99}}, "invalid_request"),
        41: ({"text": "   "}, "empty_input"),
        47: ({"colour": "red"}, "invalid_request"),
    }
    items: list[Any] = []
    for i in range(50):
        if i in bad:
            item = bad[i][0]
            items.append(dict(item, id=f"item-{i}") if isinstance(item, dict) else item)
        else:
            items.append({"id": f"item-{i}", "text": article(i * 2, length=4, tag=f"批{i}")})
    with offline_stack.http() as http:
        r = http.post("/v1/batches", json={"items": items})
        assert r.status_code == 202, r.text
        location = r.json()["location"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status = http.get(location).json()
            if status["finished_at"]:
                break
            time.sleep(0.25)
        else:
            raise AssertionError(f"batch not finished: {status}")
        lines = [json.loads(x) for x in http.get(location + "/results").text.splitlines()]
    assert status["count"] == 50 and status["progress"] == 1.0
    assert status["states"] == {"queued": 0, "running": 0, "done": 40, "failed": 10}
    assert [line["index"] for line in lines] == list(range(50))
    for line in lines:
        i = line["index"]
        if i in bad:
            assert line["state"] == "failed" and line["result"] is None, line
            assert line["error"]["code"] == bad[i][1], line
            assert line["error"]["message"]
        else:
            assert line["state"] == "done" and line["error"] is None, line
            assert line["id"] == f"item-{i}" and line["result"]["summary"]["zh"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"text": "안녕하세요 이것은 한국어 기사입니다 " * 5}, 422, "not_chinese"),
        ({"html": "<html><body><div></div></body></html>"}, 422, "empty_input"),
        ({"url": "http://10.1.2.3/news"}, 422, "unsafe_url"),
        ({"url": "http://localhost:8000/"}, 422, "unsafe_url"),
        ({"text": ""}, 422, "empty_input"),
        ({"text": "甲", "url": "http://example.com"}, 422, "invalid_request"),
        ({"text": "字" * 100_001}, 413, "too_large"),
        ({"text": "甲", "options": {"strategy": "magic"}}, 422, "invalid_request"),
    ],
)
def test_bad_input_gets_the_right_status_and_reason(
    offline_stack: Stack, body: dict[str, Any], status: int, code: str
) -> None:
    with offline_stack.http() as http:
        r = http.post("/v1/summaries", json=dict(body, wait=30))
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code and r.json()["error"]["message"]


def test_events_end_with_done(offline_stack: Stack) -> None:
    with offline_stack.http() as http:
        r = http.post("/v1/summaries", json={"text": article(40, tag="丁"), "wait": 0})
        with http.stream("GET", r.json()["location"] + "/events") as events:
            text = "".join(events.iter_text())
    names = re.findall(r"^event: (\w+)$", text, flags=re.M)
    assert names[-1] == "done" and set(names[:-1]) <= {"progress"}
    last = json.loads(text.strip().split("\n")[-1].removeprefix("data: "))
    assert last["result"]["summary"]["zh"]


def test_ready_and_metrics_report_the_worker(offline_stack: Stack) -> None:
    with offline_stack.http() as http:
        ready = http.get("/readyz")
        http.post("/v1/summaries", json={"text": article(50, tag="戊"), "wait": 30})
        metrics = http.get("/metrics").text
    assert ready.status_code == 200 and ready.json()["workers"]["offline"]["fingerprint"]
    assert re.search(r'newsum_stage_seconds_total\{stage="summarize"\} [0-9.e-]+', metrics)
    assert 'newsum_queue_depth{queue="batch"}' in metrics
    hit_ratio = re.search(r"^newsum_cache_hit_ratio ([0-9.]+)$", metrics, flags=re.M)
    assert hit_ratio is not None and 0.0 <= float(hit_ratio.group(1)) <= 1.0


def test_translate_needs_a_translator_and_says_so(offline_stack: Stack) -> None:
    with offline_stack.http() as http:
        r = http.post("/translate", json={"q": "你好", "source": "zh", "target": "en"})
    assert r.status_code == 400 and "translation model" in r.json()["error"]


def test_libretranslate_calls_with_the_tiny_translator(translator_stack: Stack) -> None:
    # Random-weight models generate to their length limit: keep the sentences few.
    sentences = sorted(seed_sentences(), key=len)[:2]
    with translator_stack.http() as http:
        one = http.post("/translate", json={"q": sentences[0], "source": "zh", "target": "en"})
        assert one.status_code == 200, one.text
        assert isinstance(one.json()["translatedText"], str) and one.json()["translatedText"]
        tm_hits = translator_stack.stat("tm_hit")
        many = http.post(
            "/translate",
            data={"q": sentences[0], "source": "auto", "target": "en"},
        )
        assert many.status_code == 200 and many.json()["detectedLanguage"]["language"] == "zh"
        assert many.json()["translatedText"] == one.json()["translatedText"]
        assert translator_stack.stat("tm_hit") > tm_hits  # served from translation memory
        listed = http.post("/translate", json={"q": sentences, "source": "zh", "target": "en"})
        assert listed.status_code == 200 and len(listed.json()["translatedText"]) == 2
        html = http.post(
            "/translate",
            json={"q": f"<p>{sentences[1]}</p>", "source": "zh", "target": "en", "format": "html"},
        )
        assert html.json()["translatedText"].startswith("<p>")
        assert html.json()["translatedText"].endswith("</p>")


def processes_using(marker: str) -> list[int]:
    """Live processes whose environment mentions ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if marker.encode() in environ and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_serve_runs_api_worker_and_embedded_redis_then_stops_cleanly(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSUM_")}
    env.update(NEWSUM_REDIS_DIR=str(tmp_path / "r"), PYTHONPATH=str(REPO_ROOT))
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(
        [sys.executable, "-m", "service.commands", "serve", f"--port={port}", "--profile=offline"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                try:
                    if http.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert serve.poll() is None, (tmp_path / "serve.log").read_text()
                time.sleep(0.3)
            r = http.post("/v1/summaries", json={"text": article(5, tag="己"), "wait": 30})
            assert r.status_code == 200 and r.json()["summary"]["zh"]
        assert (tmp_path / "r" / "redis.sock").exists()
        serve.send_signal(stop_signal)
        assert serve.wait(60) == 0
        # Children stopped: the embedded Redis removed its socket on the way out,
        # and no process is left that was given this Redis (the worker and its pool).
        assert not (tmp_path / "r" / "redis.sock").exists()
        assert processes_using(str(tmp_path / "r")) == []
    finally:
        log.close()
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)


@pytest.mark.parametrize("pool", ["prefork", "solo"])
def test_a_worker_that_cannot_load_its_models_stops_with_the_reason(
    base_redis_url: str, tmp_path: Path, pool: str
) -> None:
    env = dict(
        os.environ,
        NEWSUM_REDIS_URL=base_redis_url.rsplit("/", 1)[0] + "/12",
        NEWSUM_MODEL_DIR=str(tmp_path / "no-models"),
        PYTHONPATH=str(REPO_ROOT),
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "service.commands",
            "worker",
            "--profile=standard",
            f"--pool={pool}",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert out.returncode == 3, out.stdout + out.stderr
    assert "the worker could not start" in out.stderr
    assert "newsum models pull" in out.stderr and str(tmp_path / "no-models") in out.stderr


def test_serve_stops_when_its_worker_cannot_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSUM_")}
    env.update(
        NEWSUM_REDIS_DIR=str(tmp_path / "r"),
        NEWSUM_MODEL_DIR=str(tmp_path / "no-models"),
        PYTHONPATH=str(REPO_ROOT),
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "service.commands",
            "serve",
            f"--port={_free_port()}",
            "--profile=standard",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "newsum models pull" in out.stdout + out.stderr
    assert not (tmp_path / "r" / "redis.sock").exists()


def test_a_reader_does_not_wait_behind_a_batch(offline_stack: Stack) -> None:
    items = [{"text": article(i, length=30, tag=f"排队{i}")} for i in range(300)]
    with offline_stack.http() as http:
        batch = http.post("/v1/batches", json={"items": items, "cluster": False}).json()
        started = time.monotonic()
        reader = http.post("/v1/summaries", json={"text": article(3, tag="读者"), "wait": 60})
        waited = time.monotonic() - started
        status = http.get(batch["location"]).json()
    assert reader.status_code == 200
    # The batch is still being worked through: the reader went ahead of it.
    assert status["states"]["queued"] > 0, (waited, status)
    assert waited < 5, status


def test_reposted_wire_copy_in_a_batch_is_summarized_once(offline_stack: Stack) -> None:
    story = article(40, length=8, tag="通稿")
    items = [
        {"id": "wire", "text": story},
        {"id": "portal", "text": "本站讯 " + story + "\n（责任编辑：张三）"},
        # A sentence of its own (a reporter's line, "本报记者将继续关注…", would be
        # cleaned away as a byline before grouping, as `newsum batch` cleans it).
        {
            "id": "paper",
            "text": story + "\n据悉，有关部门将在下月公布具体实施细则，进一步推动工作落实。",
        },
    ]
    with offline_stack.http() as http:
        lines = run_batch(http, {"items": items}, timeout_s=60)
        jobs = [http.get(f"/v1/jobs/{line['job_id']}").json() for line in lines]
    # Grouped by the workers after extraction, as `newsum batch` groups them: each item
    # has its own job, and the story was summarized once (the others' jobs found it made).
    assert len({line["job_id"] for line in lines}) == 3
    assert [job["result"]["provenance"]["cached"] for job in jobs] == [False, True, True]
    assert [line["state"] for line in lines] == ["done"] * 3
    assert [line["cluster"] for line in lines] == [line["result"]["cluster"] for line in lines]
    clusters = [line["result"]["cluster"] for line in lines]
    assert {c["id"] for c in clusters} == {clusters[0]["id"]} and clusters[0]["size"] == 3
    assert clusters[1]["representative_id"] == "wire"
    assert any("实施细则" in s for s in clusters[2]["added"])
    assert len({line["result"]["id"] for line in lines}) == 3


def _repost_page(page: str) -> tuple[str, str]:
    """The same page as another portal serves it: one sentence added to its body and
    other boilerplate around it. Returns (the page, the added sentence)."""
    from workers.pipeline import prepare_article
    from workers.settings import load_settings

    body = prepare_article(ArticleInput(html=page), load_settings())
    last = next(s for s in reversed(body.sentences) if s in page)
    added = "本报记者将继续关注此事进展。"
    repost = page.replace(last, last + added, 1).replace("<body", "<body data-portal='b'", 1)
    return repost, added


def test_reposted_html_pages_in_a_batch_are_grouped_after_extraction(
    offline_stack: Stack,
) -> None:
    pages = sorted((SHARED_DATA / "html").glob("*.html"))
    page = pages[0].read_text(encoding="utf-8", errors="replace")
    other = pages[-1].read_text(encoding="utf-8", errors="replace")
    repost, added = _repost_page(page)
    items = [
        {"id": "portal-a", "html": page},
        {"id": "text", "text": article(50, length=6, tag="另稿")},
        {"id": "portal-b", "html": repost},
        {"id": "other", "html": other},
        {
            "id": "not-news",
            "html": "<html><body><p>これは日本語の記事です。東京で会議が開かれました。"
            "会議では、来年の計画について話し合われました。</p></body></html>",
        },
    ]
    with offline_stack.http() as http:
        lines = run_batch(http, {"items": items}, timeout_s=90)
        member_job = http.get(f"/v1/jobs/{lines[2]['job_id']}").json()
    assert [line["state"] for line in lines] == ["done", "done", "done", "done", "failed"]
    assert lines[4]["error"]["code"] == "not_chinese", lines[4]["error"]  # failed alone
    first, _, second, lone, _ = (line["result"] for line in lines)
    assert first["cluster"]["size"] == second["cluster"]["size"] == 2
    assert first["cluster"]["id"] == second["cluster"]["id"] == 0
    assert second["cluster"]["representative_id"] == "portal-a"
    assert added in second["cluster"]["added"]
    assert any("the same story as batch item portal-a" in w for w in second["checks"]["warnings"])
    assert second["summary"] == first["summary"]  # summarized once, shared
    assert second["id"] != first["id"]
    assert lone["cluster"] is None
    # The member's own job shows it the same way.
    assert member_job["state"] == "done"
    assert member_job["result"]["cluster"]["representative_id"] == "portal-a"


def test_a_chunk_of_batch_pages_is_translated_together(translator_stack: Stack) -> None:
    pages = []
    for start in (60, 64, 68):
        paragraphs = "".join(f"<p>{s}</p>" for s in article(start, length=3).split("\n"))
        pages.append(
            f"<html><head><title>标题{start}</title></head><body><div>首页 新闻</div>"
            f"<article>{paragraphs}</article></body></html>"
        )
    hits_before = translator_stack.stat("tm_hit")
    together_before = translator_stack.stat("summaries_together")
    with translator_stack.http() as http:
        lines = run_batch(http, {"items": [{"html": p} for p in pages]}, timeout_s=120)
    assert [line["state"] for line in lines] == ["done"] * 3, lines
    translated = [len(line["result"]["translation"]) for line in lines]
    assert all(n >= 3 for n in translated), translated
    # One worker task took the three articles: their sentences went to the model
    # in one call, and each article's own run found its sentences remembered.
    assert translator_stack.stat("tm_hit") - hits_before >= sum(translated)
    # Their summaries were made together too, each stored as its own job's result.
    assert translator_stack.stat("summaries_together") - together_before == 3
    assert all(line["result"]["summary"]["method"] == "translate-then-summarize" for line in lines)
    assert all(line["result"]["summary"]["en"] for line in lines)
