"""Which exceptions mean a backing service (the database or Redis) is unreachable.

The API answers those with a 503 ``service_unavailable`` and a Retry-After instead of a
500: the request was fine, the service was not. Only connection-level failures count; a
bad query or a constraint violation stays a 500 (a bug) or its own 4xx.
"""

from __future__ import annotations

import socket

import asyncpg
import redis.exceptions
from sqlalchemy import exc as sa_exc

RETRY_AFTER_S = 5

_REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
_POSTGRES_ERRORS = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.OperatorInterventionError,  # admin/crash shutdown, cannot connect now
)
# Connection-level failures of any socket: refused, reset, broken pipe, name not resolved.
_SOCKET_ERRORS = (ConnectionError, socket.gaierror)


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, what it wraps (``orig``) and what caused it, without cycles."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or any(current is s for s in seen) or len(seen) > 20:
            continue
        seen.append(current)
        todo.extend([current.__cause__, current.__context__, getattr(current, "orig", None)])
    return seen


def outage(exc: BaseException) -> str | None:
    """``"redis"`` or ``"database"`` when ``exc`` says that service is unreachable, else None."""
    for item in _chain(exc):
        if isinstance(item, _REDIS_ERRORS):
            return "redis"
        if isinstance(item, sa_exc.DBAPIError) and item.connection_invalidated:
            return "database"
        if isinstance(item, sa_exc.TimeoutError):  # no pooled connection came free in time
            return "database"
        if isinstance(item, _POSTGRES_ERRORS):
            return "database"
    for item in _chain(exc):
        if isinstance(item, sa_exc.OperationalError | sa_exc.InterfaceError):
            return "database"
        if isinstance(item, _SOCKET_ERRORS):
            return "database" if _from_database(exc) else "service"
    return None


def _from_database(exc: BaseException) -> bool:
    return any(
        isinstance(item, sa_exc.SQLAlchemyError) or type(item).__module__.startswith("asyncpg")
        for item in _chain(exc)
    ) or _raised_in(exc, ("sqlalchemy", "asyncpg", "aiosqlite"))


def _raised_in(exc: BaseException, packages: tuple[str, ...]) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module.startswith(packages):
            return True
        tb = tb.tb_next
    return False
