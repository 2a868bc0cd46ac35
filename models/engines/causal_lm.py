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

``stream`` gives one reply as it is written (a reader watches the brief grow):
the same prompt, limits, stops and greedy settings as ``generate``, with
``generate`` run in a thread that hands each new token over. Only text that
cannot change any more is given out (see ``settled_text``), so the pieces
joined and stripped are exactly what ``generate`` returns.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from models.engines.base import LoadedModel, checkpoint_identity, warm_up
from models.engines.chat import CHAT_END, ChatPrompts, answer_text, require_chat_template
from models.engines.transformers_engine import load_checkpoint
from models.errors import ModelLoadFailed, ModelNotFound
from models.specs import ModelSpec
from models.store import checkpoint_digest, checkpoint_problem

log = logging.getLogger("newsum.models")

_THINK_OPEN = "<think>"
# Unfinished UTF-8: a byte-level tokenizer decodes a character cut between tokens so.
_REPLACEMENT = "\ufffd"
# How long a stopped stream waits for its generate thread to see the stop.
_STREAM_JOIN_S = 30.0


def settled_text(decoded: str) -> str:
    """The part of a reply decoded so far that the rest of the reply cannot change.

    ``answer_text`` of the whole reply drops every closed reasoning block (and the
    space after it) and strips the ends. So what is held back here: a character
    whose bytes have not all come (decoded as U+FFFD), a reasoning block not closed
    yet (or a ``<think>`` still being spelled), and trailing space (a block may
    follow, or the reply may end there). What is left is a prefix of the final
    answer, and grows as tokens come.
    """
    text = answer_text(decoded.rstrip(_REPLACEMENT))
    opened = text.find(_THINK_OPEN)
    if opened >= 0:
        text = text[:opened]
    for cut in range(len(_THINK_OPEN) - 1, 0, -1):
        if text.endswith(_THINK_OPEN[:cut]):
            text = text[:-cut]
            break
    return text.rstrip()


class CausalLMEngine(ChatPrompts, LoadedModel):
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
        self.describe(spec, device=device, generation=generation, checkpoint=checkpoint)
        self.dtype = dtype
        self.max_batch_items = max_batch_items
        self._model = model
        self.read_chat_template(tokenizer)
        positions = getattr(model.config, "max_position_embeddings", None)
        limit = spec.max_input_tokens
        self.max_input_tokens = min(limit, positions) if positions else limit
        # The hard cap on new tokens: the spec's (or an override's), never more.
        self.max_new_tokens = int(self.generation.get("max_new_tokens", 256))

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

        def chat_ready(tokenizer: Any) -> None:
            require_chat_template(tokenizer, path)
            tokenizer.padding_side = "left"  # prompts of a batch end where replies start
            if tokenizer.pad_token is None:
                tokenizer.pad_token = tokenizer.eos_token

        model, tokenizer, resolved = load_checkpoint(
            spec,
            path,
            "AutoModelForCausalLM",
            device=device,
            torch_threads=torch_threads,
            check_tokenizer=chat_ready,
        )
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
        warm_up(engine, spec, path)
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

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        """One reply per user message, in input order.

        Raises ValueError when a prompt is over ``max_input_tokens``: nothing is cut here.
        """
        if not texts:
            return []
        encoded = self.prompt_ids(texts)
        kwargs = self._generate_kwargs(max_new_tokens)
        outputs = [""] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: (-len(encoded[i]), i))
        for start in range(0, len(order), self.max_batch_items):
            batch = order[start : start + self.max_batch_items]
            replies = self._generate_batch([encoded[i] for i in batch], kwargs)
            for index, reply in zip(batch, replies, strict=True):
                outputs[index] = reply
        return outputs

    def stream(self, text: str, *, max_new_tokens: int | None = None) -> Iterator[str]:
        """One reply to ``text``, given out in pieces as the model writes it.

        The pieces joined and stripped are ``generate([text])[0]``: the same prompt,
        limits, stop tokens and decoding settings; Qwen3's reasoning block is never
        given out. With beam search (NEWSUM_NUM_BEAMS > 1) nothing is final before
        the end, so the whole reply comes as one piece. Raises ValueError, as
        ``generate`` does, for a prompt over ``max_input_tokens``. Closing the
        iterator early stops the model at its next token.
        """
        ids = self.prompt_ids([text])[0]
        kwargs = self._generate_kwargs(max_new_tokens)
        if int(kwargs.get("num_beams") or 1) > 1:
            reply = self._generate_batch([ids], kwargs)[0]
            if reply:
                yield reply
            return
        tokens = _TokenQueue()
        worker = threading.Thread(
            target=self._generate_into,
            args=(ids, kwargs, tokens),
            name=f"newsum-stream-{self.model_id}",
            daemon=True,
        )
        worker.start()
        made: list[int] = []
        sent = ""
        try:
            for token in tokens:
                made.append(token)
                now = settled_text(self._decode(made))
                if len(now) > len(sent) and now.startswith(sent):
                    yield now[len(sent) :]
                    sent = now
            final = answer_text(self._decode(made))
            if final.startswith(sent):
                if len(final) > len(sent):
                    yield final[len(sent) :]
            else:  # pragma: no cover - only a tokenizer whose decoding is not prefix-stable
                log.warning(
                    "%s: the streamed reply %r is not a prefix of the reply %r",
                    self.model_id,
                    sent[:80],
                    final[:80],
                )
        finally:
            tokens.cancelled.set()
            worker.join(_STREAM_JOIN_S)

    def _generate_kwargs(self, max_new_tokens: int | None) -> dict[str, Any]:
        """The decoding settings of one call: the engine's, the cap never raised."""
        kwargs = dict(self.generation)
        kwargs["max_new_tokens"] = min(max_new_tokens or self.max_new_tokens, self.max_new_tokens)
        if not kwargs.get("do_sample", False):
            # Sampling settings a checkpoint's generation config carries only make greedy warn.
            kwargs.update(temperature=None, top_p=None, top_k=None)
        if "repetition_penalty" not in self.generation:
            # Qwen's generation_config.json asks for 1.05, which transformers applies to the
            # prompt's tokens too: it would push the brief off the article's own numbers and
            # names, and CTranslate2 cannot do the same (it penalizes only new tokens). Off,
            # unless a setting asks for it.
            kwargs["repetition_penalty"] = 1.0
        return kwargs

    def _decode(self, token_ids: Sequence[int]) -> str:
        decoded: str = self._tokenizer.decode(list(token_ids), skip_special_tokens=True)
        return decoded

    def _generate_into(
        self, ids: list[int], kwargs: Mapping[str, Any], tokens: _TokenQueue
    ) -> None:
        """``generate`` on one prompt in this (the stream's) thread, each new token
        handed to ``tokens``; any error is handed over too, for the stream to raise."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        class Cancelled(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **_: Any) -> Any:
                stop = tokens.cancelled.is_set()
                return torch.full((input_ids.shape[0],), stop, dtype=torch.bool)

        try:
            with torch.inference_mode():
                self._model.generate(
                    input_ids=torch.tensor([ids], device=self.device),
                    attention_mask=torch.ones((1, len(ids)), dtype=torch.long, device=self.device),
                    eos_token_id=list(self.stop_ids),
                    pad_token_id=self._tokenizer.pad_token_id,
                    streamer=tokens,
                    stopping_criteria=StoppingCriteriaList([Cancelled()]),
                    **kwargs,
                )
        except BaseException as exc:  # handed to the stream's thread, raised there
            tokens.fail(exc)
        else:
            tokens.end()

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


class _TokenQueue:
    """A transformers streamer (``put``/``end``) that hands each new token of one
    prompt from the generate thread to the stream's: iterate it for the token ids."""

    _END = object()

    def __init__(self) -> None:
        self._items: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._prompt_seen = False
        self.cancelled = threading.Event()

    def put(self, value: Any) -> None:
        if not self._prompt_seen:  # generate hands over the prompt first
            self._prompt_seen = True
            return
        for token in value.reshape(-1).tolist():
            self._items.put(int(token))

    def end(self) -> None:
        self._items.put(self._END)

    def fail(self, exc: BaseException) -> None:
        self._items.put(exc)

    def __iter__(self) -> Iterator[int]:
        while True:
            item = self._items.get()
            if item is self._END:
                return
            if isinstance(item, BaseException):
                raise item
            yield int(item)  # type: ignore[call-overload]
