"""The gateway's commands: ``ai serve``, ``models list|pull|verify``, ``doctor``.

The backend's ``ytempire`` mounts these apps; ``python -m ai`` runs them without the backend.
They read :func:`ai.settings.get_ai_settings` (the ``YTE_`` environment).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ai.hardware import detect_machine, resolve_profile
from ai.registry import NonCommercialModel, load_registry
from ai.security import UnsafeBinding, allowed_hosts, check_binding
from ai.settings import DEFAULT_AI_API_KEY, AISettings, get_ai_settings
from ai.weights import pull, verify

console = Console()
ai_app = typer.Typer(help="The AI gateway service.", no_args_is_help=True)
models_app = typer.Typer(help="The model registry and local weights.", no_args_is_help=True)


@ai_app.callback()
def _ai_group() -> None:
    """The AI gateway service (a group, so that ``serve`` is named wherever it is mounted)."""


def _serve_help() -> str:
    return (
        "Run the OpenAI-compatible gateway over HTTP.\n\n"
        "Clients must send 'Authorization: Bearer <key>' where the key is the setting "
        f"YTE_AI_API_KEY (default {DEFAULT_AI_API_KEY!r}; set it to your own, or to an empty "
        "string to require no key). The default and the empty key serve on loopback only: "
        "on any other address the gateway refuses to start until you set your own. "
        "The backend reads the same setting. The startup line names the key in use without "
        "printing a key you chose.\n\n"
        "Requests must name the gateway in their Host header: localhost, 127.0.0.1, [::1], "
        "the bound host (the machine's name when bound to 0.0.0.0) or a name listed in "
        "YTE_AI_ALLOWED_HOSTS; others get a 421 (DNS rebinding guard)."
    )


@ai_app.command("serve", help=_serve_help())
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (YTE_AI_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (YTE_AI_PORT, 8100)")] = None,
) -> None:
    import uvicorn

    from ai.app import create_app, describe_key

    settings = get_ai_settings()
    bind, bind_port = host or settings.ai_host, port or settings.ai_port
    try:
        check_binding(settings, bind)
    except UnsafeBinding as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    settings = settings.model_copy(update={"ai_host": bind, "ai_port": bind_port})
    app = create_app(settings)
    hosts = allowed_hosts(settings)
    profile = app.state.services.gateway.profile.name
    typer.echo(
        f"AI gateway on http://{bind}:{bind_port}/v1 (profile {profile}); {describe_key(settings)}",
        err=False,
    )
    typer.echo(
        "Host allow-list: "
        + (", ".join(sorted(hosts)) if hosts is not None else "any (YTE_AI_ALLOWED_HOSTS=*)"),
        err=False,
    )
    sys.stdout.flush()
    uvicorn.run(app, host=bind, port=bind_port, log_level="info")


@dataclass(frozen=True)
class ModelRow:
    """One registry model as this machine sees it (``models list``/``verify``)."""

    id: str
    modality: str
    backend: str
    tier: str
    license: str
    commercial: bool | None  # None: not stated (only for models built in code)
    license_note: str
    vram_gb: float
    in_chain: bool
    runs_here: bool
    reason: str | None  # why it does not run here


def model_rows(settings: AISettings) -> tuple[str, list[ModelRow], list[dict[str, Any]]]:
    """The active profile's name, every model with whether it runs here, and the aliases."""
    profile, rows, aliases, _ = _inspect(settings)
    return profile, rows, aliases


def _gateway_or_exit(
    settings: AISettings,
) -> tuple[str, list[ModelRow], list[dict[str, Any]], list[str]]:
    """Like :func:`_inspect`; a profile the licence gate refuses ends the command (exit 2)."""
    try:
        return _inspect(settings)
    except NonCommercialModel as exc:
        console.print(f"[red]refused:[/] {exc}", soft_wrap=True)
        raise typer.Exit(2) from exc


def _inspect(
    settings: AISettings,
) -> tuple[str, list[ModelRow], list[dict[str, Any]], list[str]]:
    """Profile name, rows, aliases and the licence warnings of the gateway these settings make."""
    from ai.gateway import Gateway, unavailable_reason

    machine = detect_machine()
    profile = resolve_profile(settings.ai_profile, settings.ai_hardware_dir, machine)
    gateway = Gateway(settings, profile=profile)
    in_chain = {s.id for chain in gateway.chains.values() for s in chain}
    rows = []
    for spec in gateway.registry.models:
        reason = unavailable_reason(spec, settings, profile, cuda=machine.cuda)
        rows.append(
            ModelRow(
                spec.id,
                spec.modality,
                spec.backend,
                spec.tier,
                spec.license,
                spec.commercial,
                spec.license_note,
                spec.vram_gb,
                spec.id in in_chain,
                reason is None,
                reason,
            )
        )
    aliases = []
    for name, alias in gateway.registry.aliases.items():
        chain = gateway.alias_chain(name)
        serving = next(
            (
                s.id
                for s in chain
                if unavailable_reason(s, settings, profile, cuda=machine.cuda) is None
            ),
            None,
        )
        aliases.append(
            {
                "alias": name,
                "modality": alias.modality,
                "serve": list(alias.serve),
                "served_by": serving,
            }
        )
    return profile.name, rows, aliases, list(gateway.licence_warnings)


def _commercial_cell(row: ModelRow) -> str:
    if row.commercial is False:
        return "[red bold]NO (non-commercial)[/]"
    if row.commercial is None:
        return "[yellow]unknown[/]"
    return f"yes: {row.license_note}" if row.license_note else "yes"


@models_app.command("list")
def list_models(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON document instead")] = False,
) -> None:
    """Every registered model: tier, licence and commercial use, and whether it runs here."""
    settings = get_ai_settings()
    profile, rows, aliases, warnings = _gateway_or_exit(settings)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "profile": profile,
                    "models": [asdict(r) for r in rows],
                    "aliases": aliases,
                    "licence_warnings": warnings,
                },
                indent=1,
            )
        )
        return
    table = Table(title=f"models (profile {profile})")
    table.add_column("id", no_wrap=True)
    for column in ("modality", "tier", "license", "commercial use", "VRAM GB", "runs here"):
        table.add_column(column, overflow="fold")
    for row in rows:
        verdict = "[green]yes[/]" if row.runs_here else f"[yellow]no[/]: {row.reason}"
        table.add_row(
            f"{row.id}{'*' if row.in_chain else ''}",
            row.modality,
            row.tier,
            row.license,
            _commercial_cell(row),
            f"{row.vram_gb:g}",
            verdict,
        )
    console.print(table)
    console.print("* in this machine's fallback chains (YTE_AI_FALLBACK_<MODALITY>)")
    for warning in warnings:
        console.print(f"[red bold]warning:[/] {warning}", soft_wrap=True)
    alias_table = Table(title="aliases (models/registry.yaml): answered by local models")
    for column in ("alias", "modality", "served here by"):
        alias_table.add_column(column, overflow="fold")
    for alias in aliases:
        alias_table.add_row(
            alias["alias"], alias["modality"], alias["served_by"] or "[red]nothing runs here[/]"
        )
    console.print(alias_table)


@models_app.command("pull")
def pull_models(
    model_ids: Annotated[
        list[str] | None, typer.Argument(help="ids; default: the profile's")
    ] = None,
) -> None:
    """Download weights from the Hugging Face Hub into the models dir (needs network)."""
    settings = get_ai_settings()
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
    model_ids: Annotated[
        list[str] | None, typer.Argument(help="ids; default: the active profile's models")
    ] = None,
    all_models: Annotated[
        bool,
        typer.Option("--all", help="every local model in the registry, not only the profile's"),
    ] = False,
) -> None:
    """Check the models this machine serves with: files present and complete, runnable here.

    By default: every model in the active profile's fallback chains. A local model there must
    run here and its files must verify; a cloud model without its key is skipped (the chain
    falls through), and every modality needs one model that runs. Exit 1 otherwise.
    With ids or --all: the weight files of those models (or every local model).
    """
    settings = get_ai_settings()
    registry = load_registry(settings.ai_registry_path)
    profile_name, rows, _, _ = _gateway_or_exit(settings)
    by_id = {r.id: r for r in rows}
    profile_mode = not model_ids and not all_models
    if model_ids:
        ids = list(model_ids)
    elif all_models:
        ids = [m.id for m in registry.models if not m.is_cloud]
    else:
        ids = [r.id for r in rows if r.in_chain]
    title = f"models of profile {profile_name} (its fallback chains)" if profile_mode else "weights"
    table = Table(title=title)
    table.add_column("model", no_wrap=True)
    for column in ("modality", "ok", "detail"):
        table.add_column(column, overflow="fold")
    failed = False
    skipped = 0
    serving: dict[str, bool] = {}
    for model_id in ids:
        spec = registry.get(model_id)
        if spec is None:
            table.add_row(model_id, "", "[red]no[/]", "not in the registry")
            failed = True
            continue
        row = by_id[spec.id]
        serving.setdefault(spec.modality, False)
        if spec.is_cloud:
            ok = row.runs_here
            skipped += not ok
            serving[spec.modality] |= ok
            detail = "key configured" if ok else f"skipped: {row.reason}"
            table.add_row(spec.id, spec.modality, "[green]yes[/]" if ok else "[dim]skip[/]", detail)
            continue
        verdict = verify(spec, settings.models_dir)
        runs = row.runs_here and verdict.ok
        serving[spec.modality] |= runs
        if profile_mode:
            ok = runs
            detail = (
                verdict.detail if verdict.ok and row.runs_here else (row.reason or verdict.detail)
            )
        else:
            ok = verdict.ok
            detail = verdict.detail + (
                "" if row.runs_here or not verdict.ok else f" (does not run here: {row.reason})"
            )
        failed |= not ok
        table.add_row(spec.id, spec.modality, "[green]yes[/]" if ok else "[red]no[/]", detail)
    console.print(table)
    if profile_mode:
        for modality, ok in serving.items():
            if not ok:
                console.print(f"[red]no {modality} model can serve on this machine[/]")
                failed = True
    if failed:
        raise typer.Exit(1)
    note = f"; {skipped} cloud model(s) skipped, no key" if skipped else ""
    console.print(f"[green]ok: {len(ids) - skipped} model(s) ready here{note}[/]")


def doctor() -> None:
    """Detect the machine (CPU, RAM, CUDA, GPU, ffmpeg, espeak) and name its profile."""
    from ai.doctor import doctor_checks

    checks = doctor_checks(get_ai_settings())
    table = Table(title="ytempire doctor")
    table.add_column("check")
    table.add_column("")
    table.add_column("detail")
    for check in checks:
        table.add_row(check.name, "[green]ok[/]" if check.ok else "[red]!![/]", check.detail)
    console.print(table)
    if not all(c.ok for c in checks if not c.name.startswith("model ")):
        raise typer.Exit(1)


def standalone_app() -> typer.Typer:
    """``python -m ai``: serve, models and doctor, without the backend."""
    root = typer.Typer(
        help="YTEMPIRE's AI gateway, on its own.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_show_locals=False,
    )
    root.callback()(_standalone_logging)
    root.command("serve", help=_serve_help())(serve)
    root.add_typer(models_app, name="models")
    root.command("doctor")(doctor)
    return root


def _standalone_logging(
    log_level: Annotated[
        str, typer.Option("--log-level", envvar="YTE_LOG_LEVEL", help="log level on stderr")
    ] = "INFO",
) -> None:
    """Logs on stderr, so that they do not mix into a command's output."""
    import logging

    import structlog

    level = log_level.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise typer.BadParameter(
            f"{log_level!r} is not a log level; use DEBUG, INFO, WARNING, ERROR or CRITICAL",
            param_hint="--log-level",
        )
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=level, force=True)
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
