"""Move checkpoints and their CTranslate2 copies to a machine with no hub access
(``newsum models export FILE.tar`` / ``newsum models import FILE.tar|DIR``).

An export is a tar (``.tar``, or gzip'd ``.tar.gz``/``.tgz``) whose FIRST member
is ``newsum-models.json``, the manifest::

    {"format": "newsum-models/1",
     "folders": [{"name": "Helsinki-NLP--opus-mt-zh-en", "role": "translation",
                  "kind": "checkpoint", "quantization": null, "model_id": ...,
                  "revision": ..., "licence": ...}, ...],
     "files": [{"path": "Helsinki-NLP--opus-mt-zh-en/config.json",
                "size": 1234, "sha256": "..."}, ...]}

followed by each file, under the folder name it has in the model dir
(``models.store.model_path``, ``models.convert.ct2_path``). An import reads the
archive as a stream, once: it refuses any member that is not a regular file of
a known model folder listed in the manifest (absolute paths, ``..``, links and
devices are refused, never written), writes into a hidden staging folder in the
model dir, checks every file's size and sha256 against the manifest, checks each
folder is complete, and only then moves the folders into place. A corrupt,
truncated or unsafe archive leaves the model dir as it was. A folder (``DIR``)
is imported the same way when it holds the manifest (an export unpacked by hand).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import lzma
import shutil
import sys
import tarfile
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from models.convert import MARKER, QUANTIZATIONS, ct2_path, is_converted
from models.errors import ModelError, ModelNotFound
from models.specs import DEFAULT_SPECS, ROLES, ModelSpec
from models.store import checkpoint_problem, locate

MANIFEST = "newsum-models.json"
FORMAT = "newsum-models/1"
SUFFIXES = (".tar", ".tar.gz", ".tgz")
_CHUNK = 1 << 20
_MAX_MANIFEST_BYTES = 16 << 20
_CORRUPT = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, lzma.LZMAError)


class ArchiveRejected(ModelError):
    """An archive or folder that cannot be imported (corrupt, truncated, unsafe, not
    an export); the message names the archive and the file at fault."""


@dataclass(frozen=True)
class Folder:
    """One model folder in an export: a checkpoint, or a CTranslate2 copy of one."""

    name: str
    role: str
    kind: str  # "checkpoint" | "ctranslate2"
    quantization: str | None
    model_id: str
    revision: str
    licence: str


@dataclass(frozen=True)
class FileEntry:
    path: str  # "<folder>/<relative posix path>"
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    folders: list[Folder]
    files: list[FileEntry]

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def to_json(self) -> bytes:
        body = {
            "format": FORMAT,
            "folders": [asdict(f) for f in self.folders],
            "files": [asdict(f) for f in self.files],
        }
        return (json.dumps(body, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def known_folder(name: str) -> tuple[ModelSpec, str | None] | None:
    """The spec (and quantization, for a CTranslate2 copy) a model-dir folder name
    stands for; None for any other name."""
    for spec in DEFAULT_SPECS:
        if name == spec.dir_name:
            return spec, None
        for quantization in QUANTIZATIONS:
            if name == f"{spec.dir_name}.ct2-{quantization}":
                return spec, quantization
    return None


# ---------------------------------------------------------------- export


def exportable(
    model_dir: Path,
    roles: Iterable[str] = ROLES,
    *,
    converted_only: bool = False,
    hub_cache: Path | None = None,
) -> list[tuple[Folder, Path]]:
    """What an export of ``roles`` takes: each complete checkpoint (model dir, else
    the hub cache) unless ``converted_only``, and each complete CTranslate2 copy."""
    wanted = set(roles)
    found: list[tuple[Folder, Path]] = []
    for spec in DEFAULT_SPECS:
        if spec.role not in wanted:
            continue
        source = None if converted_only else locate(spec, model_dir, hub_cache=hub_cache)
        if source is not None:
            revision = _snapshot_commit(source) or spec.revision
            found.append((_folder(spec, spec.dir_name, None, revision), source))
        for quantization in QUANTIZATIONS:
            copy = ct2_path(spec, model_dir, quantization)
            if is_converted(copy):
                revision = _marker_revision(copy) or spec.revision
                found.append((_folder(spec, copy.name, quantization, revision), copy))
    return found


def export_models(
    out: Path, folders: list[tuple[Folder, Path]], *, progress: bool = False
) -> Manifest:
    """Write ``folders`` (from ``exportable``) to the tar ``out``: manifest first.

    Written to ``<out>.partial`` and renamed when complete. Raises ModelNotFound
    when ``folders`` is empty, ValueError for a name not ending in ``SUFFIXES``.
    """
    if not out.name.endswith(SUFFIXES):
        raise ValueError(f"{out}: the archive's name must end in {', '.join(SUFFIXES)}")
    if not folders:
        raise ModelNotFound(
            "nothing to export: no checkpoint or CTranslate2 copy here; "
            "`newsum models list` shows what is present"
        )
    sources = [(folder, source, rel) for folder, source in folders for rel in _files(source)]
    entries: list[FileEntry] = []
    total = sum((source / rel).stat().st_size for _, source, rel in sources)
    with _bar(total, f"checksums of {len(sources)} files", progress) as bar:
        for folder, source, rel in sources:
            digest, size = _sha256(source / rel, bar)
            entries.append(FileEntry(f"{folder.name}/{rel}", size, digest))
    manifest = Manifest([folder for folder, _ in folders], entries)
    partial = out.with_name(out.name + ".partial")
    gzipped = out.name.endswith((".tar.gz", ".tgz"))
    try:
        with (
            tarfile.open(partial, "w:gz", format=tarfile.PAX_FORMAT)
            if gzipped
            else tarfile.open(partial, "w", format=tarfile.PAX_FORMAT)
        ) as tar:
            blob = manifest.to_json()
            tar.addfile(_info(MANIFEST, len(blob), time.time()), io.BytesIO(blob))
            with _bar(total, f"writing {out.name}", progress) as bar:
                for (_, source, rel), entry in zip(sources, entries, strict=True):
                    path = source / rel
                    with path.open("rb") as handle:
                        info = _info(entry.path, entry.size, path.stat().st_mtime)
                        tar.addfile(info, _Counting(handle, bar))
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(out)
    return manifest


# ---------------------------------------------------------------- import


def import_models(
    source: Path, model_dir: Path, *, force: bool = False, progress: bool = False
) -> list[Path]:
    """Install the folders of the export ``source`` (a tar, or a folder holding
    the manifest) into ``model_dir``; the installed folders, in manifest order.

    Raises ArchiveRejected (nothing installed) for a corrupt, truncated or unsafe
    archive, a checksum that does not match, an incomplete folder, or a folder
    that is already in ``model_dir`` when not ``force``.
    """
    model_dir.mkdir(parents=True, exist_ok=True)
    staging = model_dir / f".import-{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    try:
        if source.is_dir():
            if not (source / MANIFEST).is_file():
                raise ArchiveRejected(f"{source} is not a newsum export: it has no {MANIFEST}")
            manifest = _read_manifest(source, (source / MANIFEST).read_bytes(), model_dir, force)
            with _bar(manifest.total_bytes, f"importing {source.name}", progress) as bar:
                _copy_folder(source, manifest, staging, bar)
        else:
            manifest = _extract_tar(source, model_dir, staging, force, progress)
        for folder in manifest.folders:
            problem = _folder_problem(staging / folder.name, folder)
            if problem is not None:
                raise ArchiveRejected(f"{source}: {problem}; nothing was imported")
        return _install(manifest, staging, model_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _extract_tar(
    source: Path, model_dir: Path, staging: Path, force: bool, progress: bool
) -> Manifest:
    current = "its first member"  # the member being read, named when reading fails
    try:
        with tarfile.open(source, "r|*") as tar:
            members = iter(tar)
            first = next(members, None)
            if first is None or first.name != MANIFEST or not first.isreg():
                raise ArchiveRejected(
                    f"{source} is not a newsum export: its first member is not {MANIFEST}"
                )
            if first.size > _MAX_MANIFEST_BYTES:
                raise ArchiveRejected(f"{source}: {MANIFEST} is implausibly large")
            manifest = _read_manifest(source, _read_member(tar, first), model_dir, force)
            expected = {entry.path: entry for entry in manifest.files}
            seen: set[str] = set()
            with _bar(manifest.total_bytes, f"importing {source.name}", progress) as bar:
                for member in members:
                    current = member.name
                    entry = _check_member(source, member, manifest, expected, seen)
                    with tar.extractfile(member) as handle:  # type: ignore[union-attr]
                        _write_checked(source, handle, staging / entry.path, entry, bar)
                    seen.add(entry.path)
                    current = f"the member after {member.name}"
    except _CORRUPT as exc:
        raise ArchiveRejected(
            f"{source} is corrupt or truncated at {current} ({type(exc).__name__}: {exc}); "
            "nothing was imported"
        ) from None
    absent = [path for path in expected if path not in seen]
    if absent:
        raise ArchiveRejected(
            f"{source} is truncated: {absent[0]} (and {len(absent) - 1} more) listed in "
            f"{MANIFEST} but not in the archive; nothing was imported"
        )
    return manifest


def _check_member(
    source: Path,
    member: tarfile.TarInfo,
    manifest: Manifest,
    expected: dict[str, FileEntry],
    seen: set[str],
) -> FileEntry:
    """The manifest entry a member is; ArchiveRejected for anything else."""
    name = _safe_name(member.name, manifest)
    if name is None:
        raise ArchiveRejected(
            f"{source}: unsafe member {member.name!r} (outside the model folders it "
            "lists); nothing was imported"
        )
    if not member.isreg():
        raise ArchiveRejected(
            f"{source}: member {member.name!r} is not a regular file (a link, a folder "
            "or a device); nothing was imported"
        )
    entry = expected.get(name)
    if entry is None or name in seen:
        why = "appears twice" if name in seen else f"is not listed in {MANIFEST}"
        raise ArchiveRejected(f"{source}: {name} {why}; nothing was imported")
    if member.size != entry.size:
        raise ArchiveRejected(
            f"{source}: {name} holds {member.size} bytes, {MANIFEST} says {entry.size}; "
            "nothing was imported"
        )
    return entry


def _safe_name(name: str, manifest: Manifest) -> str | None:
    """``name`` when it is a plain relative path inside a folder the manifest lists."""
    if "\\" in name or "\x00" in name or name.startswith("/"):
        return None
    path = PurePosixPath(name)
    parts = path.parts
    if len(parts) < 2 or path.as_posix() != name.rstrip("/") or path.is_absolute():
        return None
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None
    if parts[0] not in {folder.name for folder in manifest.folders}:
        return None
    return path.as_posix()


def _read_manifest(source: Path, raw: bytes, model_dir: Path, force: bool) -> Manifest:
    try:
        data = json.loads(raw.decode("utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {FORMAT!r}")
        folders = [Folder(**f) for f in data["folders"]]
        files = [FileEntry(**f) for f in data["files"]]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ArchiveRejected(f"{source}: {MANIFEST} is unreadable ({exc})") from None
    manifest = Manifest(folders, files)
    for folder in folders:
        known = known_folder(folder.name)
        if known is None or known[0].role != folder.role:
            raise ArchiveRejected(f"{source}: {folder.name!r} is not a model folder newsum knows")
        if (model_dir / folder.name).exists() and not force:
            raise ArchiveRejected(
                f"{model_dir / folder.name} already exists: `newsum models import --force` "
                "replaces it; nothing was imported"
            )
    for entry in files:
        if _safe_name(entry.path, manifest) is None:
            raise ArchiveRejected(f"{source}: unsafe path {entry.path!r} in {MANIFEST}")
    free = shutil.disk_usage(model_dir).free
    if manifest.total_bytes > free:
        raise ArchiveRejected(
            f"{source} holds {manifest.total_bytes / 2**20:.0f} MiB but {model_dir} has "
            f"{free / 2**20:.0f} MiB free; nothing was imported"
        )
    return manifest


def _copy_folder(source: Path, manifest: Manifest, staging: Path, bar: Any) -> None:
    listed = {entry.path for entry in manifest.files}
    for folder in manifest.folders:
        for rel in _files(source / folder.name):
            if f"{folder.name}/{rel}" not in listed:
                raise ArchiveRejected(
                    f"{source}: {folder.name}/{rel} is not listed in {MANIFEST}; "
                    "nothing was imported"
                )
    for entry in manifest.files:
        path = source / entry.path
        if not path.is_file():
            raise ArchiveRejected(f"{source}: {entry.path} is missing; nothing was imported")
        with path.open("rb") as handle:
            _write_checked(source, handle, staging / entry.path, entry, bar)


def _write_checked(
    source: Path, handle: IO[bytes], target: Path, entry: FileEntry, bar: Any
) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with target.open("xb") as sink:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            sink.write(chunk)
            size += len(chunk)
            bar.update(len(chunk))
    if size != entry.size:
        raise ArchiveRejected(
            f"{source}: {entry.path} is truncated ({size} of {entry.size} bytes); "
            "nothing was imported"
        )
    if digest.hexdigest() != entry.sha256:
        raise ArchiveRejected(
            f"{source}: {entry.path} does not match its checksum (sha256 "
            f"{digest.hexdigest()[:16]}…, {MANIFEST} says {entry.sha256[:16]}…); "
            "nothing was imported"
        )


def _folder_problem(path: Path, folder: Folder) -> str | None:
    known = known_folder(folder.name)
    assert known is not None  # _read_manifest refused unknown names
    spec, quantization = known
    if quantization is None:
        return checkpoint_problem(path, spec)
    if not is_converted(path):
        return f"{folder.name} is not a complete CTranslate2 copy"
    return None


def _install(manifest: Manifest, staging: Path, model_dir: Path) -> list[Path]:
    installed = []
    for folder in manifest.folders:
        target = model_dir / folder.name
        if target.exists():  # only with force: _read_manifest refused it otherwise
            target.rename(staging / f"replaced-{folder.name}")
        (staging / folder.name).rename(target)
        installed.append(target)
    return installed


# ---------------------------------------------------------------- shared


def _folder(spec: ModelSpec, name: str, quantization: str | None, revision: str) -> Folder:
    kind = "checkpoint" if quantization is None else "ctranslate2"
    return Folder(name, spec.role, kind, quantization, spec.id, revision, spec.licence)


def _files(folder: Path) -> list[str]:
    """Relative posix paths of the regular files under ``folder`` (links followed),
    hidden ones (download metadata, locks) left out."""
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        found.append(rel.as_posix())
    return found


def _snapshot_commit(path: Path) -> str | None:
    if path.parent.name == "snapshots" and len(path.name) == 40:
        return path.name
    return None


def _marker_revision(path: Path) -> str | None:
    try:
        revision = json.loads((path / MARKER).read_text(encoding="utf-8")).get("revision")
    except (OSError, ValueError):
        return None
    return revision if isinstance(revision, str) else None


def _sha256(path: Path, bar: Any) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            bar.update(len(chunk))
    return digest.hexdigest(), size


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(member)
    if handle is None:
        raise tarfile.ReadError(f"{member.name} cannot be read")
    with handle:
        return handle.read()


def _info(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o644
    info.type = tarfile.REGTYPE
    return info


class _Counting(io.RawIOBase):
    """A file read through, each chunk counted on a progress bar."""

    def __init__(self, handle: IO[bytes], bar: Any) -> None:
        self._handle = handle
        self._bar = bar

    def read(self, size: int = -1) -> bytes:
        chunk = self._handle.read(size)
        self._bar.update(len(chunk))
        return chunk


@contextmanager
def _bar(total: int, desc: str, show: bool) -> Iterator[Any]:
    from tqdm import tqdm

    bar = tqdm(
        total=total,
        desc=desc,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        disable=not show,
        file=sys.stderr,
    )
    try:
        yield bar
    finally:
        bar.close()
