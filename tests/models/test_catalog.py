"""Where checkpoints are found, what `newsum models list/doctor` say, and pull offline."""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path

import pytest

from models.catalog import doctor, list_models, pull_role
from models.engines.transformers_engine import TransformersEngine
from models.errors import LicenceRefused, ModelNotFound
from models.specs import get_spec
from models.store import checkpoint_problem, locate, model_path, pull, weight_patterns


@pytest.fixture
def empty_cache(tmp_path: Path) -> Path:
    """A Hugging Face hub cache with nothing in it (the machine's own is not ours)."""
    cache = tmp_path / "hub"
    cache.mkdir()
    return cache


def hub_cache_with(cache: Path, spec_id: str, checkpoint: Path, revision: str = "main") -> Path:
    """Lay a checkpoint out as the hub's cache does: refs/<rev> → snapshots/<sha>/."""
    sha = "0123456789abcdef0123456789abcdef01234567"
    repo = cache / f"models--{spec_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / revision).write_text(sha)
    snapshot = repo / "snapshots" / sha
    shutil.copytree(checkpoint, snapshot)
    return snapshot


# ---------------------------------------------------------------- store


def test_model_path_layout(tmp_path: Path) -> None:
    assert model_path(get_spec("translation"), tmp_path) == tmp_path / "Helsinki-NLP--opus-mt-zh-en"
    assert model_path(get_spec("summary"), tmp_path) == tmp_path / "sshleifer--distilbart-cnn-12-6"


def test_nothing_is_found_in_empty_places(tmp_path: Path, empty_cache: Path) -> None:
    for role in ("translation", "summary", "direct-summary"):
        assert locate(get_spec(role), tmp_path / "models", hub_cache=empty_cache) is None


def test_an_incomplete_folder_is_not_a_checkpoint(tmp_path: Path, empty_cache: Path) -> None:
    spec = get_spec("translation")
    folder = model_path(spec, tmp_path)
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    assert locate(spec, tmp_path, hub_cache=empty_cache) is None
    assert "no weights" in (checkpoint_problem(folder, spec) or "")
    (folder / "model.safetensors").write_bytes(b"")
    assert "no tokenizer files (source.spm+target.spm+vocab.json)" in (
        checkpoint_problem(folder, spec) or ""
    )


def test_the_hub_cache_is_found_and_loads(
    tiny_model_dir: Path, tmp_path: Path, empty_cache: Path
) -> None:
    spec = get_spec("translation")
    snapshot = hub_cache_with(empty_cache, spec.id, model_path(spec, tiny_model_dir))
    found = locate(spec, tmp_path / "empty-model-dir", hub_cache=empty_cache)
    assert found == snapshot
    engine = TransformersEngine.load(spec, found, device="cpu", torch_threads=1)
    assert len(engine.generate(["嘉兴开展主题教育。"], max_new_tokens=4)) == 1


def test_our_model_dir_wins_over_the_hub_cache(tiny_model_dir: Path, empty_cache: Path) -> None:
    spec = get_spec("summary")
    hub_cache_with(empty_cache, spec.id, model_path(spec, tiny_model_dir))
    assert locate(spec, tiny_model_dir, hub_cache=empty_cache) == model_path(spec, tiny_model_dir)


def test_weight_patterns_fetch_one_format() -> None:
    assert weight_patterns(["config.json", "pytorch_model.bin", "model.safetensors"]) == [
        "model*.safetensors"
    ]
    assert weight_patterns(["config.json", "pytorch_model.bin", "tf_model.h5"]) == [
        "pytorch_model*.bin"
    ]


def test_pull_with_the_hub_unreachable_fails_fast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub.constants

    # Port 9 (discard) on loopback: nothing listens, the connect is refused at once.
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", "http://127.0.0.1:9")
    spec = get_spec("translation")
    start = time.monotonic()
    with pytest.raises(ModelNotFound) as missing:
        pull(spec, tmp_path)
    assert time.monotonic() - start < 30
    message = str(missing.value)
    assert "\n" not in message
    assert spec.id in message and "127.0.0.1:9" in message and "unreachable" in message
    assert str(model_path(spec, tmp_path)) in message
    assert not model_path(spec, tmp_path).exists()


def test_pull_behind_a_dead_proxy_fails_fast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With a proxy set, the direct connect check is skipped: the hub's own call
    # must fail, and its error still comes back as one ModelNotFound line.
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    spec = get_spec("summary")
    start = time.monotonic()
    with pytest.raises(ModelNotFound) as missing:
        pull(spec, tmp_path)
    assert time.monotonic() - start < 30
    message = str(missing.value)
    assert "\n" not in message
    assert message.startswith(f"cannot pull {spec.id}@{spec.revision} from ")
    assert "unreachable" not in message


def test_pull_on_this_offline_machine_fails_fast(tmp_path: Path) -> None:
    try:
        socket.getaddrinfo("huggingface.co", 443)
    except OSError:
        pass
    else:
        pytest.skip("this machine can resolve huggingface.co: a pull would download")
    start = time.monotonic()
    with pytest.raises(ModelNotFound, match="opus-mt-zh-en"):
        pull(get_spec("translation"), tmp_path)
    assert time.monotonic() - start < 30


def test_pull_respects_hf_hub_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelNotFound, match="HF_HUB_OFFLINE"):
        pull(get_spec("summary"), tmp_path)


def test_pulling_a_noncommercial_model_needs_the_opt_in(tmp_path: Path) -> None:
    with pytest.raises(LicenceRefused, match="NEWSUM_ALLOW_NONCOMMERCIAL"):
        pull_role("direct-summary", tmp_path, allow_noncommercial=False)


# ---------------------------------------------------------------- list and doctor


def test_list_on_an_empty_dir(tmp_path: Path, empty_cache: Path) -> None:
    statuses = list_models(tmp_path, allow_noncommercial=False, hub_cache=empty_cache)
    roles = [s.spec.role for s in statuses]
    assert roles[:3] == ["translation", "summary", "direct-summary"]
    assert set(roles[3:]) == {"instruct"}  # every instruct model, after the role defaults
    assert not any(s.present or s.usable for s in statuses)
    assert all(s.path is None for s in statuses)
    assert statuses[0].problem == "not downloaded"
    assert "NEWSUM_ALLOW_NONCOMMERCIAL" in (statuses[2].problem or "")


def test_doctor_on_an_empty_dir_names_the_fixes(tmp_path: Path, empty_cache: Path) -> None:
    model_dir = tmp_path / "models"
    lines = doctor(model_dir, allow_noncommercial=False, hub_cache=empty_cache)
    assert len(lines) == 5
    assert lines[0].startswith(f"model dir {model_dir} does not exist")
    assert lines[4].startswith("optional instruct: Qwen/Qwen2.5-1.5B-Instruct")
    assert lines[1].startswith("missing  translation: Helsinki-NLP/opus-mt-zh-en")
    assert "`newsum models pull translation`" in lines[1]
    assert str(model_dir / "Helsinki-NLP--opus-mt-zh-en") in lines[1]
    assert "NEWSUM_MODEL_DIR" in lines[1]
    assert "`newsum models pull summary`" in lines[2]
    assert lines[3].startswith("optional direct-summary")
    assert "NEWSUM_ALLOW_NONCOMMERCIAL=true" in lines[3]


def test_list_and_doctor_with_the_tiny_models(tiny_model_dir: Path, empty_cache: Path) -> None:
    statuses = list_models(tiny_model_dir, allow_noncommercial=False, hub_cache=empty_cache)
    by_role = {s.spec.role: s for s in statuses}
    for role in ("translation", "summary"):
        status = by_role[role]
        assert status.present and status.usable and status.problem is None
        assert status.path == model_path(get_spec(role), tiny_model_dir)
    assert not by_role["direct-summary"].present
    lines = doctor(tiny_model_dir, allow_noncommercial=False, hub_cache=empty_cache)
    assert lines[0].startswith("ok       translation")
    assert lines[1].startswith("ok       summary")
    assert lines[2].startswith("optional direct-summary")


def test_a_present_noncommercial_model_is_refused_then_allowed(
    tmp_path: Path, empty_cache: Path
) -> None:
    spec = get_spec("direct-summary")
    folder = model_path(spec, tmp_path)
    folder.mkdir()
    for name in ("config.json", "model.safetensors", "spiece.model"):
        (folder / name).write_bytes(b"")
    refused = list_models(tmp_path, allow_noncommercial=False, hub_cache=empty_cache)[2]
    assert refused.present and not refused.usable
    assert "NEWSUM_ALLOW_NONCOMMERCIAL" in (refused.problem or "")
    line = doctor(tmp_path, allow_noncommercial=False, hub_cache=empty_cache)[2]
    assert line.startswith("refused  direct-summary") and "NEWSUM_ALLOW_NONCOMMERCIAL" in line
    allowed = list_models(tmp_path, allow_noncommercial=True, hub_cache=empty_cache)[2]
    assert allowed.usable and allowed.problem is None


def test_doctor_names_what_a_broken_folder_lacks(tmp_path: Path, empty_cache: Path) -> None:
    spec = get_spec("summary")
    folder = model_path(spec, tmp_path)
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    status = list_models(tmp_path, allow_noncommercial=False, hub_cache=empty_cache)[1]
    assert status.path == folder and not status.present
    line = doctor(tmp_path, allow_noncommercial=False, hub_cache=empty_cache)[1]
    assert line.startswith("broken   summary") and "has no weights" in line
    assert "`newsum models pull summary`" in line


# ---------------------------------------------------------------- converted copies and profiles


def fake_converted(model_dir: Path, role: str, quantization: str) -> Path:
    """A folder with the files `models.convert.is_converted` checks (not loadable)."""
    from models.convert import MARKER, TOKENIZER_DIR, ct2_path

    folder = ct2_path(get_spec(role), model_dir, quantization)
    (folder / TOKENIZER_DIR).mkdir(parents=True)
    for name in ("model.bin", f"{TOKENIZER_DIR}/tokenizer_config.json", MARKER):
        (folder / name).write_text("{}")
    return folder


def test_list_and_doctor_show_converted_copies(
    tiny_model_dir: Path, tmp_path: Path, empty_cache: Path
) -> None:
    model_dir = tmp_path / "models"
    shutil.copytree(tiny_model_dir, model_dir)
    int8 = fake_converted(model_dir, "translation", "int8")
    fp16 = fake_converted(model_dir, "summary", "float16")
    # A half-written conversion is not a copy.
    (model_dir / "sshleifer--distilbart-cnn-12-6.ct2-int8").mkdir()
    statuses = list_models(model_dir, allow_noncommercial=False, hub_cache=empty_cache)
    assert statuses[0].converted == {"int8": int8}
    assert statuses[1].converted == {"float16": fp16}
    assert statuses[2].converted == {}
    lines = doctor(model_dir, allow_noncommercial=False, hub_cache=empty_cache)
    assert f"translation: CTranslate2 int8 copy at {int8}" in lines[1]
    assert f"summary: CTranslate2 float16 copy at {fp16}" in lines[3]


def test_doctor_report_says_what_the_profile_lacks(
    tiny_model_dir: Path, tmp_path: Path, empty_cache: Path
) -> None:
    from models.catalog import doctor_report

    empty = tmp_path / "empty"
    report = doctor_report(
        empty, allow_noncommercial=False, profile="standard", hub_cache=empty_cache
    )
    assert report.missing == ["translation", "summary"]
    assert report.lines[-1].startswith("profile 'standard' cannot run here")
    for profile in ("auto", "offline"):
        report = doctor_report(
            empty, allow_noncommercial=False, profile=profile, hub_cache=empty_cache
        )
        assert report.missing == []
    ready = doctor_report(
        tiny_model_dir, allow_noncommercial=False, profile="standard", hub_cache=empty_cache
    )
    assert ready.missing == [] and ready.lines[-1] == "profile 'standard' has every model it needs"
    with pytest.raises(ValueError, match="unknown profile"):
        doctor_report(empty, allow_noncommercial=False, profile="fast", hub_cache=empty_cache)


def test_what_counts_as_present_follows_the_engine(
    tiny_model_dir: Path, tmp_path: Path, empty_cache: Path
) -> None:
    from models.catalog import doctor_report

    # Checkpoints only: NEWSUM_ENGINE=ctranslate2 cannot run them.
    report = doctor_report(
        tiny_model_dir,
        allow_noncommercial=False,
        profile="standard",
        hub_cache=empty_cache,
        engine="ctranslate2",
    )
    assert report.missing == ["translation", "summary"]
    assert "newsum models convert translation --quantization int8" in report.lines[0]
    # Converted copies only (no checkpoints): enough for auto and ctranslate2 engines,
    # not for transformers; the quantization must be the configured one.
    copies = tmp_path / "copies"
    fake_converted(copies, "translation", "int8")
    fake_converted(copies, "summary", "int8")
    for engine, missing in (
        ("auto", []),
        ("ctranslate2", []),
        ("transformers", ["translation", "summary"]),
    ):
        report = doctor_report(
            copies,
            allow_noncommercial=False,
            profile="standard",
            hub_cache=empty_cache,
            engine=engine,
        )
        assert report.missing == missing, engine
    report = doctor_report(
        copies, allow_noncommercial=False, profile="standard", hub_cache=empty_cache
    )
    assert report.lines[0].startswith("ok       translation") and "copy only" in report.lines[0]
    report = doctor_report(
        copies,
        allow_noncommercial=False,
        profile="standard",
        hub_cache=empty_cache,
        quantization="float16",
    )
    assert report.missing == ["translation", "summary"]


def test_pull_draws_the_hub_bars_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub.utils import are_progress_bars_disabled

    import models.store

    seen: list[bool] = []
    monkeypatch.setattr(models.store, "_unreachable", lambda endpoint, timeout_s: None)
    monkeypatch.setattr(
        models.store,
        "_download",
        lambda spec, target, timeout_s: seen.append(are_progress_bars_disabled()),
    )
    before = are_progress_bars_disabled()
    for progress in (False, True):
        with pytest.raises(ModelNotFound, match="pulled"):  # nothing was written
            pull(get_spec("translation"), tmp_path, progress=progress)
    assert seen == [True, before]
    assert are_progress_bars_disabled() == before
