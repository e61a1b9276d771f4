"""Readiness: can this process serve? Each check says what is wrong, within a bound."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.migrate import current_revision, head_revision
from backend.system.schemas import Readiness

CHECK_TIMEOUT_S = 3.0


async def database_checks(engine: AsyncEngine) -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
            current = await current_revision(engine)
            head = head_revision()
            checks["migrations"] = "ok" if current == head else f"at {current}, head is {head}"
    except Exception as exc:  # any failure means not ready; say which
        checks.setdefault("database", f"error: {type(exc).__name__}")
        checks.setdefault("migrations", "unknown")
    return checks


async def redis_check(client: aioredis.Redis) -> str:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await client.ping()
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


async def readiness(engine: AsyncEngine, client: aioredis.Redis) -> Readiness:
    checks = await database_checks(engine)
    checks["redis"] = await redis_check(client)
    ok = all(value == "ok" for value in checks.values())
    return Readiness(status="ready" if ok else "not_ready", checks=checks)
