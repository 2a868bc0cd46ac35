"""The web page in real headless Chromium against `newsum serve --profile llm` on a
tiny random-weight Qwen2: the brief shows growing, marked as not yet checked, while
the model writes it, and the checked result replaces it.

The model dir holds the instruct model only (the tiny opus-mt, uncapped, takes
minutes on random weights). Random weights write garbage, so the result is the
extractive fallback with the reason in the review block. A job runs ahead of the
page's on the one worker process, so the page's event stream is open before its
job starts; the page's request is sent with ``wait`` 0 (as in test_web_page), so it
takes the 202 → job events path.
"""

from __future__ import annotations

import itertools
import json
import os
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import Server, serve
from tests.browser.test_web_page import wait_for_result
from tests.tiny_instruct import build_instruct_models

pytestmark = pytest.mark.browser

ARTICLE = (
    "嘉兴市召开主题教育总结大会。会议回顾了2019年的工作，全市共有120个单位参加。\n"
    "市委书记在会上讲话，要求巩固主题教育成果。"
)
AHEAD = "海宁市举行新春团拜会。会议总结了去年的工作，部署了今年的任务。"

# Keeps every state of the draft panel the reader could see, before the page's own script runs.
RECORD_DRAFTS = """
window.__drafts = [];
document.addEventListener("DOMContentLoaded", () => {
  const draft = document.getElementById("draft");
  const text = document.getElementById("draft-text");
  new MutationObserver(() => {
    if (draft.hidden || !text.textContent) return;
    window.__drafts.push({
      text: text.textContent,
      heading: document.getElementById("draft-heading").textContent,
      resultHidden: document.getElementById("result").hidden,
    });
  }).observe(draft, { subtree: true, childList: true, characterData: true, attributes: true });
});
"""


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`newsum serve --profile llm --concurrency 1` on the tiny instruct model, with an
    embedded Redis; waits for /readyz."""
    if os.environ.get("NEWSUM_BROWSER_TEST_URL"):
        pytest.skip("a given stack answers in the offline profile; this test needs profile llm")
    home = tmp_path_factory.mktemp("newsum-serve-llm")
    build_instruct_models(home / "models")
    # One process: the job ahead runs first.
    args = ["--profile", "llm", "--concurrency", "1"]
    with serve(home, {"NEWSUM_DEVICE": "cpu"}, args) as server:
        yield server


def _submit_ahead(server: Server) -> None:
    """A job for the worker's one process to run first."""
    request = urllib.request.Request(
        f"{server.url}/v1/summaries",
        data=json.dumps({"text": AHEAD, "wait": 0}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 202


def test_the_page_shows_the_brief_growing_then_the_checked_result(
    browser: Any, llm_server: Server
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.set_default_timeout(15_000)
        page.add_init_script(RECORD_DRAFTS)

        def no_wait(route: Any) -> None:
            body = json.loads(route.request.post_data or "{}")
            route.continue_(post_data=json.dumps({**body, "wait": 0}))

        page.route("**/v1/summaries", no_wait)
        page.goto(llm_server.url + "/")
        page.select_option("#opt-profile", "llm")
        page.fill("#article-text", ARTICLE)
        _submit_ahead(llm_server)
        page.click("#submit")
        wait_for_result(page)

        drafts: list[dict[str, Any]] = page.evaluate("window.__drafts")
        assert drafts, f"the page never showed the brief being written\n{llm_server.log_tail()}"
        assert all("being written — not yet checked" in d["heading"] for d in drafts)
        assert all(d["resultHidden"] for d in drafts)  # shown while the job ran only
        texts = [d["text"] for d in drafts]
        assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(texts))

        # Done: the checked result replaces it. Random weights: the fallback, with the reason.
        assert page.locator("#draft").is_hidden()
        assert page.locator("#draft-text").inner_text() == ""
        assert "Needs review" in page.locator("#review").inner_text()
        reasons = page.locator("#review-list").inner_text()
        assert "language model's brief was not used" in reasons
        assert "extractive" in page.locator("#meta-list").inner_text()
        assert texts[-1] not in page.locator("#result").inner_text()
    finally:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
