"""The English steps and the pipeline keep small modules whose imports go one way.

``workers.pipeline`` holds the order of the steps; the strategies
(``workers.english.summarize``) and the translation step
(``workers.english.translate``) must not import it back, and no module of
``workers.english`` imports another that imports it (function-level imports count).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.article.test_layout import MAX_LINES, import_cycles, imports_of, module_name
from tests.paths import REPO

MODULES = [*sorted((REPO / "workers" / "english").glob("*.py")), REPO / "workers" / "pipeline.py"]


def test_no_import_cycle_among_the_english_steps_and_the_pipeline() -> None:
    modules = {module_name(p): p for p in MODULES}
    graph = {name: imports_of(path, set(modules)) - {name} for name, path in modules.items()}
    assert graph["workers.pipeline"] >= {
        "workers.english.summarize",
        "workers.english.name_checks",
        "workers.english.number_checks",
    }
    assert graph["workers.english.summarize"] >= {"workers.english.translate"}
    assert import_cycles(graph) == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_every_module_stays_small(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.name}: {lines} lines; split it by job"
