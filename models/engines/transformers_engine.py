"""The transformers engine: a seq2seq checkpoint behind ``TextGenerator``.

transformers 5 has no summarization or translation pipelines, so this calls
``AutoModelForSeq2SeqLM.generate()`` itself: inputs sorted by length into
batches (capped in items and in padded tokens), outputs put back in input
order. Inputs must already fit the model's window; chunking is the caller's
job (``models.chunking``) and nothing here ever truncates.

Loading is offline (``local_files_only``), happens once, warms up, and fails
loudly with ``ModelLoadFailed`` naming the folder and the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from models.engines.base import LoadedModel, ScoredText, checkpoint_identity, loading, warm_up
from models.engines.weights_bar import weights_bar_for_people
from models.errors import ModelLoadFailed, ModelNotFound
from models.specs import ModelSpec
from models.store import checkpoint_digest, checkpoint_problem


class TransformersEngine(LoadedModel):
    """A loaded seq2seq model; build it with ``TransformersEngine.load``."""

    engine_name = "transformers"

    def __init__(
        self,
        spec: ModelSpec,
        model: Any,
        tokenizer: Any,
        *,
        device: str,
        generation: Mapping[str, Any],
        max_batch_items: int,
        max_batch_tokens: int,
        dtype: str = "float32",
        checkpoint: str | None = None,
    ) -> None:
        self.describe(spec, device=device, generation=generation, checkpoint=checkpoint)
        self.dtype = dtype
        self.max_batch_items = max_batch_items
        self.max_batch_tokens = max_batch_tokens
        self._model = model
        self._tokenizer = tokenizer
        # The checkpoint's own position limit wins over the spec's if smaller.
        positions = getattr(model.config, "max_position_embeddings", None)
        limit = spec.max_input_tokens
        self.max_input_tokens = min(limit, positions) if positions else limit

    @classmethod
    def load(
        cls,
        spec: ModelSpec,
        path: Path,
        *,
        device: str = "auto",
        torch_threads: int = 0,
        generation_overrides: Mapping[str, Any] | None = None,
        max_batch_items: int = 32,
        max_batch_tokens: int = 8192,
    ) -> TransformersEngine:
        """Load ``spec``'s checkpoint from ``path`` (offline) and warm it up.

        ``device``: "auto" (CUDA when available), "cpu" or "cuda"; fp16 on CUDA.
        ``torch_threads``: intra-op threads, 0 leaves torch's default.
        ``generation_overrides``: merged over ``spec.generation`` (e.g. num_beams=1).
        Raises ModelNotFound when the folder is missing or incomplete, and
        ModelLoadFailed (naming the path and the reason) when it does not load.
        """
        problem = checkpoint_problem(path, spec)
        if problem is not None:
            raise ModelNotFound(f"cannot load {spec.id} ({spec.role}): {problem}")
        if max_batch_items < 1 or max_batch_tokens < spec.max_input_tokens:
            raise ValueError(
                f"max_batch_items must be ≥ 1 and max_batch_tokens ≥ {spec.max_input_tokens} "
                f"(one full input); got {max_batch_items} and {max_batch_tokens}"
            )
        model, tokenizer, resolved = load_checkpoint(
            spec, path, "AutoModelForSeq2SeqLM", device=device, torch_threads=torch_threads
        )
        generation = {**spec.generation, **(generation_overrides or {})}
        if generation.get("num_beams", 1) == 1:
            # Beam-only settings (the checkpoint's too) make greedy decoding warn.
            generation.update(early_stopping=False, length_penalty=1.0)
        engine = cls(
            spec,
            model,
            tokenizer,
            device=resolved,
            generation=generation,
            max_batch_items=max_batch_items,
            max_batch_tokens=max_batch_tokens,
            dtype=str(model.dtype).removeprefix("torch."),
            checkpoint=checkpoint_digest(path),
        )
        warm_up(engine, spec, path)
        return engine

    def generation_signature(self) -> dict[str, Any]:
        """What this engine's outputs depend on besides the input: model id,
        revision and checkpoint digest, device and dtype, the input window and every
        ``generate()`` setting it passes (the checkpoint's own generation config is
        in the digest). Batch caps are left out: they decide how inputs are
        grouped, not how each is decoded."""
        return {
            **checkpoint_identity(self),
            "dtype": self.dtype,
            "generation": dict(sorted(self.generation.items())),
        }

    def count_tokens(self, text: str) -> int:
        """Tokens the model's tokenizer makes of ``text``, specials included."""
        return len(self._tokenizer(text)["input_ids"])

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        """One output per input, in input order.

        Raises ValueError when an input is over ``max_input_tokens``: chunk it
        first (``models.chunking``); nothing is ever truncated here.
        """
        return [out.text for out in self._run(texts, max_new_tokens, scored=False)]

    def generate_scored(
        self, texts: Sequence[str], *, max_new_tokens: int | None = None
    ) -> list[ScoredText]:
        """Like ``generate``, with each output's mean token log-probability
        (``models.engines.base.ScoredGenerator``)."""
        return self._run(texts, max_new_tokens, scored=True)

    def generate_n_best(
        self, texts: Sequence[str], n: int, *, max_new_tokens: int | None = None
    ) -> list[list[str]]:
        """The ``n`` best outputs of each input, best first, in input order: beam
        search with at least ``n`` beams (``num_return_sequences=n``). Beam outputs
        can repeat once decoded; callers drop duplicates."""
        if n < 1:
            raise ValueError(f"n must be ≥ 1, got {n}")
        if not texts:
            return []
        encoded = self._encode(texts)
        kwargs = dict(self.generation)
        if max_new_tokens is not None:
            kwargs["max_new_tokens"] = max_new_tokens
        kwargs["num_beams"] = max(int(kwargs.get("num_beams", 1)), n)
        kwargs["num_return_sequences"] = n
        outputs: list[list[str]] = [[] for _ in texts]
        for batch in self._batches([len(ids) for ids in encoded]):
            decoded = self._generate_batch([encoded[i] for i in batch], kwargs)
            for j, index in enumerate(batch):
                outputs[index] = [out.text for out in decoded[j * n : (j + 1) * n]]
        return outputs

    def _encode(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each input; ValueError for one over the window."""
        encoded: list[list[int]] = self._tokenizer(list(texts))["input_ids"]
        for index, ids in enumerate(encoded):
            if len(ids) > self.max_input_tokens:
                raise ValueError(
                    f"input {index} is {len(ids)} tokens, over {self.model_id}'s window of "
                    f"{self.max_input_tokens}: split it first (models.chunking)"
                )
        return encoded

    def _run(
        self, texts: Sequence[str], max_new_tokens: int | None, *, scored: bool
    ) -> list[ScoredText]:
        if not texts:
            return []
        encoded = self._encode(texts)
        kwargs = dict(self.generation)
        if max_new_tokens is not None:
            kwargs["max_new_tokens"] = max_new_tokens
        outputs = [ScoredText("", 0.0)] * len(texts)
        for batch in self._batches([len(ids) for ids in encoded]):
            decoded = self._generate_batch([encoded[i] for i in batch], kwargs, scored=scored)
            for index, out in zip(batch, decoded, strict=True):
                outputs[index] = out
        return outputs

    def _batches(self, lengths: list[int]) -> list[list[int]]:
        """Indices grouped longest first, so each batch pads little, within both caps."""
        order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
        batches: list[list[int]] = []
        current: list[int] = []
        for index in order:
            # Sorted longest first: the batch's first item sets its padded width.
            width = lengths[current[0]] if current else lengths[index]
            fits = (
                len(current) < self.max_batch_items
                and width * (len(current) + 1) <= self.max_batch_tokens
            )
            if current and not fits:
                batches.append(current)
                current = []
            current.append(index)
        if current:
            batches.append(current)
        return batches

    def _generate_batch(
        self, batch_ids: list[list[int]], kwargs: Mapping[str, Any], *, scored: bool = False
    ) -> list[ScoredText]:
        import torch

        padded = self._tokenizer.pad(
            {"input_ids": batch_ids}, padding=True, return_tensors="pt", return_attention_mask=True
        )
        extra = {"output_scores": True, "return_dict_in_generate": True} if scored else {}
        with torch.inference_mode():
            generated = self._model.generate(
                input_ids=padded["input_ids"].to(self.device),
                attention_mask=padded["attention_mask"].to(self.device),
                **kwargs,
                **extra,
            )
            sequences = generated.sequences if scored else generated
            means = self._mean_logprobs(generated) if scored else [0.0] * len(sequences)
        decoded: list[str] = self._tokenizer.batch_decode(sequences, skip_special_tokens=True)
        return [ScoredText(t.strip(), m) for t, m in zip(decoded, means, strict=True)]

    def _mean_logprobs(self, generated: Any) -> list[float]:
        """Mean log-probability of each output's tokens, up to and including its first
        end-of-sequence token (what follows it is padding)."""
        import torch

        beam_indices = getattr(generated, "beam_indices", None)
        transitions = self._model.compute_transition_scores(
            generated.sequences,
            generated.scores,
            beam_indices=beam_indices,
            # Greedy scores are processed logits; beam scores are log-softmaxed already.
            normalize_logits=beam_indices is None,
        ).float()
        steps = transitions.shape[1]
        tokens = generated.sequences[:, -steps:]
        eos = self._model.generation_config.eos_token_id
        eos_ids = torch.tensor(eos if isinstance(eos, list) else [eos], device=tokens.device)
        is_eos = torch.isin(tokens, eos_ids).long()
        after_eos = (torch.cumsum(is_eos, dim=1) - is_eos) > 0
        keep = ~after_eos & torch.isfinite(transitions)
        if beam_indices is not None:
            keep &= beam_indices[:, :steps] >= 0
        totals = torch.where(keep, transitions, torch.zeros_like(transitions)).sum(dim=1)
        counts = keep.sum(dim=1).clamp(min=1)
        return [float(v) for v in (totals / counts).cpu()]


def load_checkpoint(
    spec: ModelSpec,
    path: Path,
    auto_class: str,
    *,
    device: str,
    torch_threads: int,
    check_tokenizer: Callable[[Any], None] | None = None,
) -> tuple[Any, Any, str]:
    """``spec``'s checkpoint in ``path`` through transformers' ``auto_class``, offline:
    (model, tokenizer, device). ``torch_threads`` > 0 sets torch's intra-op threads;
    float16 on CUDA, float32 on the CPU; ``check_tokenizer`` may refuse the tokenizer
    (ModelLoadFailed) before the weights are read. Any other failure is a
    ModelLoadFailed naming the path and the reason."""
    with loading(spec, path):
        import torch
        import transformers

        if torch_threads > 0:
            torch.set_num_threads(torch_threads)
        resolved = _resolve_device(device, torch)
        dtype = torch.float16 if resolved == "cuda" else torch.float32
        tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
        if check_tokenizer is not None:
            check_tokenizer(tokenizer)
        with weights_bar_for_people():
            model = getattr(transformers, auto_class).from_pretrained(
                path, local_files_only=True, dtype=dtype
            )
        model.to(resolved)
        model.eval()
        # Every call passes max_new_tokens; a max_length left in the checkpoint's
        # generation config only makes transformers warn about the clash.
        model.generation_config.max_length = None
    return model, tokenizer, resolved


def _resolve_device(device: str, torch: Any) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ModelLoadFailed("device 'cuda' was asked for but torch sees no CUDA device")
    if device not in ("cpu", "cuda"):
        raise ModelLoadFailed(f"unknown device {device!r}: use auto, cpu or cuda")
    return device
