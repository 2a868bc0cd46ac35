"""transformers' "Loading weights" bar: shown on a terminal, off in logs and pipes."""

from __future__ import annotations

import io

import pytest
from transformers.utils import logging as transformers_logging

from models.engines.weights_bar import weights_bar_for_people


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_is_off_while_loading_when_stderr_is_no_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stderr", io.StringIO())
    transformers_logging.enable_progress_bar()
    with weights_bar_for_people():
        assert not transformers_logging.is_progress_bar_enabled()
    assert transformers_logging.is_progress_bar_enabled()  # as it was after


def test_the_bar_stays_for_a_person_at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr", _Terminal())
    transformers_logging.enable_progress_bar()
    with weights_bar_for_people():
        assert transformers_logging.is_progress_bar_enabled()


def test_a_bar_someone_turned_off_stays_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr", io.StringIO())
    transformers_logging.disable_progress_bar()
    try:
        with weights_bar_for_people():
            assert not transformers_logging.is_progress_bar_enabled()
        assert not transformers_logging.is_progress_bar_enabled()
    finally:
        transformers_logging.enable_progress_bar()
