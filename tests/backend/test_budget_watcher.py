"""The budget watcher, run by a real RQ worker over the real Redis (and embedded)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import redis
from fastapi import FastAPI
from rq import Queue
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.costs.budget import check_budgets
from backend.costs.service import record_cost
from backend.db.session import commit, rollback
from backend.models import Channel, ChannelStatus, Event
from backend.settings import Settings
from tests.backend.conftest import SECRET, Api


async def _events(db: async_sessionmaker[AsyncSession], channel_id: uuid.UUID) -> list[Event]:
    async with db() as session:
        rows = await session.scalars(select(Event).where(Event.channel_id == channel_id))
        return list(rows)


async def _channel(db: async_sessionmaker[AsyncSession], channel_id: uuid.UUID) -> Channel:
    async with db() as session:
        channel = await session.get(Channel, channel_id)
        assert channel is not None
        return channel


def _run_worker(settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "YTE_DATABASE_URL": settings.resolved_database_url,
        "YTE_REDIS_URL": settings.redis_url,
        "YTE_SECRET_KEY": SECRET,
        "YTE_DATA_DIR": str(settings.data_dir),
    }
    cli = Path(sys.executable).with_name("ytempire")
    return subprocess.run(
        [str(cli), "worker", "maintenance", "--burst"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_cost_events_trigger_the_watcher_on_a_real_worker(
    owner: Api, settings: Settings, db: async_sessionmaker[AsyncSession]
) -> None:
    channel = await owner.create_channel(daily_budget_usd=1, monthly_budget_usd=30)
    cid = uuid.UUID(channel["id"])
    connection = redis.Redis.from_url(settings.redis_url)
    queue = Queue("maintenance", connection=connection)

    # 85 % of the daily budget: a warning, the channel keeps running.
    async with db() as session:
        await record_cost(
            session,
            connection,
            channel_id=cid,
            amount_usd=Decimal("0.85"),
            kind="text",
            provider="cpu",
        )
        assert queue.count == 0  # nothing is enqueued before the commit
        await commit(session)
    assert queue.count == 1
    result = _run_worker(settings)
    assert result.returncode == 0, result.stderr
    assert queue.failed_job_registry.count == 0, result.stderr[-3000:]
    events = await _events(db, cid)
    assert [(e.type, e.data["period"], e.data["threshold"]) for e in events] == [
        ("cost.alert", "daily", 80)
    ]
    assert (await _channel(db, cid)).status == ChannelStatus.active

    # Past 100 %: a critical alert and the channel pauses; the 80 % alert is not repeated.
    async with db() as session:
        await record_cost(
            session,
            connection,
            channel_id=cid,
            amount_usd=Decimal("0.30"),
            kind="image",
            provider="cpu",
        )
        await commit(session)
    assert _run_worker(settings).returncode == 0
    events = await _events(db, cid)
    alerts = sorted(
        (e.data["period"], e.data["threshold"]) for e in events if e.type == "cost.alert"
    )
    assert alerts == [("daily", 80), ("daily", 100)]
    assert any(e.type == "channel.paused" for e in events)
    paused = await _channel(db, cid)
    assert paused.status == ChannelStatus.paused and paused.pause_reason == "budget_exceeded:daily"
    assert queue.failed_job_registry.count == 0

    # A paused channel takes no new work.
    response = await owner.post(f"/api/v1/channels/{cid}/videos", json={})
    assert response.status_code == 409
    connection.close()


async def test_nothing_is_enqueued_when_the_transaction_rolls_back(
    owner: Api, settings: Settings, db: async_sessionmaker[AsyncSession]
) -> None:
    channel = await owner.create_channel()
    connection = redis.Redis.from_url(settings.redis_url)
    async with db() as session:
        await record_cost(
            session,
            connection,
            channel_id=uuid.UUID(channel["id"]),
            amount_usd=Decimal("1"),
            kind="text",
            provider="cpu",
        )
        await rollback(session)
    assert Queue("maintenance", connection=connection).count == 0
    connection.close()


async def test_watcher_is_idempotent_and_resumes_next_day(
    owner: Api, db: async_sessionmaker[AsyncSession]
) -> None:
    from datetime import timedelta

    from backend.db.base import utcnow

    channel = await owner.create_channel(daily_budget_usd=1, monthly_budget_usd=100)
    cid = uuid.UUID(channel["id"])
    now = utcnow()
    async with db() as session:
        await record_cost(
            session,
            None,
            channel_id=cid,
            amount_usd=Decimal("2"),
            kind="text",
            provider="cpu",
            occurred_at=now,
        )
        await session.commit()
    for _ in range(3):
        async with db() as session:
            await check_budgets(session, None, cid, now=now)
            await session.commit()
    events = await _events(db, cid)
    assert len([e for e in events if e.type == "cost.alert"]) == 2  # 80 and 100, once each
    assert (await _channel(db, cid)).status == ChannelStatus.paused
    async with db() as session:
        await check_budgets(session, None, cid, now=now + timedelta(days=1))
        await session.commit()
    assert (await _channel(db, cid)).status == ChannelStatus.active


async def test_embedded_mode_runs_jobs_in_process(tmp_path: Path, database_url: str) -> None:
    from asgi_lifespan import LifespanManager

    from backend.app import create_app

    settings = Settings(
        database_url=database_url,
        redis_url="embedded",
        secret_key=SECRET,
        data_dir=tmp_path / "data",
        google_trends_url="",  # no network here: discovery runs offline
    )
    app: FastAPI = create_app(settings)
    async with LifespanManager(app):
        factory = app.state.sessionmaker
        async with factory() as session:
            from backend.auth.service import create_user

            user = await create_user(
                session, settings, email="e@example.com", password="long enough pw"
            )
            channel = Channel(
                owner_id=user.id,
                name="E",
                niche="n",
                daily_budget_usd=Decimal("1"),
                monthly_budget_usd=Decimal("10"),
            )
            session.add(channel)
            await session.flush()
            await record_cost(
                session,
                app.state.redis.sync,
                channel_id=channel.id,
                amount_usd=Decimal("5"),
                kind="text",
                provider="cpu",
            )
            await commit(session)
        app.state.worker.drain(timeout_s=30)
        async with factory() as session:
            refreshed = await session.get(Channel, channel.id)
            assert refreshed is not None and refreshed.status == ChannelStatus.paused
            types = set(await session.scalars(select(Event.type)))
        assert {"cost.alert", "channel.paused"} <= types
