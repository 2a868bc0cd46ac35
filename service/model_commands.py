"""``newsum models list | pull | doctor | convert | export | import`` (added to the
``newsum`` group in service.cli). Model code is imported inside each command:
nothing loads at import.

Progress bars (pull, convert, export, import) go to stderr, only when stderr is
a terminal and ``--quiet`` is not given. Bad input (an unknown role, a missing
file, an archive name without a tar suffix) exits 2; a failure exits 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from service.cli_errors import EXIT_BAD_INPUT, EXIT_FAILED, fail, friendly_errors
from workers.settings import load_settings

# models.specs.ROLES, spelled out so that `newsum --help` imports no model code;
# tests/service/test_model_commands.py checks the two agree.
ROLE_NAMES = ("translation", "summary", "direct-summary")
ROLE = click.Choice(ROLE_NAMES)
# models.specs.INSTRUCT_ROLE: the instruct model NEWSUM_LLM_MODEL names (convert only).
INSTRUCT = "instruct"
PROFILES = ("standard", "auto", "offline", "llm")

quiet_option = click.option(
    "--quiet", "-q", is_flag=True, help="No progress bars (none are drawn off a terminal)."
)


def show_progress(quiet: bool) -> bool:
    """Progress bars only for a person watching: stderr a terminal, no --quiet."""
    return not quiet and sys.stderr.isatty()


@click.group(name="models")
def models_group() -> None:
    """List, pull, convert, move and diagnose the model checkpoints."""


@models_group.command(name="list")
@friendly_errors
def models_list() -> None:
    """Each model spec, whether its weights are present, and its CTranslate2 copies."""
    from models.catalog import list_models

    settings = load_settings()
    for status in list_models(
        settings.resolved_model_dir(), allow_noncommercial=settings.allow_noncommercial
    ):
        spec = status.spec
        state = "present" if status.present else "missing"
        if status.present and not status.usable:
            state = "present, unusable"
        click.echo(
            f"{spec.role:<15} {spec.id:<42} {spec.licence:<16} {state:<10} "
            f"{status.path or '-'}" + (f"  ({status.problem})" if status.problem else "")
        )
        for quantization, path in status.converted.items():
            label = f"ct2-{quantization}"
            click.echo(f"{spec.role:<15} {spec.id:<42} {spec.licence:<16} {label:<10} {path}")


class PullTarget(click.ParamType):
    """A role (translation, summary, direct-summary), ``instruct`` (the instruct model
    NEWSUM_LLM_MODEL names) or an instruct model's id (``Qwen/Qwen3-4B``, or
    ``Qwen3-4B``). Ids are checked against the registry when the command runs, so
    ``newsum --help`` imports no model code."""

    name = "target"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        text = str(value)
        if text in (*ROLE_NAMES, INSTRUCT) or text.startswith(("Qwen/", "Qwen")):
            return text
        self.fail(
            f"{text!r} is not one of {', '.join(repr(r) for r in (*ROLE_NAMES, INSTRUCT))} "
            "or an instruct model id (newsum models list)",
            param,
            ctx,
        )


@models_group.command(name="pull")
@click.argument("targets", nargs=-1, type=PullTarget())
@quiet_option
@friendly_errors
def models_pull(targets: tuple[str, ...], quiet: bool) -> None:
    """Download the default models (or TARGETS: translation, summary, direct-summary,
    instruct, or an instruct model id such as Qwen/Qwen3-4B) into NEWSUM_MODEL_DIR.

    The licence is checked before any download: a non-commercial checkpoint
    (Qwen/Qwen2.5-3B-Instruct, CrossSum) is refused unless NEWSUM_ALLOW_NONCOMMERCIAL."""
    from models.catalog import pull_role
    from models.specs import DEFAULT_SPECS, LLM_CPU_DEFAULT, LLM_GPU_DEFAULT

    settings = load_settings()
    wanted = targets or tuple(
        s.role for s in DEFAULT_SPECS if s.commercial_use or settings.allow_noncommercial
    )
    for target in wanted:
        name = target
        if target == INSTRUCT:  # the one profile llm will load here
            name = settings.llm_model or (
                LLM_GPU_DEFAULT if settings.device == "cuda" else LLM_CPU_DEFAULT
            )
        click.echo(f"pulling {name} …", err=True)
        path = pull_role(
            name,
            settings.resolved_model_dir(),
            allow_noncommercial=settings.allow_noncommercial,
            progress=show_progress(quiet),
        )
        click.echo(f"{name}: {path}")


@models_group.command(name="doctor")
@click.option(
    "--profile",
    type=click.Choice(PROFILES),
    default="standard",
    show_default=True,
    help="The profile to check for: exit 1 when a model it needs is missing "
    "(standard needs translation and summary; llm the instruct model NEWSUM_LLM_MODEL "
    "names; auto and offline need none).",
)
@friendly_errors
def models_doctor(profile: str) -> None:
    """What is missing and how to fix it; converted copies too. Exits 1 when the
    profile cannot run here."""
    from models.catalog import doctor_report
    from models.specs import LLM_CPU_DEFAULT, LLM_GPU_DEFAULT

    settings = load_settings()
    default_llm = LLM_GPU_DEFAULT if settings.device == "cuda" else LLM_CPU_DEFAULT
    report = doctor_report(
        settings.resolved_model_dir(),
        allow_noncommercial=settings.allow_noncommercial,
        profile=profile,
        engine=settings.engine,
        quantization=settings.ct2_quantization,
        llm_model=settings.llm_model or default_llm,
    )
    for line in report.lines:
        click.echo(line)
    if report.missing:
        sys.exit(EXIT_FAILED)


@models_group.command(name="convert")
@click.argument("roles", nargs=-1, type=click.Choice((*ROLE_NAMES, INSTRUCT)))
@click.option(
    "--quantization",
    type=click.Choice(["int8", "int8_float16", "float16", "float32"]),
    default="int8",
    show_default=True,
    help="int8 on CPU; float16 or int8_float16 on CUDA.",
)
@click.option("--force", is_flag=True, help="Convert again over an existing copy.")
@quiet_option
@friendly_errors
def models_convert(roles: tuple[str, ...], quantization: str, force: bool, quiet: bool) -> None:
    """Convert the present models (or ROLES) to CTranslate2, which workers then use
    (3–5× faster on CPU). "instruct" is the instruct model NEWSUM_LLM_MODEL names
    (profile llm). Set NEWSUM_CT2_QUANTIZATION to match a non-int8 copy."""
    from models.convert import convert_model
    from models.specs import (
        LLM_CPU_DEFAULT,
        LLM_GPU_DEFAULT,
        ModelSpec,
        check_licence,
        get_spec,
        instruct_spec,
    )
    from models.store import locate

    settings = load_settings()
    model_dir = settings.resolved_model_dir()

    def spec_of(role: str) -> ModelSpec:
        if role != INSTRUCT:
            return get_spec(role)
        default_llm = LLM_GPU_DEFAULT if settings.device == "cuda" else LLM_CPU_DEFAULT
        return instruct_spec(settings.llm_model or default_llm)

    specs = [spec_of(r) for r in roles] or [
        s for s in map(spec_of, ("translation", "summary", INSTRUCT)) if locate(s, model_dir)
    ]
    if not specs:
        fail("no model to convert: run `newsum models pull` first")
    for spec in specs:
        check_licence(spec, allow_noncommercial=settings.allow_noncommercial)
        click.echo(f"converting {spec.id} to CTranslate2 {quantization} …", err=True)
        path = convert_model(
            spec, model_dir, quantization=quantization, force=force, progress=show_progress(quiet)
        )
        click.echo(f"{spec.role}: {path}")


@models_group.command(name="export")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("roles", nargs=-1, type=ROLE)
@click.option(
    "--converted-only", is_flag=True, help="Only the CTranslate2 copies, not the checkpoints."
)
@quiet_option
@friendly_errors
def models_export(archive: Path, roles: tuple[str, ...], converted_only: bool, quiet: bool) -> None:
    """Write the present checkpoints and CTranslate2 copies (or those of ROLES) to
    ARCHIVE (.tar, .tar.gz or .tgz) with a sha256 manifest, for `newsum models
    import` on a machine with no hub access."""
    from models.archive import SUFFIXES, export_models, exportable

    if not archive.name.endswith(SUFFIXES):
        fail(f"{archive}: the archive's name must end in {', '.join(SUFFIXES)}", EXIT_BAD_INPUT)
    if not archive.parent.is_dir():
        fail(f"{archive.parent}: no such folder to write {archive.name} in", EXIT_BAD_INPUT)
    settings = load_settings()
    folders = exportable(
        settings.resolved_model_dir(), roles or ROLE_NAMES, converted_only=converted_only
    )
    manifest = export_models(archive, folders, progress=show_progress(quiet))
    for folder in manifest.folders:
        click.echo(f"{folder.role}: {folder.name} ({folder.licence})")
    click.echo(
        f"{archive}: {len(manifest.folders)} folder(s), {len(manifest.files)} files, "
        f"{manifest.total_bytes / 2**20:.1f} MiB"
    )


@models_group.command(name="import")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--force", is_flag=True, help="Replace folders already in NEWSUM_MODEL_DIR.")
@quiet_option
@friendly_errors
def models_import(source: Path, force: bool, quiet: bool) -> None:
    """Install what `newsum models export` wrote (SOURCE: the archive, or a folder it
    was unpacked into) into NEWSUM_MODEL_DIR, every file checked against its
    sha256; a corrupt archive changes nothing."""
    from models.archive import MANIFEST, import_models

    if source.is_dir() and not (source / MANIFEST).is_file():
        fail(
            f"{source} is not a newsum export (no {MANIFEST}): pass the .tar that "
            "`newsum models export` wrote, or copy a checkpoint folder into NEWSUM_MODEL_DIR",
            EXIT_BAD_INPUT,
        )
    settings = load_settings()
    installed = import_models(
        source, settings.resolved_model_dir(), force=force, progress=show_progress(quiet)
    )
    for path in installed:
        click.echo(f"imported {path}")
