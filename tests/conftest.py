"""Shared pytest fixtures. Each block belongs to one part of the project."""

from __future__ import annotations

from pathlib import Path

import pytest

# ---------------------------------------------------------------- tiny models (models/)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model dir holding tiny random-weight opus-mt-zh-en and distilbart-cnn-12-6
    checkpoints, laid out as ``models.store.model_path`` expects; built once per
    session (deterministic, a few seconds). Read-only: copy it to change it."""
    from tests.tiny_models import build_tiny_models

    model_dir = tmp_path_factory.mktemp("tiny-models")
    build_tiny_models(model_dir)
    return model_dir


@pytest.fixture(scope="session")
def tiny_model_dir_with_direct(
    tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """``tiny_model_dir`` plus a tiny mT5 as csebuetnlp/mT5_m2o_english_crossSum (the
    opt-in, non-commercial direct-summary role). Read-only."""
    import shutil

    from tests.tiny_models import build_tiny_models

    model_dir = tmp_path_factory.mktemp("tiny-models-direct") / "models"
    shutil.copytree(tiny_model_dir, model_dir)
    build_tiny_models(model_dir, roles=("direct-summary",))
    return model_dir


# ---------------------------------------------------------------- end of tiny models
