"""Typer commands the backend CLI mounts: ``ai serve``, ``models list|pull|verify``, ``doctor``."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ai.hardware import resolve_profile
from ai.registry import load_registry
from ai.weights import pull, verify
from backend.settings import get_settings

console = Console()
ai_app = typer.Typer(help="The AI gateway service.", no_args_is_help=True)
models_app = typer.Typer(help="The model registry and local weights.", no_args_is_help=True)


@ai_app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (YTE_AI_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (YTE_AI_PORT, 8100)")] = None,
) -> None:
    """Run the OpenAI-compatible gateway over HTTP."""
    import uvicorn

    from ai.app import create_app

    settings = get_settings()
    app = create_app(settings)
    uvicorn.run(app, host=host or settings.ai_host, port=port or settings.ai_port,
                log_level="info")


@models_app.command("list")
def list_models() -> None:
    """Every registered model, its tier, and whether it can run here."""
    settings = get_settings()
    registry = load_registry(settings.ai_registry_path)
    profile = resolve_profile(settings.ai_profile, settings.ai_hardware_dir)
    in_profile = {m for ids in profile.models.values() for m in ids}
    table = Table(title=f"models (profile {profile.name})")
    for column in ("id", "modality", "backend", "tier", "VRAM GB", "license", "files"):
        table.add_column(column)
    for spec in registry.models:
        verdict = verify(spec, settings.models_dir)
        marker = "*" if spec.id in in_profile else ""
        table.add_row(f"{spec.id}{marker}", spec.modality, spec.backend, spec.tier,
                      f"{spec.vram_gb:g}", spec.license.split(" (")[0],
                      "[green]ok[/]" if verdict.ok else "[yellow]missing[/]")
    console.print(table)
    console.print("* in this machine's profile")


@models_app.command("pull")
def pull_models(
    model_ids: Annotated[
        list[str] | None, typer.Argument(help="ids; default: the profile's")
    ] = None,
) -> None:
    """Download weights from the Hugging Face Hub into the models dir (needs network)."""
    settings = get_settings()
    registry = load_registry(settings.ai_registry_path)
    profile = resolve_profile(settings.ai_profile, settings.ai_hardware_dir)
    ids = model_ids or sorted({m for per in profile.models.values() for m in per})
    if not ids:
        console.print(f"profile {profile.name} has no local GPU models; nothing to pull")
        return
    failed = False
    for model_id in ids:
        spec = registry.get(model_id)
        if spec is None:
            console.print(f"[red]unknown model {model_id}[/]")
            failed = True
            continue
        console.print(f"pulling {model_id} from {spec.hf_repo} ...")
        try:
            folder = pull(spec, settings.models_dir, token=os.environ.get("HF_TOKEN"))
        except Exception as exc:
            console.print(f"[red]{model_id}: {exc}[/]")
            failed = True
            continue
        console.print(f"[green]{model_id}[/] -> {folder}")
    if failed:
        raise typer.Exit(1)


@models_app.command("verify")
def verify_models(
    model_ids: Annotated[list[str] | None, typer.Argument(help="ids; default: all local")] = None,
) -> None:
    """Check that local weight files are present and complete."""
    settings = get_settings()
    registry = load_registry(settings.ai_registry_path)
    ids = model_ids or [m.id for m in registry.models if not m.is_cloud]
    table = Table(title="weights")
    table.add_column("model")
    table.add_column("ok")
    table.add_column("detail")
    failed = False
    for model_id in ids:
        spec = registry.get(model_id)
        if spec is None:
            table.add_row(model_id, "[red]no[/]", "not in the registry")
            failed = True
            continue
        verdict = verify(spec, settings.models_dir)
        failed |= not verdict.ok
        table.add_row(spec.id, "[green]yes[/]" if verdict.ok else "[red]no[/]", verdict.detail)
    console.print(table)
    if failed:
        raise typer.Exit(1)


def doctor() -> None:
    """Detect the machine (CPU, RAM, CUDA, GPU, ffmpeg, espeak) and name its profile."""
    from ai.doctor import doctor_checks

    checks = doctor_checks(get_settings())
    table = Table(title="ytempire doctor")
    table.add_column("check")
    table.add_column("")
    table.add_column("detail")
    for check in checks:
        table.add_row(check.name, "[green]ok[/]" if check.ok else "[red]!![/]", check.detail)
    console.print(table)
    if not all(c.ok for c in checks if not c.name.startswith("model ")):
        raise typer.Exit(1)


if __name__ == "__main__":  # pragma: no cover - convenience for `python -m ai.cli`
    root = typer.Typer()
    root.add_typer(ai_app, name="ai")
    root.add_typer(models_app, name="models")
    root.command("doctor")(doctor)
    root()
