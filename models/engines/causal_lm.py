"""The decoder-only engine: an instruct checkpoint (Qwen2, Qwen3) behind ``TextGenerator``.

Each input text is one user message; the checkpoint's own chat template
(``tokenizer.apply_chat_template``) makes the prompt, with Qwen3's thinking
turned off (``enable_thinking=False``), so the reply is the answer alone.
Decoding is greedy unless the spec says otherwise; it stops at the chat's end
token (``<|im_end|>``) or the end-of-text token, whichever comes first.

Hard limits: a prompt over ``max_input_tokens`` is refused (ValueError), never
cut: fitting an article into the prompt is the caller's job
(``workers.english.llm_brief``); new tokens never exceed the spec's
``max_new_tokens``, whatever a caller asks. Prompts are batched with left
padding, so every row's reply starts at the same position.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from models.engines.base import checkpoint_identity
from models.engines.chat import CHAT_END, answer_text, chat_ids, stop_ids
from models.errors import ModelLoadFailed, ModelNotFound
from models.specs import ModelSpec
from models.store import checkpoint_digest, checkpoint_problem


class CausalLMEngine:
    """A loaded instruct model; build it with ``CausalLMEngine.load``."""

    engine_name = "transformers"

    def __init__(
        self,
        spec: ModelSpec,
        model: Any,
        tokenizer: Any,
        *,
        device: str,
        generation: Mapping[str, Any],
        max_batch_items: int = 8,
        dtype: str = "float32",
        checkpoint: str | None = None,
    ) -> None:
        self.spec = spec
        self.model_id = spec.id
        self.revision: str | None = spec.revision
        self.device = device
        self.dtype = dtype
        self.checkpoint = checkpoint
        self.generation = dict(generation)
        self.max_batch_items = max_batch_items
        self._model = model
        self._tokenizer = tokenizer
        positions = getattr(model.config, "max_position_embeddings", None)
        limit = spec.max_input_tokens
        self.max_input_tokens = min(limit, positions) if positions else limit
        # The hard cap on new tokens: the spec's (or an override's), never more.
        self.max_new_tokens = int(self.generation.get("max_new_tokens", 256))
        self.stop_ids = stop_ids(tokenizer)
        template = getattr(tokenizer, "chat_template", None) or ""
        self.template_digest = hashlib.sha256(str(template).encode()).hexdigest()[:16]

    @classmethod
    def load(
        cls,
        spec: ModelSpec,
        path: Path,
        *,
        device: str = "auto",
        torch_threads: int = 0,
        generation_overrides: Mapping[str, Any] | None = None,
        max_batch_items: int = 8,
    ) -> CausalLMEngine:
        """Load ``spec``'s checkpoint from ``path`` (offline) and warm it up.

        Raises ModelNotFound for a missing or incomplete folder, ModelLoadFailed
        (naming the path and the reason) when it does not load or has no chat template.
        """
        problem = checkpoint_problem(path, spec)
        if problem is not None:
            raise ModelNotFound(f"cannot load {spec.id} ({spec.role}): {problem}")
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

            if torch_threads > 0:
                torch.set_num_threads(torch_threads)
            resolved = _resolve_device(device, torch)
            dtype = torch.float16 if resolved == "cuda" else torch.float32
            tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            if not getattr(tokenizer, "chat_template", None):
                raise ModelLoadFailed(f"{path} has no chat template (tokenizer_config.json)")
            tokenizer.padding_side = "left"
            if tokenizer.pad_token is None:
                tokenizer.pad_token = tokenizer.eos_token
            model: Any = AutoModelForCausalLM.from_pretrained(
                path, local_files_only=True, dtype=dtype
            )
            model.to(resolved)
            model.eval()
            model.generation_config.max_length = None
        except ModelLoadFailed:
            raise
        except Exception as exc:
            raise ModelLoadFailed(
                f"cannot load {spec.id} ({spec.role}) from {path}: {type(exc).__name__}: {exc}"
            ) from exc
        generation = {**spec.generation, **(generation_overrides or {})}
        engine = cls(
            spec,
            model,
            tokenizer,
            device=resolved,
            generation=generation,
            max_batch_items=max_batch_items,
            dtype=str(model.dtype).removeprefix("torch."),
            checkpoint=checkpoint_digest(path),
        )
        if not engine.stop_ids:
            raise ModelLoadFailed(f"{path}'s tokenizer has no {CHAT_END} or end-of-text token")
        try:
            engine.generate(["新闻。"], max_new_tokens=2)
        except Exception as exc:
            raise ModelLoadFailed(
                f"{spec.id} ({spec.role}) loaded from {path} but its warm-up generate failed: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        return engine

    def generation_signature(self) -> dict[str, Any]:
        """Model, checkpoint, device, dtype, every decoding setting, the stop tokens
        and the chat template's digest (the template shapes every prompt)."""
        return {
            **checkpoint_identity(self),
            "dtype": self.dtype,
            "generation": dict(sorted(self.generation.items())),
            "stop_ids": list(self.stop_ids),
            "chat_template": self.template_digest,
        }

    def chat_ids(self, message: str) -> list[int]:
        """The prompt's token ids: ``message`` as the user's turn in the chat template,
        the assistant's turn opened (Qwen3: thinking off)."""
        return chat_ids(self._tokenizer, message)

    def count_tokens(self, text: str) -> int:
        """Tokens of the whole prompt ``text`` makes (template and specials included)."""
        return len(self.chat_ids(text))

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        """One reply per user message, in input order.

        Raises ValueError when a prompt is over ``max_input_tokens``: nothing is cut here.
        """
        if not texts:
            return []
        encoded = [self.chat_ids(t) for t in texts]
        for index, ids in enumerate(encoded):
            if len(ids) > self.max_input_tokens:
                raise ValueError(
                    f"prompt {index} is {len(ids)} tokens, over {self.model_id}'s limit of "
                    f"{self.max_input_tokens}: fit the article first (workers.english.llm_brief)"
                )
        kwargs = dict(self.generation)
        kwargs["max_new_tokens"] = min(max_new_tokens or self.max_new_tokens, self.max_new_tokens)
        if not kwargs.get("do_sample", False):
            # Sampling settings a checkpoint's generation config carries only make greedy warn.
            kwargs.update(temperature=None, top_p=None, top_k=None)
        outputs = [""] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: (-len(encoded[i]), i))
        for start in range(0, len(order), self.max_batch_items):
            batch = order[start : start + self.max_batch_items]
            replies = self._generate_batch([encoded[i] for i in batch], kwargs)
            for index, reply in zip(batch, replies, strict=True):
                outputs[index] = reply
        return outputs

    def _generate_batch(self, batch_ids: list[list[int]], kwargs: Mapping[str, Any]) -> list[str]:
        import torch

        padded = self._tokenizer.pad(
            {"input_ids": batch_ids}, padding=True, return_tensors="pt", return_attention_mask=True
        )
        width = padded["input_ids"].shape[1]
        with torch.inference_mode():
            generated = self._model.generate(
                input_ids=padded["input_ids"].to(self.device),
                attention_mask=padded["attention_mask"].to(self.device),
                eos_token_id=list(self.stop_ids),
                pad_token_id=self._tokenizer.pad_token_id,
                **kwargs,
            )
        new_tokens = generated[:, width:]
        decoded: list[str] = self._tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        return [answer_text(text) for text in decoded]


def _resolve_device(device: str, torch: Any) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ModelLoadFailed("device 'cuda' was asked for but torch sees no CUDA device")
    if device not in ("cpu", "cuda"):
        raise ModelLoadFailed(f"unknown device {device!r}: use auto, cpu or cuda")
    return device
