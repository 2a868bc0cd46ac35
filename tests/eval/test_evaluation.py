"""evaluate_extraction's shape, the P/R/F1 arithmetic, and the table."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from workers.eval.extraction import char_prf, evaluate_extraction, format_extraction_table

PORTAL = Path(__file__).resolve().parents[1] / "fixtures/extraction/portal-page.html"
BODY = (
    "本报讯 经过半年的施工，江滨公园改造工程日前全部完工，并于本周末重新向市民开放。"
    "据介绍，此次改造新增步道三公里，补种乔木一千余株，还增设了儿童游乐区和无障碍通道。"
)


def test_char_prf_hand_checked() -> None:
    # pred 甲乙乙丙 (4 chars), gold 甲乙丁 (3): overlap 甲+乙 = 2 → P 1/2, R 2/3, F1 4/7.
    precision, recall, f1 = char_prf("甲 乙\n乙丙", "甲乙丁")
    assert precision == pytest.approx(0.5)
    assert recall == pytest.approx(2 / 3)
    assert f1 == pytest.approx(4 / 7)


def test_char_prf_edges() -> None:
    assert char_prf("", "甲") == (0.0, 0.0, 0.0)
    assert char_prf("甲乙", "乙 甲") == (1.0, 1.0, 1.0)
    # A raw cp1252 quote byte in the gold counts as the quote it stands for.
    assert char_prf("“好”", "\x93好\x94")[2] == pytest.approx(1.0)


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    shutil.copy(PORTAL, tmp_path / "portal.html")
    shutil.copy(PORTAL, tmp_path / "portal-silver.html")
    rows = [
        {
            "file": "portal.html",
            "gold_type": "full_text",
            "gold_main_text": BODY,
            "title": "江滨公园改造完工 周末迎来首批市民_滨江网",
            "publish_date": "2023-05-12T00:00:00",
            "byline": "王小明",
        },
        {
            "file": "portal-silver.html",
            "gold_type": "none",
            "silver_gne_output": {
                "title": "江滨公园改造完工 周末迎来首批市民",
                "author": "未知",
                "publish_time": "2023年05月12日 10:30",
                "content": BODY,
            },
        },
        {"file": "not-scored.html", "gold_type": "none"},
    ]
    (tmp_path / "manifest.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8"
    )
    return tmp_path


def test_report_shape_and_values(data_dir: Path) -> None:
    report = evaluate_extraction(data_dir, baselines=("trafilatura", "readability-lxml"))
    assert set(report) >= {"newsum", "baselines", "pages"}
    assert set(report["baselines"]) == {"trafilatura", "readability-lxml"}
    for tool in [report["newsum"], *report["baselines"].values()]:
        for kind in ("gold", "silver"):
            assert set(tool[kind]) == {"f1", "precision", "recall", "pages"}
            assert tool[kind]["pages"] == 1
        assert {"authors_found", "authors_expected"} <= set(tool)
    newsum = report["newsum"]
    # Our body is BODY plus three more paragraphs: full recall, partial precision.
    assert newsum["gold"]["recall"] == pytest.approx(1.0)
    assert 0.2 < newsum["gold"]["precision"] < 0.6
    assert (newsum["authors_found"], newsum["authors_expected"]) == (1, 1)  # 未知 is skipped
    assert (newsum["dates_found"], newsum["dates_expected"]) == (2, 2)
    assert [p["file"] for p in report["pages"]] == ["portal.html", "portal-silver.html"]
    assert report["baselines"]["readability-lxml"]["authors_found"] == 0

    table = format_extraction_table(report)
    assert "portal-silver.html" in table
    assert "gold f1" in table and "silver f1" in table
    assert "readability" in table


def test_unknown_baseline(data_dir: Path) -> None:
    with pytest.raises(ValueError, match="unknown baseline"):
        evaluate_extraction(data_dir, baselines=("goose",))
