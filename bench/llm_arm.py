"""The benchmark's ``llm`` arm: a direct Chinese→English brief from a decoder of the
real Qwen2.5-1.5B-Instruct size, in CTranslate2, beside the opus-mt translator.

No instruct weights reach this machine, and none are needed to time one: the cost
of a decoder depends on its shape, not on its weights. So the arm builds a
random-weight decoder laid out exactly as CTranslate2's own Qwen2 converter lays
out Qwen2.5-1.5B-Instruct (28 layers, hidden 1,536, 12 query / 2 key-value heads,
intermediate 8,960, vocabulary 151,936, rope theta 10⁶, tied embeddings), straight
from numpy into a CTranslate2 model spec: int8 weights with per-row scales for the
CPU (no float copy of 1.5 B parameters is ever held), float16 for a GPU. It is
built once into a cache folder whose marker records the shape, so a different
shape (a test's tiny one) rebuilds it.

What it times, per article (the bench's own articles, cut or padded to 1,500
Chinese characters): the prompt the worker would send (the brief prompt filled
with the article, in Qwen2.5's chat layout) as a count of tokens, prefilled, then
exactly ``new_tokens`` greedy tokens (random weights never stop on their own, so
minimum = maximum), streamed as the worker streams them. Qwen's tokenizer is not
on disk: the prompt's length in tokens is an estimate (``estimate_qwen_tokens``).
The process holds the opus-mt-size translator too, as a worker running the
``llm`` profile does (opus-mt still translates every sentence), and translates
the article with it after the brief, as the worker does; its peak RSS is the two
models' (``bench.llm_worker_rss`` measures a real worker, which holds its modules
and tokenizers besides).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.arms import peak_rss_mib, rss_mib
from bench.workload import BenchArticle

ARTICLE_CHARS = 1_500
NEW_TOKENS = 150
# Bump when the builder lays the model out differently: the marker then no longer matches.
BUILDER_VERSION = 1

# Qwen's tokenizer is not on disk. Alibaba Cloud's own rule of thumb for its Qwen
# models is 1 token ≈ 1.5-1.8 Chinese characters (developer.aliyun.com/ask/689758,
# "大模型的token是怎么计算的"); the low end (the most tokens, the slowest prompt) is
# taken. Qwen's pre-tokenizer splits numbers into single digits: one token each.
# Other text (the prompt's English, Latin names, line breaks): about 4 characters a
# token, the usual figure for English under a byte-level BPE.
ZH_CHARS_PER_TOKEN = 1.5
OTHER_CHARS_PER_TOKEN = 4.0
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_DIGIT = re.compile(r"[0-9]")
# Qwen2.5-Instruct's chat template with its default system turn (tests/tiny_instruct.py,
# QWEN2_TEMPLATE): five special tokens around the text below.
CHAT_SYSTEM = "system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant."
CHAT_SPECIAL_TOKENS = 5  # <|im_start|> ×3, <|im_end|> ×2
SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")

# Issue 16's targets, read as a reader meets them: the first streamed words come after
# the prompt is read, and the article is done once opus-mt has translated its sentences
# too (after the brief: workers.english.llm_brief).
TARGETS = {
    "worker_seconds_per_article": 30.0,
    "worker_first_words_s": 10.0,
    "peak_rss_mib": 3 * 1024.0,
}


@dataclass(frozen=True)
class DecoderShape:
    """A Qwen2 decoder's size: what its compute and memory depend on."""

    name: str
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    intermediate: int
    vocab: int
    rope_theta: float = 1_000_000.0
    rms_norm_eps: float = 1e-6
    tied_embeddings: bool = True

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    @property
    def parameters(self) -> int:
        """Weights (norms and biases included), counting tied embeddings once."""
        qkv = (self.hidden + 2 * self.kv_heads * self.head_dim) * (self.hidden + 1)
        attention = qkv + self.hidden * self.hidden
        ffn = 3 * self.hidden * self.intermediate
        per_layer = attention + ffn + 2 * self.hidden
        embeddings = self.vocab * self.hidden * (1 if self.tied_embeddings else 2)
        return self.layers * per_layer + embeddings + self.hidden

    @property
    def size_words(self) -> str:
        """``1.54 B parameters`` (``0.21 M parameters`` for a tiny one)."""
        n = self.parameters
        return f"{n / 1e9:.2f} B parameters" if n >= 1e8 else f"{n / 1e6:.2f} M parameters"


# Qwen/Qwen2.5-1.5B-Instruct's config.json.
QWEN25_1_5B = DecoderShape(
    name="Qwen2.5-1.5B-Instruct",
    layers=28,
    hidden=1536,
    heads=12,
    kv_heads=2,
    intermediate=8960,
    vocab=151_936,
)
# For tests and ``--model-size tiny`` smoke runs: the same layout, nothing of its cost.
TINY = DecoderShape(
    name="tiny", layers=2, hidden=64, heads=4, kv_heads=2, intermediate=128, vocab=1024
)
SHAPES = {"real": QWEN25_1_5B, "tiny": TINY}


def weights_for(compute_type: str) -> str:
    """The weights to build for a CTranslate2 compute type: int8 for the int8 kinds,
    float16 otherwise (CTranslate2 converts float16 to float32/bfloat16 on load)."""
    return "int8" if compute_type.startswith("int8") else "float16"


def model_folder(cache_dir: Path, shape: DecoderShape, weights: str) -> Path:
    """``~/.cache/newsum/bench/qwen2.5-1.5b-random-int8`` for the real shape."""
    slug = re.sub(r"-instruct$", "", shape.name.lower())
    return cache_dir.expanduser() / f"{slug}-random-{weights}"


def _marker(shape: DecoderShape, weights: str, seed: int) -> dict[str, Any]:
    return {"builder": BUILDER_VERSION, "shape": asdict(shape), "weights": weights, "seed": seed}


MARKER = "newsum-bench-shape.json"


def build_decoder(
    folder: Path, shape: DecoderShape, *, weights: str = "int8", seed: int = 0
) -> str | None:
    """Write the random decoder to ``folder`` unless its marker already says this shape.

    Returns a note for the report ("built … in N s"), or None when the cached model
    was reused. Written beside the folder and renamed into place, the marker last:
    a build that dies half way leaves no model that looks finished.
    """
    folder = folder.expanduser()
    wanted = _marker(shape, weights, seed)
    marker = folder / MARKER
    if marker.is_file() and json.loads(marker.read_text(encoding="utf-8")) == wanted:
        return None
    started = time.perf_counter()
    staging = folder.with_name(folder.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    spec = _decoder_spec(shape, weights, seed)
    spec.validate()
    spec.optimize(quantization=None)  # aliases the tied projection; weights stay as built
    spec.save(str(staging))
    del spec
    (staging / MARKER).write_text(json.dumps(wanted, indent=2), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    seconds = time.perf_counter() - started
    return (
        f"built random {shape.name}-size decoder ({shape.size_words}, "
        f"{weights}) for CTranslate2 in {seconds:.0f} s"
    )


def _decoder_spec(shape: DecoderShape, weights: str, seed: int) -> Any:
    """A CTranslate2 decoder spec laid out as ``ctranslate2.converters``' Qwen2Loader
    writes it, filled with random weights."""
    import numpy as np
    from ctranslate2.specs import common_spec, transformer_spec

    if weights not in ("int8", "float16"):
        raise ValueError(f"weights must be int8 or float16, got {weights!r}")
    rng = np.random.default_rng(seed)
    small = np.float32 if weights == "int8" else np.float16  # norms and biases

    def matrix(rows: int, cols: int) -> tuple[Any, Any]:
        if weights == "int8":
            # Uniform int8 with one scale per row: dequantized, about ±0.035 (std ≈ 0.02).
            # Every row its own scale, as quantized trained rows have: two equal scale
            # arrays would be aliased by optimize(), and CTranslate2 fuses some of them.
            values = rng.integers(-127, 128, size=(rows, cols), dtype=np.int8)
            amax = rng.uniform(0.03, 0.04, size=rows).astype(np.float32)
            return values, np.float32(127.0) / amax
        out = np.empty((rows, cols), dtype=np.float16)
        step = max(1, (1 << 24) // cols)  # ~64 MiB of float32 at a time
        for start in range(0, rows, step):
            block = rng.standard_normal((min(step, rows - start), cols), dtype=np.float32)
            out[start : start + step] = block * 0.02
        return out, None

    def linear(spec: Any, rows: int, cols: int, *, bias: bool = False) -> None:
        spec.weight, scale = matrix(rows, cols)
        if scale is not None:
            spec.weight_scale = scale
        if bias:
            # A freshly initialized Qwen2's q/k/v biases: zeros (trained ones cost the same).
            spec.bias = np.zeros(rows, dtype=small)

    def ones() -> Any:
        return np.ones(shape.hidden, dtype=small)

    spec = transformer_spec.TransformerDecoderModelSpec.from_config(
        shape.layers,
        shape.heads,
        activation=common_spec.Activation.SWISH,
        pre_norm=True,
        ffn_glu=True,
        rms_norm=True,
        rotary_dim=0,
        rotary_interleave=False,
        rotary_base=shape.rope_theta,
        num_heads_kv=shape.kv_heads if shape.kv_heads != shape.heads else None,
    )
    decoder = spec.decoder
    decoder.scale_embeddings = False
    embeddings, embeddings_scale = matrix(shape.vocab, shape.hidden)
    decoder.embeddings.weight = embeddings
    if embeddings_scale is not None:
        decoder.embeddings.weight_scale = embeddings_scale
    decoder.layer_norm.gamma = ones()
    qkv_rows = shape.hidden + 2 * shape.kv_heads * shape.head_dim
    for layer in decoder.layer:
        layer.self_attention.layer_norm.gamma = ones()
        linear(layer.self_attention.linear[0], qkv_rows, shape.hidden, bias=True)
        linear(layer.self_attention.linear[1], shape.hidden, shape.hidden)
        layer.ffn.layer_norm.gamma = ones()
        linear(layer.ffn.linear_0, shape.intermediate, shape.hidden)  # gate
        linear(layer.ffn.linear_0_noact, shape.intermediate, shape.hidden)  # up
        linear(layer.ffn.linear_1, shape.hidden, shape.intermediate)  # down
    if shape.tied_embeddings:
        # The same array: optimize() makes the projection an alias of the embeddings,
        # exactly as the converter does for a tied checkpoint (one copy in memory).
        decoder.projection.weight = embeddings
    else:
        linear(decoder.projection, shape.vocab, shape.hidden)
    spec.config.bos_token = "<|endoftext|>"
    spec.config.eos_token = "<|im_end|>"
    spec.config.unk_token = ""
    spec.config.layer_norm_epsilon = shape.rms_norm_eps
    spec.register_vocabulary(vocabulary(shape.vocab))
    return spec


def vocabulary(size: int) -> list[str]:
    """A synthetic vocabulary: Qwen's three ChatML specials, then ``t3``, ``t4``, …
    (the compute never looks at the strings)."""
    if size <= len(SPECIAL_TOKENS):
        raise ValueError(f"a vocabulary needs more than {len(SPECIAL_TOKENS)} entries")
    return [*SPECIAL_TOKENS, *(f"t{i}" for i in range(len(SPECIAL_TOKENS), size))]


# ---------------------------------------------------------------- the workload


def estimate_qwen_tokens(text: str) -> int:
    """Qwen2.5's token count of ``text``, estimated (see ``ZH_CHARS_PER_TOKEN``)."""
    zh = len(_CJK.findall(text))
    digits = len(_DIGIT.findall(text))
    other = len(text) - zh - digits
    return math.ceil(zh / ZH_CHARS_PER_TOKEN) + digits + math.ceil(other / OTHER_CHARS_PER_TOKEN)


def chat_prompt_tokens(prompt: str) -> int:
    """The estimated length of ``prompt`` as the user's turn in Qwen2.5's chat layout,
    the assistant's turn opened."""
    framing = f"{CHAT_SYSTEM}\n\nuser\n\n\nassistant\n"
    return CHAT_SPECIAL_TOKENS + estimate_qwen_tokens(framing) + estimate_qwen_tokens(prompt)


def article_sentences(
    articles: Sequence[BenchArticle], index: int, chars: int = ARTICLE_CHARS
) -> list[str]:
    """Article ``index``'s sentences cut, or padded with the sentences after it (the
    next articles', round and round), to exactly ``chars`` characters."""
    pool = [s for a in articles for s in a.sentences if s]
    if not pool:
        raise ValueError("no sentences to make an article of")
    start = sum(len(a.sentences) for a in articles[:index]) % len(pool)
    out: list[str] = []
    used = 0
    position = start
    while used < chars:
        sentence = pool[position % len(pool)][: chars - used]
        out.append(sentence)
        used += len(sentence)
        position += 1
    return out


def brief_prompt_tokens(sentences: Sequence[str]) -> int:
    """The estimated token count of the worker's prompt for this article: the brief
    prompt (workers/english/prompts/brief_v1.txt) asking for the default number of
    sentences, filled with the whole article, in the chat layout. No glossary lines
    (the server glossary's terms for an article would add some)."""
    from workers.contract import SummaryOptions
    from workers.english.brief_prompt import lead_text, render

    article = lead_text(sentences, None, len(sentences))
    return chat_prompt_tokens(render(article, SummaryOptions().sentences))


def synthetic_prompt(tokens: int, vocab: int, seed: int) -> list[str]:
    """``tokens`` prompt tokens: the chat's opening special, then random vocabulary
    entries (the compute does not depend on which)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    ids = rng.integers(len(SPECIAL_TOKENS), vocab, size=max(0, tokens - 1))
    return [SPECIAL_TOKENS[1], *(f"t{int(i)}" for i in ids)]


# ---------------------------------------------------------------- what the child measures


@dataclass
class LlmSetup:
    """Everything the ``llm`` child needs, written to JSON by ``bench.run``."""

    model_dir: str
    shape: DecoderShape
    weights: str
    device: str
    compute_type: str
    threads: int
    translator_dir: str
    translator_compute_type: str
    translation_overrides: dict[str, int]
    articles: list[list[str]]
    prompt_tokens: list[int]
    new_tokens: int = NEW_TOKENS
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> LlmSetup:
        data: dict[str, Any] = json.loads(raw)
        data["shape"] = DecoderShape(**data["shape"])
        return cls(**data)


def make_setup(
    *,
    cache_dir: Path,
    shape: DecoderShape,
    device: str,
    compute_type: str,
    threads: int,
    translator_dir: Path,
    translator_compute_type: str,
    translation_overrides: dict[str, int],
    articles: Sequence[BenchArticle],
    count: int,
    new_tokens: int = NEW_TOKENS,
) -> LlmSetup:
    """Build (or reuse) the decoder and cut ``count`` 1,500-character articles."""
    weights = weights_for(compute_type)
    folder = model_folder(cache_dir, shape, weights)
    built = build_decoder(folder, shape, weights=weights)
    texts = [article_sentences(articles, i % len(articles)) for i in range(max(1, count))]
    return LlmSetup(
        model_dir=str(folder),
        shape=shape,
        weights=weights,
        device=device,
        compute_type=compute_type,
        threads=threads,
        translator_dir=str(translator_dir),
        translator_compute_type=translator_compute_type,
        translation_overrides=dict(translation_overrides),
        articles=texts,
        prompt_tokens=[brief_prompt_tokens(t) for t in texts],
        new_tokens=new_tokens,
        notes=[built] if built else [],
    )


def _nothing() -> None:
    return None


@dataclass
class _Brief:
    first_token_s: float
    total_s: float
    new_tokens: int
    translation_s: float


def measure_llm(setup: LlmSetup, before_timing: Callable[[], None] = _nothing) -> dict[str, Any]:
    """Arm ``llm``: load the decoder and the translator, then per article stream a
    ``new_tokens`` brief from its prompt and translate its sentences, timed.

    ``before_timing`` is called once both models are loaded and warm (``bench.run``
    makes a staged child wait there for its turn).
    """
    import ctranslate2

    from models.convert import locate_ct2
    from models.engines.ctranslate2_engine import CTranslate2Engine
    from models.specs import get_spec

    # The worker's order (workers.english.engines): the decoder first. On an Intel CPU
    # CTranslate2 packs its weights for MKL while loading and frees the unpacked copy
    # only at the end, about the model's size again for a moment; loaded first, that
    # moment does not stack on the translator already in memory.
    generator = ctranslate2.Generator(
        setup.model_dir,
        device=setup.device,
        compute_type=setup.compute_type,
        inter_threads=1,
        intra_threads=setup.threads if setup.device == "cpu" else 0,
    )
    spec = get_spec("translation")
    path = locate_ct2(spec, Path(setup.translator_dir), "int8")
    if path is None:
        raise SystemExit(f"no CTranslate2 int8 copy of {spec.id} in {setup.translator_dir}")
    translator = CTranslate2Engine.load(
        spec,
        path,
        device=setup.device,
        compute_type=setup.translator_compute_type,
        cores=setup.threads,
        generation_overrides=setup.translation_overrides,
    )
    loaded_rss = peak_rss_mib()
    vocab = setup.shape.vocab
    # Warm-up, untimed: the first calls allocate what later ones reuse.
    generator.generate_batch(
        [synthetic_prompt(32, vocab, seed=10_000)],
        max_length=2,
        min_length=2,
        include_prompt_in_result=False,
    )
    translator.generate(setup.articles[0][:2])
    before_timing()

    briefs: list[_Brief] = []
    for index, sentences in enumerate(setup.articles):
        # The worker's order (workers.english.llm_brief): the brief streams first, then
        # opus-mt translates the sentences the brief's are linked through.
        brief = _stream_brief(
            generator,
            synthetic_prompt(setup.prompt_tokens[index], vocab, seed=index),
            setup.new_tokens,
        )
        t0 = time.perf_counter()
        translator.generate(sentences)
        briefs.append(replace(brief, translation_s=time.perf_counter() - t0))
    return _summary(setup, briefs, loaded_rss, translator, generator)


def _stream_brief(generator: Any, prompt: list[str], new_tokens: int) -> _Brief:
    """One brief streamed as the worker streams it: greedy, exactly ``new_tokens``."""
    started = time.perf_counter()
    first: float | None = None
    steps = 0
    for _ in generator.generate_tokens(
        prompt, max_length=new_tokens, min_length=new_tokens, sampling_topk=1
    ):
        if first is None:
            first = time.perf_counter() - started
        steps += 1
    total = time.perf_counter() - started
    return _Brief(
        first_token_s=first if first is not None else total,
        total_s=total,
        new_tokens=steps,
        translation_s=0.0,
    )


def _summary(
    setup: LlmSetup, briefs: list[_Brief], loaded_rss: float, translator: Any, generator: Any
) -> dict[str, Any]:
    prompt_tokens = setup.prompt_tokens[: len(briefs)]
    first = [b.first_token_s for b in briefs]
    totals = [b.total_s for b in briefs]
    decode_s = sum(b.total_s - b.first_token_s for b in briefs)
    decoded = sum(max(0, b.new_tokens - 1) for b in briefs)
    steps = {b.new_tokens for b in briefs}
    notes = [
        f"random weights, {setup.shape.name} shape ({setup.shape.size_words}, "
        f"{setup.weights}), CTranslate2 {setup.compute_type} on {setup.device}, "
        f"{setup.threads} threads; every brief exactly {setup.new_tokens} greedy tokens "
        "(minimum = maximum: random weights never stop), streamed (generate_tokens)",
        f"articles of {ARTICLE_CHARS:,} Chinese characters (the bench's articles cut or padded); "
        f"prompt length estimated, not tokenized: {ZH_CHARS_PER_TOKEN} Chinese characters a "
        f"token (Alibaba Cloud's 1.5-1.8 rule for Qwen, the low end), one token a digit, "
        f"{OTHER_CHARS_PER_TOKEN:g} other characters a token, Qwen2.5's chat layout around "
        "the brief prompt (workers/english/prompts/brief_v1.txt), no glossary lines",
        "prompt tokens/s = prompt tokens / time to first token (the prefill and the first "
        "step); tokens/s = the other new tokens / the time after the first",
        f"the process holds opus-mt ({translator.compute_type}) beside the decoder and "
        "translates each article's sentences after its brief, as the llm profile's worker "
        "does: translation_s, not part of seconds_per_article; worker_seconds_per_article "
        "= both",
        *setup.notes,
    ]
    if steps != {setup.new_tokens}:
        notes.append(
            f"WARNING: the decoder generated {sorted(steps)} tokens, not {setup.new_tokens}"
        )
    shape = asdict(setup.shape)
    shape["parameters"] = setup.shape.parameters
    return {
        "articles": len(briefs),
        "article_chars": ARTICLE_CHARS,
        "prompt_tokens": round(statistics.fmean(prompt_tokens)),
        "new_tokens": setup.new_tokens,
        "prompt_tokens_per_s": round(sum(prompt_tokens) / sum(first), 1),
        "tokens_per_s": round(decoded / decode_s, 2) if decode_s else None,
        "first_token_s": round(statistics.fmean(first), 2),
        "seconds_per_article": round(statistics.fmean(totals), 2),
        "max_seconds_per_article": round(max(totals), 2),
        "translation_s": round(statistics.fmean(b.translation_s for b in briefs), 2),
        "worker_first_words_s": round(statistics.fmean(first), 2),
        "worker_seconds_per_article": round(
            statistics.fmean(b.translation_s + b.total_s for b in briefs), 2
        ),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "rss_after_load_mib": round(loaded_rss, 1),
        # Both models held, every brief written: what the worker holds between jobs.
        "rss_end_mib": round(rss_mib(), 1),
        "model": {
            "shape": shape,
            "size": setup.shape.size_words,
            "weights": f"random {setup.weights}",
            "compute_type": generator.compute_type,
            "device": generator.device,
        },
        "notes": notes,
    }


def judge_targets(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Issue 16's targets against a measured ``llm`` row: value, target, pass."""
    out: dict[str, dict[str, Any]] = {}
    for name, limit in TARGETS.items():
        value = row.get(name)
        out[name] = {
            "target": limit,
            "value": value,
            "pass": isinstance(value, (int, float)) and value <= limit,
        }
    return out
