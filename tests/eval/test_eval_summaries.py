"""`eval summaries` on hand-written fixtures with scores worked out by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import HTML_DIR
from workers.errors import InputError, ModelUnavailable
from workers.eval.summaries import (
    dev_set_rows,
    evaluate_summaries,
    format_summaries_table,
    lead,
    plain_textrank,
    read_summary_rows,
)
from workers.eval.summary_devset import DevSet

FIXTURE = Path(__file__).parents[1] / "fixtures" / "summaries" / "hand.jsonl"
NEWSUM = str(Path(sys.executable).parent / "newsum")

# Row 5g-plan. Reference 市政府发布5G规划，将建基站1200座。 → 18 tokens:
#   市 政 府 发 布 5 g 规 划 将 建 基 站 1 2 0 0 座
# LEAD-1 市政府今天发布5G规划。 → 11 tokens (市 政 府 今 天 发 布 5 g 规 划).
#   R1: overlap 9 (all but 今 天) → F1 = 2·9/(11+18) = 18/29
#   R2: 10 bigrams vs 17; shared 市政 政府 发布 布5 5g g规 规划 = 7 → 14/27
#   RL: LCS 市政府发布5g规划 = 9 → 18/29
# LEAD-3 (all three sentences) → 30 tokens; every reference token is there.
#   R1: 18 → 2·18/(30+18) = 3/4
#   R2: 29 bigrams; reference bigrams missing from it: 府发, 划将, 将建 → 14 shared → 28/46
#   RL: the whole reference is a subsequence → 36/48 = 3/4
# Row rainstorm. Reference 暴雨致道路积水，交警疏导。 → 11 tokens.
# LEAD-1 暴雨致3条道路积水。 → 9 tokens. R1: 7 shared → 14/20; R2: 8 vs 10 bigrams,
#   shared 暴雨 雨致 道路 路积 积水 = 5 → 10/18; RL: 7 → 14/20.
# LEAD-3 (both sentences) → 16 tokens. R1: all 11 → 22/27; R2: 15 bigrams, shared 8
#   (not 致道, 警疏) → 16/25; RL: 11 → 22/27.
HAND = {
    "lead1": {
        "rouge1": (18 / 29 + 14 / 20) / 2,
        "rouge2": (14 / 27 + 10 / 18) / 2,
        "rougeL": (18 / 29 + 14 / 20) / 2,
    },
    "lead3": {
        "rouge1": (3 / 4 + 22 / 27) / 2,
        "rouge2": (28 / 46 + 16 / 25) / 2,
        "rougeL": (3 / 4 + 22 / 27) / 2,
    },
}


def test_lead_baselines_match_the_hand_worked_scores() -> None:
    report = evaluate_summaries(read_summary_rows(FIXTURE), sentences=1)
    for system, expected in HAND.items():
        got = report["systems"][system]
        assert got["n"] == 2
        for metric, value in expected.items():
            assert got[metric] == pytest.approx(value), (system, metric)
    first = report["rows"][0]
    assert first["id"] == "5g-plan"
    assert first["lead1"]["rouge2"] == pytest.approx(14 / 27)


def test_every_system_is_reported_and_newsum_picks_the_asked_number() -> None:
    report = evaluate_summaries(read_summary_rows(FIXTURE), sentences=1)
    assert set(report["systems"]) == {"newsum-extractive", "lead1", "lead3", "textrank"}
    for scores in report["systems"].values():
        assert 0.0 < scores["rouge1"] <= 1.0
    # With every sentence picked, newsum and TextRank equal LEAD-3 on these rows.
    everything = evaluate_summaries(read_summary_rows(FIXTURE), sentences=3)
    assert everything["systems"]["newsum-extractive"] == everything["systems"]["lead3"]
    assert everything["systems"]["textrank"] == everything["systems"]["lead3"]
    table = format_summaries_table(report)
    assert "newsum-extractive" in table and "ROUGE-L" in table


def test_plain_textrank_prefers_the_central_sentence() -> None:
    sentences = ["经济增长加快。", "经济增长与就业增长同步。", "就业增长稳定。"]
    assert plain_textrank(sentences, 1) == [1]
    assert lead(sentences, 1) == [0]
    assert plain_textrank(sentences, 5) == [0, 1, 2]


def test_bad_rows_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"article": "正文。", "reference": "摘要"}\n{"article": "正文。"}\n', "utf-8")
    with pytest.raises(InputError, match=r"line-2.*reference"):
        read_summary_rows(bad)
    with pytest.raises(InputError, match="unknown engine"):
        evaluate_summaries(read_summary_rows(FIXTURE), engines=["abstractive"])


def test_manifest_folder_gives_the_development_set(shared_dev_set: DevSet) -> None:
    rows = dev_set_rows(shared_dev_set, HTML_DIR)
    ids = [r.id for r in rows]
    # The two pages with a gold text and a manifest description are still there.
    assert "newspaper4k__chinese_article_001.html" in ids
    second = rows[ids.index("newspaper4k__chinese_article_002.html")]
    # Its description repeats the headline, then "---": both go.
    assert second.reference.startswith("记者17日从国家卫生健康委获悉")
    assert (second.body, second.group) == ("gold", "short")
    assert {r.body for r in rows} == {"gold", "newsum"}
    assert any("dropped" in note and "headline" in note for note in rows.notes)
    assert {"id": "gne__zsnews__1.html", "rule": "keywords"} in rows.dropped


def test_the_brief_is_at_least_as_good_as_the_lead(shared_dev_set: DevSet) -> None:
    """The target of issue 13 on the development set (in-sample: the brief was tuned
    on it): ROUGE-L at least LEAD-3's on long articles and LEAD-1's on short ones."""
    rows = dev_set_rows(shared_dev_set, HTML_DIR)
    groups = evaluate_summaries(rows, sentences=3)["groups"]
    newsum = {group: scores["newsum-extractive"]["rougeL"] for group, scores in groups.items()}
    assert newsum["long"] >= groups["long"]["lead3"]["rougeL"]
    assert newsum["short"] >= groups["short"]["lead1"]["rougeL"]
    # References the publisher wrote itself, not copies of the opening.
    assert newsum["rewritten"] > groups["rewritten"]["lead3"]["rougeL"]
    # One sentence against one: the lead, or better.
    groups = evaluate_summaries(rows, sentences=1)["groups"]
    for group in ("short", "long", "rewritten"):
        scores = groups[group]
        assert scores["newsum-extractive"]["rougeL"] >= scores["lead1"]["rougeL"], group


def test_rows_fall_in_groups_and_the_table_shows_each(tmp_path: Path) -> None:
    long_article = "\n".join(
        f"第{n}段：市政府今天发布第五代移动通信发展规划，全市将在三年内新建基站一千二百座。"
        for n in range(1, 21)
    )
    source = tmp_path / "rows.jsonl"
    source.write_text(
        json.dumps({"article": long_article, "reference": "市政府发布5G规划。", "title": "5G规划"})
        + "\n"
        + json.dumps({"article": "暴雨致3条道路积水。交警已到场疏导。", "reference": "暴雨。"})
        + "\n",
        "utf-8",
    )
    rows = read_summary_rows(source)
    assert [(r.group, r.title) for r in rows] == [("long", "5G规划"), ("short", None)]
    report = evaluate_summaries(rows, sentences=1)
    assert set(report["groups"]) == {"short", "long"}
    assert report["groups"]["short"]["lead1"]["n"] == 1
    assert [r["group"] for r in report["rows"]] == ["long", "short"]
    table = format_summaries_table(report)
    assert "-- short (1 row(s))" in table and "-- long (1 row(s))" in table
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"article": "正文。", "reference": "摘要", "group": "mid"}), "utf-8")
    with pytest.raises(InputError, match="group"):
        read_summary_rows(bad)


def test_command_prints_json_and_a_table(tmp_path: Path) -> None:
    done = subprocess.run(
        [NEWSUM, "eval", "summaries", str(FIXTURE), "--sentences", "1", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    systems = json.loads(done.stdout)["systems"]
    assert systems["lead1"]["rouge1"] == pytest.approx(HAND["lead1"]["rouge1"])
    assert set(systems["lead3"]) == {"rouge1", "rouge2", "rougeL", "n"}
    # A folder of pages is read as a development set: its rules and groups show.
    folder = tmp_path / "pages"
    folder.mkdir()
    article = "\n".join(
        f"滨江区江滨公园改造工程第{n}期日前完工，新增步道三公里，连接三个社区和两所学校。"
        for n in range(1, 21)
    )
    manifest = []
    for name, description in (
        ("a.html", "江滨公园改造完工，新增沿江步道三公里，连接社区和学校。"),
        ("b.html", "滨江网,本地新闻,江滨公园,城市建设"),
    ):
        page = f'<html><head><meta name="description" content="{description}"></head></html>'
        (folder / name).write_text(page, "utf-8")
        manifest.append(
            {"file": name, "site": "滨江网", "title": "江滨公园", "gold_main_text": article}
        )
        article += "\n新增的步道方便居民晨练和通勤。"
    (folder / "manifest.jsonl").write_text(
        "\n".join(json.dumps(row, ensure_ascii=False) for row in manifest), "utf-8"
    )
    table = subprocess.run(
        [NEWSUM, "eval", "summaries", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert table.returncode == 0, table.stderr
    assert "lead3" in table.stdout and "textrank" in table.stdout
    assert "-- long (1 row(s))" in table.stdout
    assert "descriptions dropped: keywords 1" in table.stdout


def test_eval_extraction_reports_title_and_date_agreement(tmp_path: Path) -> None:
    from workers.eval.extraction import evaluate_extraction, format_extraction_table

    body = "".join(
        f"<p>市政府今天发布第五代移动通信发展规划，全市将在三年内新建基站{n}座，覆盖所有乡镇。</p>"
        for n in range(1200, 1206)
    )
    page = (
        "<html><head><title>市政府发布5G规划_新闻中心</title>"
        '<meta property="article:published_time" content="2023-11-17T08:00:00+08:00">'
        f"</head><body><article><h1>市政府发布5G规划</h1>{body}</article></body></html>"
    )
    (tmp_path / "a.html").write_text(page, encoding="utf-8")
    (tmp_path / "b.html").write_text(page, encoding="utf-8")
    gold = "".join(
        f"市政府今天发布第五代移动通信发展规划，全市将在三年内新建基站{n}座，覆盖所有乡镇。"
        for n in range(1200, 1206)
    )
    rows = [
        # Manifest title and date: the date agrees; the title agrees (contained) and is exact.
        {
            "file": "a.html",
            "gold_main_text": gold,
            "title": "市政府发布5G规划",
            "publish_date": "2023-11-17T00:00:00",
        },
        # Silver title and date: the title agrees but is not exact; the date disagrees.
        {
            "file": "b.html",
            "silver_gne_output": {
                "content": gold,
                "title": "市政府发布5G规划（图）",
                "publish_time": "2023-11-18 10:00",
            },
        },
    ]
    (tmp_path / "manifest.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8"
    )
    report = evaluate_extraction(tmp_path, baselines=())
    newsum = report["newsum"]
    assert (newsum["titles_found"], newsum["titles_expected"]) == (2, 2)
    assert (newsum["titles_exact_found"], newsum["titles_exact_expected"]) == (1, 2)
    assert (newsum["dates_found"], newsum["dates_expected"]) == (1, 2)
    first, second = report["pages"]
    assert first["expected_date"] == "2023-11-17" and second["expected_date"] == "2023-11-18"
    assert first["tools"]["newsum"]["date_found"] == "2023-11-17"
    assert second["tools"]["newsum"]["title_exact"] is False
    table = format_extraction_table(report)
    assert "titles exact" in table and "dates found" in table


@pytest.mark.engine
def test_model_strategies_are_scored_on_english_references(tiny_model_dir: Path) -> None:
    from workers.english.engines import load_engines
    from workers.eval.summaries import SummaryRow
    from workers.settings import Settings

    settings = Settings(model_dir=tiny_model_dir, torch_threads=1, num_beams=1, max_new_tokens=8)
    engines = load_engines(settings, "standard")
    rows = read_summary_rows(FIXTURE)
    rows.append(
        SummaryRow("en", rows[0].article, rows[0].reference, "The city unveiled a 5G plan.")
    )
    report = evaluate_summaries(
        rows, engines=["extractive", "translate-then-summarize"], sentences=1, loaded=engines
    )
    scored = report["systems"]["newsum-translate-then-summarize"]
    assert scored["n"] == 1
    assert 0.0 <= scored["rouge1"] <= 1.0
    assert report["systems"]["lead1"]["n"] == 3
    assert "2 row(s) without one skipped" in report["notes"][0]
    with pytest.raises(ModelUnavailable):
        evaluate_summaries(rows, engines=["direct"])
