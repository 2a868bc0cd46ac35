"""`newsum models list | doctor | export | import` as a user runs them (real processes):
converted copies listed, doctor's exit status, checkpoints moved by archive, progress
bars only on a terminal and never with --quiet."""

from __future__ import annotations

import fcntl
import os
import pty
import shutil
import struct
import subprocess
import tarfile
import termios
from pathlib import Path

import pytest

from models.convert import MARKER, TOKENIZER_DIR
from models.specs import ROLES
from service.model_commands import ROLE_NAMES
from tests.service.test_cli import NEWSUM, newsum

OPUS = "Helsinki-NLP--opus-mt-zh-en"


def with_fake_ct2(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """A copy of the tiny models plus an int8 'conversion' of the translator: the
    files `models.convert.is_converted` checks, enough for list, doctor and export."""
    model_dir = tmp_path / "models"
    shutil.copytree(tiny_model_dir, model_dir)
    folder = model_dir / f"{OPUS}.ct2-int8"
    (folder / TOKENIZER_DIR).mkdir(parents=True)
    (folder / "model.bin").write_bytes(b"\x00" * 2048)
    (folder / TOKENIZER_DIR / "tokenizer_config.json").write_text("{}")
    (folder / MARKER).write_text('{"revision": "main"}')
    return model_dir


def test_the_command_line_knows_the_registry_roles() -> None:
    assert ROLE_NAMES == ROLES


def test_list_and_doctor_show_converted_copies(tiny_model_dir: Path, tmp_path: Path) -> None:
    model_dir = with_fake_ct2(tiny_model_dir, tmp_path)
    env = {"NEWSUM_MODEL_DIR": str(model_dir)}
    listed = newsum("models", "list", tmp=tmp_path, env_extra=env)
    assert listed.returncode == 0, listed.stderr
    copy = next(line for line in listed.stdout.splitlines() if "ct2-int8" in line)
    assert copy.startswith("translation") and str(model_dir / f"{OPUS}.ct2-int8") in copy
    assert "CC BY 4.0" in listed.stdout
    doctor = newsum("models", "doctor", tmp=tmp_path, env_extra=env)
    assert doctor.returncode == 0, doctor.stdout
    assert f"CTranslate2 int8 copy at {model_dir / f'{OPUS}.ct2-int8'}" in doctor.stdout


def test_doctor_exits_1_when_the_profile_lacks_a_model(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    empty = newsum("models", "doctor", tmp=tmp_path)
    assert empty.returncode == 1
    assert "newsum models pull translation" in empty.stdout
    assert "profile 'standard' cannot run here: translation, summary" in empty.stdout
    assert newsum("models", "doctor", "--profile", "auto", tmp=tmp_path).returncode == 0
    assert newsum("models", "doctor", "--profile", "offline", tmp=tmp_path).returncode == 0
    # The summarizer gone: standard cannot run, the line says which.
    model_dir = tmp_path / "half"
    shutil.copytree(tiny_model_dir / OPUS, model_dir / OPUS)
    half = newsum("models", "doctor", tmp=tmp_path, env_extra={"NEWSUM_MODEL_DIR": str(model_dir)})
    assert half.returncode == 1
    assert "cannot run here: summary missing" in half.stdout
    # NEWSUM_ENGINE=ctranslate2 needs converted copies, not checkpoints.
    ct2 = newsum(
        "models",
        "doctor",
        tmp=tmp_path,
        env_extra={"NEWSUM_MODEL_DIR": str(tiny_model_dir), "NEWSUM_ENGINE": "ctranslate2"},
    )
    assert ct2.returncode == 1 and "newsum models convert translation" in ct2.stdout


def test_export_then_import_on_another_machine(tiny_model_dir: Path, tmp_path: Path) -> None:
    source = with_fake_ct2(tiny_model_dir, tmp_path)
    archive = tmp_path / "models.tar"
    done = newsum(
        "models", "export", str(archive), tmp=tmp_path, env_extra={"NEWSUM_MODEL_DIR": str(source)}
    )
    assert done.returncode == 0, done.stderr
    assert f"translation: {OPUS} (CC BY 4.0)" in done.stdout
    assert f"translation: {OPUS}.ct2-int8" in done.stdout
    assert "3 folder(s)" in done.stdout
    # stderr is a pipe here: no progress bars.
    assert "%|" not in done.stderr
    target = tmp_path / "elsewhere"
    env = {"NEWSUM_MODEL_DIR": str(target)}
    installed = newsum("models", "import", str(archive), tmp=tmp_path, env_extra=env)
    assert installed.returncode == 0, installed.stderr
    assert f"imported {target / OPUS}" in installed.stdout
    assert "%|" not in installed.stderr
    assert newsum("models", "doctor", tmp=tmp_path, env_extra=env).returncode == 0
    again = newsum("models", "import", str(archive), tmp=tmp_path, env_extra=env)
    assert again.returncode == 1 and "--force" in again.stderr
    forced = newsum("models", "import", str(archive), "--force", tmp=tmp_path, env_extra=env)
    assert forced.returncode == 0, forced.stderr


def test_a_corrupt_archive_exits_1_naming_the_file(tiny_model_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "models.tar"
    env = {"NEWSUM_MODEL_DIR": str(tiny_model_dir)}
    assert newsum("models", "export", str(archive), tmp=tmp_path, env_extra=env).returncode == 0
    # Flip one byte inside the translator's weights.
    with tarfile.open(archive) as tar:
        member = tar.getmember(f"{OPUS}/model.safetensors")
        offset = member.offset_data + member.size // 2
    data = bytearray(archive.read_bytes())
    data[offset] ^= 0xFF
    archive.write_bytes(bytes(data))
    target = tmp_path / "elsewhere"
    done = newsum(
        "models", "import", str(archive), tmp=tmp_path, env_extra={"NEWSUM_MODEL_DIR": str(target)}
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("newsum: error:") and str(archive) in line
    assert f"{OPUS}/model.safetensors does not match its checksum" in line
    assert not target.exists() or list(target.iterdir()) == []


def test_export_with_nothing_to_export_exits_1(tmp_path: Path) -> None:
    done = newsum("models", "export", str(tmp_path / "models.tar"), tmp=tmp_path)
    assert done.returncode == 1 and "nothing to export" in done.stderr
    assert not (tmp_path / "models.tar").exists()


def on_a_terminal(*args: str, env: dict[str, str]) -> str:
    """Run newsum with stderr on a pseudo-terminal (80 columns); what it drew there."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen(
        [NEWSUM, *args],
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env={**os.environ, **env},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert process.wait(timeout=240) == 0
    os.close(leader)
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_progress_bars_on_a_terminal_unless_quiet(tiny_model_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "models.tar"
    env = {"NEWSUM_MODEL_DIR": str(tiny_model_dir)}
    drawn = on_a_terminal("models", "export", str(archive), env=env)
    assert "writing models.tar" in drawn and "100%" in drawn
    drawn = on_a_terminal(
        "models", "import", str(archive), env={"NEWSUM_MODEL_DIR": str(tmp_path / "a")}
    )
    assert "importing models.tar" in drawn and "100%" in drawn
    quiet = on_a_terminal(
        "models", "import", str(archive), "--quiet", env={"NEWSUM_MODEL_DIR": str(tmp_path / "b")}
    )
    assert "importing" not in quiet and "%" not in quiet


@pytest.mark.engine
def test_convert_draws_progress_on_a_terminal(tiny_model_dir: Path, tmp_path: Path) -> None:
    model_dir = tmp_path / "models"
    shutil.copytree(tiny_model_dir / OPUS, model_dir / OPUS)
    env = {"NEWSUM_MODEL_DIR": str(model_dir)}
    drawn = on_a_terminal("models", "convert", "translation", "--quantization", "float32", env=env)
    assert "translation → ct2-float32" in drawn and "3/3" in drawn
    listed = newsum("models", "list", tmp=tmp_path, env_extra=env)
    assert "ct2-float32" in listed.stdout
