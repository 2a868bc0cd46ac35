"""The CTranslate2 generator on tiny random-weight Qwen2 and Qwen3 instruct models,
converted through ``models.convert.convert_model`` in float32 and loaded through the
path a real copy takes (``locate_ct2`` then ``load``): the same greedy tokens as the
transformers engine, streaming, hard limits, the worker's engine choice, and
``newsum models convert instruct``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from models.convert import (
    MARKER,
    TOKENIZER_DIR,
    convert_model,
    ct2_path,
    is_converted,
    locate_ct2,
)
from models.engines.causal_lm import CausalLMEngine
from models.engines.ct2_generator import CTranslate2Generator, generator_options
from models.specs import ModelSpec, instruct_spec
from models.store import locate
from tests.service.test_cli import newsum
from tests.tiny_instruct import TINY_INSTRUCT, build_instruct_models

pytestmark = pytest.mark.engine

QWEN2 = "Qwen/Qwen2.5-1.5B-Instruct"
QWEN3 = "Qwen/Qwen3-1.7B"
PROMPTS = [
    "嘉兴市召开主题教育总结大会。",
    "会议回顾了2019年的工作，全市共有120个单位参加。",
    "市委书记张兵在会上讲话，要求巩固扩大主题教育成果。",
    "新闻。",
]


@pytest.fixture(scope="module")
def instruct_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both tiny instruct checkpoints and their float32 CTranslate2 copies."""
    model_dir = tmp_path_factory.mktemp("tiny-instruct-ct2")
    build_instruct_models(model_dir)
    for model_id in TINY_INSTRUCT:
        convert_model(instruct_spec(model_id), model_dir, quantization="float32")
    return model_dir


def _ct2(model_dir: Path, model_id: str, **overrides: Any) -> CTranslate2Generator:
    spec = instruct_spec(model_id)
    path = locate_ct2(spec, model_dir, "float32")
    assert path is not None
    return CTranslate2Generator.load(
        spec, path, device="cpu", compute_type="float32", generation_overrides=overrides
    )


def _transformers(model_dir: Path, spec: ModelSpec, **overrides: Any) -> CausalLMEngine:
    path = locate(spec, model_dir)
    assert path is not None
    return CausalLMEngine.load(spec, path, device="cpu", generation_overrides=overrides)


def test_the_converted_folder_holds_the_tokenizer_and_chat_template(instruct_dir: Path) -> None:
    for model_id in TINY_INSTRUCT:
        path = locate_ct2(instruct_spec(model_id), instruct_dir, "float32")
        assert path is not None and is_converted(path)
        tokenizer = path / TOKENIZER_DIR
        assert (tokenizer / "tokenizer.json").is_file()
        template = (tokenizer / "chat_template.jinja").read_text(encoding="utf-8")
        assert "<|im_start|>" in template
        assert '"quantization": "float32"' in (path / MARKER).read_text(encoding="utf-8")
        # Nothing outside the converted folder is read: the checkpoint may go.
        assert not (path / "model.safetensors").exists()


@pytest.mark.parametrize("model_id", list(TINY_INSTRUCT))
def test_same_greedy_tokens_as_transformers(instruct_dir: Path, model_id: str) -> None:
    ct2 = _ct2(instruct_dir, model_id, max_new_tokens=40)
    # The checkpoint's generation_config.json carries Qwen's repetition_penalty 1.05,
    # which transformers would apply to the prompt's tokens too and CTranslate2 cannot:
    # CausalLMEngine turns it off unless a setting asks, so the defaults agree.
    hf = _transformers(instruct_dir, ct2.spec, max_new_tokens=40)
    for text in PROMPTS:
        assert ct2.chat_ids(text) == hf.chat_ids(text)
        assert ct2.count_tokens(text) == hf.count_tokens(text)

    # The token ids transformers made, as its engine's generate decodes them.
    made: list[list[int]] = []
    real_decode = hf._tokenizer.batch_decode

    def recording_decode(rows: Any, **kwargs: Any) -> Any:
        for row in rows.tolist():
            stop = next((i for i, t in enumerate(row) if t in hf.stop_ids), len(row))
            made.append(row[:stop])
        return real_decode(rows, **kwargs)

    hf._tokenizer.batch_decode = recording_decode
    texts = hf.generate(PROMPTS)
    # hf batches longest first; map its rows back to the prompts.
    order = sorted(range(len(PROMPTS)), key=lambda i: (-len(hf.chat_ids(PROMPTS[i])), i))
    hf_ids = [made[order.index(i)] for i in range(len(PROMPTS))]

    ct2_ids = ct2.generate_ids(PROMPTS)
    assert ct2_ids == hf_ids
    assert ct2.generate(PROMPTS) == texts
    assert sum(len(ids) for ids in ct2_ids) > 40  # not a run of immediate stops


@pytest.mark.parametrize("model_id", list(TINY_INSTRUCT))
def test_stream_pieces_join_to_the_generated_reply(instruct_dir: Path, model_id: str) -> None:
    engine = _ct2(instruct_dir, model_id, max_new_tokens=48)
    for text in PROMPTS[:3]:
        pieces = list(engine.stream(text))
        reply = engine.generate([text])[0]
        assert len(pieces) > 1  # it streamed, not one block at the end
        assert all(pieces)
        # No character is given out cut in two while more is coming; the last piece
        # ends in U+FFFD only where the reply does (the length cap cut a character).
        assert not any(p.endswith("\ufffd") for p in pieces[:-1])
        assert pieces[-1].endswith("\ufffd") == reply.endswith("\ufffd")
        assert "".join(pieces).strip() == reply


def test_closing_a_stream_early_stops_it(instruct_dir: Path) -> None:
    engine = _ct2(instruct_dir, QWEN2, max_new_tokens=200)
    stream = engine.stream(PROMPTS[1])
    first = next(stream)
    stream.close()
    assert first and engine.generate([PROMPTS[1]])[0].startswith(first.strip())


def test_beam_search_streams_the_reply_whole(instruct_dir: Path) -> None:
    engine = _ct2(instruct_dir, QWEN3, max_new_tokens=12, num_beams=2)
    pieces = list(engine.stream(PROMPTS[0]))
    assert pieces == [engine.generate([PROMPTS[0]])[0]]


def test_hard_limits_on_prompt_and_new_tokens(instruct_dir: Path) -> None:
    engine = _ct2(instruct_dir, QWEN3, max_new_tokens=4)
    assert engine.max_new_tokens == 4
    capped = engine.generate_ids(PROMPTS, max_new_tokens=500)  # never above the cap
    assert max(len(ids) for ids in capped) == 4
    assert all(len(ids) <= 2 for ids in engine.generate_ids(PROMPTS, max_new_tokens=2))
    assert sum(1 for _ in engine.stream(PROMPTS[1], max_new_tokens=500)) <= 4

    too_long = PROMPTS[1] * 400
    assert engine.count_tokens(too_long) > engine.max_input_tokens
    with pytest.raises(ValueError, match="fit the article first"):
        engine.generate([PROMPTS[0], too_long])
    with pytest.raises(ValueError, match="fit the article first"):
        next(engine.stream(too_long))


def test_settings_it_would_decode_differently_are_refused() -> None:
    assert generator_options({"num_beams": 3, "max_new_tokens": 9, "do_sample": False}) == {
        "beam_size": 3,
        "max_length": 9,
    }
    assert generator_options({"repetition_penalty": 1.0, "temperature": 0.7}) == {"beam_size": 1}
    for bad in (
        {"repetition_penalty": 1.05},
        {"no_repeat_ngram_size": 3},
        {"do_sample": True},
        {"min_length": 5},
        {"typical_p": 0.9},
    ):
        with pytest.raises(ValueError):
            generator_options(bad)


def test_signature_names_the_copy_compute_type_and_settings(instruct_dir: Path) -> None:
    engine = _ct2(instruct_dir, QWEN2, max_new_tokens=8)
    signature = engine.generation_signature()
    assert signature["engine"] == "ctranslate2"
    assert signature["quantization"] == "float32"
    assert signature["compute_type"] == "float32"
    assert signature["generation"]["max_new_tokens"] == 8
    assert signature["checkpoint"].startswith("files:")
    assert signature["stop_ids"] == list(engine.stop_ids)
    # int8 weights are made from the float32 copy at load time: another signature.
    spec = instruct_spec(QWEN2)
    path = locate_ct2(spec, instruct_dir, "float32")
    assert path is not None
    int8 = CTranslate2Generator.load(spec, path, device="cpu")
    assert int8.compute_type == "int8" and int8.generation_signature() != signature


def test_the_worker_loads_the_converted_copy(instruct_dir: Path) -> None:
    from workers.english.engines import load_engines
    from workers.errors import ModelUnavailable
    from workers.settings import load_settings

    def settings(**changes: Any) -> Any:
        chosen = {"ct2_quantization": "float32", **changes}
        return load_settings(
            model_dir=instruct_dir, device="cpu", llm_model=QWEN3, max_new_tokens=8, **chosen
        )

    engines = load_engines(settings(engine="ctranslate2"), profile="llm")
    assert isinstance(engines.llm, CTranslate2Generator)
    assert engines.llm.model_id == QWEN3
    assert any(r.role == "instruct" and r.engine == "ctranslate2" for r in engines.model_refs())
    # auto takes the copy too; transformers the checkpoint.
    assert isinstance(
        load_engines(settings(engine="auto"), profile="llm").llm, CTranslate2Generator
    )
    by_transformers = load_engines(settings(engine="transformers"), profile="llm")
    assert isinstance(by_transformers.llm, CausalLMEngine)
    assert by_transformers.fingerprint() != engines.fingerprint()

    with pytest.raises(ModelUnavailable, match="newsum models convert instruct"):
        load_engines(settings(engine="ctranslate2", ct2_quantization="int8"), profile="llm")


def test_newsum_models_convert_instruct(instruct_dir: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    spec = instruct_spec(QWEN2)
    source = locate(spec, instruct_dir)
    assert source is not None
    shutil.copytree(source, models / source.name)
    env = {"NEWSUM_LLM_MODEL": QWEN2}

    named = newsum(
        "models",
        "convert",
        "instruct",
        "--quantization",
        "float32",
        "-q",
        tmp=tmp_path,
        env_extra=env,
    )
    assert named.returncode == 0, named.stderr
    copy = locate_ct2(spec, models, "float32")
    assert copy is not None and f"instruct: {copy}" in named.stdout
    engine = CTranslate2Generator.load(spec, copy, device="cpu", compute_type="float32")
    assert engine.generate([PROMPTS[0]], max_new_tokens=3)[0]

    # With no role named, the present instruct model is converted with the others.
    present = newsum("models", "convert", "-q", tmp=tmp_path, env_extra=env)
    assert present.returncode == 0, present.stderr
    assert present.stdout.strip() == f"instruct: {ct2_path(spec, models, 'int8')}"
    listed = newsum("models", "list", tmp=tmp_path, env_extra=env)
    assert "ct2-float32" in listed.stdout and "ct2-int8" in listed.stdout
