"""``models.store.checkpoint_digest``: what a checkpoint folder holds, named cheaply."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.store import checkpoint_digest

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(autouse=True)
def fresh_digests() -> Iterator[None]:
    # The digest is cached per path for the process; each test starts clean.
    checkpoint_digest.cache_clear()
    yield
    checkpoint_digest.cache_clear()


def checkpoint(folder: Path) -> Path:
    """A folder shaped like a saved checkpoint: configs, weights, tokenizer."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"d_model": 32}', encoding="utf-8")
    (folder / "generation_config.json").write_text('{"num_beams": 4}', encoding="utf-8")
    (folder / "model.safetensors").write_bytes(b"\x00" * 64)
    (folder / "source.spm").write_bytes(b"spm")
    return folder


def bump_mtime(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000_000))


def test_a_copy_is_the_same_checkpoint(tmp_path: Path) -> None:
    original = checkpoint(tmp_path / "a")
    copy = tmp_path / "b"
    shutil.copytree(original, copy)  # copy2: same sizes and times
    assert checkpoint_digest(original).startswith("files:")
    assert checkpoint_digest(original) == checkpoint_digest(copy)


@pytest.mark.parametrize("name", ["model.safetensors", "source.spm"])
def test_a_touched_weight_or_tokenizer_file_is_new_content(tmp_path: Path, name: str) -> None:
    folder = checkpoint(tmp_path / "m")
    before = checkpoint_digest(folder)
    bump_mtime(folder / name)
    assert checkpoint_digest(folder) == before  # computed once per path, per process
    checkpoint_digest.cache_clear()
    assert checkpoint_digest(folder) != before


def test_a_rewritten_weight_file_of_another_size_is_new_content(tmp_path: Path) -> None:
    folder = checkpoint(tmp_path / "m")
    before = checkpoint_digest(folder)
    stat = (folder / "model.safetensors").stat()
    (folder / "model.safetensors").write_bytes(b"\x01" * 128)
    os.utime(folder / "model.safetensors", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    checkpoint_digest.cache_clear()
    assert checkpoint_digest(folder) != before


@pytest.mark.parametrize("name", ["config.json", "generation_config.json"])
def test_configs_count_by_content_not_by_time(tmp_path: Path, name: str) -> None:
    folder = checkpoint(tmp_path / "m")
    before = checkpoint_digest(folder)
    bump_mtime(folder / name)
    checkpoint_digest.cache_clear()
    assert checkpoint_digest(folder) == before
    (folder / name).write_text('{"d_model": 64, "num_beams": 1}', encoding="utf-8")
    checkpoint_digest.cache_clear()
    assert checkpoint_digest(folder) != before


def test_hidden_download_metadata_is_left_out(tmp_path: Path) -> None:
    folder = checkpoint(tmp_path / "m")
    before = checkpoint_digest(folder)
    hidden = folder / ".cache" / "huggingface" / "download"
    hidden.mkdir(parents=True)
    (hidden / "model.safetensors.metadata").write_text("etag", encoding="utf-8")
    checkpoint_digest.cache_clear()
    assert checkpoint_digest(folder) == before


def test_a_hub_snapshot_is_named_by_its_commit(tmp_path: Path) -> None:
    snapshots = tmp_path / "hub" / "models--Helsinki-NLP--opus-mt-zh-en" / "snapshots"
    first = checkpoint(snapshots / COMMIT)
    second = checkpoint(snapshots / ("f" * 40))
    assert checkpoint_digest(first) == f"snapshot:{COMMIT}"
    assert checkpoint_digest(second) == f"snapshot:{'f' * 40}"
    # A folder merely called "snapshots" elsewhere is digested by its files.
    assert checkpoint_digest(checkpoint(tmp_path / "snapshots" / COMMIT)).startswith("files:")
