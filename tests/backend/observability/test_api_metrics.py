"""The API's /metrics: what its own in-process (embedded) worker ran, and the cost of each
channel today against its budget, read from the ledger when it is scraped."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import redis
from asgi_lifespan import LifespanManager
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.app import create_app
from backend.models import CostEvent, VideoStatus
from backend.settings import Settings
from tests.backend.pipeline.conftest import make_channel, wait_for
from tests.backend.pipeline.test_pipeline import queue_video

POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(http: httpx.AsyncClient) -> Samples:
    response = await http.get("/metrics")
    assert response.status_code == 200
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def get(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@POSTGRES
async def test_the_api_serves_what_its_embedded_worker_counted(
    settings: Settings, db: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    slow_script = settings.model_copy(
        update={
            "script_timeout_seconds": 1.0,
            "stage_delay_seconds": "script=60",
            "stage_max_attempts": 1,
            "offline_topics": True,
            "google_trends_url": "",
        }
    )
    channel = await make_channel(db, slow_script)
    async with db() as session:
        session.add(
            CostEvent(
                id=uuid.uuid4(),
                channel_id=channel.id,
                kind="text",
                provider="test",
                amount_usd=Decimal("0.25"),
            )
        )
        await session.commit()
    app = create_app(slow_script, run_worker=True)
    connection = redis.Redis.from_url(settings.redis_url)
    transport = httpx.ASGITransport(app=app)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as http,
    ):
        before = await scrape(http)
        video_id = await queue_video(db, connection, channel, topic="How rainbows form")
        await wait_for(db, video_id, lambda v, _r: v.status == VideoStatus.failed, timeout_s=90)
        after = await scrape(http)
    connection.close()

    def delta(name: str, **labels: str) -> float:
        return get(after, name, **labels) - get(before, name, **labels)

    assert delta("ytempire_stage_runs_total", stage="topic", outcome="succeeded") == 1
    assert delta("ytempire_stage_runs_total", stage="script", outcome="failed") == 1
    assert delta("ytempire_stage_duration_seconds_count", stage="script") == 1
    assert delta("ytempire_stage_attempts_total", stage="script") == 1
    assert delta("ytempire_videos_total", outcome="failed") == 1
    for queue in ("production", "gpu"):
        assert delta("ytempire_queue_wait_seconds_count", queue=queue) == 1
        assert delta("ytempire_worker_jobs_total", queue=queue, outcome="finished") == 1

    day = {"channel": channel.name, "period": "day"}
    assert get(after, "ytempire_cost_spend_usd", **day) == 0.25
    assert get(after, "ytempire_cost_budget_usd", **day) == float(channel.daily_budget_usd)
    month = {**day, "period": "month"}
    assert get(after, "ytempire_cost_budget_usd", **month) == float(channel.monthly_budget_usd)
