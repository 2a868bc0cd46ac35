"""The web page in real headless Chromium against a real `newsum serve` (offline profile)."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.paths import SEED_ARTICLE

pytestmark = pytest.mark.browser

RESULT_TIMEOUT_MS = 120_000
TONE_MARKS = re.compile("[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]")
MARKUP_SENTENCE = (
    "回首来时路<script>window.__pwned = 1</script>,"
    '初心是<img src=x onerror="window.__pwned = 2">什么?'
)
LEAD_COPY = Path("/tmp/newsum-page.png")


def seed_text() -> str:
    return SEED_ARTICLE.read_text(encoding="utf-8")


def wait_for_result(page: Any) -> None:
    """Wait for the result (or fail with the error the page shows)."""
    page.wait_for_selector("#result:not([hidden]), #error:not([hidden])", timeout=RESULT_TIMEOUT_MS)
    if page.locator("#error").is_visible():
        pytest.fail(f"the page shows an error: {page.locator('#error').inner_text()}")


def sentence_text(page: Any, index: int) -> str:
    """An article sentence's own text, without its number."""
    return str(page.locator(f"#sentence-{index}").evaluate("node => node.lastChild.textContent"))


def wait_until(page: Any, expression: str, timeout_ms: int) -> None:
    """Poll ``expression`` with page.evaluate: wait_for_function compiles its string
    in the page, which the page's CSP (no 'unsafe-eval', service/security.py) forbids."""
    import time

    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_ms} ms: {expression}"
        page.wait_for_timeout(100)


def test_seed_article_summary_end_to_end(page: Any, newsum_server: Any, tmp_path: Path) -> None:
    page.goto(newsum_server.url + "/")
    assert page.title().startswith("newsum")
    page.fill("#article-text", seed_text())
    page.click("#submit")
    wait_for_result(page)

    # The Chinese brief: sentences of the article, not boilerplate.
    brief = page.locator("#zh-brief").inner_text()
    assert len(brief) > 40
    assert re.search("[\u4e00-\u9fff]{10}", brief)
    assert "ICP" not in brief and "版权所有" not in brief

    # Metadata, with the author romanized.
    assert page.locator("#result-title").inner_text() == "思想再洗礼 使命再升华"
    meta = page.locator("#meta-list").inner_text()
    assert "嘉兴日报" in meta
    assert "2020-01-09" in meta
    assert "裘建锋" in meta
    assert "Qiu Jianfeng" in meta

    # Key terms with pinyin (and English glosses).
    rows = page.locator("#key-terms tbody tr")
    assert rows.count() >= 3
    pinyin = page.locator("#key-terms td.pinyin").all_inner_texts()
    assert all(p.strip() for p in pinyin)
    assert any(TONE_MARKS.search(p) for p in pinyin)
    assert "Jiāxīng" in pinyin

    # With no models, the page says English is missing and who can fix it.
    assert page.locator("#no-english").is_visible()
    assert "no translation model" in page.locator("#no-english-text").inner_text()
    assert page.locator("#en-missing").is_visible()
    # No full translation offline: the toggle is absent and the page says why.
    assert not page.locator("#translation-toggle").is_visible()
    assert "no translation model" in page.locator("#translation-missing").inner_text()
    # Nothing English was checked, and the page does not pretend otherwise.
    assert "not checked" in page.locator("#checks-list").inner_text()

    # A summary sentence's source link highlights its source sentence (offline: the
    # key sentences are listed once, in the Chinese panel).
    summary = page.locator("#zh-sentences .summary-sentence")
    assert summary.count() >= 2
    first_sources = [int(s) for s in summary.nth(0).get_attribute("data-sources").split(",")]
    source = first_sources[0]
    assert page.locator(".source-sentence.highlight").count() == 0
    summary.nth(0).locator(".source-link").first.click()
    highlighted = page.locator(".source-sentence.highlight")
    assert highlighted.count() == 1
    assert highlighted.first.get_attribute("id") == f"sentence-{source}"
    # Offline, the summary sentence is the source sentence itself.
    assert sentence_text(page, source) == summary.nth(0).locator("span.zh").inner_text()
    assert sentence_text(page, source) in seed_text()

    # Hovering another summary sentence moves the highlight to its sources.
    second_sources = [int(s) for s in summary.nth(1).get_attribute("data-sources").split(",")]
    summary.nth(1).hover()
    ids = sorted(
        page.locator(".source-sentence.highlight").evaluate_all("nodes => nodes.map(n => n.id)")
    )
    assert ids == sorted(f"sentence-{i}" for i in second_sources)

    shot = tmp_path / "newsum-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    shutil.copyfile(shot, LEAD_COPY)

    # Phone width: nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    page.screenshot(path=str(tmp_path / "newsum-page-phone.png"), full_page=True)


def test_markup_in_an_article_is_shown_as_text(page: Any, newsum_server: Any) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # A fresh nonce each run: a cached result would skip the job path tested here.
    nonce = f"本报记者第{uuid.uuid4().int % 10**8}号。"
    text = seed_text().replace("回首来时路,初心是什么?", MARKUP_SENTENCE + nonce)
    assert MARKUP_SENTENCE in text

    # Ask for wait=0 so this run takes the 202 → job events path, not the quick 200.
    def no_wait(route: Any) -> None:
        body = json.loads(route.request.post_data)
        route.continue_(post_data=json.dumps({**body, "wait": 0}))

    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.route("**/v1/summaries", no_wait)
    page.goto(newsum_server.url + "/")
    page.fill("#article-text", text)
    page.click("#submit")
    wait_for_result(page)
    assert any(re.search(r"/v1/jobs/[^/]+/events$", url) for url in requested), requested
    assert re.match(r"#/jobs/\S+", page.evaluate("location.hash"))

    article = page.locator("#article-sentences").inner_text()
    # Scripts and handlers never reach a result (the text is read as HTML's visible
    # text once it holds active markup); the words around them stay.
    assert "__pwned" not in article and "<script" not in article and "onerror" not in article
    assert "回首来时路" in article and "初心是" in article
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#result img, #result script").count() == 0
    assert page.locator("script").count() == 1  # only the page's own app.js
    assert dialogs == []


def test_unsafe_url_shows_the_apis_message(page: Any, newsum_server: Any) -> None:
    page.goto(newsum_server.url + "/")
    page.click("#tab-url")
    page.fill("#article-url", "http://169.254.169.254/latest/meta-data/")
    page.click("#submit")
    page.wait_for_selector("#error:not([hidden])", timeout=RESULT_TIMEOUT_MS)
    assert page.locator("#error-message").inner_text() == (
        "refused URL: 169.254.169.254 is a cloud metadata address; "
        "only public internet addresses can be fetched"
    )
    assert "unsafe_url" in page.locator("#error-detail").inner_text()
    assert page.locator("#result").is_hidden()


def test_several_files_become_a_batch(page: Any, newsum_server: Any) -> None:
    text = seed_text()
    body = text[text.index("思想再洗礼") :]
    # A GBK page, as many Chinese sites still serve: the page must decode it.
    html = (
        '<html><head><meta charset="gbk"><title>思想再洗礼 使命再升华</title></head><body>'
        + "".join(f"<p>{line}</p>" for line in body.splitlines() if line.strip())
        + "</body></html>"
    ).encode("gbk")
    page.goto(newsum_server.url + "/")
    page.click("#tab-files")
    page.set_input_files(
        "#file-input",
        files=[
            {"name": "jiaxing.txt", "mimeType": "text/plain", "buffer": text.encode("utf-8")},
            {"name": "jiaxing-gbk.html", "mimeType": "text/html", "buffer": html},
        ],
    )
    assert page.locator("#file-list li").count() == 2
    page.click("#submit")
    page.wait_for_selector("#batch:not([hidden])", timeout=RESULT_TIMEOUT_MS)
    assert re.match(r"#/batches/\S+", page.evaluate("location.hash"))
    wait_until(page, "document.getElementById('batch-progress').value >= 1", RESULT_TIMEOUT_MS)
    # The item list is refreshed after the status: wait for its final rendering.
    wait_until(page, "document.querySelectorAll('#batch-items li a').length === 2", 15_000)
    states = page.locator("#batch-states").inner_text()
    assert "2 done" in states, states
    items = page.locator("#batch-items li")
    assert items.count() == 2
    assert items.nth(0).inner_text().startswith("done")
    assert "jiaxing.txt" in items.nth(0).inner_text()
    assert "jiaxing-gbk.html" in items.nth(1).inner_text()
    assert "思想再洗礼" in items.nth(1).inner_text()  # decoded from GBK, not mojibake

    items.nth(1).locator("a").click()
    wait_for_result(page)
    assert page.locator("#result-title").inner_text() == "思想再洗礼 使命再升华"
    assert page.locator("#result-back").is_visible()
    page.click("#result-back-link")
    page.wait_for_selector("#batch:not([hidden])")
    wait_until(page, "document.querySelectorAll('#batch-items li a').length === 2", 15_000)
