"""Random-weight models of the real architectures, built offline for tests and benchmarks.

No machine here can download weights, so tests build models with the layout
and tokenizers of the real checkpoints and load them through the very code
path a real checkpoint takes (``models.store.locate`` then
``TransformersEngine.load``):

- ``build_marian``: Marian as Helsinki-NLP/opus-mt-zh-en: ``source.spm`` and
  ``target.spm`` (sentencepiece unigram with byte fallback, trained on the seed
  article's Chinese and on English prose found on disk) and one shared
  ``vocab.json`` laid out as opus-mt does (``</s>`` 0, ``<unk>`` 1, the pieces,
  ``<pad>`` LAST), opus-mt's generation settings.
- ``build_bart``: BART as sshleifer/distilbart-cnn-12-6 with a byte-level BPE
  (``<s> <pad> </s> <unk> <mask>`` as ids 0-4) and distilbart's generation settings.
- ``build_mt5``: mT5 as csebuetnlp/mT5_m2o_english_crossSum, ``spiece.model`` only.
- ``tests.tiny_instruct.build_qwen2`` / ``build_qwen3``: decoder-only instruct models as
  Qwen/Qwen2.5-1.5B-Instruct and Qwen/Qwen3-1.7B: a byte-level BPE trained on the
  shared articles' Chinese and English prose, ChatML specials
  (``<|endoftext|> <|im_start|> <|im_end|>``, Qwen3 also ``<think> </think>``), the
  ChatML chat template (Qwen3's honours ``enable_thinking``), the checkpoints'
  sampling generation config (the engine must override it to decode greedily).

``size="tiny"`` (d_model 32, 2+2 layers; well under 1 MB, under a second) is
for tests; ``size="real"`` (opus-mt: 6+6 layers, d_model 512, vocab 65,001;
distilbart: 12+6 layers, d_model 1,024, vocab 50,264; mT5-base: 12+12, d_model
768, vocab 250,112) is for benchmarks, whose
cost depends on the architecture, not on the weights. ``init_std=0.5`` (not the
usual 0.02) makes the output depend on the input.

Builds are deterministic: the same text, one sentencepiece thread, a fixed torch seed.
"""

from __future__ import annotations

import inspect
import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED_ARTICLE = REPO_ROOT / "../shared/data/articles/jiaxing-theme-education-2020-01-09.txt"

Size = Literal["tiny", "real"]

# Standard-library modules whose docstrings give English prose beside LICENSE.txt.
_PROSE_MODULES = (
    "argparse",
    "collections",
    "concurrent.futures",
    "csv",
    "dataclasses",
    "datetime",
    "email",
    "functools",
    "http.client",
    "json",
    "logging",
    "pathlib",
    "shutil",
    "subprocess",
    "textwrap",
    "threading",
    "unittest",
    "urllib.request",
)


@dataclass(frozen=True)
class _Dims:
    d_model: int
    encoder_layers: int
    decoder_layers: int
    heads: int
    ffn: int
    vocab: int | None  # None: as many entries as the trained tokenizer has


# Sizes of the real checkpoints (their config.json), and a small stand-in.
_MARIAN = {
    "tiny": _Dims(32, 2, 2, heads=2, ffn=64, vocab=None),
    "real": _Dims(512, 6, 6, heads=8, ffn=2048, vocab=65_001),
}
_BART = {
    "tiny": _Dims(32, 2, 2, heads=2, ffn=64, vocab=None),
    "real": _Dims(1024, 12, 6, heads=16, ffn=4096, vocab=50_264),
}
_MT5 = {
    "tiny": _Dims(32, 2, 2, heads=2, ffn=64, vocab=None),
    "real": _Dims(768, 12, 12, heads=12, ffn=2048, vocab=250_112),  # mT5-base
}


# ---------------------------------------------------------------- training text


def chinese_lines(path: Path = SEED_ARTICLE) -> list[str]:
    """The seed article's non-empty lines (72 sentences, 814 distinct characters)."""
    if not path.is_file():
        raise FileNotFoundError(
            f"the tiny models are trained on {path}, which is missing: the test data "
            "lives in ../shared/data beside the repository"
        )
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def english_lines() -> list[str]:
    """English prose already on disk: Python's LICENSE.txt and stdlib docstrings."""
    lines: list[str] = []
    licence = Path(sys.base_prefix) / f"lib/python{sys.version_info[0]}.{sys.version_info[1]}"
    licence = licence / "LICENSE.txt"
    if licence.is_file():
        lines += licence.read_text(encoding="utf-8", errors="replace").splitlines()
    for name in _PROSE_MODULES:
        module = __import__(name, fromlist=["_"])
        lines += (inspect.getdoc(module) or "").splitlines()
        for member_name in sorted(vars(module)):
            if member_name.startswith("_"):
                continue
            doc = inspect.getdoc(getattr(module, member_name))
            if doc and doc.isascii():
                lines += doc.splitlines()
    lines = [line.strip() for line in lines if len(line.strip()) > 20]
    # Keep each line once, in first-seen order (members share docstrings).
    return list(dict.fromkeys(lines))


def english_text(sentences: int = 400) -> str:
    """A long English text (for summaries): the first ``sentences`` prose lines joined."""
    return " ".join(english_lines()[:sentences])


# ---------------------------------------------------------------- Marian (opus-mt-zh-en)


def _train_spm(lines: list[str], out: Path, vocab_size: int, required_chars: str = "") -> None:
    import sentencepiece as spm

    with open(out, "wb") as model_file:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(lines),
            model_writer=model_file,
            model_type="unigram",
            vocab_size=vocab_size,
            character_coverage=1.0,
            # Below distinct characters + specials + 256 bytes, training fails,
            # whatever hard_vocab_limit says; above what the text allows, it stops.
            hard_vocab_limit=False,
            byte_fallback=True,
            required_chars=required_chars,
            # Long Chinese lines are skipped silently under the default 4,192 bytes.
            max_sentence_length=1 << 16,
            num_threads=1,
            minloglevel=2,
        )


def _spm_pieces(path: Path) -> list[str]:
    import sentencepiece as spm

    processor = spm.SentencePieceProcessor(model_file=str(path))
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


def build_marian(out_dir: Path, *, size: Size = "tiny", init_std: float = 0.5) -> Path:
    """Write a random-weight Marian zh→en checkpoint laid out as opus-mt-zh-en."""
    import string

    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel, MarianTokenizer

    dims = _MARIAN[size]
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        source_spm = Path(scratch) / "source.spm"
        target_spm = Path(scratch) / "target.spm"
        # ASCII letters and digits as required chars, so Latin words in Chinese
        # text are pieces, not <unk>.
        ascii_chars = string.ascii_letters + string.digits
        _train_spm(chinese_lines(), source_spm, 2_000, required_chars=ascii_chars)
        _train_spm(english_lines(), target_spm, 1_000)

        pieces = _spm_pieces(source_spm) + _spm_pieces(target_spm)
        vocab: dict[str, int] = {"</s>": 0, "<unk>": 1}
        for piece in pieces:
            if piece not in vocab and piece not in ("<s>", "<pad>"):
                vocab[piece] = len(vocab)
        if dims.vocab is not None:
            # The real vocabulary's size, so the output layer costs what it costs.
            while len(vocab) < dims.vocab - 1:
                vocab[f"<filler_{len(vocab)}>"] = len(vocab)
        vocab["<pad>"] = len(vocab)  # opus-mt puts <pad> last; CTranslate2 relies on it
        vocab_path = Path(scratch) / "vocab.json"
        vocab_path.write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")

        tokenizer = MarianTokenizer(
            source_spm=str(source_spm),
            target_spm=str(target_spm),
            vocab=str(vocab_path),
            source_lang="zh",
            target_lang="en",
            model_max_length=512,
        )
        tokenizer.save_pretrained(out_dir)

    size_v = len(vocab)
    pad = size_v - 1
    config = MarianConfig(
        vocab_size=size_v,
        decoder_vocab_size=size_v,
        d_model=dims.d_model,
        encoder_layers=dims.encoder_layers,
        decoder_layers=dims.decoder_layers,
        encoder_attention_heads=dims.heads,
        decoder_attention_heads=dims.heads,
        encoder_ffn_dim=dims.ffn,
        decoder_ffn_dim=dims.ffn,
        max_position_embeddings=512,
        activation_function="swish",
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
        pad_token_id=pad,
        decoder_start_token_id=pad,
        eos_token_id=0,
        forced_eos_token_id=0,
        init_std=init_std,
    )
    torch.manual_seed(0)
    model = MarianMTModel(config)
    model.generation_config = GenerationConfig(
        bad_words_ids=[[pad]],
        bos_token_id=0,
        decoder_start_token_id=pad,
        eos_token_id=0,
        forced_eos_token_id=0,
        pad_token_id=pad,
        max_length=512,
        num_beams=4,
    )
    model.save_pretrained(out_dir)
    return out_dir


# ---------------------------------------------------------------- BART (distilbart-cnn-12-6)


def build_bart(out_dir: Path, *, size: Size = "tiny", init_std: float = 0.5) -> Path:
    """Write a random-weight BART summarizer laid out as distilbart-cnn-12-6."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import (
        BartConfig,
        BartForConditionalGeneration,
        BartTokenizer,
        GenerationConfig,
    )

    dims = _BART[size]
    out_dir.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        english_lines(),
        vocab_size=1_000,
        min_frequency=2,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        show_progress=False,
    )
    model_json = json.loads(bpe.to_str())["model"]
    vocab: dict[str, int] = dict(model_json["vocab"])
    merges: list[tuple[str, str]] = [
        (m.split(" ")[0], m.split(" ")[1]) if isinstance(m, str) else (m[0], m[1])
        for m in model_json["merges"]
    ]
    if dims.vocab is not None:
        while len(vocab) < dims.vocab:
            vocab[f"<filler_{len(vocab)}>"] = len(vocab)
    # transformers 5: pass the vocab dict and merges as tuples; file paths here
    # silently give a 5-token tokenizer.
    tokenizer = BartTokenizer(vocab=vocab, merges=merges, model_max_length=1024)  # type: ignore[arg-type]
    tokenizer.save_pretrained(out_dir)

    config = BartConfig(
        vocab_size=len(vocab),
        d_model=dims.d_model,
        encoder_layers=dims.encoder_layers,
        decoder_layers=dims.decoder_layers,
        encoder_attention_heads=dims.heads,
        decoder_attention_heads=dims.heads,
        encoder_ffn_dim=dims.ffn,
        decoder_ffn_dim=dims.ffn,
        max_position_embeddings=1024,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        forced_eos_token_id=2,
        init_std=init_std,
    )
    # CTranslate2's converter reads it; transformers 5 dropped the field.
    config.normalize_before = False
    torch.manual_seed(0)
    model = BartForConditionalGeneration(config)
    # distilbart-cnn-12-6's own settings, min_length 56 included: the engine
    # must override it, as it must for the real checkpoint.
    model.generation_config = GenerationConfig(
        bos_token_id=0,
        decoder_start_token_id=2,
        eos_token_id=2,
        forced_bos_token_id=0,
        forced_eos_token_id=2,
        pad_token_id=1,
        early_stopping=True,
        length_penalty=2.0,
        max_length=142,
        min_length=56,
        no_repeat_ngram_size=3,
        num_beams=4,
    )
    model.save_pretrained(out_dir)
    return out_dir


# ---------------------------------------------------------------- mT5 (mT5_m2o_english_crossSum)


def build_mt5(out_dir: Path, *, size: Size = "tiny", init_factor: float = 1.0) -> Path:
    """Write a random-weight mT5 laid out as csebuetnlp/mT5_m2o_english_crossSum.

    Like the real repository it ships only ``spiece.model`` (no tokenizer.json):
    transformers converts it on load, which needs ``protobuf``.
    """
    import sentencepiece as spm
    import torch
    from transformers import GenerationConfig, MT5Config, MT5ForConditionalGeneration

    dims = _MT5[size]
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "spiece.model", "wb") as model_file:
        # T5's ids: <pad> 0, </s> 1, <unk> 2, no <s>.
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(chinese_lines() + english_lines()),
            model_writer=model_file,
            model_type="unigram",
            vocab_size=3_000,
            character_coverage=1.0,
            hard_vocab_limit=False,
            byte_fallback=True,
            max_sentence_length=1 << 16,
            num_threads=1,
            minloglevel=2,
            pad_id=0,
            eos_id=1,
            unk_id=2,
            bos_id=-1,
        )
    trained = len(_spm_pieces(out_dir / "spiece.model"))
    tokenizer_config = {
        "tokenizer_class": "T5Tokenizer",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "extra_ids": 0,
        "additional_special_tokens": [],
        "model_max_length": 512,
    }
    (out_dir / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2))
    config = MT5Config(
        vocab_size=dims.vocab or trained,
        d_model=dims.d_model,
        d_kv=dims.d_model // dims.heads,
        d_ff=dims.ffn,
        num_layers=dims.encoder_layers,
        num_decoder_layers=dims.decoder_layers,
        num_heads=dims.heads,
        feed_forward_proj="gated-gelu",
        tie_word_embeddings=False,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
        initializer_factor=init_factor,
    )
    torch.manual_seed(0)
    model = MT5ForConditionalGeneration(config)
    model.generation_config = GenerationConfig(
        decoder_start_token_id=0, eos_token_id=1, pad_token_id=0, max_length=84
    )
    model.save_pretrained(out_dir)
    return out_dir


# ---------------------------------------------------------------- both, where locate() looks


def build_tiny_models(
    model_dir: Path, *, size: Size = "tiny", roles: tuple[str, ...] = ("translation", "summary")
) -> dict[str, Path]:
    """Build each role's model at ``model_path(get_spec(role), model_dir)``.

    The default leaves out ``direct-summary`` (mT5): it is opt-in, as in production.
    """
    from models.specs import get_spec
    from models.store import model_path

    builders: dict[str, Callable[..., Path]] = {
        "translation": build_marian,
        "summary": build_bart,
        "direct-summary": build_mt5,
    }
    return {
        role: builders[role](model_path(get_spec(role), model_dir), size=size) for role in roles
    }


def _iter_files(root: Path) -> Iterator[Path]:
    return (p for p in sorted(root.rglob("*")) if p.is_file())


if __name__ == "__main__":  # python -m tests.tiny_models OUT_DIR [tiny|real]
    import time

    target = Path(sys.argv[1])
    wanted: Size = "real" if sys.argv[2:] == ["real"] else "tiny"
    start = time.perf_counter()
    paths = build_tiny_models(
        target, size=wanted, roles=("translation", "summary", "direct-summary")
    )
    if wanted == "tiny":
        from tests.tiny_instruct import build_instruct_models

        paths.update(build_instruct_models(target))
    for role, path in paths.items():
        total = sum(p.stat().st_size for p in _iter_files(path))
        print(f"{role}: {path} ({total / 1e6:.1f} MB)")
    print(f"built in {time.perf_counter() - start:.1f} s")
