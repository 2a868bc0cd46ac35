"""What in a text is markup: has_active_markup, visible_text and without_markup, on
hand-written snippets and on real pages of two sites (BBC 中文网, 中国日报网)."""

from __future__ import annotations

import json
import re

import pytest

from tests.paths import HTML_DIR
from workers.article.intake import decode_bytes, has_active_markup, visible_text, without_markup

BODY = "新华社北京1月9日电 国务院常务会议今天在北京召开。会议决定加快发展新能源汽车产业。"


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "< SCRIPT src=//evil.example/x.js>",
        "</script>",
        "<style>body{}</style>",
        "<iframe src=//evil.example>",
        '<img src=x onerror="alert(1)">',
        "<svg/onload=alert(1)>",
        '<a href="javascript:alert(1)">点</a>',
        "<body onload=alert(1)>",
        "<textarea><script>alert(1)</script></textarea>",
    ],
)
def test_active_markup_is_found(text: str) -> None:
    assert has_active_markup(f"{BODY}{text}{BODY}")


@pytest.mark.parametrize(
    "text",
    [
        BODY,
        "公式 a<b 且 c>d 在这里只是文字",
        "我们用 <p> 标记段落，<i>不是标签</i>。",
        "他说：onerror 这个词出现在文中。",
        "讲座介绍了 JavaScript 与 script 标签的用法。",
    ],
)
def test_plain_text_with_brackets_is_no_active_markup(text: str) -> None:
    assert not has_active_markup(text)
    assert without_markup(text) == text


def test_visible_text_is_what_a_browser_shows() -> None:
    html = (
        "<title>标题</title><script>var secret = 1;</script>"
        f"<p onclick='alert(1)'>{BODY}</p>第二段<br>第三段 &amp; <b>粗</b>体"
        "<style>p{color:red}</style><textarea>&lt;script&gt;</textarea><div>尾</div>"
        "<script>never closed 中文"
    )
    lines = [line for line in visible_text(html).splitlines() if line]
    assert lines == ["标题", BODY, "第二段", "第三段 & 粗体", "尾"]


def test_markup_spelled_in_entities_is_taken_out_too() -> None:
    assert without_markup(f"{BODY}&lt;script&gt;alert(1)&lt;/script&gt;<script>x</script>") == BODY
    # Escaped twice: once decoded, it is the text "&lt;script&gt;", no markup.
    twice = without_markup(f"<p>{BODY}&amp;lt;script&amp;gt;</p><script>x</script>")
    assert twice == f"{BODY}&lt;script&gt;" and not has_active_markup(twice)


def _manifest(site_prefix: str) -> tuple[str, str]:
    for line in (HTML_DIR / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["site"].startswith(site_prefix) and row["gold_type"] == "full_text":
            return row["file"], row["gold_main_text"]
    raise AssertionError(f"no page of {site_prefix} in the manifest")


@pytest.mark.parametrize("site", ["BBC中文网", "中国日报网"])
def test_real_pages_lose_their_scripts_and_keep_their_article(site: str) -> None:
    name, gold = _manifest(site)
    page = decode_bytes((HTML_DIR / name).read_bytes())
    assert len(re.findall(r"<script", page, re.IGNORECASE)) > 10  # pages full of scripts
    shown = visible_text(page)
    assert "function" not in shown and "<script" not in shown.lower()
    assert not has_active_markup(shown)
    # The gold text keeps a few C1 quote bytes (\x93 \x94) of its source's decoding.
    paragraphs = [p.strip() for p in gold.splitlines() if len(p.strip()) > 20]
    clean = [p for p in paragraphs if not re.search("[\x80-\x9f]", p[:20])]
    assert len(clean) >= 3
    for paragraph in clean[:5]:
        assert paragraph[:20] in shown, paragraph[:20]
