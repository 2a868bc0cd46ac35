"""newspaper4k, one of the extraction candidates, must not reach for the internet."""

from __future__ import annotations

import socket

import pytest
from tldextract import tldextract

from tests.paths import HTML_DIR
from workers.article.candidates import _newspaper


def test_newspaper_candidate_reads_a_page_without_any_network_call(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    # A fresh tldextract cache: its default extractor downloads the suffix list when
    # used (newspaper4k calls it only to judge URLs; meta refresh is off by default).
    monkeypatch.setenv("TLDEXTRACT_CACHE", str(tmp_path))
    monkeypatch.setattr(tldextract, "TLD_EXTRACTOR", tldextract.TLDExtract())
    lookups: list[object] = []

    def no_dns(*args: object, **kwargs: object) -> object:
        lookups.append(args[0])
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    html = (HTML_DIR / "gne__163__1.html").read_text(encoding="utf-8")
    text = _newspaper(html, "https://www.163.com/news/article/ABC.html")
    assert len(text) > 200
    assert lookups == []
