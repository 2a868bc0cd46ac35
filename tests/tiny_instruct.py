"""Tiny random-weight Qwen2 and Qwen3 instruct models (see ``tests.tiny_models``).

Laid out as Qwen/Qwen2.5-1.5B-Instruct and Qwen/Qwen3-1.7B: a byte-level BPE trained
with ``tokenizers`` on the seed article's Chinese and English prose on disk, the
ChatML special tokens as real special tokens, the ChatML chat template, and the
checkpoints' sampling generation config; saved with ``save_pretrained`` and loaded
through the path a real checkpoint takes. ``python -m tests.tiny_models DIR`` builds them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.tiny_models import Size, _Dims, chinese_lines, english_lines

# Qwen2.5-Instruct's chat template, reduced to what a text-only chat uses (no tools).
QWEN2_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' %}"
    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- else %}"
    "{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. "
    "You are a helpful assistant.<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{%- if not (message['role'] == 'system' and loop.first) %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
# Qwen3's: no default system turn; thinking off writes an empty think block.
QWEN3_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}"
    "{%- if enable_thinking is defined and enable_thinking is false %}"
    "{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}"
)
_QWEN = {"tiny": _Dims(64, 0, 2, heads=4, ffn=128, vocab=None)}


def _chatml_tokenizer(out_dir: Path, *, thinking: bool, template: str) -> Any:
    """A byte-level BPE (about 3,000 entries) with ChatML's special tokens, saved."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=3_000,
        min_frequency=2,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(chinese_lines() + english_lines(), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>", "<|im_end|>"],
        model_max_length=32_768,
    )
    if thinking:
        tokenizer.add_tokens(["<think>", "</think>"])
    tokenizer.chat_template = template
    tokenizer.save_pretrained(out_dir)
    return tokenizer


def _build_qwen(out_dir: Path, *, qwen3: bool, init_std: float) -> Path:
    import torch
    from transformers import AutoModelForCausalLM, GenerationConfig, Qwen2Config, Qwen3Config

    dims = _QWEN["tiny"]
    out_dir.mkdir(parents=True, exist_ok=True)
    template = QWEN3_TEMPLATE if qwen3 else QWEN2_TEMPLATE
    tokenizer = _chatml_tokenizer(out_dir, thinking=qwen3, template=template)
    end_text = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    common: dict[str, Any] = dict(
        vocab_size=len(tokenizer),
        hidden_size=dims.d_model,
        intermediate_size=dims.ffn,
        num_hidden_layers=dims.decoder_layers,
        num_attention_heads=dims.heads,
        num_key_value_heads=2,
        max_position_embeddings=4_096,
        tie_word_embeddings=True,
        bos_token_id=end_text,
        eos_token_id=im_end,
        pad_token_id=end_text,
        initializer_range=init_std,
    )
    config = (
        Qwen3Config(head_dim=dims.d_model // dims.heads, **common)
        if qwen3
        else Qwen2Config(**common)
    )
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config)
    # The checkpoints' own sampling settings (Qwen2.5-1.5B-Instruct's generation_config.json).
    model.generation_config = GenerationConfig(
        bos_token_id=end_text,
        eos_token_id=[im_end, end_text],
        pad_token_id=end_text,
        do_sample=True,
        temperature=0.7,
        top_p=0.8,
        top_k=20,
        repetition_penalty=1.05,
    )
    model.save_pretrained(out_dir)
    return out_dir


def build_qwen2(out_dir: Path, *, size: Size = "tiny", init_std: float = 0.5) -> Path:
    """Write a random-weight Qwen2 instruct model laid out as Qwen/Qwen2.5-1.5B-Instruct."""
    if size != "tiny":
        raise ValueError("only a tiny Qwen2 is built here (the bench builds the real size)")
    return _build_qwen(out_dir, qwen3=False, init_std=init_std)


def build_qwen3(out_dir: Path, *, size: Size = "tiny", init_std: float = 0.5) -> Path:
    """Write a random-weight Qwen3 model laid out as Qwen/Qwen3-1.7B (thinking off by template)."""
    if size != "tiny":
        raise ValueError("only a tiny Qwen3 is built here (the bench builds the real size)")
    return _build_qwen(out_dir, qwen3=True, init_std=init_std)


# The instruct checkpoints the tiny builders stand in for.
TINY_INSTRUCT = {"Qwen/Qwen2.5-1.5B-Instruct": build_qwen2, "Qwen/Qwen3-1.7B": build_qwen3}


def build_instruct_models(model_dir: Path, *, size: Size = "tiny") -> dict[str, Path]:
    """Both tiny instruct models at ``model_path(instruct_spec(id), model_dir)``."""
    from models.specs import instruct_spec
    from models.store import model_path

    return {
        model_id: build(model_path(instruct_spec(model_id), model_dir), size=size)
        for model_id, build in TINY_INSTRUCT.items()
    }
