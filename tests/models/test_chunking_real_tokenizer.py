"""Chunking with the REAL opus-mt-zh-en tokenizer (../shared/models/opus-mt-zh-en:
its source.spm, vocab.json and config, no weights) on the seed article: real token
counts, not character estimates. Numbers on the seed article are in-sample."""

from __future__ import annotations

import itertools
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from models.chunking import chunk_by_tokens, split_long_sentence
from models.specs import get_spec
from tests.paths import OPUS_MT_ZH_EN, seed_body
from workers.article.segment import article_sentences

pytestmark = pytest.mark.skipif(
    not (OPUS_MT_ZH_EN / "source.spm").is_file(),
    reason="the real opus-mt-zh-en tokenizer lives in ../shared/models beside the repository",
)

SPEC = get_spec("translation")
# What workers.english.translate gives split_long_sentence: the window less two.
TRANSLATE_BUDGET = SPEC.max_input_tokens - 2


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    from transformers import MarianTokenizer

    return MarianTokenizer.from_pretrained(str(OPUS_MT_ZH_EN))


@pytest.fixture(scope="module")
def count(tokenizer: Any) -> Any:
    def count_tokens(text: str) -> int:
        return len(tokenizer(text)["input_ids"])

    return count_tokens


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    return article_sentences(seed_body())


def test_the_registry_matches_the_real_config() -> None:
    config = json.loads((OPUS_MT_ZH_EN / "config.json").read_text(encoding="utf-8"))
    assert SPEC.max_input_tokens == config["max_position_embeddings"] == 512
    assert SPEC.architecture == config["model_type"]


def test_counts_are_the_sentencepiece_pieces_plus_end_of_sentence(
    tokenizer: Any, count: Any, sentences: list[str]
) -> None:
    # An independent count: the source.spm model itself, then </s> (id 0) appended.
    import sentencepiece as spm

    pieces = spm.SentencePieceProcessor(model_file=str(OPUS_MT_ZH_EN / "source.spm"))
    for sentence in sentences:
        assert count(sentence) == len(pieces.encode(sentence)) + 1, sentence
        assert tokenizer(sentence)["input_ids"][-1] == tokenizer.eos_token_id == 0
    assert count("") == 1


def test_the_seed_article_in_real_tokens(count: Any, sentences: list[str]) -> None:
    counts = [count(s) for s in sentences]
    # Measured on the seed article (in-sample): 65 sentences, 2,797 tokens, the
    # longest 116 - Chinese news runs about 1.4 characters a token here.
    assert len(sentences) == 65
    assert sum(counts) == 2797
    assert max(counts) == 116
    chars = sum(len(s) for s in sentences)
    assert 1.2 < chars / sum(counts) < 1.6


def test_no_seed_sentence_is_cut_for_translation(count: Any, sentences: list[str]) -> None:
    for sentence in sentences:
        assert split_long_sentence(sentence, count, TRANSLATE_BUDGET) == [sentence]


def test_chunks_hold_whole_sentences_within_the_window(count: Any, sentences: list[str]) -> None:
    budget = SPEC.max_input_tokens
    # Each sentence's </s> is counted once per chunk, not once per sentence.
    overhead = count("")
    chunks = chunk_by_tokens(sentences, lambda s: count(s) - overhead, budget - overhead)
    assert [i for chunk in chunks for i in chunk] == list(range(len(sentences)))
    assert 2797 / budget < len(chunks) <= 2 * 2797 / budget
    for chunk in chunks:
        joined = "".join(sentences[i] for i in chunk)
        assert count(joined) <= budget, (chunk, count(joined))
    # Greedy: the next sentence would not have fitted (summed estimate over budget).
    for chunk, following in itertools.pairwise(chunks):
        used = sum(count(sentences[i]) - overhead for i in chunk)
        assert used + count(sentences[following[0]]) - overhead > budget - overhead


def test_an_over_long_sentence_is_cut_at_clause_marks(count: Any, sentences: list[str]) -> None:
    # The seed article's sentences run together as one: full stops become commas.
    long = re.sub(r"[。！？；]", "，", "".join(sentences[:30])).rstrip("，") + "。"
    assert count(long) > SPEC.max_input_tokens
    pieces = split_long_sentence(long, count, TRANSLATE_BUDGET)
    assert "".join(pieces) == long
    assert len(pieces) >= 2
    for piece in pieces:
        assert count(piece) <= TRANSLATE_BUDGET
    for piece in pieces[:-1]:
        assert piece[-1] in "，、；：,;:", piece[-12:]


@pytest.mark.engine
def test_the_engine_counts_as_the_tokenizer_does(
    tmp_path: Path, count: Any, sentences: list[str]
) -> None:
    """A random-weight Marian with the real vocabulary, loaded as a checkpoint is:
    the engine's count (what chunking is given) is the tokenizer's."""
    from transformers import MarianConfig, MarianMTModel

    from models.engines.transformers_engine import TransformersEngine

    folder = tmp_path / SPEC.dir_name
    folder.mkdir()
    for name in ("source.spm", "target.spm", "vocab.json", "tokenizer_config.json"):
        shutil.copy(OPUS_MT_ZH_EN / name, folder / name)
    real = json.loads((OPUS_MT_ZH_EN / "config.json").read_text(encoding="utf-8"))
    config = MarianConfig(
        vocab_size=real["vocab_size"],
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=real["max_position_embeddings"],
        pad_token_id=real["pad_token_id"],
        eos_token_id=real["eos_token_id"],
        decoder_start_token_id=real["decoder_start_token_id"],
    )
    MarianMTModel(config).save_pretrained(folder)
    engine = TransformersEngine.load(
        SPEC, folder, device="cpu", torch_threads=1, generation_overrides={"num_beams": 1}
    )
    assert engine.max_input_tokens == 512
    for sentence in sentences:
        assert engine.count_tokens(sentence) == count(sentence)
