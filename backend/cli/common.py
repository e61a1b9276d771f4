"""Shared CLI plumbing: settings, a database session, rich output, clear failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.engine import create_engine, create_sessionmaker
from backend.db.session import unit_of_work
from backend.errors import AppError
from backend.settings import ConfigurationError, Settings, get_settings

console = Console()
err_console = Console(stderr=True)
T = TypeVar("T")


def settings() -> Settings:
    return get_settings()


@asynccontextmanager
async def session_scope() -> AsyncIterator[AsyncSession]:
    engine = create_engine(settings(), pooled=False)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            yield session
    finally:
        await engine.dispose()


def run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    """Run an async command; domain and configuration errors exit 1 with their message."""
    try:
        return asyncio.run(coro_fn())  # type: ignore[arg-type]
    except (AppError, ConfigurationError) as exc:
        err_console.print(f"[red]error:[/red] {getattr(exc, 'message', exc)}")
        raise typer.Exit(1) from exc
