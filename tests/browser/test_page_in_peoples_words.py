"""The page and the API in people's words, in real headless Chromium: a result without
models says what is missing and who can fix it, a batch downloads as a spreadsheet
and as JSON lines, the key terms stay readable on a phone, and /docs works with
no internet.

Against a real `newsum serve` (offline profile: no models) where a worker matters;
the phone-width test serves the page's own files with a canned result.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_web_page import RESULT_TIMEOUT_MS, seed_text, wait_for_result, wait_until
from tests.english.test_review import _result
from workers.contract import KeyTerm

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "service" / "static"
# "article.title_en: …", "translation: …": a field name where a sentence should be.
FIELD_NAME = re.compile(r"^[a-z_]+(\.[a-z_]+)*:")
HAN = re.compile("[\u4e00-\u9fff]")


def test_without_models_the_page_says_what_is_missing_and_who_can_fix_it(
    page: Any, newsum_server: Any
) -> None:
    page.goto(newsum_server.url + "/")
    # A fresh nonce each run: the result is made now, not read from the cache.
    page.fill("#article-text", seed_text() + f"\n本报记者第{uuid.uuid4().int % 10**8}号。")
    page.click("#submit")
    wait_for_result(page)

    note = page.locator("#no-english")
    assert note.is_visible()
    text = page.locator("#no-english-text").inner_text()
    assert "no translation model" in text and "Whoever runs the server" in text
    link = page.locator("#no-english-link")
    assert link.is_visible() and link.get_attribute("href") == "docs/getting-english"

    # Every warning and review reason is a sentence, not a field name.
    shown = page.locator("#warning-list li, #review-list li").all_inner_texts()
    assert shown, "the offline result has warnings"
    for line in shown:
        assert not FIELD_NAME.match(line), line
        assert line[0].isupper() and line.rstrip().endswith("."), line

    # The English panel says there is no English; it does not repeat the Chinese brief.
    english_panel = page.locator("#summary-sentences")
    assert english_panel.locator("li").count() == 0
    missing = page.locator("#en-missing").inner_text()
    assert "no translation model" in missing and not HAN.search(missing)
    assert not page.locator("#zh-brief").is_visible()  # the linked list stands for it
    chinese = page.locator("#zh-sentences .summary-sentence")
    assert chinese.count() >= 2 and HAN.search(chinese.first.inner_text())

    # The link leads to the server's own "Getting English" page.
    link.click()
    page.wait_for_url("**/docs/getting-english")
    assert page.locator("h2").first.inner_text() == "Getting English"
    guide = page.locator("#getting-english").inner_text()
    assert "newsum models pull" in guide and "newsum models import" in guide
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # style.css loaded


def test_a_batch_downloads_as_a_spreadsheet_and_as_json_lines(
    page: Any, newsum_server: Any, tmp_path: Path
) -> None:
    nonce = uuid.uuid4().hex[:6]
    text = seed_text()
    other = "嘉兴市今天召开全市经济工作会议，部署明年重点工作任务。会议由市长主持。" * 3
    page.goto(newsum_server.url + "/")
    page.click("#tab-files")
    page.set_input_files(
        "#file-input",
        files=[
            {"name": f"seed-{nonce}.txt", "mimeType": "text/plain", "buffer": text.encode()},
            {"name": f"other-{nonce}.txt", "mimeType": "text/plain", "buffer": other.encode()},
        ],
    )
    page.click("#submit")
    page.wait_for_selector("#batch:not([hidden])", timeout=RESULT_TIMEOUT_MS)
    wait_until(page, "document.getElementById('batch-progress').value >= 1", RESULT_TIMEOUT_MS)
    wait_until(page, "document.querySelectorAll('#batch-items li a').length === 2", 15_000)
    assert "finished" in page.locator("#batch-states").inner_text()

    with page.expect_download() as caught:
        page.click("#batch-download-csv")
    download = caught.value
    assert download.suggested_filename.endswith(".csv")
    saved = tmp_path / "batch.csv"
    download.save_as(saved)
    table = list(csv.DictReader(io.StringIO(saved.read_text("utf-8-sig"))))
    assert [row["id"] for row in table] == [f"seed-{nonce}.txt", f"other-{nonce}.txt"]
    assert [row["state"] for row in table] == ["done", "done"]
    assert table[0]["title"] == "思想再洗礼 使命再升华" and table[0]["outlet"] == "嘉兴日报"
    assert table[0]["summary_zh"] and table[0]["key_terms"]

    with page.expect_download() as caught:
        page.click("#batch-download-jsonl")
    lines = Path(caught.value.path()).read_text("utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert [row["id"] for row in rows] == [f"seed-{nonce}.txt", f"other-{nonce}.txt"]
    assert rows[0]["result"]["article"]["title"] == "思想再洗礼 使命再升华"


LONG_TERMS = [
    KeyTerm(
        zh="中华人民共和国工业和信息化部",
        pinyin="Zhōnghuá Rénmín Gònghéguó Gōngyè hé Xìnxīhuà Bù",
        en="Ministry of Industry and Information Technology of the People's Republic of China",
        kind="organization",
    ),
    KeyTerm(zh="嘉兴", pinyin="Jiāxīng", en="Jiaxing", kind="place"),
    KeyTerm(
        zh="不忘初心、牢记使命",
        pinyin="bùwàng chūxīn, láojì shǐmìng",
        en="Remain true to our original aspiration and keep our mission firmly in mind",
    ),
    KeyTerm(zh="主题教育", pinyin="zhǔtí jiàoyù", en=None),
]


def test_key_terms_stay_readable_at_390_pixels(browser: Any) -> None:
    from playwright.sync_api import Route

    result = _result().model_dump(mode="json")
    result["key_terms"] = [t.model_dump(mode="json") for t in LONG_TERMS]
    job = {"job_id": "j1", "state": "done", "result": result}

    def serve(route: Route) -> None:
        path = route.request.url.split("newsum.test/", 1)[1].split("#")[0] or "index.html"
        if path.startswith("v1/jobs/"):
            route.fulfill(status=200, content_type="application/json", body=json.dumps(job))
        elif (STATIC / path).is_file():
            kind = {"js": "text/javascript", "css": "text/css"}.get(path.rsplit(".", 1)[-1])
            route.fulfill(
                status=200, body=(STATIC / path).read_bytes(), content_type=kind or "text/html"
            )
        else:
            route.fulfill(status=404, body="")

    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.route("http://newsum.test/**", serve)
        page.goto("http://newsum.test/#/jobs/j1")
        page.wait_for_selector("#result:not([hidden])", timeout=20_000)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        overflowing = page.evaluate(
            """() => [...document.querySelectorAll(
                    '#key-terms tbody td, #key-terms tbody tr, .table-wrap')]
                .filter((n) => n.scrollWidth > n.clientWidth + 1)
                .map((n) => n.className + ': ' + n.textContent)"""
        )
        assert overflowing == []
        cells = page.locator("#key-terms td.en-term")
        assert cells.count() == len(LONG_TERMS)
        for i, term in enumerate(LONG_TERMS):
            cell = cells.nth(i)
            assert cell.is_visible()
            assert cell.inner_text() == (term.en or "—")
            box = cell.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        page.screenshot(path="/tmp/newsum-key-terms-390.png", full_page=True)
    finally:
        context.close()


def test_api_docs_render_with_the_network_blocked(browser: Any, newsum_server: Any) -> None:
    from playwright.sync_api import Route

    local = re.compile(r"^https?://(127\.0\.0\.1|localhost)(:\d+)?/")
    blocked: list[str] = []

    def only_local(route: Route) -> None:
        if local.match(route.request.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context = browser.new_context()
    try:
        context.route("**/*", only_local)
        page = context.new_page()
        page.goto(newsum_server.url + "/docs")
        page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/v1/summaries" in p for p in paths), paths
        assert any("/v1/batches/{batch_id}/results" in p for p in paths), paths
        assert page.locator(".swagger-ui .info .title").inner_text().startswith("newsum")
        assert blocked == []  # nothing was even asked of another host
    finally:
        context.close()
