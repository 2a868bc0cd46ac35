"""The instruct models in the registry: licences, the gate, the catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.catalog import doctor_report, list_models, pull_role
from models.errors import LicenceRefused, ModelNotFound
from models.specs import (
    INSTRUCT_SPECS,
    LLM_CPU_DEFAULT,
    LLM_GPU_DEFAULT,
    check_licence,
    instruct_spec,
)


def test_every_size_class_has_an_apache_instruct_model() -> None:
    ids = {s.id for s in INSTRUCT_SPECS}
    assert {LLM_CPU_DEFAULT, LLM_GPU_DEFAULT, "Qwen/Qwen3-0.6B", "Qwen/Qwen3-4B"} <= ids
    for spec in INSTRUCT_SPECS:
        if spec.id != "Qwen/Qwen2.5-3B-Instruct":
            assert spec.licence == "Apache-2.0" and spec.commercial_use
            check_licence(spec, allow_noncommercial=False)
        assert spec.generation["do_sample"] is False and spec.generation["max_new_tokens"] > 0


def test_qwen25_3b_is_refused_naming_its_licence(tmp_path: Path) -> None:
    spec = instruct_spec("Qwen2.5-3B-Instruct")
    with pytest.raises(LicenceRefused, match="Qwen Research License"):
        check_licence(spec, allow_noncommercial=False)
    # Refused before any download is tried.
    with pytest.raises(LicenceRefused, match=r"Qwen/Qwen2\.5-3B-Instruct"):
        pull_role("Qwen/Qwen2.5-3B-Instruct", tmp_path, allow_noncommercial=False)
    assert not any(tmp_path.iterdir())


def test_unknown_instruct_model_names_the_known_ones() -> None:
    with pytest.raises(ModelNotFound, match="Qwen/Qwen3-8B"):
        instruct_spec("Llama-3-8B")


def test_the_catalog_lists_them_and_doctor_checks_the_chosen_one(tmp_path: Path) -> None:
    statuses = {s.spec.id: s for s in list_models(tmp_path, allow_noncommercial=False)}
    assert statuses["Qwen/Qwen2.5-3B-Instruct"].licence_ok is False
    assert statuses[LLM_CPU_DEFAULT].licence_ok and not statuses[LLM_CPU_DEFAULT].present
    report = doctor_report(tmp_path, allow_noncommercial=False, profile="llm")
    assert report.missing == ["instruct"]
    assert sum("instruct:" in line for line in report.lines) == 1  # the chosen one only
    refused = doctor_report(
        tmp_path,
        allow_noncommercial=False,
        profile="llm",
        llm_model="Qwen/Qwen2.5-3B-Instruct",
    )
    assert any("refused: licensed Qwen Research License" in line for line in refused.lines)
    assert doctor_report(tmp_path, allow_noncommercial=False, profile="auto").missing == []
