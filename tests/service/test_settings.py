from __future__ import annotations

import pytest

from workers.settings import SettingsError, load_settings


def test_defaults_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSUM_MAX_CHARS", "2000")
    settings = load_settings()
    assert settings.max_chars == 2000
    assert settings.allow_noncommercial is False


@pytest.mark.parametrize(
    ("name", "value"), [("NEWSUM_MAX_CHARS", "many"), ("NEWSUM_DEVICE", "tpu")]
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()
