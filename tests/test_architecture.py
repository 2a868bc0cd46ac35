"""The import rules of docs/architecture.md, as ``make lint`` checks them.

``lint-imports`` reads the contracts in pyproject.toml. One test runs it on the
tree as it is; the other copies the tree, breaks two rules on purpose and
checks that the linter names both, so a contract that could never fail (a
misspelt module, a package the linter does not see) fails here instead.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.paths import REPO

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("models", "workers", "service", "bench")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", str(root / "pyproject.toml")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_tree_keeps_every_import_contract() -> None:
    run = lint_imports(REPO)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_a_broken_contract_fails_the_linter(tmp_path: Path) -> None:
    # A copy of the sources (Python files only: the graph needs nothing else) with
    # the real contracts; cwd comes first on sys.path, before the editable install.
    for package in PACKAGES:
        shutil.copytree(
            REPO / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "static", "*.txt", "*.tsv", "*.sh"),
        )
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    (tmp_path / "models" / "breach.py").write_text(
        "from workers.settings import load_settings\n", encoding="utf-8"
    )
    (tmp_path / "service" / "routes" / "breach.py").write_text(
        "def load() -> None:\n    import torch  # noqa: F401\n", encoding="utf-8"
    )

    run = lint_imports(tmp_path)

    assert run.returncode == 1, run.stdout + run.stderr
    assert "models imports nothing of ours BROKEN" in run.stdout
    assert "models.breach -> workers.settings" in run.stdout
    assert "the API process never imports torch, transformers or ctranslate2 BROKEN" in run.stdout
    assert "service.routes.breach -> torch" in run.stdout
    assert "workers never import service KEPT" in run.stdout
    assert re.search(r"\b\d+ kept, 2 broken", run.stdout), run.stdout
