"""Warnings are sentences for an editor: what is missing, why, and who can fix it; never a
field name ("article.title_en: no translation model is loaded")."""

from __future__ import annotations

import re

import pytest

from tests.paths import SEED_ARTICLE
from workers.contract import ArticleInput, SummaryOptions, SummaryResult
from workers.english.engines import offline_engines
from workers.english.notices import (
    NO_ENGLISH_HEADLINE,
    NO_MODELS,
    NO_TRANSLATION_MODEL,
    NOT_CHECKED,
)
from workers.pipeline import summarize_article
from workers.settings import Settings

FIELD_NAME = re.compile(r"^[a-z_]+(\.[a-z_]+)*:")


def offline_result(tmp: str, **options: object) -> SummaryResult:
    settings = Settings(model_dir=tmp)
    return summarize_article(
        ArticleInput(text=SEED_ARTICLE.read_text(encoding="utf-8")),
        SummaryOptions(**options),  # type: ignore[arg-type]
        offline_engines(),
        settings,
        key="k",
    )


@pytest.mark.parametrize("options", [{}, {"strategy": "summarize-then-translate"}])
def test_a_result_without_models_says_so_in_sentences(
    tmp_path_factory: pytest.TempPathFactory, options: dict[str, object]
) -> None:
    result = offline_result(str(tmp_path_factory.mktemp("models")), **options)
    warnings = result.checks.warnings
    assert warnings
    for warning in warnings:
        assert not FIELD_NAME.match(warning), warning
        assert warning[0].isupper() and warning.endswith("."), warning
    # What is missing, and who can fix it, with the way to the fix.
    assert NO_MODELS in warnings and NO_ENGLISH_HEADLINE in warnings
    assert NO_TRANSLATION_MODEL in warnings and NOT_CHECKED in warnings
    assert NO_ENGLISH_HEADLINE.startswith("The headline has no English yet")
    for missing in (NO_MODELS, NO_ENGLISH_HEADLINE, NO_TRANSLATION_MODEL):
        assert "administrator" in missing.lower() and "Getting English" in missing
    assert "/docs/getting-english" in NO_MODELS and "`newsum models import`" in NO_MODELS
