"""The summary development set: which publisher descriptions are summaries.

Every rule is tried on pages written here (two made-up sites, ``alpha`` and
``beta``) and on the real pages of ../shared/data/html (in-sample).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workers.eval.summary_devset import (
    DevSet,
    article_group,
    build_dev_set,
    judge_description,
    page_descriptions,
)

BODY = (
    "滨江区江滨公园改造工程日前全部完工，公园于本周六重新向市民开放，新增步道三公里。\n\n"
    "改造工程历时八个月，总投资约一点二亿元，由区城建集团负责实施。\n\n"
    "公园新增的步道沿江而建，连接了三个社区和两所学校，方便居民晨练和通勤。\n\n"
    "不少市民表示，改造后的公园环境更好了，周末愿意带孩子来散步。\n\n"
    "区城建集团表示，下一步将对公园周边道路进行提升改造，预计明年完工，届时通行将更加顺畅。"
)
# Over 600 characters in more than three paragraphs: a long article.
LONG_BODY = BODY + "".join(
    f"\n\n第{n}个社区的居民代表在座谈会上说，步道开通以后，老人和孩子出门散步更安全了，"
    "社区也计划组织更多的户外活动，让大家都能享受到公园改造带来的便利。"
    for n in range(1, 8)
)
TITLE = "江滨公园改造完工 周末迎来首批市民"
REWRITTEN = "历时八个月改造的江滨公园本周六重新开放，新增沿江步道三公里，周边道路明年提升。"


@pytest.mark.parametrize(
    ("description", "rule"),
    [
        ("滨江网,本地新闻,江滨公园,城市建设", "keywords"),
        (TITLE, "headline"),
        (f"{TITLE} 江滨公园,改造,步道", "headline"),
        (f"{TITLE}「城市更新」滨江又一公园焕新", "headline"),
        ("滨江网是滨江区委区政府主办的综合性新闻门户网站，提供本地资讯与便民服务。", "site-text"),
        # The opening cut at a length: mid-sentence, with "...", or at a sentence end
        # inside the lead paragraph.
        ("滨江区江滨公园改造工程日前全部完工，公园于本周六重新向市民开放，新增", "cut-opening"),
        ("滨江区江滨公园改造工程日前全部完工，公园于本周六重新...", "cut-opening"),
        ("滨江区江滨公园改造工程日前全部完工，公园于本周六重新向市民开放。", "cut-opening"),
        ("公园", "too-short"),
    ],
)
def test_descriptions_that_are_not_summaries(description: str, rule: str) -> None:
    assert judge_description(description, TITLE, BODY)[0] == rule


def test_summaries_are_kept_and_say_how_they_were_written() -> None:
    assert judge_description(REWRITTEN, TITLE, BODY) == (None, REWRITTEN, "rewritten")
    lead_paragraph = BODY.split("\n")[0]
    assert judge_description(lead_paragraph, TITLE, BODY) == (None, lead_paragraph, "opening-copy")
    # A headline line before the description proper ("标题\n---正文", news.cn) goes.
    rule, reference, kind = judge_description(f"{TITLE}\n---{REWRITTEN}", TITLE, BODY)
    assert (rule, reference, kind) == (None, REWRITTEN, "rewritten")


def test_groups() -> None:
    assert article_group(LONG_BODY) == "long"
    assert article_group(BODY) == "short", "five paragraphs, under 600 characters"
    assert article_group("一段话。\n\n两段话。") == "short"
    assert article_group("短段落。\n" * 8) == "short", "under 600 characters"


def _page(title: str, description: str, charset: str = "utf-8") -> str:
    return (
        f'<html><head><meta charset="{charset}"><title>{title}</title>'
        f'<meta name="description" content="{description}"></head>'
        f"<body><h1>{title}</h1></body></html>"
    )


def test_a_folder_of_pages_gives_rows_and_counts_what_it_drops(tmp_path: Path) -> None:
    other_body = BODY.replace("江滨公园", "湖滨公园")
    blurb = "滨江区江滨公园改造工程的最新进展：新增步道，周边道路明年提升改造。"
    pages = {
        # alpha: a summary; the same story saved twice; a cut opening.
        "a1.html": ("alpha", TITLE, REWRITTEN, LONG_BODY),
        "a2.html": ("alpha", TITLE, REWRITTEN, LONG_BODY),
        "a3.html": ("alpha", "湖滨公园改造完工", other_body[:30], other_body),
        # beta: two stories, one blurb: the section's, not either article's.
        "b1.html": ("beta", "江滨公园", blurb, BODY.replace("八个月", "九个月")),
        "b2.html": ("beta", "江滨公园", blurb, BODY.replace("八个月", "十个月")),
    }
    manifest = []
    for name, (site, title, description, body) in pages.items():
        charset = "gbk" if name == "a1.html" else "utf-8"
        (tmp_path / name).write_bytes(_page(title, description, charset).encode(charset))
        manifest.append({"file": name, "site": site, "title": title, "gold_main_text": body})
    (tmp_path / "manifest.jsonl").write_text(
        "\n".join(json.dumps(row, ensure_ascii=False) for row in manifest), "utf-8"
    )
    dev = build_dev_set(tmp_path)
    assert [(r.id, r.kind, r.group, r.body) for r in dev.rows] == [
        ("a1.html", "rewritten", "long", "gold")
    ]
    # A GBK page's description is read as GBK (not as UTF-8 mojibake).
    assert dev.rows[0].reference == REWRITTEN
    assert dict(dev.dropped) == {"duplicate-page": 1, "cut-opening": 1, "site-text": 2}
    assert ("b2.html", "site-text") in dev.dropped_pages


def test_page_descriptions_reads_every_tag_once() -> None:
    html = (
        '<html><head><meta name="description" content="甲乙丙。">'
        '<meta property="og:description" content="甲乙丙。">'
        '<meta name="twitter:description" content="丁戊&amp;nbsp;己。"></head></html>'
    )
    assert page_descriptions(html) == [
        ("description", "甲乙丙。"),
        ("twitter:description", "丁戊 己。"),
    ]


def test_shared_pages_rules(shared_dev_set: DevSet) -> None:
    """In-sample: the rules on the pages of ../shared/data/html."""
    kept = {r.id: r for r in shared_dev_set.rows}
    dropped = dict(shared_dev_set.dropped_pages)
    # Publisher summaries: a rewritten lead (BBC), a key sentence further down (gmw, huanqiu).
    for page in ("newspaper__chinese_article.html", "readability__gmw__source.html"):
        assert kept[page].kind == "rewritten" and kept[page].body == "gold"
    assert kept["gne__huanqiu__1.html"].reference.startswith("今天，来自美、英、日")
    assert kept["gne__huanqiu__1.html"].body == "newsum"
    assert kept["newspaper4k__chinese_article_001.html"].kind == "opening-copy"
    # The same BBC story twice; 163's "headline keywords"; a site's self-description
    # (toutiao, a provincial government portal); a keywords tag; cut openings (sina, news.cn's
    # youth page, a WeChat post).
    assert dropped["newspaper4k__chinese_article.html"] == "duplicate-page"
    assert {dropped[f"gne__163__{n}.html"] for n in (1, 2, 4, 5, 7, 8)} == {"headline"}
    assert dropped["gne__toutiao__2.html"] == dropped["gne__shanxi__1.html"] == "site-text"
    assert dropped["gne__zsnews__1.html"] == "keywords"
    for page in ("gne__sina__2.html", "readability__youth__source.html", "gne__wechat__2.html"):
        assert dropped[page] == "cut-opening", page
    assert {r.group for r in kept.values()} == {"short", "long"}
