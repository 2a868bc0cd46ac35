"""Profile ``llm`` end to end on tiny random-weight instruct models: loaded through
``load_engines`` as real checkpoints are; their garbage falls back cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tiny_instruct import build_instruct_models
from workers.contract import ArticleInput, SummaryOptions
from workers.english.engines import load_engines
from workers.errors import ModelUnavailable
from workers.pipeline import summarize_article
from workers.settings import Settings

TEXT = (
    "嘉兴市召开主题教育总结大会。\n会议回顾了2019年的工作，全市共有120个单位参加。\n"
    "市委书记作了讲话。"
)


@pytest.fixture(scope="module")
def instruct_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model_dir = tmp_path_factory.mktemp("tiny-instruct-pipeline")
    build_instruct_models(model_dir)
    return model_dir


@pytest.mark.parametrize("model_id", ["Qwen/Qwen2.5-1.5B-Instruct", "Qwen/Qwen3-1.7B"])
def test_random_weights_fall_back_to_the_key_sentences(instruct_dir: Path, model_id: str) -> None:
    settings = Settings(model_dir=instruct_dir, llm_model=model_id, max_new_tokens=16)
    engines = load_engines(settings, "llm")
    assert engines.profile == "llm" and engines.translator is None
    result = summarize_article(
        ArticleInput(text=TEXT), SummaryOptions(profile="llm"), engines, settings, key="k"
    )
    assert result.summary.method == "extractive"
    assert any("language model's brief was not used" in r for r in result.review_reasons)
    refs = {m.role: m for m in result.provenance.models}
    assert refs["instruct"].id == model_id and refs["instruct"].licence == "Apache-2.0"
    assert result.provenance.profile == "llm"


def test_auto_picks_the_instruct_model_when_present(instruct_dir: Path) -> None:
    settings = Settings(model_dir=instruct_dir, max_new_tokens=8)
    engines = load_engines(settings, "auto")
    assert engines.profile == "llm" and engines.llm is not None
    assert "prompt" in engines.output_signature()


def test_a_refused_licence_stops_the_llm_profile(instruct_dir: Path) -> None:
    settings = Settings(model_dir=instruct_dir, llm_model="Qwen/Qwen2.5-3B-Instruct")
    with pytest.raises(ModelUnavailable, match="Qwen Research License"):
        load_engines(settings, "llm")
    with pytest.raises(ModelUnavailable, match="not found"):
        load_engines(Settings(model_dir=instruct_dir / "none"), "llm")
