"""What the engine tests of this folder share: the tiny instruct checkpoints, built
once, and loading one through the path a real checkpoint takes."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.engines.causal_lm import CausalLMEngine
from models.specs import instruct_spec
from models.store import locate
from tests.tiny_instruct import build_instruct_models


@pytest.fixture(scope="session")
def tiny_instruct_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both tiny instruct checkpoints (Qwen2, Qwen3), as ``newsum models pull`` lays them out."""
    model_dir = tmp_path_factory.mktemp("tiny-instruct")
    build_instruct_models(model_dir)
    return model_dir


def load_causal_lm(model_dir: Path, model_id: str, **overrides: int) -> CausalLMEngine:
    """``locate`` then ``CausalLMEngine.load`` on the CPU, with generation overrides."""
    spec = instruct_spec(model_id)
    path = locate(spec, model_dir)
    assert path is not None
    return CausalLMEngine.load(spec, path, device="cpu", generation_overrides=overrides)
