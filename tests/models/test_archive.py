"""`newsum models export` / `import`: checkpoints and CTranslate2 copies moved as a
tar with a sha256 manifest; corrupt, truncated and unsafe archives change nothing."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
from pathlib import Path

import pytest

from models.archive import (
    MANIFEST,
    ArchiveRejected,
    export_models,
    exportable,
    import_models,
    known_folder,
)
from models.catalog import list_models
from models.convert import MARKER, TOKENIZER_DIR, ct2_path
from models.errors import ModelNotFound
from models.specs import get_spec
from models.store import locate, model_path

TRANSLATION = get_spec("translation")
SUMMARY = get_spec("summary")


def fake_ct2(model_dir: Path, quantization: str = "int8") -> Path:
    """A folder with the files `models.convert.is_converted` checks (not loadable)."""
    folder = ct2_path(TRANSLATION, model_dir, quantization)
    (folder / TOKENIZER_DIR).mkdir(parents=True)
    (folder / "model.bin").write_bytes(os.urandom(4096))
    (folder / TOKENIZER_DIR / "tokenizer_config.json").write_text("{}")
    (folder / "shared_vocabulary.json").write_text('["<s>"]')
    marker = {"model_id": TRANSLATION.id, "revision": "abc123", "quantization": quantization}
    (folder / MARKER).write_text(json.dumps(marker))
    return folder


@pytest.fixture
def source_dir(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """The tiny checkpoints plus an int8 CTranslate2 copy of the translator."""
    model_dir = tmp_path / "source"
    shutil.copytree(tiny_model_dir, model_dir)
    fake_ct2(model_dir)
    return model_dir


@pytest.fixture
def archive(source_dir: Path, tmp_path: Path, empty_hub: Path) -> Path:
    out = tmp_path / "models.tar"
    export_models(out, exportable(source_dir, hub_cache=empty_hub))
    return out


@pytest.fixture
def empty_hub(tmp_path: Path) -> Path:
    (tmp_path / "hub").mkdir()
    return tmp_path / "hub"


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def rewrite(archive: Path, out: Path, change) -> Path:  # type: ignore[no-untyped-def]
    """A copy of ``archive`` with each (info, data) passed through ``change``."""
    with tarfile.open(archive) as src, tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as dst:
        for member in src.getmembers():
            handle = src.extractfile(member)
            data = handle.read() if handle else b""
            for info, payload in change(member, data):
                info.size = len(payload) if info.isreg() else 0
                dst.addfile(info, io.BytesIO(payload) if info.isreg() else None)
    return out


# ---------------------------------------------------------------- round trips


def test_export_then_import_gives_the_same_files(
    source_dir: Path, archive: Path, tmp_path: Path, empty_hub: Path
) -> None:
    target = tmp_path / "target"
    installed = import_models(archive, target)
    names = [p.name for p in installed]
    assert names == [TRANSLATION.dir_name, f"{TRANSLATION.dir_name}.ct2-int8", SUMMARY.dir_name]
    for name in names:
        assert files_of(target / name) == files_of(source_dir / name)
    assert sorted(p.name for p in target.iterdir()) == sorted(names)  # no staging left
    assert locate(TRANSLATION, target, hub_cache=empty_hub) == model_path(TRANSLATION, target)
    status = list_models(target, allow_noncommercial=False, hub_cache=empty_hub)[0]
    assert status.converted == {"int8": ct2_path(TRANSLATION, target)}


def test_the_manifest_comes_first_with_each_files_sha256(source_dir: Path, archive: Path) -> None:
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        assert members[0].name == MANIFEST
        manifest = json.loads(tar.extractfile(members[0]).read())  # type: ignore[union-attr]
    assert manifest["format"] == "newsum-models/1"
    folders = {f["name"]: f for f in manifest["folders"]}
    assert folders[TRANSLATION.dir_name]["licence"] == "CC BY 4.0"
    assert folders[f"{TRANSLATION.dir_name}.ct2-int8"]["revision"] == "abc123"
    assert folders[f"{TRANSLATION.dir_name}.ct2-int8"]["kind"] == "ctranslate2"
    entries = {f["path"]: f for f in manifest["files"]}
    assert set(entries) == {m.name for m in members[1:]}
    weights = f"{TRANSLATION.dir_name}/model.safetensors"
    data = (source_dir / weights).read_bytes()
    assert entries[weights]["sha256"] == hashlib.sha256(data).hexdigest()
    assert entries[weights]["size"] == len(data)


def test_gzip_and_roles_and_converted_only(
    source_dir: Path, tmp_path: Path, empty_hub: Path
) -> None:
    out = tmp_path / "translation.tar.gz"
    manifest = export_models(
        out, exportable(source_dir, ["translation"], converted_only=True, hub_cache=empty_hub)
    )
    assert [f.name for f in manifest.folders] == [f"{TRANSLATION.dir_name}.ct2-int8"]
    with open(out, "rb") as handle:
        assert handle.read(2) == b"\x1f\x8b"
    installed = import_models(out, tmp_path / "target")
    assert [p.name for p in installed] == [f"{TRANSLATION.dir_name}.ct2-int8"]


def test_a_hub_cache_checkpoint_is_exported_as_plain_files(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    # The hub cache keeps blobs once and links them from snapshots/<commit>/.
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--Helsinki-NLP--opus-mt-zh-en"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (repo / "blobs").mkdir()
    for file in model_path(TRANSLATION, tiny_model_dir).iterdir():
        blob = repo / "blobs" / hashlib.sha256(file.read_bytes()).hexdigest()
        shutil.copy(file, blob)
        (snapshot / file.name).symlink_to(os.path.relpath(blob, snapshot))
    folders = exportable(tmp_path / "no-models", ["translation"], hub_cache=tmp_path / "hub")
    assert [(f.name, f.revision) for f, _ in folders] == [(TRANSLATION.dir_name, commit)]
    out = export_models(tmp_path / "hub.tar", folders) and tmp_path / "hub.tar"
    with tarfile.open(out) as tar:
        assert all(m.isreg() for m in tar.getmembers())
    import_models(out, tmp_path / "target")
    assert files_of(tmp_path / "target" / TRANSLATION.dir_name) == files_of(
        model_path(TRANSLATION, tiny_model_dir)
    )


def test_an_unpacked_export_is_imported_from_its_folder(archive: Path, tmp_path: Path) -> None:
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        # ``filter`` came in Python 3.11.4; Debian 12's 3.11.2 lacks it (the archive is ours).
        if hasattr(tarfile, "data_filter"):
            tar.extractall(unpacked, filter="data")
        else:
            tar.extractall(unpacked)
    installed = import_models(unpacked, tmp_path / "target")
    assert len(installed) == 3
    # The same folder with one byte changed is refused, naming the file.
    weights = unpacked / SUMMARY.dir_name / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[100] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ArchiveRejected, match=f"{SUMMARY.dir_name}/model.safetensors"):
        import_models(unpacked, tmp_path / "other")
    assert list((tmp_path / "other").iterdir()) == []


def test_nothing_to_export_is_said(tmp_path: Path, empty_hub: Path) -> None:
    with pytest.raises(ModelNotFound, match="nothing to export"):
        export_models(tmp_path / "x.tar", exportable(tmp_path, hub_cache=empty_hub))


def test_an_export_needs_a_tar_name(source_dir: Path, tmp_path: Path, empty_hub: Path) -> None:
    with pytest.raises(ValueError, match=r"\.tar"):
        export_models(tmp_path / "x.zip", exportable(source_dir, hub_cache=empty_hub))


def test_known_folders() -> None:
    assert known_folder(TRANSLATION.dir_name) == (TRANSLATION, None)
    assert known_folder(f"{SUMMARY.dir_name}.ct2-float16") == (SUMMARY, "float16")
    assert known_folder("etc") is None
    assert known_folder(f"{SUMMARY.dir_name}.ct2-int3") is None


# ---------------------------------------------------------------- refusals


def assert_untouched(target: Path) -> None:
    assert not target.exists() or list(target.iterdir()) == []


def test_one_changed_byte_is_refused_naming_the_file(archive: Path, tmp_path: Path) -> None:
    weights = f"{TRANSLATION.dir_name}/model.safetensors"

    def flip(info: tarfile.TarInfo, data: bytes):  # type: ignore[no-untyped-def]
        if info.name == weights:
            data = data[:10] + bytes([data[10] ^ 1]) + data[11:]
        yield info, data

    bad = rewrite(archive, tmp_path / "bad.tar", flip)
    with pytest.raises(ArchiveRejected, match=f"{weights} does not match its checksum"):
        import_models(bad, tmp_path / "target")
    assert_untouched(tmp_path / "target")


def test_a_truncated_archive_is_refused(archive: Path, tmp_path: Path) -> None:
    data = archive.read_bytes()
    for keep in (len(data) // 2, len(data) - 4096, 300):
        cut = tmp_path / f"cut-{keep}.tar"
        cut.write_bytes(data[:keep])
        with pytest.raises(ArchiveRejected, match=r"truncated|corrupt|not a newsum export"):
            import_models(cut, tmp_path / "target")
        assert_untouched(tmp_path / "target")


def test_a_missing_member_is_refused(archive: Path, tmp_path: Path) -> None:
    def drop(info: tarfile.TarInfo, data: bytes):  # type: ignore[no-untyped-def]
        if not info.name.endswith("vocab.json"):
            yield info, data

    short = rewrite(archive, tmp_path / "short.tar", drop)
    with pytest.raises(ArchiveRejected, match=r"truncated: .*vocab.json"):
        import_models(short, tmp_path / "target")
    assert_untouched(tmp_path / "target")


@pytest.mark.parametrize(
    "evil",
    [
        "../evil.txt",
        "/tmp/newsum-evil.txt",
        f"{TRANSLATION.dir_name}/../../evil.txt",
        f"{TRANSLATION.dir_name}/./config.json",
        "elsewhere/config.json",
    ],
)
def test_path_traversal_is_refused_and_nothing_written(
    archive: Path, tmp_path: Path, evil: str
) -> None:
    def smuggle(info: tarfile.TarInfo, data: bytes):  # type: ignore[no-untyped-def]
        yield info, data
        if info.name == MANIFEST:
            extra = tarfile.TarInfo(evil)
            yield extra, b"pwned"

    bad = rewrite(archive, tmp_path / "evil.tar", smuggle)
    target = tmp_path / "deep" / "er" / "target"
    with pytest.raises(ArchiveRejected, match="unsafe member"):
        import_models(bad, target)
    assert_untouched(target)
    assert not list(tmp_path.rglob("evil.txt"))
    assert not Path("/tmp/newsum-evil.txt").exists()


def test_an_unsafe_path_in_the_manifest_is_refused(archive: Path, tmp_path: Path) -> None:
    def lie(info: tarfile.TarInfo, data: bytes):  # type: ignore[no-untyped-def]
        if info.name == MANIFEST:
            manifest = json.loads(data)
            manifest["files"][0]["path"] = f"{TRANSLATION.dir_name}/../../evil.txt"
            data = json.dumps(manifest).encode()
        yield info, data

    with pytest.raises(ArchiveRejected, match="unsafe path"):
        import_models(rewrite(archive, tmp_path / "lie.tar", lie), tmp_path / "target")


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE])
def test_links_and_devices_are_refused(archive: Path, tmp_path: Path, kind: bytes) -> None:
    config = f"{TRANSLATION.dir_name}/config.json"

    def relink(info: tarfile.TarInfo, data: bytes):  # type: ignore[no-untyped-def]
        if info.name == config:
            link = tarfile.TarInfo(config)
            link.type = kind
            link.linkname = "/etc/passwd"
            yield link, b""
        else:
            yield info, data

    with pytest.raises(ArchiveRejected, match="not a regular file"):
        import_models(rewrite(archive, tmp_path / "link.tar", relink), tmp_path / "target")
    assert_untouched(tmp_path / "target")


def test_a_tar_without_the_manifest_first_is_refused(source_dir: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain.tar"
    with tarfile.open(plain, "w") as tar:
        tar.add(model_path(TRANSLATION, source_dir), arcname=TRANSLATION.dir_name)
    with pytest.raises(ArchiveRejected, match="not a newsum export"):
        import_models(plain, tmp_path / "target")
    not_tar = tmp_path / "notes.tar"
    not_tar.write_text("not a tar at all\n" * 100)
    with pytest.raises(ArchiveRejected, match=f"{not_tar} is corrupt"):
        import_models(not_tar, tmp_path / "target")


def test_an_incomplete_folder_is_refused(archive: Path, tmp_path: Path) -> None:
    # Consistent checksums, but the checkpoint lacks its weights: not loadable.
    def strip(info: tarfile.TarInfo, data: bytes):  # type: ignore[no-untyped-def]
        weights = f"{SUMMARY.dir_name}/model.safetensors"
        if info.name == MANIFEST:
            manifest = json.loads(data)
            manifest["files"] = [f for f in manifest["files"] if f["path"] != weights]
            data = json.dumps(manifest).encode()
        if info.name != weights:
            yield info, data

    with pytest.raises(ArchiveRejected, match="has no weights"):
        import_models(rewrite(archive, tmp_path / "strip.tar", strip), tmp_path / "target")
    assert_untouched(tmp_path / "target")


def test_existing_folders_are_kept_unless_forced(archive: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    import_models(archive, target)
    config = model_path(TRANSLATION, target) / "config.json"
    config.write_text('{"edited": true}')
    with pytest.raises(ArchiveRejected, match="--force"):
        import_models(archive, target)
    assert config.read_text() == '{"edited": true}'
    import_models(archive, target, force=True)
    assert json.loads(config.read_text()).get("edited") is None
    assert not [p for p in target.iterdir() if p.name.startswith(".")]


# ---------------------------------------------------------------- progress


def test_progress_bars_only_when_asked(
    source_dir: Path, tmp_path: Path, empty_hub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folders = exportable(source_dir, hub_cache=empty_hub)
    export_models(tmp_path / "quiet.tar", folders)
    import_models(tmp_path / "quiet.tar", tmp_path / "quiet")
    assert capsys.readouterr().err == ""
    export_models(tmp_path / "loud.tar", folders, progress=True)
    import_models(tmp_path / "loud.tar", tmp_path / "loud", progress=True)
    err = capsys.readouterr().err
    assert "checksums of" in err and "writing loud.tar" in err
    assert "importing loud.tar" in err and "100%" in err
