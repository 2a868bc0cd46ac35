"""Every `newsum` subcommand answers bad command-line input (a missing file, an
unknown model role or profile, a bad option value) with exit 2 and one message,
never a traceback, as the README promises ("exit 2 for bad input").

In-process (click's runner) for speed; the first cases run again as a real process."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.service.test_cli import newsum

# {tmp}: the test's folder; {missing}: a path that does not exist; {file}: an
# article file; {dir}: a folder without what the command wants.
CASES = [
    (["summarize", "{missing}"], "No such file"),
    (["summarize", "{dir}"], "is a folder"),
    (["summarize", "{file}", "--profile", "fast"], "'fast' is not one of"),
    (["summarize", "{file}", "--strategy", "guess"], "'guess' is not one of"),
    (["summarize", "{file}", "--glossary", "{missing}"], "does not exist"),
    (["summarize", "{file}", "--glossary", "{latin1}"], "not UTF-8"),
    (["summarize", "{file}", "--format", "pdf"], "'pdf' is not one of"),
    (["batch", "{missing}", "--out", "{tmp}/out.jsonl"], "does not exist"),
    (["batch", "{dir}", "--out", "{tmp}/out.jsonl"], "holds no"),
    (["batch", "{jsonl}", "--out", "{missing}/out.jsonl"], "no such folder"),
    (["batch", "{latin1}", "--out", "{tmp}/out.jsonl"], "not UTF-8"),
    (["batch", "{jsonl}", "--out", "{tmp}/o.jsonl", "--profile", "x"], "'x' is not one of"),
    (["eval", "extraction", "{missing}"], "does not exist"),
    (["eval", "extraction", "{dir}"], "has no manifest.jsonl"),
    (["eval", "summaries", "{missing}"], "does not exist"),
    (["eval", "summaries", "{file}"], "not JSON"),
    (["eval", "summaries", "{jsonl}", "--engine", "magic"], "'magic' is not one of"),
    (["models", "pull", "poetry"], "'poetry' is not one of"),
    (["models", "convert", "poetry"], "'poetry' is not one of"),
    (["models", "convert", "--quantization", "int3"], "'int3' is not one of"),
    (["models", "doctor", "--profile", "fast"], "'fast' is not one of"),
    (["models", "export", "{tmp}/models.tar", "poetry"], "'poetry' is not one of"),
    (["models", "export", "{tmp}/models.zip"], "must end in .tar"),
    (["models", "export", "{missing}/models.tar"], "no such folder"),
    (["models", "import", "{missing}"], "does not exist"),
    (["models", "import", "{dir}"], "not a newsum export"),
    (["serve", "--profile", "fast"], "'fast' is not one of"),
    (["serve", "--port", "0"], "0 is not in the range"),
    (["worker", "--profile", "fast"], "'fast' is not one of"),
    (["worker", "--pool", "threads"], "'threads' is not one of"),
    (["keys", "add", "--rate", "lots"], "N/min"),
    (["keys", "add", "--rate", "6/min", "--glossary", "{missing}"], "does not exist"),
    (["bench", "--no-such-flag"], "unrecognized arguments"),
    (["no-such-command"], "No such command"),
]


def places(tmp_path: Path) -> dict[str, str]:
    article = tmp_path / "article.txt"
    article.write_text("嘉兴新闻。全市89家单位参加。", encoding="utf-8")
    (tmp_path / "rows.jsonl").write_text('{"text": "嘉兴新闻。"}\n', encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("caf\u00e9 \u00e0 la carte\n".encode("latin-1"))
    (tmp_path / "folder").mkdir(exist_ok=True)
    return {
        "tmp": str(tmp_path),
        "missing": str(tmp_path / "nope"),
        "file": str(article),
        "dir": str(tmp_path / "folder"),
        "jsonl": str(tmp_path / "rows.jsonl"),
        "latin1": str(tmp_path / "latin1.txt"),
    }


def case_id(value: object) -> str:
    return " ".join(value)[:48] if isinstance(value, list) else ""


@pytest.mark.parametrize(("args", "message"), CASES, ids=case_id)
def test_bad_input_exits_2(
    tmp_path: Path, args: list[str], message: str, capfd: pytest.CaptureFixture[str]
) -> None:
    from service.cli import _add_service_commands, cli

    _add_service_commands()
    where = places(tmp_path)
    argv = [a.format(**where) for a in args]
    runner = CliRunner(env={"NEWSUM_MODEL_DIR": str(tmp_path / "models")})
    done = runner.invoke(cli, argv, prog_name="newsum")
    # bench's own parser (argparse) writes to the real stderr.
    stderr = done.stderr + capfd.readouterr().err
    assert done.exit_code == 2, (done.exit_code, stderr[-600:], done.exception)
    assert message in stderr, stderr[-600:]
    assert done.stdout == ""
    assert not (tmp_path / "models.tar").exists()


@pytest.mark.parametrize(("args", "message"), CASES[:2] + CASES[17:18] + CASES[25:26], ids=case_id)
def test_a_real_process_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    where = places(tmp_path)
    done = newsum(*[a.format(**where) for a in args], tmp=tmp_path)
    assert done.returncode == 2, done.stderr[-600:]
    assert message in done.stderr
    assert "Traceback" not in done.stderr
