from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.costs.service import record_cost
from backend.db.base import utcnow
from backend.models import ChannelDailyMetric, Video, VideoStatus
from tests.backend.conftest import Api


async def _seed(owner: Api, db: async_sessionmaker[AsyncSession]) -> tuple[dict, dict]:
    a = await owner.create_channel(name="A", daily_budget_usd=2, monthly_budget_usd=40)
    b = await owner.create_channel(name="B")
    videos = [
        (await owner.post(f"/api/v1/channels/{a['id']}/videos", json={})).json()["id"]
        for _ in range(4)
    ]
    await owner.post(f"/api/v1/channels/{b['id']}/videos", json={})
    now = utcnow()
    async with db() as session:
        ids = [uuid.UUID(v) for v in videos]
        await session.execute(
            update(Video)
            .where(Video.id == ids[0])
            .values(status=VideoStatus.ready, completed_at=now)
        )
        await session.execute(
            update(Video).where(Video.id == ids[1]).values(status=VideoStatus.failed, failed_at=now)
        )
        await session.execute(
            update(Video)
            .where(Video.id == ids[2])
            .values(status=VideoStatus.ready, completed_at=now - timedelta(days=3))
        )
        cid = uuid.UUID(a["id"])
        await record_cost(
            session, None, channel_id=cid, amount_usd=Decimal("0.5"), kind="text", provider="cpu"
        )
        await record_cost(
            session,
            None,
            channel_id=cid,
            amount_usd=Decimal("1.25"),
            kind="image",
            provider="cpu",
            occurred_at=now - timedelta(days=40),
        )
        for days_ago, revenue in [(1, "3.00"), (10, "2.00"), (45, "100.00")]:
            session.add(
                ChannelDailyMetric(
                    channel_id=cid,
                    day=(now - timedelta(days=days_ago)).date(),
                    views=1000,
                    watch_time_minutes=50.0,
                    revenue_usd=Decimal(revenue),
                )
            )
        await session.commit()
    return a, b


async def test_dashboard_metrics(
    owner: Api, other: Api, db: async_sessionmaker[AsyncSession]
) -> None:
    await _seed(owner, db)
    data = (await owner.get("/api/v1/dashboard/metrics")).json()
    channels = {c["name"]: c for c in data["channels"]}
    assert channels["A"]["videos_by_status"] == {"queued": 1, "ready": 2, "failed": 1}
    assert channels["A"]["completed_today"] == 1 and channels["A"]["failed_today"] == 1
    assert channels["A"]["queue_depth"] == 1 and channels["B"]["queue_depth"] == 1
    assert channels["A"]["cost_today_usd"] == 0.5
    assert channels["A"]["budget_used_today_pct"] == 25.0
    assert channels["A"]["revenue_30d_usd"] == 5.0
    assert channels["A"]["profit_30d_usd"] == 4.5
    totals = data["totals"]
    assert totals["queue_depth"] == 2 and totals["completed_today"] == 1
    assert totals["videos_by_status"]["queued"] == 2
    assert set(data["queues"]) == {"discovery", "production", "gpu", "publishing", "maintenance"}
    # Another owner sees none of it.
    theirs = (await other.get("/api/v1/dashboard/metrics")).json()
    assert theirs["channels"] == [] and theirs["totals"]["queue_depth"] == 0


async def test_channel_analytics(
    owner: Api, other: Api, db: async_sessionmaker[AsyncSession]
) -> None:
    a, _ = await _seed(owner, db)
    today = utcnow().date()
    start = (today - timedelta(days=59)).isoformat()
    url = f"/api/v1/analytics/channels/{a['id']}"
    data = (await owner.get(url, params={"from": start, "to": today.isoformat()})).json()
    assert len(data["days"]) == 60
    assert data["totals"]["revenue_usd"] == 105.0
    assert data["totals"]["cost_usd"] == 1.75
    assert data["totals"]["profit_usd"] == 103.25
    by_day = {d["day"]: d for d in data["days"]}
    assert by_day[today.isoformat()]["cost_usd"] == 0.5
    default = (await owner.get(url)).json()
    assert len(default["days"]) == 30

    backwards = await owner.get(url, params={"from": today.isoformat(), "to": start})
    assert backwards.status_code == 400 and backwards.json()["error"]["code"] == "invalid_range"
    assert (await owner.get(url, params={"from": "yesterday"})).status_code == 422
    too_long = await owner.get(url, params={"from": "2020-01-01", "to": today.isoformat()})
    assert too_long.status_code == 400
    assert (await other.get(url)).status_code == 404


async def test_videos_made_today_count_only_videos_still_ready_or_published(
    owner: Api, db: async_sessionmaker[AsyncSession]
) -> None:
    """Finished today and kept: a video discarded, cancelled or queued again after it was
    finished today is not "made today"; one published today is."""
    channel = await owner.create_channel(name="Made")
    ids = [
        uuid.UUID(
            (await owner.post(f"/api/v1/channels/{channel['id']}/videos", json={})).json()["id"]
        )
        for _ in range(6)
    ]
    now = utcnow()
    finished = {
        ids[0]: VideoStatus.ready,
        ids[1]: VideoStatus.published,
        ids[2]: VideoStatus.discarded,
        ids[3]: VideoStatus.cancelled,  # cancelled while ready, before discard existed
        ids[4]: VideoStatus.queued,  # made again
    }
    async with db() as session:
        for video_id, status in finished.items():
            await session.execute(
                update(Video).where(Video.id == video_id).values(status=status, completed_at=now)
            )
        await session.commit()
    data = (await owner.get("/api/v1/dashboard/metrics")).json()
    assert data["totals"]["completed_today"] == 2
    assert data["channels"][0]["completed_today"] == 2
