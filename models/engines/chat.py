"""What every decoder-only engine shares about a chat checkpoint (Qwen2, Qwen3):
the prompt from the checkpoint's own chat template, the stop tokens, the answer
text with any reasoning block removed.

Both the transformers engine (``causal_lm``) and the CTranslate2 one build the
same prompt ids from the same tokenizer, so the two engines see the same input.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from models.errors import ModelLoadFailed

# The ChatML end-of-turn token every Qwen instruct checkpoint ends its reply with.
CHAT_END = "<|im_end|>"
# A reasoning block a thinking model may still write; never part of the answer.
_THINK = re.compile(r"<think>.*?</think>\s*", re.DOTALL)


def chat_ids(tokenizer: Any, message: str) -> list[int]:
    """``message`` as the user's turn in the tokenizer's chat template, the
    assistant's turn opened, thinking off (Qwen3's ``enable_thinking=False``)."""
    ids = tokenizer.apply_chat_template(
        [{"role": "user", "content": message}],
        add_generation_prompt=True,
        tokenize=True,
        enable_thinking=False,
        return_dict=False,
    )
    if isinstance(ids, Mapping):  # some tokenizers return a BatchEncoding anyway
        ids = ids["input_ids"]
    return [int(i) for i in ids]


def answer_text(decoded: str) -> str:
    """The reply without a reasoning block and surrounding space."""
    return _THINK.sub("", decoded).strip()


def stop_ids(tokenizer: Any) -> tuple[int, ...]:
    """The ids of the chat's end token and the end-of-text token that the vocabulary has."""
    ids: list[int] = []
    for token in (CHAT_END, tokenizer.eos_token, "<|endoftext|>"):
        if not token:
            continue
        found = tokenizer.convert_tokens_to_ids(token)
        # An unknown token maps to <unk> (or None): only a real entry of the vocabulary counts.
        real = isinstance(found, int) and tokenizer.convert_ids_to_tokens(found) == token
        if real and found not in ids:
            ids.append(found)
    return tuple(ids)


def require_chat_template(tokenizer: Any, folder: object) -> None:
    """ModelLoadFailed when the tokenizer read from ``folder`` has no chat template: an
    instruct engine cannot build a prompt without it."""
    if not getattr(tokenizer, "chat_template", None):
        raise ModelLoadFailed(f"{folder} has no chat template (tokenizer_config.json)")


class ChatPrompts:
    """What both instruct engines do the same way with their prompts: build them from
    the tokenizer's chat template, count them, refuse one over the limit (never cut).
    An engine sets ``model_id`` and ``max_input_tokens`` and hands its tokenizer to
    ``read_chat_template``."""

    _tokenizer: Any
    model_id: str
    max_input_tokens: int
    stop_ids: tuple[int, ...]
    template_digest: str

    def read_chat_template(self, tokenizer: Any) -> None:
        """Keep ``tokenizer`` with its stop tokens and its chat template's digest (part of
        the engine's signature: another template, another prompt)."""
        self._tokenizer = tokenizer
        self.stop_ids = stop_ids(tokenizer)
        template = getattr(tokenizer, "chat_template", None) or ""
        self.template_digest = hashlib.sha256(str(template).encode()).hexdigest()[:16]

    def chat_ids(self, message: str) -> list[int]:
        """The prompt's token ids: ``message`` as the user's turn in the chat template,
        the assistant's turn opened (Qwen3: thinking off)."""
        return chat_ids(self._tokenizer, message)

    def count_tokens(self, text: str) -> int:
        """Tokens of the whole prompt ``text`` makes (template and specials included)."""
        return len(self.chat_ids(text))

    def prompt_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Each message's prompt ids; ValueError naming the first one over
        ``max_input_tokens``: fitting an article is the caller's job."""
        encoded = [self.chat_ids(t) for t in texts]
        for index, ids in enumerate(encoded):
            self._check_prompt(index, ids)
        return encoded

    def _check_prompt(self, index: int, ids: Sequence[int]) -> None:
        if len(ids) > self.max_input_tokens:
            raise ValueError(
                f"prompt {index} is {len(ids)} tokens, over {self.model_id}'s limit of "
                f"{self.max_input_tokens}: fit the article first (workers.english.llm_brief)"
            )
