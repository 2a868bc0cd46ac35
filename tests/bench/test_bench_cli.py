"""``newsum bench`` from the installed console script, not ``python -m``.

A console script's path holds the installed packages only; bench/ and tests/
live in the checkout. These run the script from a folder outside the checkout
with no PYTHONPATH, so only the command's own lookup can find them. A whole run
builds models (tests/bench/test_bench_quick.py runs one in process); these stop
at the cheapest real steps: the flags, and the child that imports the arms.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from service.cli import checkout_root
from tests.paths import REPO

NEWSUM = Path(sys.executable).parent / "newsum"


def newsum_bench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [str(NEWSUM), "bench", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_checkout_is_found_from_the_installed_package() -> None:
    assert checkout_root() == REPO


def test_console_script_lists_the_benchmark_flags(tmp_path: Path) -> None:
    run = newsum_bench("--help", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("usage: newsum bench")
    for flag in ("--quick", "--json", "--model-size", "--skip"):
        assert flag in run.stdout
    assert "runs from a checkout" not in run.stderr


def test_console_script_passes_flags_to_the_benchmark(tmp_path: Path) -> None:
    run = newsum_bench("--skip", "no-such-arm", cwd=tmp_path)
    assert run.returncode == 2
    assert "newsum bench: error: argument --skip: invalid choice" in run.stderr


def test_console_script_child_imports_the_arms(tmp_path: Path) -> None:
    # The arms' child (what --quick starts per engine family) gets as far as
    # reading its plan: bench.arms and what it imports were found.
    missing = tmp_path / "plan.json"
    run = newsum_bench("--child", "ctranslate2", "--plan", str(missing), cwd=tmp_path)
    assert run.returncode == 1
    assert "ModuleNotFoundError" not in run.stderr and "ImportError" not in run.stderr
    assert f"FileNotFoundError: [Errno 2] No such file or directory: '{missing}'" in run.stderr
