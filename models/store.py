"""Where checkpoints live on disk, and the one step that downloads them.

Layout of the model dir (``NEWSUM_MODEL_DIR``, passed in by the caller)::

    <model_dir>/
        Helsinki-NLP--opus-mt-zh-en/           one folder per hub id, "/" → "--"
            config.json  model.safetensors | pytorch_model.bin
            source.spm  target.spm  vocab.json  generation_config.json ...
        sshleifer--distilbart-cnn-12-6/
        csebuetnlp--mT5_m2o_english_crossSum/

A folder there is a plain ``save_pretrained`` checkpoint: copying one in by
hand works as well as ``pull``. ``locate`` also finds checkpoints already in the
Hugging Face hub cache (``HF_HOME`` / ``HF_HUB_CACHE``), so a machine that has
used the models before needs no second copy. Loading never touches the network;
only ``pull`` does. ``checkpoint_digest`` names what a loaded folder holds, for
the pipeline fingerprint (a model swapped in place is another model).
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import getproxies

from models.errors import ModelNotFound
from models.specs import ModelSpec

WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)

# Any one group of files is enough for the architecture's tokenizer.
TOKENIZER_FILES: dict[str, tuple[tuple[str, ...], ...]] = {
    "marian": (("source.spm", "target.spm", "vocab.json"),),
    "bart": (("tokenizer.json",), ("vocab.json", "merges.txt")),
    "mt5": (("tokenizer.json",), ("spiece.model",)),
}

# What pull fetches: configs, tokenizers and ONE weight format (the hub repos
# also hold TensorFlow, Flax and Rust copies of the same weights).
_METADATA_PATTERNS = ["*.json", "*.spm", "*.model", "*.txt"]


# Small files that say how a model computes: digested by their content, so a copy
# of the same checkpoint with new timestamps keeps its digest. Every other file
# (weights, tokenizer) is digested by name, size and modification time: reading
# gigabytes of weights at each start would cost seconds.
_CONTENT_FILES = frozenset({"config.json", "generation_config.json", "newsum-ct2.json"})


@cache
def checkpoint_digest(path: Path) -> str:
    """What a checkpoint folder holds, as a short string that changes with its content.

    A Hugging Face hub snapshot (``.../models--org--name/snapshots/<commit>/``) is
    named by its commit: ``"snapshot:<commit>"``. Any other folder (ours, or a
    CTranslate2 conversion) gives ``"files:<sha256 prefix>"`` over the content of
    its config files (``config.json``, ``generation_config.json``, the conversion
    marker) and the relative name, size and modification time of every other
    file (weights, tokenizer); hidden files and folders (download metadata,
    locks) are left out. Computed once per path per process; a process that
    swaps weights in place calls ``checkpoint_digest.cache_clear()``.
    """
    folder = path.resolve()
    if folder.parent.name == "snapshots" and folder.parent.parent.name.startswith("models--"):
        return f"snapshot:{folder.name}"
    digest = hashlib.sha256()
    for file in sorted(folder.rglob("*")):
        relative = file.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not file.is_file():
            continue
        digest.update(relative.as_posix().encode("utf-8") + b"\x00")
        if relative.as_posix() in _CONTENT_FILES:
            digest.update(file.read_bytes())
        else:
            stat = file.stat()
            digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
        digest.update(b"\x00")
    return f"files:{digest.hexdigest()[:16]}"


def model_path(spec: ModelSpec, model_dir: Path) -> Path:
    """The folder of ``spec`` inside our model dir (present or not)."""
    return model_dir / spec.dir_name


def checkpoint_problem(path: Path, spec: ModelSpec) -> str | None:
    """What a folder lacks to be a loadable checkpoint of ``spec``; None if nothing."""
    if not path.is_dir():
        return f"{path} does not exist"
    if not (path / "config.json").is_file():
        return f"{path} has no config.json"
    if not any((path / name).is_file() for name in WEIGHT_FILES):
        return f"{path} has no weights ({' or '.join(WEIGHT_FILES[::2])})"
    groups = TOKENIZER_FILES.get(spec.architecture, ())
    if groups and not any(all((path / name).is_file() for name in group) for group in groups):
        wanted = " or ".join("+".join(group) for group in groups)
        return f"{path} has no tokenizer files ({wanted})"
    return None


def locate(spec: ModelSpec, model_dir: Path, *, hub_cache: Path | None = None) -> Path | None:
    """A complete checkpoint of ``spec``: our model dir first, then the hub cache.

    ``hub_cache`` overrides the hub's own default (``HF_HUB_CACHE``, else
    ``$HF_HOME/hub``). Returns None when neither holds a complete copy; never
    touches the network.
    """
    ours = model_path(spec, model_dir)
    if checkpoint_problem(ours, spec) is None:
        return ours
    snapshot = _hub_snapshot(spec, hub_cache)
    if snapshot is not None and checkpoint_problem(snapshot, spec) is None:
        return snapshot
    return None


def _hub_snapshot(spec: ModelSpec, hub_cache: Path | None) -> Path | None:
    # Imported here: the hub library reads its environment at import time, and
    # importing this module must stay free of side effects.
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(
        spec.id, "config.json", cache_dir=hub_cache, revision=spec.revision
    )
    if isinstance(found, str):
        return Path(found).parent
    return None


def pull(
    spec: ModelSpec, model_dir: Path, *, timeout_s: float = 10.0, progress: bool = False
) -> Path:
    """Download ``spec`` at its revision into ``model_path(spec, model_dir)``.

    ``progress``: the hub's progress bars (files, then bytes per file) on stderr;
    off, none are drawn. Raises ModelNotFound with one line saying why (hub offline or unreachable,
    unknown repo or revision, incomplete download) within about ``timeout_s``
    when the hub cannot be reached; never hangs on a dead network.
    """
    from huggingface_hub import constants

    target = model_path(spec, model_dir)
    fallback = f"or copy a checkpoint of {spec.id} into {target}"
    if constants.HF_HUB_OFFLINE:
        raise ModelNotFound(f"cannot pull {spec.id}: HF_HUB_OFFLINE is set; unset it, {fallback}")
    endpoint = constants.ENDPOINT
    reason = _unreachable(endpoint, timeout_s)
    if reason is not None:
        raise ModelNotFound(
            f"cannot pull {spec.id}: {endpoint} is unreachable ({reason}); {fallback}"
        )
    try:
        with hub_progress_bars(progress):
            _download(spec, target, timeout_s)
    except Exception as exc:  # the hub raises OSError, httpx and its own errors alike
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelNotFound(
            f"cannot pull {spec.id}@{spec.revision} from {endpoint}: {first_line}; {fallback}"
        ) from exc
    problem = checkpoint_problem(target, spec)
    if problem is not None:
        raise ModelNotFound(f"pulled {spec.id}@{spec.revision} but {problem}; {fallback}")
    return target


def _download(spec: ModelSpec, target: Path, timeout_s: float) -> None:
    from huggingface_hub import HfApi, snapshot_download

    # model_info fails at once on a refused connection (listing the repo tree
    # retries for ~25 s) and names the commit that "main" points to now.
    info = HfApi().model_info(spec.id, revision=spec.revision, timeout=timeout_s)
    files = [sibling.rfilename for sibling in info.siblings or []]
    snapshot_download(
        repo_id=spec.id,
        revision=info.sha or spec.revision,
        local_dir=target,
        allow_patterns=_METADATA_PATTERNS + weight_patterns(files),
        etag_timeout=timeout_s,
    )


@contextmanager
def hub_progress_bars(show: bool) -> Iterator[None]:
    """The hub library's progress bars off while inside unless ``show``; its own
    setting (``HF_HUB_DISABLE_PROGRESS_BARS``) wins, and is put back afterwards."""
    from huggingface_hub.utils import (
        are_progress_bars_disabled,
        disable_progress_bars,
        enable_progress_bars,
    )

    switch_off = not show and not are_progress_bars_disabled()
    if switch_off:
        disable_progress_bars()
    try:
        yield
    finally:
        if switch_off:
            enable_progress_bars()


def weight_patterns(files: list[str]) -> list[str]:
    """The one weight format to fetch from a repo's file list: safetensors if any."""
    if any(name.startswith("model") and name.endswith(".safetensors") for name in files):
        return ["model*.safetensors"]
    return ["pytorch_model*.bin"]


def _unreachable(endpoint: str, timeout_s: float) -> str | None:
    """Why ``endpoint`` cannot be reached (None if it can): a quick TCP connect, so
    a dead network fails in seconds instead of the hub's retries. Behind a proxy
    a direct connect proves nothing: the hub's own timeouts apply then."""
    url = urlparse(endpoint)
    proxies = getproxies()
    if url.scheme in proxies or "all" in proxies:
        return None
    host = url.hostname or endpoint
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return None
    except OSError as exc:
        return exc.strerror or type(exc).__name__
