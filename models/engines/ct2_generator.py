"""The instruct model on CTranslate2's ``Generator``: the decoder-only engine of the
direct-llm brief, in int8 on a CPU (half the bf16 checkpoint's memory).

The same checkpoints as ``models.engines.causal_lm``, converted once with
``newsum models convert instruct`` (``models.convert``). Everything is read from
the converted folder: CTranslate2's ``model.bin`` and the checkpoint's own
tokenizer under ``tokenizer/`` (``tokenizer.json``, ``tokenizer_config.json``,
the chat template), so the checkpoint itself may be deleted after converting.

The prompt is the transformers engine's, token for token: the tokenizer is
transformers' own ``AutoTokenizer`` and the prompt comes from
``models.engines.chat.chat_ids`` (the checkpoint's chat template, Qwen3's
thinking off). That costs a torch import (about 190 MiB more peak RSS than
``tokenizers`` and jinja2 alone, measured here) which a hand-made chat renderer
would save; but transformers' template rendering, and the way transformers 5
encodes control tokens written inside an article, are not worth re-implementing
(and then keeping equal) for that.

Decoding matches ``CausalLMEngine``: greedy unless the spec or an override
asks for beams; stops on the chat's end token or end-of-text (``end_token``);
the reply is the new tokens only (``include_prompt_in_result=False``, which also
reads the whole prompt in one pass). Hard limits as there: a prompt over
``max_input_tokens`` is refused (ValueError), never cut; new tokens never
exceed the spec's ``max_new_tokens``.

Settings that would decode differently from transformers are refused rather
than approximated: CTranslate2's ``repetition_penalty`` and
``no_repeat_ngram_size`` look at the generated tokens only, transformers' at the
prompt too (for a brief that must copy names and numbers from the article, a
penalty on the prompt is not a detail); ``min_length`` counts the prompt in
transformers. The checkpoint's own ``generation_config.json`` (Qwen ships
sampling settings and a 1.05 repetition penalty) is not read: the spec's
settings are the engine's.

Threads: one batch at a time on all the cores this model may use
(``inter_threads=1``, ``intra_threads=cores``). A reader waits on one article,
whose prompt (up to 3,072 tokens) is read as large matrix products that split
well over cores; the seq2seq engine's one-core-per-batch layout
(``ctranslate2_engine.thread_layout``) suits many short sentences instead.
Devices and compute types as in ``ctranslate2_engine``: ``int8`` on CPU,
``int8_float16`` on CUDA by default (or ``float16``).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from pathlib import Path
from typing import Any

from models.engines.base import LoadedModel, checkpoint_identity, loading, warm_up
from models.engines.causal_lm import settled_text
from models.engines.chat import CHAT_END, ChatPrompts, answer_text, require_chat_template
from models.engines.ctranslate2_engine import (
    TOKENIZER_DIR,
    _marker_value,
    device_and_compute_type,
    require_converted,
    threads_per_process,
)
from models.errors import ModelLoadFailed
from models.specs import ModelSpec
from models.store import checkpoint_digest

# Prompts per generate_batch chunk, as the transformers engine batches them.
DEFAULT_MAX_BATCH_ITEMS = 8

# Sampling settings only matter with do_sample, which this engine refuses: a
# checkpoint's or spec's greedy settings may still carry them.
_SAMPLING_ONLY = frozenset({"temperature", "top_p", "top_k"})
_IGNORED_SETTINGS = frozenset({"do_sample", "early_stopping", "max_length"}) | _SAMPLING_ONLY


def generator_options(generation: Mapping[str, Any]) -> dict[str, Any]:
    """``Generator.generate_batch`` keyword arguments for transformers-style ``generation``.

    Raises ValueError naming a setting that CTranslate2 would honour differently
    from ``CausalLMEngine`` (see the module's docstring), rather than decoding
    differently without a word.
    """
    options: dict[str, Any] = {"beam_size": 1}
    for name, value in generation.items():
        if name == "num_beams":
            options["beam_size"] = int(value)
        elif name == "max_new_tokens":
            options["max_length"] = int(value)
        elif name == "min_new_tokens":
            options["min_length"] = int(value)
        elif name == "min_length":
            if int(value) > 0:
                raise ValueError(
                    "min_length counts the prompt in a decoder-only model: set min_new_tokens"
                )
        elif name == "length_penalty":
            options["length_penalty"] = float(value)
        elif name in ("repetition_penalty", "no_repeat_ngram_size"):
            if value not in (None, 0, 1, 1.0):
                raise ValueError(
                    f"{name}={value!r}: CTranslate2 applies it to the generated tokens only, "
                    "transformers to the prompt too; the two engines would write different briefs"
                )
        elif name == "do_sample" and value:
            raise ValueError("the CTranslate2 generator decodes greedily: set do_sample=False")
        elif name not in _IGNORED_SETTINGS:
            raise ValueError(
                f"generation setting {name!r} has no CTranslate2 counterpart in this engine"
            )
    return options


class CTranslate2Generator(ChatPrompts, LoadedModel):
    """A loaded instruct model on CTranslate2; build it with ``CTranslate2Generator.load``."""

    engine_name = "ctranslate2"

    def __init__(
        self,
        spec: ModelSpec,
        generator: Any,
        tokenizer: Any,
        *,
        device: str,
        compute_type: str,
        generation: Mapping[str, Any],
        max_batch_items: int = DEFAULT_MAX_BATCH_ITEMS,
        revision: str | None = None,
        threads: tuple[int, int] = (1, 1),
        quantization: str | None = None,
        checkpoint: str | None = None,
    ) -> None:
        self.describe(
            spec, device=device, generation=generation, checkpoint=checkpoint, revision=revision
        )
        self.compute_type = compute_type
        self.quantization = quantization
        self.max_batch_items = max_batch_items
        self.threads = threads
        # CTranslate2's folder does not keep the checkpoint's position limit; every
        # instruct spec's cap (3,072) is far below the Qwen checkpoints' 32k.
        self.max_input_tokens = spec.max_input_tokens
        self._options = generator_options(self.generation)
        # The hard cap on new tokens: the spec's (or an override's), never more.
        self.max_new_tokens = int(self._options.get("max_length", 256))
        self._generator = generator
        self.read_chat_template(tokenizer)

    @classmethod
    def load(
        cls,
        spec: ModelSpec,
        path: Path,
        *,
        device: str = "auto",
        compute_type: str | None = None,
        cores: int = 0,
        generation_overrides: Mapping[str, Any] | None = None,
        max_batch_items: int = DEFAULT_MAX_BATCH_ITEMS,
    ) -> CTranslate2Generator:
        """Load the converted instruct model of ``spec`` from ``path`` and warm it up.

        ``path``: a folder written by ``models.convert`` (``locate_ct2``).
        ``device``: "auto", "cpu" or "cuda". ``compute_type``: None picks ``int8``
        on CPU and ``int8_float16`` on CUDA. ``cores``: the cores this model may
        use, 0 means all of this process's (``threads_per_process(1)``).
        ``generation_overrides``: merged over ``spec.generation``.

        Raises ModelNotFound when the folder is missing or incomplete (run
        ``newsum models convert instruct``), ModelLoadFailed naming the path and
        the reason when it does not load, ValueError for a setting this engine
        cannot honour.
        """
        require_converted(spec, path, "newsum models convert instruct")
        generation = {**spec.generation, **(generation_overrides or {})}
        generator_options(generation)  # a bad setting fails here, before the load
        with loading(spec, path):
            import ctranslate2

            resolved, compute = device_and_compute_type(ctranslate2, device, compute_type)
            threads = (1, cores or threads_per_process(1))
            generator = ctranslate2.Generator(
                str(path),
                device=resolved,
                compute_type=compute,
                inter_threads=threads[0],
                intra_threads=threads[1],
            )
            # transformers (and torch with it, ~200 MiB) only once the weights are in:
            # on an Intel CPU CTranslate2 packs them for MKL while loading, holding the
            # model about twice for a moment, and that moment is the worker's peak.
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(path / TOKENIZER_DIR, local_files_only=True)
            require_chat_template(tokenizer, path / TOKENIZER_DIR)
        engine = cls(
            spec,
            generator,
            tokenizer,
            device=resolved,
            compute_type=compute,
            generation=generation,
            max_batch_items=max_batch_items,
            revision=_marker_value(path, "revision"),
            threads=threads,
            quantization=_marker_value(path, "quantization"),
            checkpoint=checkpoint_digest(path),
        )
        if not engine.stop_ids:
            raise ModelLoadFailed(f"{path}'s tokenizer has no {CHAT_END} or end-of-text token")
        warm_up(engine, spec, path)
        return engine

    def generation_signature(self) -> dict[str, Any]:
        """Model, revision and folder digest, device, stored quantization and compute
        type, every decoding setting, the stop tokens and the chat template's digest.
        Threads and batch sizes are left out: they decide how prompts run, not what
        each decodes to."""
        return {
            **checkpoint_identity(self),
            "quantization": self.quantization,
            "compute_type": self.compute_type,
            "generation": dict(sorted(self.generation.items())),
            "stop_ids": list(self.stop_ids),
            "chat_template": self.template_digest,
        }

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        """One reply per user message, in input order.

        Raises ValueError when a prompt is over ``max_input_tokens``: nothing is cut here.
        """
        return [
            self._decode(ids) for ids in self.generate_ids(texts, max_new_tokens=max_new_tokens)
        ]

    def generate_ids(
        self, texts: Sequence[str], *, max_new_tokens: int | None = None
    ) -> list[list[int]]:
        """The reply's token ids per message (no stop token), in input order: for tests
        and benchmarks that compare engines token for token or count tokens."""
        if not texts:
            return []
        encoded = self.prompt_ids(texts)
        options = self._call_options(max_new_tokens)
        # Longest first, so that each chunk pads little (CTranslate2 reads the prompt
        # up to the chunk's shortest in one pass, the rest token by token).
        order = sorted(range(len(texts)), key=lambda i: (-len(encoded[i]), i))
        results = self._generator.generate_batch(
            [self._tokens(encoded[i]) for i in order],
            max_batch_size=self.max_batch_items,
            batch_type="examples",
            end_token=list(self.stop_ids),
            include_prompt_in_result=False,
            **options,
        )
        replies: list[list[int]] = [[] for _ in texts]
        for index, result in zip(order, results, strict=True):
            replies[index] = self._without_stops(result.sequences_ids[0])
        return replies

    def stream(self, text: str, *, max_new_tokens: int | None = None) -> Generator[str, None, None]:
        """One reply to ``text``, given out in pieces as the model writes it.

        The pieces joined and stripped are ``generate([text])[0]``: the same prompt,
        limits, stop tokens and settings. Text is given out once it can no longer
        change (``causal_lm.settled_text``): never half a character, never an open
        reasoning block. With beam search nothing is final before the end, so the
        reply comes as one piece. Raises ValueError, as ``generate`` does, for a
        prompt over ``max_input_tokens``. Closing the iterator early stops the model
        at its next token.
        """
        ids = self.prompt_ids([text])[0]
        options = self._call_options(max_new_tokens)
        if options.pop("beam_size") > 1:
            reply = self.generate([text], max_new_tokens=max_new_tokens)[0]
            if reply:
                yield reply
            return
        options.pop("length_penalty", None)  # beam search only
        steps = self._generator.generate_tokens(
            self._tokens(ids), end_token=list(self.stop_ids), **options
        )
        made: list[int] = []
        sent = ""
        try:
            for step in steps:
                if step.token_id in self.stop_ids:
                    break
                made.append(int(step.token_id))
                now = settled_text(self._tokenizer.decode(made, skip_special_tokens=True))
                if len(now) > len(sent) and now.startswith(sent):
                    yield now[len(sent) :]
                    sent = now
        finally:
            steps.close()  # stops the decoding when the reader goes away
        final = self._decode(made)
        if final.startswith(sent) and len(final) > len(sent):
            yield final[len(sent) :]

    def _call_options(self, max_new_tokens: int | None) -> dict[str, Any]:
        """The decoding options of one call: the engine's, the cap never raised."""
        options = dict(self._options)
        options["max_length"] = min(max_new_tokens or self.max_new_tokens, self.max_new_tokens)
        if "min_length" in options:
            # A caller's short cap wins over a forced minimum.
            options["min_length"] = min(options["min_length"], options["max_length"])
        return options

    def _tokens(self, ids: Sequence[int]) -> list[str]:
        tokens: list[str] = self._tokenizer.convert_ids_to_tokens(list(ids))
        return tokens

    def _without_stops(self, ids: Sequence[int]) -> list[int]:
        reply = [int(i) for i in ids]
        for index, token in enumerate(reply):
            if token in self.stop_ids:
                return reply[:index]
        return reply

    def _decode(self, ids: Sequence[int]) -> str:
        return answer_text(self._tokenizer.decode(list(ids), skip_special_tokens=True))
