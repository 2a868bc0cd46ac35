"""The CTranslate2 engine and ``models.convert`` on tiny real models.

CTranslate2 float32 and transformers decode greedily to the same tokens when the
weights make outputs depend on the input (``init_std=0.5``, tests/tiny_models.py);
int8 drifts after a few tokens, so engines are compared in float32.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from models.convert import convert, convert_model, ct2_path, locate_ct2
from models.engines.ctranslate2_engine import (
    CTranslate2Engine,
    decoding_options,
    default_max_batch_tokens,
    thread_layout,
)
from models.engines.transformers_engine import TransformersEngine
from models.errors import ModelNotFound
from models.specs import ModelSpec, get_spec
from models.store import model_path
from tests.tiny_models import chinese_lines, english_lines

pytestmark = pytest.mark.engine

GREEDY = {"num_beams": 1}
ROLES = ("translation", "summary")


def _inputs(role: str) -> list[str]:
    if role == "translation":
        return chinese_lines()[1:6]
    lines = english_lines()
    return [" ".join(lines[i : i + 4]) for i in (0, 10, 20, 30)]


@pytest.fixture(scope="module")
def ct2_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model dir holding both tiny models converted to float32 and int8."""
    out = tmp_path_factory.mktemp("ct2")
    for role in ROLES:
        spec = get_spec(role)
        for quantization in ("float32", "int8"):
            convert(
                spec,
                model_path(spec, tiny_model_dir),
                ct2_path(spec, out, quantization),
                quantization=quantization,
            )
    return out


def _load(spec: ModelSpec, ct2_dir: Path, quantization: str) -> CTranslate2Engine:
    path = locate_ct2(spec, ct2_dir, quantization)
    assert path is not None
    return CTranslate2Engine.load(
        spec, path, device="cpu", compute_type=quantization, generation_overrides=GREEDY
    )


@pytest.mark.parametrize("role", ROLES)
def test_float32_greedy_matches_transformers_token_for_token(
    role: str, tiny_model_dir: Path, ct2_dir: Path
) -> None:
    spec = get_spec(role)
    reference = TransformersEngine.load(
        spec, model_path(spec, tiny_model_dir), device="cpu", generation_overrides=GREEDY
    )
    engine = _load(spec, ct2_dir, "float32")
    texts = _inputs(role)
    # transformers spends its last new token on a forced </s>; CTranslate2 does not.
    expected = reference.generate(texts, max_new_tokens=12)
    got = engine.generate(texts, max_new_tokens=11)
    assert got == expected
    # The inputs give different outputs, so a mix-up of order would show.
    assert len(set(got)) > 1
    ids = engine.generate_ids(texts, max_new_tokens=11)
    assert all(len(row) == 11 for row in ids)


@pytest.mark.parametrize("role", ROLES)
def test_outputs_come_back_in_input_order(role: str, ct2_dir: Path) -> None:
    engine = _load(get_spec(role), ct2_dir, "float32")
    texts = _inputs(role)
    shuffled = [texts[i] for i in (2, 0, 3, 1)]
    by_text = dict(zip(texts, engine.generate(texts, max_new_tokens=8), strict=True))
    assert engine.generate(shuffled, max_new_tokens=8) == [by_text[t] for t in shuffled]
    assert engine.generate([]) == []


def test_thread_layout_runs_a_batch_per_core_on_cpu_and_one_batch_on_cuda() -> None:
    assert thread_layout(2, "cpu") == (2, 1)
    assert thread_layout(4, "cpu") == (4, 1)
    assert thread_layout(1, "cpu") == (1, 1)
    assert thread_layout(8, "cuda") == (1, 8)
    with pytest.raises(ValueError, match="cores must be ≥ 1"):
        thread_layout(0, "cpu")


def test_a_summarizer_on_cpu_runs_its_batches_one_core_each(ct2_dir: Path) -> None:
    spec = get_spec("summary")
    path = locate_ct2(spec, ct2_dir, "float32")
    assert path is not None
    engine = CTranslate2Engine.load(
        spec, path, device="cpu", compute_type="float32", cores=2, generation_overrides=GREEDY
    )
    assert engine.threads == (2, 1)
    assert engine._translator.num_translators == 2


def test_a_cpu_batch_holds_one_input_window() -> None:
    assert default_max_batch_tokens(get_spec("translation"), "cpu") == 512
    assert default_max_batch_tokens(get_spec("summary"), "cpu") == 1024
    assert default_max_batch_tokens(get_spec("summary"), "cuda") == 16384


def test_load_spreads_its_cores_and_parallel_batches_change_no_output(ct2_dir: Path) -> None:
    spec = get_spec("translation")
    path = locate_ct2(spec, ct2_dir, "float32")
    assert path is not None

    def load(**threads: int) -> CTranslate2Engine:
        return CTranslate2Engine.load(
            spec, path, device="cpu", compute_type="float32", generation_overrides=GREEDY, **threads
        )

    parallel, serial = load(cores=2), load(cores=2, inter_threads=1, intra_threads=2)
    assert parallel.threads == (2, 1) and parallel._translator.num_translators == 2
    assert serial.threads == (1, 2) and serial._translator.num_translators == 1
    assert parallel.max_batch_tokens == 512
    # Enough sentences for several 512-token batches, run two at a time.
    texts = [line for line in chinese_lines() if line][:60]
    assert sum(parallel.count_tokens(t) for t in texts) > 2 * 512
    assert parallel.generate(texts, max_new_tokens=8) == serial.generate(texts, max_new_tokens=8)


def test_int8_runs_on_cpu_and_counts_tokens_like_the_checkpoint(
    tiny_model_dir: Path, ct2_dir: Path
) -> None:
    from transformers import AutoTokenizer

    spec = get_spec("translation")
    engine = _load(spec, ct2_dir, "int8")
    assert engine.engine_name == "ctranslate2"
    assert engine.compute_type == "int8"
    assert engine.model_id == spec.id
    outputs = engine.generate(_inputs("translation")[:2], max_new_tokens=6)
    assert len(outputs) == 2 and all(outputs)
    tokenizer = AutoTokenizer.from_pretrained(model_path(spec, tiny_model_dir))
    text = _inputs("translation")[0]
    assert engine.count_tokens(text) == len(tokenizer(text)["input_ids"])


def test_an_input_over_the_window_raises(ct2_dir: Path) -> None:
    spec = get_spec("translation")
    engine = _load(spec, ct2_dir, "float32")
    long_text = "".join(chinese_lines())
    assert engine.count_tokens(long_text) > engine.max_input_tokens
    with pytest.raises(ValueError, match="window of 512"):
        engine.generate(["短句。", long_text])


def test_locate_ct2_finds_only_complete_conversions(ct2_dir: Path, tmp_path: Path) -> None:
    spec = get_spec("summary")
    assert locate_ct2(spec, ct2_dir, "int8") == ct2_dir / "sshleifer--distilbart-cnn-12-6.ct2-int8"
    assert locate_ct2(spec, ct2_dir, "float16") is None
    # A half-written folder (no marker, no tokenizer) is not a model.
    half = ct2_path(spec, tmp_path, "int8")
    half.mkdir()
    (half / "model.bin").write_bytes(b"\0")
    assert locate_ct2(spec, tmp_path, "int8") is None


def test_convert_keeps_a_complete_folder_unless_forced(tiny_model_dir: Path, ct2_dir: Path) -> None:
    spec = get_spec("translation")
    out = ct2_path(spec, ct2_dir, "int8")
    before = (out / "model.bin").stat().st_mtime_ns
    assert convert(spec, model_path(spec, tiny_model_dir), out, quantization="int8") == out
    assert (out / "model.bin").stat().st_mtime_ns == before


def test_a_missing_source_raises_a_clear_error(tmp_path: Path) -> None:
    spec = get_spec("translation")
    with pytest.raises(ModelNotFound, match="models pull translation"):
        convert(spec, tmp_path / "nowhere", ct2_path(spec, tmp_path))
    with pytest.raises(ModelNotFound, match="no checkpoint in"):
        convert_model(spec, tmp_path / "empty-model-dir")
    with pytest.raises(ModelNotFound, match="models convert"):
        CTranslate2Engine.load(spec, ct2_path(spec, tmp_path))
    with pytest.raises(ValueError, match="unknown quantization"):
        ct2_path(spec, tmp_path, "int3")


def test_decoding_options_follow_the_spec() -> None:
    options = decoding_options(get_spec("summary").generation)
    assert options == {
        "beam_size": 4,
        "max_decoding_length": 142,
        "min_decoding_length": 0,
        "no_repeat_ngram_size": 3,
        "length_penalty": 2.0,
    }
    assert decoding_options({"min_new_tokens": 40, "min_length": 5})["min_decoding_length"] == 40
    with pytest.raises(ValueError, match="top_p"):
        decoding_options({"top_p": 0.9})


@pytest.mark.parametrize("role", ROLES)
def test_light_tokenizers_agree_with_transformers(role: str, ct2_dir: Path) -> None:
    import random

    from transformers import AutoTokenizer

    from models.engines.ctranslate2_engine import TOKENIZER_DIR, load_tokenizer

    folder = locate_ct2(get_spec(role), ct2_dir, "int8")
    assert folder is not None
    ours = load_tokenizer(folder / TOKENIZER_DIR)
    reference = AutoTokenizer.from_pretrained(folder / TOKENIZER_DIR)
    assert type(ours).__name__ != "AutoTokenizerAdapter"
    texts = [*_inputs(role), "2020年1月9日，GDP增长6.1%。", "Ω😀 mixed 文字 text", ""]
    for text in texts:
        assert ours.tokens(text) == reference.convert_ids_to_tokens(reference(text)["input_ids"])
    rng = random.Random(0)
    # Decoding: output-like token runs, specials sprinkled in.
    vocab_size = len(reference)
    for _ in range(30):
        ids = [rng.randrange(vocab_size) for _ in range(rng.randrange(1, 12))]
        tokens = reference.convert_ids_to_tokens(ids)
        assert ours.decode(tokens) == reference.decode(ids, skip_special_tokens=True).strip()


def test_loading_the_engine_does_not_import_torch(ct2_dir: Path) -> None:
    import subprocess
    import sys

    path = locate_ct2(get_spec("translation"), ct2_dir, "int8")
    code = (
        "import sys; from pathlib import Path\n"
        "from models.engines.ctranslate2_engine import CTranslate2Engine\n"
        "from models.specs import get_spec\n"
        f"e = CTranslate2Engine.load(get_spec('translation'), Path({str(path)!r}), device='cpu')\n"
        "assert e.generate(['新闻。'], max_new_tokens=3)[0]\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"


def test_convert_draws_its_steps_only_when_asked(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = get_spec("translation")
    source = model_path(spec, tiny_model_dir)
    convert(spec, source, tmp_path / "quiet", quantization="float32")
    # Not even transformers' own "Loading weights" bar.
    assert capsys.readouterr().err == ""
    convert(spec, source, tmp_path / "loud", quantization="float32", progress=True)
    err = capsys.readouterr().err
    assert "translation → ct2-float32" in err
    for step in ("loading the checkpoint", "writing CTranslate2 weights", "copying the tokenizer"):
        assert step in err
    assert "3/3" in err


def test_an_imported_converted_copy_translates(ct2_dir: Path, tmp_path: Path) -> None:
    """export → import on a machine with no checkpoint: the CTranslate2 copy alone runs."""
    from models.archive import export_models, exportable, import_models

    spec = get_spec("translation")
    archive = tmp_path / "ct2.tar"
    export_models(archive, exportable(ct2_dir, ["translation"], converted_only=True))
    target = tmp_path / "offline-machine"
    import_models(archive, target)
    assert model_path(spec, target).exists() is False
    texts = _inputs("translation")
    here = _load(spec, ct2_dir, "float32").generate(texts, max_new_tokens=8)
    there = _load(spec, target, "float32").generate(texts, max_new_tokens=8)
    assert there == here and all(there)
