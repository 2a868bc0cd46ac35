"""The benchmark's ``llm`` arm on a tiny decoder: its model, its cache, its report.

The real Qwen2.5-1.5B size is only for the benchmark itself; every test here
builds ``bench.llm_arm.TINY`` (or another tiny shape), so the numbers mean
nothing and none is compared with a time.
"""

from __future__ import annotations

import json
import struct
from dataclasses import replace
from pathlib import Path

import pytest

from bench.llm_arm import (
    ARTICLE_CHARS,
    MARKER,
    QWEN25_1_5B,
    TINY,
    DecoderShape,
    LlmSetup,
    article_sentences,
    brief_prompt_tokens,
    build_decoder,
    estimate_qwen_tokens,
    judge_targets,
    make_setup,
    measure_llm,
    model_folder,
)
from bench.run import format_table, main
from bench.workload import BenchArticle, Lengths, build_models

pytestmark = pytest.mark.engine

FIELDS = (
    "prompt_tokens_per_s",
    "tokens_per_s",
    "seconds_per_article",
    "peak_rss_mib",
    "first_token_s",
    "prompt_tokens",
    "new_tokens",
    "articles",
)


def _articles() -> list[BenchArticle]:
    sentences = [f"第{i}号公告称，嘉兴市今年完成了{i * 7}项重点工程。" for i in range(40)]
    return [BenchArticle(sentences=sentences[i : i + 8], summary_input="") for i in range(0, 40, 8)]


def _layout(model_bin: Path) -> dict[str, tuple[tuple[int, ...], int]]:
    """Every variable of a CTranslate2 model.bin (aliases resolved): its shape and
    dtype id, read from the file format ``ctranslate2.specs`` writes."""
    data = model_bin.read_bytes()
    pos = 0

    def unpack(fmt: str) -> int:
        nonlocal pos
        (value,) = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return int(value)

    def string() -> str:
        nonlocal pos
        length = unpack("H")
        text = data[pos : pos + length - 1].decode("utf-8")
        pos += length
        return text

    unpack("I")
    string()
    unpack("I")
    variables: dict[str, tuple[tuple[int, ...], int]] = {}
    for _ in range(unpack("I")):
        name = string()
        shape = tuple(unpack("I") for _ in range(unpack("B")))
        dtype = unpack("B")
        size = unpack("I")
        pos += size
        variables[name] = (shape, dtype)
    for _ in range(unpack("I")):
        alias = string()
        variables[alias] = variables[string()]
    return variables


def test_the_real_shape_is_qwen2_5_1_5b_instruct() -> None:
    shape = QWEN25_1_5B
    assert (shape.layers, shape.hidden, shape.heads, shape.kv_heads) == (28, 1536, 12, 2)
    assert (shape.intermediate, shape.vocab, shape.rope_theta) == (8960, 151_936, 1e6)
    assert shape.tied_embeddings
    # The model card's "Number of Parameters: 1.54B".
    assert round(shape.parameters / 1e9, 2) == 1.54
    assert model_folder(Path("/c"), shape, "int8") == Path("/c/qwen2.5-1.5b-random-int8")


def test_the_prompt_estimate_counts_chinese_digits_and_the_rest() -> None:
    assert estimate_qwen_tokens("中" * ARTICLE_CHARS) == 1000
    assert estimate_qwen_tokens("2020") == 4
    assert estimate_qwen_tokens("news") == 1
    sentences = article_sentences(_articles(), 0)
    assert sum(len(s) for s in sentences) == ARTICLE_CHARS
    # The article plus the brief prompt's words and the chat layout around them.
    tokens = brief_prompt_tokens(sentences)
    assert estimate_qwen_tokens("".join(sentences)) < tokens < 1600


def test_articles_are_cut_and_padded_to_1500_characters() -> None:
    articles = _articles()
    short = [BenchArticle(sentences=["短句。"], summary_input="")]
    for index in range(len(articles)):
        assert sum(len(s) for s in article_sentences(articles, index)) == ARTICLE_CHARS
    assert article_sentences(articles, 1)[0] == articles[1].sentences[0]
    assert "".join(article_sentences(short, 0)) == ("短句。" * 500)


def test_the_layout_is_what_ctranslate2_s_qwen2_converter_writes(tmp_path: Path) -> None:
    import ctranslate2

    from tests.tiny_instruct import build_qwen2

    checkpoint = build_qwen2(tmp_path / "qwen2")
    config = json.loads((checkpoint / "config.json").read_text(encoding="utf-8"))
    converted = tmp_path / "converted"
    ctranslate2.converters.TransformersConverter(str(checkpoint)).convert(
        str(converted), quantization="int8"
    )
    shape = DecoderShape(
        name="tiny-qwen2",
        layers=config["num_hidden_layers"],
        hidden=config["hidden_size"],
        heads=config["num_attention_heads"],
        kv_heads=config["num_key_value_heads"],
        intermediate=config["intermediate_size"],
        vocab=config["vocab_size"],
    )
    built = tmp_path / "built"
    assert build_decoder(built, shape) is not None
    ours, theirs = _layout(built / "model.bin"), _layout(converted / "model.bin")
    assert set(ours) == set(theirs)
    assert {name: ours[name] for name in theirs} == theirs
    # Tied embeddings: the projection is the embedding matrix, stored once, in int8.
    assert ours["decoder/projection/weight"] == ours["decoder/embeddings/weight"]
    assert "decoder/embeddings/weight_scale" in ours


def test_the_cache_marker_rebuilds_on_a_shape_change(tmp_path: Path) -> None:
    folder = tmp_path / "decoder"
    note = build_decoder(folder, TINY)
    assert note is not None and note.startswith("built random tiny-size decoder")
    first = (folder / "model.bin").stat().st_mtime_ns
    assert build_decoder(folder, TINY) is None  # the marker matches: reused
    assert (folder / "model.bin").stat().st_mtime_ns == first

    wider = replace(TINY, name="tiny-wider", intermediate=TINY.intermediate * 2)
    assert build_decoder(folder, wider) is not None
    marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    assert marker["shape"]["intermediate"] == TINY.intermediate * 2
    assert (folder / "model.bin").stat().st_size > 0
    assert not folder.with_name("decoder.building").exists()
    assert build_decoder(folder, wider) is None
    # Other weights are another model too.
    assert build_decoder(folder, wider, weights="float16") is not None


def test_the_arm_measures_a_tiny_decoder_beside_opus_mt(tmp_path: Path) -> None:
    models = tmp_path / "tiny-models"
    build_models(models, size="tiny")
    setup = make_setup(
        cache_dir=tmp_path,
        shape=TINY,
        device="cpu",
        compute_type="int8",
        threads=1,
        translator_dir=models,
        translator_compute_type="int8",
        translation_overrides=Lengths(translation_tokens=4).ctranslate2_overrides("translation"),
        articles=_articles(),
        count=2,
        new_tokens=12,
    )
    assert setup.model_dir == str(tmp_path / "tiny-random-int8")
    assert setup.notes and setup.notes[0].startswith("built random tiny-size decoder")
    # Through JSON, as the child process gets it.
    row = measure_llm(LlmSetup.from_json(setup.to_json()))
    for name in FIELDS:
        assert isinstance(row[name], (int, float)) and row[name] > 0, (name, row[name])
    assert row["articles"] == 2 and row["new_tokens"] == 12
    assert row["prompt_tokens"] == round(sum(setup.prompt_tokens) / 2)
    assert row["seconds_per_article"] >= row["first_token_s"]
    # The worker streams the brief first, then translates: the reader's first words wait
    # for the prompt alone, the whole article for both.
    assert row["worker_first_words_s"] == row["first_token_s"]
    assert row["worker_seconds_per_article"] == pytest.approx(
        row["seconds_per_article"] + row["translation_s"], abs=0.02
    )
    assert row["model"]["shape"]["layers"] == TINY.layers
    assert row["model"]["compute_type"].startswith("int8")
    assert not any("WARNING" in note for note in row["notes"])
    judged = judge_targets(row)
    assert set(judged) == {"worker_seconds_per_article", "worker_first_words_s", "peak_rss_mib"}
    assert judged["peak_rss_mib"]["pass"] is (row["peak_rss_mib"] <= 3072)


def _quick_llm_only(cache: Path, *extra: str) -> list[str]:
    skips = [
        a for arm in ("naive", "transformers", "ctranslate2", "pipeline") for a in ("--skip", arm)
    ]
    return [
        "--quick",
        "--json",
        "--model-size",
        "tiny",
        "--cache-dir",
        str(cache),
        "--articles",
        "2",
        "--sentences",
        "4",
        "--translation-tokens",
        "4",
        "--summary-input-tokens",
        "120",
        "--llm-new-tokens",
        "8",
        *skips,
        "--skip",
        "service",
        "--skip",
        "cache_hit",
        *extra,
    ]


def test_bench_json_has_the_llm_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_quick_llm_only(tmp_path)) == 0
    report = json.loads(capsys.readouterr().out)
    row = report["llm"]
    assert "not_run" not in row, row
    for name in FIELDS:
        assert isinstance(row[name], (int, float)) and row[name] > 0, (name, row[name])
    assert row["articles"] == 1  # --quick: one article, never a smaller model than asked
    assert row["new_tokens"] == 8
    assert row["prompt_tokens"] > 1000  # 1,500 Chinese characters and the prompt's words
    assert set(row["targets"]) == {
        "worker_seconds_per_article",
        "worker_first_words_s",
        "peak_rss_mib",
    }
    assert "llm" in report["setup"]["phases_s"]
    assert report["ctranslate2"] == {"not_run": "skipped (--skip)"}

    table = format_table(report)
    assert "llm (direct brief): tiny shape" in table
    assert "target worker_seconds_per_article ≤ 30:" in table
    assert "target worker_first_words_s ≤ 10:" in table
    assert "target peak_rss_mib ≤ 3072:" in table

    assert main([*_quick_llm_only(tmp_path), "--no-llm"]) == 0
    skipped = json.loads(capsys.readouterr().out)
    assert skipped["llm"] == {"not_run": "skipped (--no-llm)"}
