"""What ``newsum models list | pull | doctor`` report: which checkpoints and converted
CTranslate2 copies are here, which may be used, what a profile still lacks, and the
exact command that fixes it.

Looks at files only; nothing is loaded (``doctor`` must answer in a second).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from models.convert import QUANTIZATIONS, locate_ct2
from models.errors import LicenceRefused
from models.specs import (
    ALL_SPECS,
    INSTRUCT_ROLE,
    LLM_CPU_DEFAULT,
    ModelSpec,
    check_licence,
    get_spec,
    instruct_spec,
)
from models.store import checkpoint_problem, locate, model_path, pull

# The roles each profile cannot run without (``workers.english.engines``):
# ``auto`` runs with whatever is present, ``offline`` with no weights at all.
PROFILE_NEEDS: dict[str, tuple[str, ...]] = {
    "standard": ("translation", "summary"),
    # The instruct model (NEWSUM_LLM_MODEL); opus-mt is welcome, not required.
    "llm": (INSTRUCT_ROLE,),
    "auto": (),
    "offline": (),
}


@dataclass
class ModelStatus:
    """One role's checkpoint: where it is, and whether this deployment may use it.

    ``present``: a complete checkpoint was found at ``path``. ``usable``: present
    and its licence allows the configured use. ``problem``: why not, else None.
    ``path`` is the incomplete folder when one is in the way, else None if absent.
    ``converted``: complete CTranslate2 copies in the model dir, by quantization.
    """

    spec: ModelSpec
    path: Path | None
    present: bool
    usable: bool
    problem: str | None
    converted: dict[str, Path] = field(default_factory=dict)
    licence_ok: bool = True


def list_models(
    model_dir: Path, *, allow_noncommercial: bool, hub_cache: Path | None = None
) -> list[ModelStatus]:
    """The status of every known checkpoint, in ``ALL_SPECS`` order (the role
    defaults, then the instruct models)."""
    return [
        _status(spec, model_dir, allow_noncommercial=allow_noncommercial, hub_cache=hub_cache)
        for spec in ALL_SPECS
    ]


def converted_copies(spec: ModelSpec, model_dir: Path) -> dict[str, Path]:
    """The complete CTranslate2 copies of ``spec`` in ``model_dir``, by quantization."""
    found = {q: locate_ct2(spec, model_dir, q) for q in QUANTIZATIONS}
    return {q: path for q, path in found.items() if path is not None}


def _status(
    spec: ModelSpec, model_dir: Path, *, allow_noncommercial: bool, hub_cache: Path | None
) -> ModelStatus:
    licence_problem: str | None = None
    try:
        check_licence(spec, allow_noncommercial=allow_noncommercial)
    except LicenceRefused as exc:
        licence_problem = str(exc)
    converted = converted_copies(spec, model_dir)
    licence_ok = licence_problem is None
    found = locate(spec, model_dir, hub_cache=hub_cache)
    if found is not None:
        return ModelStatus(spec, found, True, licence_ok, licence_problem, converted, licence_ok)
    ours = model_path(spec, model_dir)
    if ours.exists():
        # A folder is there but is not a checkpoint (a half copy, a failed pull).
        problem = f"incomplete: {checkpoint_problem(ours, spec)}"
        return ModelStatus(spec, ours, False, False, problem, converted, licence_ok)
    return ModelStatus(
        spec, None, False, False, licence_problem or "not downloaded", converted, licence_ok
    )


def runnable(status: ModelStatus, *, engine: str = "auto", quantization: str = "int8") -> bool:
    """Whether a worker with ``engine`` (NEWSUM_ENGINE) and ``quantization``
    (NEWSUM_CT2_QUANTIZATION) can load this role: its licence allows it, and the
    copy that engine reads is here (``workers.english.engines._locate_any``)."""
    if not status.licence_ok:
        return False
    has_ct2 = quantization in status.converted
    if engine == "ctranslate2":
        return has_ct2
    if engine == "transformers":
        return status.present
    return has_ct2 or status.present


def pull_role(
    role: str, model_dir: Path, *, allow_noncommercial: bool, progress: bool = False
) -> Path:
    """Check the licence, then download ``role``'s checkpoint; its folder.
    ``role`` may also be an instruct model's id (``Qwen/Qwen3-4B``); ``instruct``
    is the CPU default. ``progress``: the hub's download bars on stderr.

    Raises LicenceRefused before any download for a non-commercial checkpoint
    that is not allowed (Qwen2.5-3B-Instruct, CrossSum), ModelNotFound when the
    hub cannot serve it.
    """
    spec = _spec_for(role)
    check_licence(spec, allow_noncommercial=allow_noncommercial)
    return pull(spec, model_dir, progress=progress)


def _spec_for(name: str) -> ModelSpec:
    """A role's default spec, or an instruct model by id (``instruct``: the CPU default)."""
    if name == INSTRUCT_ROLE:
        return instruct_spec(LLM_CPU_DEFAULT)
    if "/" in name or name.startswith("Qwen"):
        return instruct_spec(name)
    return get_spec(name)


@dataclass
class DoctorReport:
    """``newsum models doctor``: one human line per finding, and the roles the
    chosen profile needs that cannot run here (the command exits 1 when any)."""

    lines: list[str]
    missing: list[str]


def doctor(
    model_dir: Path,
    *,
    allow_noncommercial: bool,
    hub_cache: Path | None = None,
    engine: str = "auto",
    quantization: str = "int8",
) -> list[str]:
    """Human lines: one per checkpoint, saying it is fine or exactly how to fix it,
    and one per converted CTranslate2 copy."""
    return doctor_report(
        model_dir,
        allow_noncommercial=allow_noncommercial,
        hub_cache=hub_cache,
        engine=engine,
        quantization=quantization,
    ).lines


def doctor_report(
    model_dir: Path,
    *,
    allow_noncommercial: bool,
    profile: str = "auto",
    hub_cache: Path | None = None,
    engine: str = "auto",
    quantization: str = "int8",
    llm_model: str = LLM_CPU_DEFAULT,
) -> DoctorReport:
    """``doctor``'s lines, plus a last line and ``missing`` for what ``profile`` needs.
    ``llm_model``: the instruct model (NEWSUM_LLM_MODEL) profile ``llm`` needs, the
    only instruct model reported.

    Raises ValueError for a profile outside ``PROFILE_NEEDS``.
    """
    if profile not in PROFILE_NEEDS:
        raise ValueError(f"unknown profile {profile!r}: choose one of {', '.join(PROFILE_NEEDS)}")
    lines: list[str] = []
    if not model_dir.exists():
        lines.append(
            f"model dir {model_dir} does not exist yet: `newsum models pull` creates it, "
            "or set NEWSUM_MODEL_DIR to where your checkpoints are"
        )
    chosen = instruct_spec(llm_model).id
    # Of the instruct models, only the one NEWSUM_LLM_MODEL chooses (`list` shows all).
    statuses = [
        s
        for s in list_models(
            model_dir, allow_noncommercial=allow_noncommercial, hub_cache=hub_cache
        )
        if s.spec.role != INSTRUCT_ROLE or s.spec.id == chosen
    ]
    for status in statuses:
        lines.append(
            _advice(
                status,
                model_dir,
                allow_noncommercial=allow_noncommercial,
                engine=engine,
                quantization=quantization,
            )
        )
        for q, path in status.converted.items():
            lines.append(f"         {status.spec.role}: CTranslate2 {q} copy at {path}")
    needed = PROFILE_NEEDS[profile]
    missing = [
        s.spec.role
        for s in statuses
        if s.spec.role in needed and not runnable(s, engine=engine, quantization=quantization)
    ]
    if missing:
        lines.append(
            f"profile {profile!r} cannot run here: {', '.join(missing)} missing (see above)"
        )
    elif needed:
        lines.append(f"profile {profile!r} has every model it needs")
    return DoctorReport(lines, missing)


def _advice(
    status: ModelStatus,
    model_dir: Path,
    *,
    allow_noncommercial: bool,
    engine: str,
    quantization: str,
) -> str:
    spec = status.spec
    name = f"{spec.role}: {spec.id}@{spec.revision} ({spec.licence})"
    target = model_path(spec, model_dir)
    optional = not spec.commercial_use
    convert_fix = (
        f"NEWSUM_ENGINE=ctranslate2 reads a CTranslate2 {quantization} copy: run "
        f"`newsum models convert {spec.role} --quantization {quantization}`"
    )
    if status.usable:
        if engine == "ctranslate2" and quantization not in status.converted:
            return f"missing  {name} at {status.path}, but {convert_fix}"
        return f"ok       {name} at {status.path}"
    if status.licence_ok and quantization in status.converted and engine != "transformers":
        # No checkpoint, but the converted copy is all a worker loads.
        return (
            f"ok       {name}: CTranslate2 {quantization} copy only (enough to run; "
            f"converting again needs the checkpoint: `newsum models pull {spec.role}`)"
        )
    if status.present:
        # Present, licence refused: only the non-commercial opt-in helps.
        return (
            f"refused  {name} at {status.path}: its licence forbids commercial use; "
            "set NEWSUM_ALLOW_NONCOMMERCIAL=true only for a non-commercial deployment"
        )
    if spec.role == INSTRUCT_ROLE:
        # Optional: profile llm needs only the one NEWSUM_LLM_MODEL names.
        refused = "" if status.licence_ok else f" (refused: licensed {spec.licence})"
        return (
            f"optional {name}: not present{refused}; for profile llm set NEWSUM_LLM_MODEL="
            f"{spec.id} and copy its checkpoint into {target} (about {spec.size_mib} MiB)"
        )
    if optional and not allow_noncommercial:
        return (
            f"optional {name}: not present, and only usable with "
            f"NEWSUM_ALLOW_NONCOMMERCIAL=true (then `newsum models pull {spec.role}`)"
        )
    fix = (
        f"run `newsum models pull {spec.role}` (about {spec.size_mib} MiB), or "
        f"`newsum models import FILE.tar` from a machine that has it, or copy a "
        f"checkpoint (config.json, weights, tokenizer files) into {target}, or point "
        f"NEWSUM_MODEL_DIR at a folder that holds {spec.dir_name}/"
    )
    if status.path is not None:
        return f"broken   {name}: {status.problem}; {fix}"
    return f"missing  {name}: {fix}"
