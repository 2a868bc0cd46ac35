"""The review block of the web page in Chromium, the job API answered by a canned
result (a low-confidence translation and a batch cluster)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.english.test_review import _result
from workers.contract import TranslatedSentence

STATIC = Path(__file__).resolve().parents[2] / "service" / "static"


@pytest.mark.browser
def test_web_page_shows_review_reasons_and_cluster(browser: Any) -> None:
    from playwright.sync_api import Route

    result = _result(
        translation=[TranslatedSentence(zh="正文。", en="Text.", confidence=0.12)],
    ).model_dump(mode="json")
    result.update(
        needs_review=True,
        review_reasons=["low translation confidence (below 0.40) in 1 of 1 sentences"],
        cluster={
            "id": 0,
            "representative": 0,
            "representative_id": "wire-1",
            "size": 3,
            "added": ["记者 王五"],
            "removed": [],
        },
    )
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

    context = browser.new_context()
    try:
        page = context.new_page()
        page.route("http://newsum.test/**", serve)
        page.goto("http://newsum.test/#/jobs/j1")
        page.wait_for_selector("#result:not([hidden])", timeout=20_000)
        review = page.locator("#review")
        assert review.is_visible()
        assert "Needs review" in review.inner_text()
        assert "low translation confidence" in page.locator("#review-list li").first.inner_text()
        assert "wire-1" in page.locator("#cluster-note").inner_text()
        assert "记者 王五" in review.inner_text()
    finally:
        context.close()
