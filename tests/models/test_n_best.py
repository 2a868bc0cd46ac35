"""The engines' n-best lists (``generate_n_best``), on the tiny real translator.

LibreTranslate's ``alternatives`` come from here (``workers.queue.libretranslate``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from models.convert import convert, ct2_path, locate_ct2
from models.engines.ctranslate2_engine import CTranslate2Engine
from models.engines.transformers_engine import TransformersEngine
from models.specs import get_spec
from models.store import model_path
from tests.tiny_models import chinese_lines

pytestmark = pytest.mark.engine

BEAMS = {"num_beams": 3, "max_new_tokens": 12}


def _inputs() -> list[str]:
    return [line for line in chinese_lines() if 8 <= len(line) <= 60][:3]


@pytest.fixture(scope="module")
def transformers_engine(tiny_model_dir: Path) -> TransformersEngine:
    spec = get_spec("translation")
    return TransformersEngine.load(
        spec,
        model_path(spec, tiny_model_dir),
        device="cpu",
        torch_threads=1,
        generation_overrides=BEAMS,
    )


@pytest.fixture(scope="module")
def ct2_engine(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> CTranslate2Engine:
    spec = get_spec("translation")
    out = tmp_path_factory.mktemp("ct2-nbest")
    convert(
        spec,
        model_path(spec, tiny_model_dir),
        ct2_path(spec, out, "float32"),
        quantization="float32",
    )
    path = locate_ct2(spec, out, "float32")
    assert path is not None
    return CTranslate2Engine.load(
        spec, path, device="cpu", compute_type="float32", cores=1, generation_overrides=BEAMS
    )


@pytest.mark.parametrize("which", ["transformers", "ctranslate2"])
def test_n_best_lists_n_outputs_per_input_best_first_in_input_order(
    which: str, request: pytest.FixtureRequest
) -> None:
    engine = request.getfixturevalue(f"{which.replace('ctranslate2', 'ct2')}_engine")
    texts = _inputs()
    listed = engine.generate_n_best(texts, 3)
    assert [len(options) for options in listed] == [3] * len(texts)
    # With as many beams as hypotheses, the best is what generate() gives.
    assert [options[0] for options in listed] == engine.generate(texts)
    # Input order: each text alone gives its own list.
    assert engine.generate_n_best([texts[1]], 3) == [listed[1]]
    # More beams than the engine's own when more hypotheses are asked for.
    assert [len(o) for o in engine.generate_n_best(texts[:1], 5)] == [5]


def test_n_best_refuses_nonsense(transformers_engine: TransformersEngine) -> None:
    assert transformers_engine.generate_n_best([], 2) == []
    with pytest.raises(ValueError, match="n must be"):
        transformers_engine.generate_n_best(["新闻。"], 0)
