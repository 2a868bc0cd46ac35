"""``bench.llm_worker_rss`` on the tiny shapes: a real worker, profile llm, its memory.

The real-size figures are the benchmark's (README, "Performance"); here the script
runs end to end on tiny models, so only its workings are checked, never a size.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis

from bench.llm_arm import SHAPES, model_folder
from bench.llm_worker_rss import assemble_model_dir, main
from tests.integration.conftest import _with_db

pytestmark = pytest.mark.integration
RSS_DB = 10


def test_the_worker_is_measured_with_the_decoder_it_was_given(
    base_redis_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _with_db(base_redis_url, RSS_DB)
    assert (
        main(["--model-size", "tiny", "--json", "--cache-dir", str(tmp_path), "--redis-url", url])
        == 0
    )
    row = json.loads(capsys.readouterr().out)

    # The worker loaded profile llm (not the offline fallback) and said so when ready.
    assert row["profile"] == "llm"
    assert row["model_size"] == "tiny"
    assert 50 < row["rss_mib"] <= row["peak_rss_mib"]
    assert row["pass"] is (row["peak_rss_mib"] <= row["target_peak_rss_mib"])
    redis.Redis.from_url(url).flushdb()


def test_the_model_folder_holds_the_bench_decoder_behind_the_checkpoints_tokenizer(
    tmp_path: Path,
) -> None:
    folder, _ = assemble_model_dir(tmp_path, "tiny")
    converted = folder / "Qwen--Qwen2.5-1.5B-Instruct.ct2-int8"
    weights = converted / "model.bin"
    assert weights.is_symlink()
    assert (
        weights.resolve()
        == (model_folder(tmp_path, SHAPES["tiny"], "int8") / "model.bin").resolve()
    )
    assert (converted / "tokenizer" / "tokenizer_config.json").is_file()
    assert (folder / "Helsinki-NLP--opus-mt-zh-en.ct2-int8" / "model.bin").is_file()
