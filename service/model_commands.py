"""``newsum models list | pull | doctor | convert`` (added to the ``newsum`` group in
service.cli). Model code is imported inside each command: nothing loads at import."""

from __future__ import annotations

import click

from service.cli_errors import fail, friendly_errors
from workers.settings import load_settings


@click.group(name="models")
def models_group() -> None:
    """List, pull and diagnose the model checkpoints."""


@models_group.command(name="list")
@friendly_errors
def models_list() -> None:
    """Each model spec and whether its weights are present."""
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


@models_group.command(name="pull")
@click.argument("roles", nargs=-1)
@friendly_errors
def models_pull(roles: tuple[str, ...]) -> None:
    """Download the default models (or ROLES: translation, summary, direct-summary)
    into NEWSUM_MODEL_DIR."""
    from models.catalog import pull_role
    from models.specs import DEFAULT_SPECS

    settings = load_settings()
    wanted = roles or tuple(
        s.role for s in DEFAULT_SPECS if s.commercial_use or settings.allow_noncommercial
    )
    for role in wanted:
        click.echo(f"pulling {role} …", err=True)
        path = pull_role(
            role, settings.resolved_model_dir(), allow_noncommercial=settings.allow_noncommercial
        )
        click.echo(f"{role}: {path}")


@models_group.command(name="doctor")
@friendly_errors
def models_doctor() -> None:
    """What is missing and how to fix it."""
    from models.catalog import doctor

    settings = load_settings()
    lines = doctor(settings.resolved_model_dir(), allow_noncommercial=settings.allow_noncommercial)
    for line in lines:
        click.echo(line)


@models_group.command(name="convert")
@click.argument("roles", nargs=-1)
@click.option(
    "--quantization",
    type=click.Choice(["int8", "int8_float16", "float16", "float32"]),
    default="int8",
    show_default=True,
    help="int8 on CPU; float16 or int8_float16 on CUDA.",
)
@click.option("--force", is_flag=True, help="Convert again over an existing copy.")
@friendly_errors
def models_convert(roles: tuple[str, ...], quantization: str, force: bool) -> None:
    """Convert the present models (or ROLES) to CTranslate2, which workers then use
    (3–5× faster on CPU). Set NEWSUM_CT2_QUANTIZATION to match a non-int8 copy."""
    from models.convert import convert_model
    from models.specs import check_licence, get_spec
    from models.store import locate

    settings = load_settings()
    model_dir = settings.resolved_model_dir()
    specs = [get_spec(r) for r in roles] or [
        get_spec(r) for r in ("translation", "summary") if locate(get_spec(r), model_dir)
    ]
    if not specs:
        fail("no model to convert: run `newsum models pull` first")
    for spec in specs:
        check_licence(spec, allow_noncommercial=settings.allow_noncommercial)
        click.echo(f"converting {spec.id} to CTranslate2 {quantization} …", err=True)
        path = convert_model(spec, model_dir, quantization=quantization, force=force)
        click.echo(f"{spec.role}: {path}")
