"""What ``newsum models list | pull | doctor`` report: which checkpoints are here,
which may be used, and the exact command that fixes what is missing.

Looks at files only; nothing is loaded (``doctor`` must answer in a second).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models.errors import LicenceRefused
from models.specs import DEFAULT_SPECS, ModelSpec, check_licence, get_spec
from models.store import checkpoint_problem, locate, model_path, pull


@dataclass
class ModelStatus:
    """One role's checkpoint: where it is, and whether this deployment may use it.

    ``present``: a complete checkpoint was found at ``path``. ``usable``: present
    and its licence allows the configured use. ``problem``: why not, else None.
    ``path`` is the incomplete folder when one is in the way, else None if absent.
    """

    spec: ModelSpec
    path: Path | None
    present: bool
    usable: bool
    problem: str | None


def list_models(
    model_dir: Path, *, allow_noncommercial: bool, hub_cache: Path | None = None
) -> list[ModelStatus]:
    """The status of every known checkpoint, in ``DEFAULT_SPECS`` order."""
    return [
        _status(spec, model_dir, allow_noncommercial=allow_noncommercial, hub_cache=hub_cache)
        for spec in DEFAULT_SPECS
    ]


def _status(
    spec: ModelSpec, model_dir: Path, *, allow_noncommercial: bool, hub_cache: Path | None
) -> ModelStatus:
    licence_problem: str | None = None
    try:
        check_licence(spec, allow_noncommercial=allow_noncommercial)
    except LicenceRefused as exc:
        licence_problem = str(exc)
    found = locate(spec, model_dir, hub_cache=hub_cache)
    if found is not None:
        return ModelStatus(spec, found, True, licence_problem is None, licence_problem)
    ours = model_path(spec, model_dir)
    if ours.exists():
        # A folder is there but is not a checkpoint (a half copy, a failed pull).
        return ModelStatus(
            spec, ours, False, False, f"incomplete: {checkpoint_problem(ours, spec)}"
        )
    return ModelStatus(spec, None, False, False, licence_problem or "not downloaded")


def pull_role(role: str, model_dir: Path, *, allow_noncommercial: bool) -> Path:
    """Check the licence, then download ``role``'s checkpoint; its folder.

    Raises LicenceRefused before any download for a non-commercial checkpoint
    that is not allowed, ModelNotFound when the hub cannot serve it.
    """
    spec = get_spec(role)
    check_licence(spec, allow_noncommercial=allow_noncommercial)
    return pull(spec, model_dir)


def doctor(
    model_dir: Path, *, allow_noncommercial: bool, hub_cache: Path | None = None
) -> list[str]:
    """Human lines: one per checkpoint, saying it is fine or exactly how to fix it."""
    lines: list[str] = []
    if not model_dir.exists():
        lines.append(
            f"model dir {model_dir} does not exist yet: `newsum models pull` creates it, "
            "or set NEWSUM_MODEL_DIR to where your checkpoints are"
        )
    for status in list_models(
        model_dir, allow_noncommercial=allow_noncommercial, hub_cache=hub_cache
    ):
        lines.append(_advice(status, model_dir, allow_noncommercial=allow_noncommercial))
    return lines


def _advice(status: ModelStatus, model_dir: Path, *, allow_noncommercial: bool) -> str:
    spec = status.spec
    name = f"{spec.role}: {spec.id}@{spec.revision} ({spec.licence})"
    target = model_path(spec, model_dir)
    optional = not spec.commercial_use
    if status.usable:
        return f"ok       {name} at {status.path}"
    if status.present:
        # Present, licence refused: only the non-commercial opt-in helps.
        return (
            f"refused  {name} at {status.path}: its licence forbids commercial use; "
            "set NEWSUM_ALLOW_NONCOMMERCIAL=true only for a non-commercial deployment"
        )
    if optional and not allow_noncommercial:
        return (
            f"optional {name}: not present, and only usable with "
            f"NEWSUM_ALLOW_NONCOMMERCIAL=true (then `newsum models pull {spec.role}`)"
        )
    fix = (
        f"run `newsum models pull {spec.role}` (about {spec.size_mib} MiB), or copy a "
        f"checkpoint (config.json, weights, tokenizer files) into {target}, or point "
        f"NEWSUM_MODEL_DIR at a folder that holds {spec.dir_name}/"
    )
    if status.path is not None:
        return f"broken   {name}: {status.problem}; {fix}"
    return f"missing  {name}: {fix}"
