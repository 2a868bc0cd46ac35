"""The model registry: roles, limits, generation defaults, the licence gate."""

from __future__ import annotations

import dataclasses

import pytest

from models.errors import LicenceRefused, ModelError, ModelNotFound
from models.specs import DEFAULT_SPECS, ROLES, ModelSpec, check_licence, get_spec


def test_every_role_has_one_default_spec() -> None:
    assert [spec.role for spec in DEFAULT_SPECS] == list(ROLES)
    assert get_spec("translation").id == "Helsinki-NLP/opus-mt-zh-en"
    assert get_spec("summary").id == "sshleifer/distilbart-cnn-12-6"
    assert get_spec("direct-summary").id == "csebuetnlp/mT5_m2o_english_crossSum"


def test_windows_and_architectures_match_the_checkpoints() -> None:
    found = {s.role: (s.architecture, s.max_input_tokens) for s in DEFAULT_SPECS}
    assert found == {
        "translation": ("marian", 512),
        "summary": ("bart", 1024),
        "direct-summary": ("mt5", 512),
    }


@pytest.mark.parametrize("spec", DEFAULT_SPECS, ids=lambda s: s.role)
def test_generation_defaults_never_force_a_minimum_length(spec: ModelSpec) -> None:
    # distilbart's own min_length=56 with a small max_new_tokens makes
    # transformers warn ("unfeasible length constraints") and pads short briefs.
    generation = spec.generation
    assert generation["min_length"] == 0
    assert generation["max_new_tokens"] > 0
    assert generation["num_beams"] >= 1


def test_specs_are_read_only() -> None:
    spec = get_spec("summary")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.id = "other/model"  # type: ignore[misc]
    with pytest.raises(TypeError):
        spec.generation["num_beams"] = 1  # type: ignore[index]


def test_unknown_role_names_the_known_ones() -> None:
    with pytest.raises(ModelNotFound, match="translation, summary, direct-summary"):
        get_spec("poetry")


def test_dir_name_has_no_slash() -> None:
    assert get_spec("translation").dir_name == "Helsinki-NLP--opus-mt-zh-en"


def test_commercial_defaults_pass_the_licence_gate() -> None:
    for role in ("translation", "summary"):
        spec = get_spec(role)
        assert spec.commercial_use
        check_licence(spec, allow_noncommercial=False)


def test_noncommercial_model_is_refused_unless_allowed() -> None:
    spec = get_spec("direct-summary")
    assert not spec.commercial_use
    with pytest.raises(LicenceRefused) as refused:
        check_licence(spec, allow_noncommercial=False)
    message = str(refused.value)
    assert "NEWSUM_ALLOW_NONCOMMERCIAL" in message
    assert spec.id in message and "CC BY-NC-SA 4.0" in message
    assert isinstance(refused.value, ModelError)
    check_licence(spec, allow_noncommercial=True)


def test_opus_mt_is_cc_by_and_credits_its_authors() -> None:
    # The model card's licence (../shared/models/README.md), not Apache-2.0.
    from tests.paths import SHARED_MODELS

    spec = get_spec("translation")
    assert spec.licence == "CC BY 4.0"
    readme = SHARED_MODELS / "README.md"
    if readme.is_file():
        assert "Licence: CC BY 4.0" in readme.read_text(encoding="utf-8")
    assert spec.attribution is not None
    for part in (
        "Helsinki-NLP/opus-mt-zh-en",
        "University of Helsinki",
        "CC BY 4.0",
        "https://creativecommons.org/licenses/by/4.0/",
    ):
        assert part in spec.attribution


@pytest.mark.parametrize("spec", DEFAULT_SPECS, ids=lambda s: s.role)
def test_every_licence_that_requires_credit_has_an_attribution(spec: ModelSpec) -> None:
    needs_credit = spec.licence.startswith("CC BY")
    assert (spec.attribution is not None) == needs_credit
    if spec.attribution:
        assert spec.id in spec.attribution and spec.licence in spec.attribution
