"""decode_bytes and looks_like_html on real article text in the charsets Chinese pages use."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.article.intake import decode_bytes, looks_like_html
from workers.errors import EmptyInput, UndecodableInput

SEED = (
    Path(__file__).resolve().parents[3]
    / "shared/data/articles/jiaxing-theme-education-2020-01-09.txt"
)


@pytest.fixture(scope="module")
def article() -> str:
    # The body only: the seed's ASCII-heavy footer would make short samples trivial.
    text = SEED.read_text("utf-8")
    start = text.index("思想再洗礼")
    return text[start : start + 1500]


def test_utf8(article: str) -> None:
    assert decode_bytes(article.encode("utf-8")) == article


def test_gb18030_declared_and_undeclared(article: str) -> None:
    data = article.encode("gb18030")
    assert decode_bytes(data, "gb2312") == article
    assert decode_bytes(data, "GBK") == article
    assert decode_bytes(data) == article


def test_gbk_page_with_meta_charset(article: str) -> None:
    head = '<html><head><meta charset="gb2312"><title>t</title></head>'
    page = f"{head}<body><p>{article}</p></body></html>"
    assert decode_bytes(page.encode("gbk")) == page


def test_big5(article: str) -> None:
    # Big5 has no simplified forms: use traditional text, as Taiwan and Hong Kong pages do.
    traditional = (
        "香港行政長官在各方壓力下就其大宅的違章建築問題到立法會接受質詢，並向香港民眾道歉。" * 20
    )
    assert decode_bytes(traditional.encode("big5"), "big5") == traditional
    assert decode_bytes(traditional.encode("big5")) == traditional


def test_mislabelled_gb2312_that_is_utf8(article: str) -> None:
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    page = f"<html><head>{meta}</head><body>{article}</body></html>"
    assert decode_bytes(page.encode("utf-8"), "gb2312") == page


def test_garbage_raises_undecodable() -> None:
    garbage = bytes(range(256)) * 8
    with pytest.raises(UndecodableInput, match=r"decode|binary"):
        decode_bytes(garbage)


@pytest.mark.parametrize("data", [b"", b"   \n\t "])
def test_empty_raises(data: bytes) -> None:
    with pytest.raises(EmptyInput, match="empty"):
        decode_bytes(data)


def test_looks_like_html(article: str) -> None:
    assert looks_like_html("<!DOCTYPE html><html><body><p>x</p></body></html>")
    assert looks_like_html("<div class='a'><p>正文</p></div>")
    assert not looks_like_html(article)
    assert not looks_like_html("我们用 <p> 标记段落。")
