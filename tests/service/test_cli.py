"""The `newsum` command line, run as a user runs it: a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import HTML_DIR, SEED_ARTICLE

NEWSUM = str(Path(sys.executable).parent / "newsum")


def newsum(
    *args: str, env_extra: dict[str, str] | None = None, tmp: Path
) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "NEWSUM_MODEL_DIR": str(tmp / "models"), **(env_extra or {})}
    return subprocess.run(
        [NEWSUM, *args], capture_output=True, text=True, timeout=240, env=env, check=False
    )


def test_summarize_seed_article_prints_the_contract(tmp_path: Path) -> None:
    done = newsum("summarize", str(SEED_ARTICLE), tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "done"
    assert result["article"]["outlet"] == "嘉兴日报"
    assert result["article"]["authors"][0]["romanized"] == "Qiu Jianfeng"
    assert 3 <= len(result["summary"]["sentences"]) <= 5
    assert any("newsum models pull" in w for w in result["checks"]["warnings"])
    assert len(result["id"]) == 64


def test_summarize_markdown(tmp_path: Path) -> None:
    done = newsum(
        "summarize", str(SEED_ARTICLE), "--format", "md", "--sentences", "3", tmp=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# 思想再洗礼")
    assert "裘建锋 (Qiu Jianfeng)" in done.stdout
    assert "| 嘉兴 | Jiāxīng | Jiaxing |" in done.stdout
    assert done.stdout.count("\n- ") >= 3


def test_same_input_same_key_other_options_other_key(tmp_path: Path) -> None:
    first = json.loads(newsum("summarize", str(SEED_ARTICLE), tmp=tmp_path).stdout)
    again = json.loads(newsum("summarize", str(SEED_ARTICLE), tmp=tmp_path).stdout)
    other = json.loads(
        newsum("summarize", str(SEED_ARTICLE), "--sentences", "3", tmp=tmp_path).stdout
    )
    assert first["id"] == again["id"] != other["id"]


def test_stdin_and_html_file(tmp_path: Path) -> None:
    import os

    page = HTML_DIR / "newspaper4k__chinese_article_001.html"
    done = subprocess.run(
        [NEWSUM, "summarize", "-", "--sentences", "2"],
        input=page.read_text(encoding="utf-8"),
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "NEWSUM_MODEL_DIR": str(tmp_path)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["summary"]["sentences"]) == 2


@pytest.mark.parametrize(
    ("args", "content", "code", "message"),
    [
        (["summarize", "{missing}"], None, 2, "No such file"),
        (["summarize", "{file}"], "   \n", 2, "empty"),
        (
            ["summarize", "{file}"],
            "서울시는 오늘 새로운 주택 정책을 발표했다. 관계자는 밝혔다.",
            2,
            "not Chinese",
        ),
        (
            ["summarize", "{file}", "--profile", "standard"],
            "嘉兴新闻。全市89家单位参加。",
            1,
            "newsum models pull",
        ),
        (["summarize", "{file}", "--sentences", "0"], "新闻。", 2, "Invalid value"),
    ],
)
def test_bad_input_is_one_clear_line(
    tmp_path: Path, args: list[str], content: str | None, code: int, message: str
) -> None:
    path = tmp_path / "article.txt"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    argv = [a.format(missing=tmp_path / "nope.txt", file=path) for a in args]
    done = newsum(*argv, tmp=tmp_path)
    assert done.returncode == code
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_bad_setting_stops_with_the_variable_named(tmp_path: Path) -> None:
    done = newsum(
        "summarize", str(SEED_ARTICLE), env_extra={"NEWSUM_MAX_CHARS": "lots"}, tmp=tmp_path
    )
    assert done.returncode == 1
    assert "NEWSUM_MAX_CHARS" in done.stderr
    assert "Traceback" not in done.stderr


def test_batch_directory_goes_on_past_a_bad_article(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-seed.txt").write_bytes(SEED_ARTICLE.read_bytes())
    (folder / "b-empty.txt").write_text("  ", encoding="utf-8")
    (folder / "c-page.html").write_bytes(
        (HTML_DIR / "newspaper4k__chinese_article_001.html").read_bytes()
    )
    (folder / "ignored.json").write_text("{}", encoding="utf-8")
    out = tmp_path / "results.jsonl"
    done = newsum("batch", str(folder), "--out", str(out), tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["a-seed.txt", "b-empty.txt", "c-page.html"]
    assert [line["state"] for line in lines] == ["done", "failed", "done"]
    assert lines[1]["error"]["code"] == "empty_input"
    assert "2 done, 1 failed" in done.stderr


def test_batch_jsonl_keeps_every_line(tmp_path: Path) -> None:
    rows = [
        json.dumps({"id": "seed", "text": SEED_ARTICLE.read_text(encoding="utf-8")}),
        "{not json",
        json.dumps({"id": "both", "text": "新闻", "html": "<p>新闻</p>"}),
        json.dumps({"id": "short", "text": "嘉兴市今天召开会议，部署明年工作。会议由市长主持。"}),
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    done = newsum("batch", str(source), "--out", str(out), tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["seed", "line-2", "both", "short"]
    assert [line["state"] for line in lines] == ["done", "failed", "failed", "done"]
    assert "exactly one" in lines[2]["error"]["message"]


@pytest.mark.engine
def test_summarize_with_a_model_dir_gives_english(tmp_path: Path, tiny_model_dir: Path) -> None:
    done = newsum(
        "summarize",
        str(SEED_ARTICLE),
        tmp=tmp_path,
        env_extra={
            "NEWSUM_MODEL_DIR": str(tiny_model_dir),
            "NEWSUM_NUM_BEAMS": "1",
            "NEWSUM_MAX_NEW_TOKENS": "8",
            "NEWSUM_TORCH_THREADS": "1",
        },
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["summary"]["method"] == "translate-then-summarize"
    assert result["summary"]["en"]
    assert len(result["translation"]) == len(result["article"]["sentences"])
    assert not any("newsum models pull" in w for w in result["checks"]["warnings"])
    assert {m["id"] for m in result["provenance"]["models"]} >= {
        "Helsinki-NLP/opus-mt-zh-en",
        "sshleifer/distilbart-cnn-12-6",
    }
    # CC BY 4.0 requires credit wherever the translator's output is used.
    refs = {m["role"]: m for m in result["provenance"]["models"]}
    assert refs["translation"]["licence"] == "CC BY 4.0"
    assert "University of Helsinki" in refs["translation"]["attribution"]
    assert "creativecommons.org/licenses/by/4.0" in refs["translation"]["attribution"]
    assert refs["summary"]["attribution"] is None  # Apache-2.0 asks none in output


def test_models_list_and_doctor(tmp_path: Path, tiny_model_dir: Path) -> None:
    empty = newsum("models", "list", tmp=tmp_path)
    assert empty.returncode == 0, empty.stderr
    assert "Helsinki-NLP/opus-mt-zh-en" in empty.stdout and "missing" in empty.stdout
    doctor = newsum("models", "doctor", tmp=tmp_path)
    assert "newsum models pull translation" in doctor.stdout
    present = newsum(
        "models", "list", tmp=tmp_path, env_extra={"NEWSUM_MODEL_DIR": str(tiny_model_dir)}
    )
    translation = next(line for line in present.stdout.splitlines() if "opus-mt" in line)
    assert "present" in translation and str(tiny_model_dir) in translation


def test_models_pull_without_the_hub_fails_in_one_line(tmp_path: Path) -> None:
    done = newsum("models", "pull", "translation", tmp=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("newsum: error:")


def test_models_pull_refuses_the_noncommercial_model(tmp_path: Path) -> None:
    done = newsum("models", "pull", "direct-summary", tmp=tmp_path)
    assert done.returncode == 1
    assert "NEWSUM_ALLOW_NONCOMMERCIAL" in done.stderr


def test_eval_extraction_json_on_two_pages(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    wanted = {"newspaper4k__chinese_article_001.html", "gne__163__1.html"}
    rows = [
        line
        for line in (HTML_DIR / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
        if json.loads(line)["file"] in wanted
    ]
    (pages / "manifest.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    for name in wanted:
        (pages / name).write_bytes((HTML_DIR / name).read_bytes())
    done = newsum("eval", "extraction", str(pages), "--json", tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["newsum"]["gold"]["pages"] == 1
    assert report["newsum"]["gold"]["f1"] > 0.95
    assert set(report["baselines"]) == {"trafilatura", "readability-lxml", "newspaper4k"}
    table = newsum("eval", "extraction", str(pages), tmp=tmp_path)
    assert "newsum" in table.stdout and "trafilatura" in table.stdout


def test_models_pull_refuses_qwen2_5_3b_naming_its_licence(tmp_path: Path) -> None:
    done = newsum("models", "pull", "Qwen/Qwen2.5-3B-Instruct", tmp=tmp_path)
    assert done.returncode == 1
    assert "Qwen Research License" in done.stderr
    assert "pulling Qwen/Qwen2.5-3B-Instruct" in done.stderr
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())


def test_models_pull_takes_an_instruct_id_and_says_which_it_does_not_know(tmp_path: Path) -> None:
    # A known Apache-2.0 id passes the licence gate and fails only at the hub (no internet).
    known = newsum("models", "pull", "Qwen3-0.6B", tmp=tmp_path)
    assert known.returncode == 1
    assert "pulling Qwen3-0.6B" in known.stderr and "licensed" not in known.stderr
    assert known.stderr.strip().splitlines()[-1].startswith("newsum: error:")
    unknown = newsum("models", "pull", "Qwen/Qwen9-1B", tmp=tmp_path)
    assert unknown.returncode != 0
    assert "Qwen/Qwen2.5-1.5B-Instruct" in unknown.stderr  # the known ones are named
    bad = newsum("models", "pull", "poetry", tmp=tmp_path)
    assert bad.returncode == 2 and "instruct model id" in bad.stderr
