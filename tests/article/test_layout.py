"""The article package keeps small modules whose imports go one way.

The HTML extractor hands plain text to the scraped-text cleaner; the cleaner
must not need the extractor back (it used to, for ``ExtractedArticle``, which
made the two import each other). Function-level imports count: a cycle hidden
inside a function is still a cycle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO

PACKAGE = REPO / "workers" / "article"
MAX_LINES = 500


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Modules of ``known`` that ``path`` imports anywhere (top level or in a function)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found.update(n for n in names if n in known)
    return found


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import paths that come back to where they started (depth-first)."""
    found: list[list[str]] = []
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt in path:
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in done:
                visit(nxt, [*path, nxt])
        done.add(node)

    for start in sorted(graph):
        if start not in done:
            visit(start, [start])
    return found


def test_no_import_cycle_inside_the_article_package() -> None:
    modules = {module_name(p): p for p in PACKAGE.glob("*.py")}
    graph = {name: imports_of(path, set(modules)) - {name} for name, path in modules.items()}
    assert graph["workers.article.extract"] >= {"workers.article.scraped_text"}
    assert import_cycles(graph) == []


def test_the_cycle_finder_sees_a_function_level_cycle(tmp_path: Path) -> None:
    # The finder itself must be able to fail: a cycle through a function body.
    (tmp_path / "a.py").write_text("import b\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("def f() -> None:\n    import a\n", encoding="utf-8")
    graph = {n: imports_of(tmp_path / f"{n}.py", {"a", "b"}) for n in ("a", "b")}
    assert import_cycles(graph) == [["a", "b", "a"]]


def test_the_scraped_text_cleaner_loads_no_html_tools() -> None:
    code = (
        "import sys, workers.article.scraped_text\n"
        "print(sorted({'workers.article.extract', 'lxml', 'readability'} & set(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_every_module_stays_small(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.name}: {lines} lines; split it by job"
