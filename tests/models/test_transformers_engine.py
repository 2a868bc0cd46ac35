"""The transformers engine on tiny real models (Marian as opus-mt-zh-en, BART as
distilbart), loaded from the model dir through the same path as real checkpoints."""

from __future__ import annotations

import random
import shutil
import warnings
from collections.abc import Sequence
from pathlib import Path

import pytest

from models.chunking import map_reduce_summary
from models.engines.base import TextGenerator
from models.engines.transformers_engine import TransformersEngine
from models.errors import ModelLoadFailed, ModelNotFound
from models.specs import get_spec
from models.store import locate, model_path
from tests.tiny_models import chinese_lines, english_lines, english_text

pytestmark = pytest.mark.engine

GREEDY = {"num_beams": 1}
# One thread: tiny models gain nothing from more, and on a shared 2-core machine
# two spinning threads per test process make these tests 4x slower.
THREADS = 1


def load(role: str, model_dir: Path, **kwargs: object) -> TransformersEngine:
    spec = get_spec(role)
    path = locate(spec, model_dir)
    assert path == model_path(spec, model_dir)
    return TransformersEngine.load(spec, path, device="cpu", torch_threads=THREADS, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def translator(tiny_model_dir: Path) -> TransformersEngine:
    return load("translation", tiny_model_dir, generation_overrides=GREEDY)


@pytest.fixture(scope="module")
def summarizer(tiny_model_dir: Path) -> TransformersEngine:
    return load("summary", tiny_model_dir, generation_overrides=GREEDY)


def chinese_sentences() -> list[str]:
    return [line for line in chinese_lines() if 8 <= len(line) <= 80][:12]


def test_engine_says_what_it_is(translator: TransformersEngine) -> None:
    engine: TextGenerator = translator  # the protocol, checked by mypy
    assert engine.engine_name == "transformers"
    assert engine.model_id == "Helsinki-NLP/opus-mt-zh-en"
    assert engine.revision == get_spec("translation").revision
    assert engine.max_input_tokens == 512


def test_count_tokens_includes_the_end_of_sentence(translator: TransformersEngine) -> None:
    assert translator.count_tokens("") == 1  # </s>
    assert translator.count_tokens("嘉兴开展主题教育。") > 1


def test_translates_a_batch_in_input_order(translator: TransformersEngine) -> None:
    sentences = chinese_sentences()
    one_by_one = [translator.generate([s], max_new_tokens=12)[0] for s in sentences]
    shuffled = list(range(len(sentences)))
    random.Random(7).shuffle(shuffled)
    batch = translator.generate([sentences[i] for i in shuffled], max_new_tokens=12)
    assert [batch[shuffled.index(i)] for i in range(len(sentences))] == one_by_one
    # Outputs depend on the input, so a mix-up of order could not pass unseen.
    assert len(set(one_by_one)) > len(sentences) // 2
    assert all(one_by_one)


def test_small_batches_give_the_same_outputs(tiny_model_dir: Path) -> None:
    sentences = chinese_sentences()
    big = load("translation", tiny_model_dir, generation_overrides=GREEDY)
    small = load("translation", tiny_model_dir, generation_overrides=GREEDY, max_batch_items=2)
    assert small.generate(sentences, max_new_tokens=8) == big.generate(sentences, max_new_tokens=8)


def test_batches_respect_both_caps(translator: TransformersEngine) -> None:
    lengths = [5, 300, 40, 40, 512, 1, 200, 200, 200]
    translator.max_batch_items, translator.max_batch_tokens = 3, 700
    try:
        batches = translator._batches(lengths)
    finally:
        translator.max_batch_items, translator.max_batch_tokens = 32, 8192
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) <= 3
        assert max(lengths[i] for i in batch) * len(batch) <= 700 or len(batch) == 1
    # Longest first, so padding stays small.
    assert batches[0] == [4]


def test_summarizes_english_texts(summarizer: TransformersEngine) -> None:
    texts = english_lines()[:6]
    outputs = summarizer.generate(texts, max_new_tokens=10)
    assert len(outputs) == len(texts)
    assert [summarizer.generate([t], max_new_tokens=10)[0] for t in texts] == outputs
    assert len(set(outputs)) > 1


def test_max_new_tokens_caps_the_output(translator: TransformersEngine) -> None:
    sentences = chinese_sentences()[:4]
    short = translator.generate(sentences, max_new_tokens=2)
    long = translator.generate(sentences, max_new_tokens=20)
    assert all(len(s) <= len(lo) for s, lo in zip(short, long, strict=True))
    assert any(len(s) < len(lo) for s, lo in zip(short, long, strict=True))


def test_an_input_over_the_window_is_refused_not_truncated(
    translator: TransformersEngine,
) -> None:
    too_long = "".join(chinese_lines())
    assert translator.count_tokens(too_long) > 512
    with pytest.raises(ValueError, match=r"input 1 is \d+ tokens, over .* window of 512"):
        translator.generate(["短句。", too_long])


def test_checkpoint_generation_settings_run_without_warnings(tiny_model_dir: Path) -> None:
    # Beam search with distilbart's own settings (min_length=56 in the checkpoint).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        engine = load("summary", tiny_model_dir)
        outputs = engine.generate(english_lines()[:3], max_new_tokens=8)
    assert len(outputs) == 3


def test_a_missing_folder_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ModelNotFound, match=str(missing)):
        TransformersEngine.load(get_spec("translation"), missing)


def test_a_corrupt_checkpoint_fails_loudly_with_the_path(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    spec = get_spec("translation")
    broken = tmp_path / "broken"
    shutil.copytree(model_path(spec, tiny_model_dir), broken)
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ModelLoadFailed, match=str(broken)):
        TransformersEngine.load(spec, broken, device="cpu")


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="this machine has CUDA")
def test_cuda_asked_for_without_cuda_is_refused(tiny_model_dir: Path) -> None:
    with pytest.raises(ModelLoadFailed, match="CUDA"):
        TransformersEngine.load(
            get_spec("translation"),
            model_path(get_spec("translation"), tiny_model_dir),
            device="cuda",
        )


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a CUDA device")
def test_auto_device_uses_cuda_in_half_precision(tiny_model_dir: Path) -> None:
    spec = get_spec("translation")
    engine = TransformersEngine.load(spec, model_path(spec, tiny_model_dir), device="auto")
    assert engine.device == "cuda"
    outputs = engine.generate(chinese_sentences()[:4], max_new_tokens=8)
    assert len(outputs) == 4


def test_direct_summary_mt5_loads_from_spiece_model_alone(
    tiny_model_dir_with_direct: Path,
) -> None:
    spec = get_spec("direct-summary")
    path = locate(spec, tiny_model_dir_with_direct)
    assert path is not None and not (path / "tokenizer.json").exists()
    engine = TransformersEngine.load(
        spec, path, device="cpu", torch_threads=THREADS, generation_overrides=GREEDY
    )
    assert engine.max_input_tokens == 512  # relative positions: the spec's window
    sentences = chinese_sentences()[:6]
    one_by_one = [engine.generate([s], max_new_tokens=8)[0] for s in sentences]
    assert engine.generate(sentences[::-1], max_new_tokens=8) == one_by_one[::-1]
    assert len(set(one_by_one)) > 1


class RecordingGenerator:
    """Wraps a real engine and records the token count of every input it gets."""

    def __init__(self, engine: TransformersEngine) -> None:
        self.engine = engine
        self.engine_name = engine.engine_name
        self.model_id = engine.model_id
        self.revision = engine.revision
        self.max_input_tokens = engine.max_input_tokens
        self.seen: list[list[int]] = []

    def count_tokens(self, text: str) -> int:
        return self.engine.count_tokens(text)

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        self.seen.append([self.engine.count_tokens(t) for t in texts])
        return self.engine.generate(texts, max_new_tokens=max_new_tokens)


def test_map_reduce_on_tiny_bart_stays_in_the_window(tiny_model_dir: Path) -> None:
    # Short outputs keep this quick; the windows are the real ones.
    summarizer = load(
        "summary", tiny_model_dir, generation_overrides=GREEDY | {"max_new_tokens": 24}
    )
    text = english_text(200)
    assert summarizer.count_tokens(text) > 2 * 1024
    recorder = RecordingGenerator(summarizer)
    sentences = text.split(". ")
    summary, chunks = map_reduce_summary(sentences, recorder)
    assert chunks >= 2
    assert isinstance(summary, str) and summary
    assert all(n <= 1024 for call in recorder.seen for n in call)
    assert len(recorder.seen[0]) == chunks
    assert recorder.seen[-1] == recorder.seen[-1][:1]  # the final call is one input
