from __future__ import annotations

from workers.contract import ArticleInput, SummaryOptions
from workers.store.digests import content_digest, request_digest


def test_request_key_covers_input_options_and_pipeline() -> None:
    article = ArticleInput(text="嘉兴新闻。")
    base = request_digest(article, SummaryOptions(), "fp1")
    assert base == request_digest(ArticleInput(text="嘉兴新闻。\r\n  "), SummaryOptions(), "fp1")
    assert base != request_digest(ArticleInput(text="嘉兴新闻！"), SummaryOptions(), "fp1")
    assert base != request_digest(article, SummaryOptions(sentences=3), "fp1")
    assert base != request_digest(article, SummaryOptions(), "fp2")
    assert base != request_digest(ArticleInput(html="嘉兴新闻。"), SummaryOptions(), "fp1")


def test_text_key_ignores_how_the_text_arrived() -> None:
    assert content_digest("正文。\n", SummaryOptions(), "fp", title=None) == content_digest(
        "正文。", SummaryOptions(), "fp", title=None
    )
    assert content_digest("正文。", SummaryOptions(), "fp", title=None) != content_digest(
        "正文。", SummaryOptions(), "x", title=None
    )


def test_content_key_covers_the_headline_the_models_read() -> None:
    # The extractive brief favours sentences sharing the headline's words, and its
    # English is part of the work: another headline is other work.
    base = content_digest("正文。", SummaryOptions(), "fp", title="真标题")
    assert base == content_digest("正文。", SummaryOptions(), "fp", title="真标题 \n")
    assert base != content_digest("正文。", SummaryOptions(), "fp", title="伪造标题")
    assert base != content_digest("正文。", SummaryOptions(), "fp", title=None)
    assert content_digest("正文。", SummaryOptions(), "fp", title="") == content_digest(
        "正文。", SummaryOptions(), "fp", title=None
    )
