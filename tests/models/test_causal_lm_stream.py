"""``CausalLMEngine.stream`` on tiny random-weight Qwen2 and Qwen3 instruct models:
the pieces, joined and stripped, are what ``generate`` gives; the same limits; a
reasoning block is never given out; closing the stream stops the model."""

from __future__ import annotations

import itertools
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from models.engines.causal_lm import CausalLMEngine, settled_text
from models.engines.chat import answer_text
from tests.models.conftest import load_causal_lm
from tests.tiny_instruct import TINY_INSTRUCT

pytestmark = pytest.mark.engine

PROMPTS = [
    "嘉兴市召开主题教育总结大会。",
    "会议回顾了2019年的工作，全市共有120个单位参加。请用英文写出标题和两句摘要。",
    "HEADLINE:",
]


def _count_made(engine: CausalLMEngine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of tokens each model.generate call made (prompt left out)."""
    made: list[int] = []
    real_generate = engine._model.generate

    def counting_generate(**kwargs: Any) -> Any:
        out = real_generate(**kwargs)
        made.append(int(out.shape[1] - kwargs["input_ids"].shape[1]))
        return out

    monkeypatch.setattr(engine._model, "generate", counting_generate)
    return made


@pytest.mark.parametrize("model_id", list(TINY_INSTRUCT))
def test_pieces_join_to_what_generate_gives(tiny_instruct_dir: Path, model_id: str) -> None:
    engine = load_causal_lm(tiny_instruct_dir, model_id)
    for prompt in PROMPTS:
        for cap in (None, 9, 60):
            whole = engine.generate([prompt], max_new_tokens=cap)[0]
            pieces = list(engine.stream(prompt, max_new_tokens=cap))
            assert "".join(pieces).strip() == whole, (prompt, cap)
            assert all(pieces), "no empty pieces"
            assert all("<|im_end|>" not in p and "<|endoftext|>" not in p for p in pieces)
    # Random weights write the whole cap (320 tokens): it comes in many pieces.
    assert len(list(engine.stream(PROMPTS[0]))) > 20


@pytest.mark.parametrize("model_id", list(TINY_INSTRUCT))
def test_stream_keeps_the_hard_limits(
    tiny_instruct_dir: Path, model_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = load_causal_lm(tiny_instruct_dir, model_id, max_new_tokens=5)
    made = _count_made(engine, monkeypatch)
    pieces = list(engine.stream(PROMPTS[0], max_new_tokens=500))  # never above the cap
    assert len(made) == 1 and 1 <= made[0] <= 5
    assert "".join(pieces).strip() == engine.generate([PROMPTS[0]])[0]
    too_long = engine.stream(PROMPTS[0] * 400)
    with pytest.raises(ValueError, match="fit the article first"):
        next(too_long)


def test_closing_the_stream_stops_the_model(
    tiny_instruct_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = load_causal_lm(tiny_instruct_dir, "Qwen/Qwen2.5-1.5B-Instruct")
    made = _count_made(engine, monkeypatch)
    stream = engine.stream(PROMPTS[1])
    assert isinstance(stream, Generator)
    first = next(stream)
    assert first
    stream.close()  # returns once the generate thread has stopped
    assert len(made) == 1
    assert made[0] < 40 < engine.max_new_tokens  # it would have written 320


def test_beam_search_gives_the_reply_in_one_piece(tiny_instruct_dir: Path) -> None:
    engine = load_causal_lm(
        tiny_instruct_dir, "Qwen/Qwen2.5-1.5B-Instruct", num_beams=2, max_new_tokens=12
    )
    pieces = list(engine.stream(PROMPTS[0]))
    assert pieces == [engine.generate([PROMPTS[0]])[0]]


def test_a_reasoning_block_is_never_given_out(
    tiny_instruct_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Qwen3 with thinking off may still write a think block: the stream holds it back
    until it closes, then drops it, as ``answer_text`` does for ``generate``."""
    engine = load_causal_lm(tiny_instruct_dir, "Qwen/Qwen3-1.7B")
    tokenizer = engine._tokenizer
    written = "<think>\n先想一想。\n</think>\n\nHEADLINE: Jiaxing meets\n1. It met in 2019."
    reply_ids = tokenizer.encode(written, add_special_tokens=False)
    reply_ids.append(tokenizer.convert_tokens_to_ids("<|im_end|>"))

    def scripted_generate(ids: list[int], kwargs: Any, tokens: Any) -> None:
        import torch

        tokens.put(torch.tensor([ids]))  # the prompt comes first, as generate hands it
        for token in reply_ids:
            tokens.put(torch.tensor([token]))
        tokens.end()

    monkeypatch.setattr(engine, "_generate_into", scripted_generate)
    pieces = list(engine.stream(PROMPTS[0]))
    assert "".join(pieces) == "HEADLINE: Jiaxing meets\n1. It met in 2019."
    assert "".join(pieces) == answer_text(tokenizer.decode(reply_ids, skip_special_tokens=True))
    assert not any("think" in p or "想" in p for p in pieces)
    assert len(pieces) > 3


def test_settled_text_holds_back_what_may_still_change() -> None:
    assert settled_text("  HEADLINE: Jiaxing ") == "HEADLINE: Jiaxing"
    assert settled_text("Jiaxing \ufffd") == "Jiaxing"  # a character cut between tokens
    assert settled_text("Jiaxing <think>so") == "Jiaxing"  # a block not closed yet
    assert settled_text("Jiaxing <thi") == "Jiaxing"  # a block being opened
    assert settled_text("<think>\nx\n</think>\n\nJiaxing met.") == "Jiaxing met."
    assert settled_text("1 < 2") == "1 < 2"
    # What is given out only grows as the reply grows.
    reply = "A <think>b</think>  c \ufffd d"
    seen = [settled_text(reply[:end]) for end in range(len(reply) + 1)]
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(seen))
    assert seen[-1] == answer_text(reply)
