"""The decoder-only engine on tiny random-weight Qwen2 and Qwen3 instruct models,
loaded through the path a real checkpoint takes (``locate`` then ``load``)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from models.engines.causal_lm import CausalLMEngine
from models.errors import ModelLoadFailed
from models.specs import instruct_spec
from models.store import locate
from tests.models.conftest import load_causal_lm
from tests.tiny_instruct import TINY_INSTRUCT

SHORT = "嘉兴市召开主题教育总结大会。"


@pytest.mark.parametrize("model_id", list(TINY_INSTRUCT))
def test_chat_prompt_stop_tokens_and_greedy_settings(
    tiny_instruct_dir: Path, model_id: str
) -> None:
    engine = load_causal_lm(tiny_instruct_dir, model_id, max_new_tokens=6)
    tokenizer = engine._tokenizer
    prompt = tokenizer.decode(engine.chat_ids(SHORT))
    assert f"<|im_start|>user\n{SHORT}<|im_end|>\n<|im_start|>assistant\n" in prompt
    if "Qwen3" in model_id:
        assert prompt.endswith("<think>\n\n</think>\n\n")  # thinking off
    assert tokenizer.convert_tokens_to_ids("<|im_end|>") in engine.stop_ids
    signature = engine.generation_signature()
    assert signature["generation"]["do_sample"] is False
    assert signature["chat_template"] == engine.template_digest


def test_batched_prompts_give_what_each_gives_alone(tiny_instruct_dir: Path) -> None:
    engine = load_causal_lm(tiny_instruct_dir, "Qwen/Qwen2.5-1.5B-Instruct", max_new_tokens=6)
    texts = [SHORT, "会议回顾了2019年的工作，全市共有120个单位参加。"]
    together = engine.generate(texts)
    assert together == [engine.generate([t])[0] for t in texts]
    assert all("<|im_end|>" not in t for t in together)


def test_hard_limits_on_prompt_and_new_tokens(
    tiny_instruct_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = load_causal_lm(tiny_instruct_dir, "Qwen/Qwen3-1.7B", max_new_tokens=4)
    # Count the tokens the model made (re-tokenizing the decoded reply may differ).
    made: list[int] = []
    real_generate = engine._model.generate

    def counting_generate(**kwargs: Any) -> Any:
        out = real_generate(**kwargs)
        made.append(int(out.shape[1] - kwargs["input_ids"].shape[1]))
        return out

    monkeypatch.setattr(engine._model, "generate", counting_generate)
    engine.generate([SHORT], max_new_tokens=500)  # never above the cap
    assert made and all(n <= 4 for n in made)
    with pytest.raises(ValueError, match="fit the article first"):
        engine.generate([SHORT * 400])


def test_a_checkpoint_without_a_chat_template_is_refused(
    tiny_instruct_dir: Path, tmp_path: Path
) -> None:
    """No template, no prompt: the load fails naming the folder, before any weights run."""
    spec = instruct_spec("Qwen/Qwen2.5-1.5B-Instruct")
    source = locate(spec, tiny_instruct_dir)
    assert source is not None
    bare = tmp_path / spec.dir_name
    shutil.copytree(source, bare)
    (bare / "chat_template.jinja").unlink()
    with pytest.raises(ModelLoadFailed, match="has no chat template"):
        CausalLMEngine.load(spec, bare, device="cpu")
