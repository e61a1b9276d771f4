"""The cost ledger is complete: each served call is written once, when it is served.

Charges are written as each call is served, in their own short transaction and keyed by
the call, so a try that times out still pays for what it was served, a finished stage is
not charged twice, a retried write counts once, and budgets see all of it.
"""

from __future__ import annotations

import socket
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai.calls import chat
from ai.client import make_openai_client
from backend.agents.content_strategist import ContentStrategist
from backend.costs.budget import check_budgets
from backend.costs.ledger import Ledger
from backend.costs.repository import spend_since
from backend.costs.service import Charge, record_charge
from backend.db.base import utcnow
from backend.db.engine import create_engine, create_sessionmaker
from backend.models import CostEvent, StageStatus, VideoStage
from backend.pipeline.tasks import _run_stage
from backend.settings import Settings, use_settings
from tests.backend.agents.conftest import fake_llm
from tests.backend.pipeline.conftest import make_channel, runs_of
from tests.backend.pipeline.test_runner import SCRIPT, _video_at

POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


@pytest.fixture(autouse=True)
def _settings_reset() -> Any:
    yield
    use_settings(None)


def served_here(modality: str) -> int:
    """Calls this process's in-process AI gateway served (its Prometheus counter)."""
    total = 0.0
    for metric in REGISTRY.collect():
        for sample in metric.samples:
            if (
                sample.name == "ytempire_ai_requests_total"
                and sample.labels.get("modality") == modality
                and sample.labels.get("outcome") == "ok"
            ):
                total += sample.value
    return int(total)


async def ledger_rows(
    db: async_sessionmaker[AsyncSession], video_id: uuid.UUID | None = None
) -> list[CostEvent]:
    async with db() as session:
        query = select(CostEvent).order_by(CostEvent.occurred_at)
        if video_id is not None:
            query = query.where(CostEvent.video_id == video_id)
        return list(await session.scalars(query))


async def test_a_charge_is_written_once_and_budgets_see_it(
    settings: Settings, db: async_sessionmaker[AsyncSession]
) -> None:
    channel = await make_channel(db, settings, daily_budget_usd=Decimal("0.40"))
    charge = Charge(
        kind="text", provider="gguf:m", units=30, unit="tokens", device_seconds=0.5, cost_usd=0.25
    )
    ledger = Ledger(db, None, channel_id=channel.id, stage="script")
    await ledger.record(charge)
    await ledger.record(charge)  # the same served call recorded again (a retried write)
    async with db() as session:
        assert await record_charge(session, None, charge, channel_id=channel.id) is False
        await session.commit()
    rows = await ledger_rows(db)
    assert [(r.id, r.amount_usd, r.units, r.unit) for r in rows] == [
        (charge.key, Decimal("0.250000"), 30.0, "tokens")
    ]
    # A second call is a second line; budgets read the ledger and see both.
    await ledger.record(Charge(kind="text", provider="gguf:m", cost_usd=0.25))
    async with db() as session:
        spend = await spend_since(session, [channel.id], utcnow() - timedelta(days=1))
        status = (await check_budgets(session, None, channel.id))[0]
    assert spend == {channel.id: Decimal("0.5")}
    assert status.exceeded and status.paused


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_write_no_try_could_make_goes_in_with_the_outcome_once(
    settings: Settings, db: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    channel = await make_channel(db, settings)
    url = settings.resolved_database_url
    if url.startswith("postgresql"):  # nothing listens there
        away = url.replace(":5432/", f":{_closed_port()}/")
    else:  # a database without the ledger's table
        away = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    engine = create_engine(Settings(database_url=away, data_dir=tmp_path), pooled=False)
    charge = Charge(kind="speech", provider="espeak:espeak-ng", cost_usd=0.01)
    try:
        ledger = Ledger(
            create_sessionmaker(engine), None, channel_id=channel.id, retry_s=(0.01, 0.01)
        )
        started = time.monotonic()
        await ledger.record(charge)
        assert time.monotonic() - started < 10  # bounded tries
    finally:
        await engine.dispose()
    assert ledger.unrecorded == [charge] and ledger.recorded == []
    assert await ledger.settle() == [charge]
    for _ in range(2):  # the outcome's transaction writes it; a second time changes nothing
        async with db() as session:
            await ledger.write_unrecorded(session)
            await session.commit()
    assert [r.id for r in await ledger_rows(db)] == [charge.key]


async def test_the_strategist_hands_over_each_charge_as_it_is_served() -> None:
    requests: list[dict[str, object]] = []
    seen: list[int] = []

    async def on_charge(charge: Charge) -> None:
        seen.append(len(requests))  # how many calls had been made when this one came

    client = fake_llm(lambda _messages: "not json", requests)
    with pytest.raises(Exception, match="no valid script after 3 attempts"):
        await ContentStrategist(strategy="json", on_charge=on_charge).write(
            client, topic="volcanic islands", niche="science", target_seconds=60
        )
    assert seen == [1, 2, 3]  # each call paid for at once, though the script never came


@POSTGRES
async def test_a_try_that_times_out_still_pays_for_its_calls(
    settings: Settings, db: async_sessionmaker[AsyncSession]
) -> None:
    use_settings(settings)
    client = make_openai_client(settings)  # load the CPU model, then time one call
    hello = [{"role": "user", "content": "Say hello."}]
    await chat(client, hello, max_tokens=4)
    started = time.perf_counter()
    await chat(client, hello, max_tokens=48)
    one_call_s = time.perf_counter() - started
    await client.close()
    # Room for a few of the 7+ calls the guided strategist makes, never for all of them.
    use_settings(settings.model_copy(update={"script_timeout_seconds": max(1.0, 3 * one_call_s)}))
    channel = await make_channel(db, settings)
    video_id = await _video_at(db, settings, channel, VideoStage.script)
    before = served_here("text")
    result = await _run_stage(video_id, VideoStage.script)
    calls = served_here("text") - before
    assert result["outcome"] == "retry" and "timed out" in result["reason"], result
    run = (await runs_of(db, video_id))[VideoStage.script]
    assert run.status == StageStatus.failed and run.cost_usd == 0  # no outcome recorded
    rows = await ledger_rows(db, video_id)
    assert calls >= 1
    assert len(rows) == calls and {(r.kind, r.stage) for r in rows} == {("text", "script")}
    print(f"\nledger: a timed-out try was served {calls} text calls; {len(rows)} in the ledger")


@POSTGRES
async def test_a_finished_stage_is_charged_once_per_call(
    settings: Settings, db: async_sessionmaker[AsyncSession]
) -> None:
    use_settings(settings)
    channel = await make_channel(db, settings)
    video_id = await _video_at(db, settings, channel, VideoStage.voice)
    before = served_here("speech")
    result = await _run_stage(video_id, VideoStage.voice)
    calls = served_here("speech") - before
    assert result["outcome"] == "next", result
    rows = await ledger_rows(db, video_id)
    assert calls == len(SCRIPT.scenes) == len(rows)
    assert {(r.kind, r.stage) for r in rows} == {("speech", "voice")}
    run = (await runs_of(db, video_id))[VideoStage.voice]
    assert run.device_seconds == pytest.approx(sum(r.device_seconds for r in rows), abs=1e-3)
