"""Fixtures of the evaluation tests."""

from __future__ import annotations

import pytest

from tests.paths import HTML_DIR
from workers.eval.summary_devset import DevSet, build_dev_set


@pytest.fixture(scope="session")
def shared_dev_set() -> DevSet:
    """The summary development set of ../shared/data/html, built once (it extracts
    every page without a gold text, which takes a while)."""
    return build_dev_set(HTML_DIR)
