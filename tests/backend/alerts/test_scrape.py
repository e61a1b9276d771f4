"""The alerting gauges on the API's /metrics, refreshed at the scrape: free disk, database
up, stuck videos and open alerts (what docker/prometheus/alerts.yml reads)."""

from __future__ import annotations

import shutil

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from backend.alerts.scrape import probe_database
from backend.db.engine import create_engine, create_sessionmaker
from backend.settings import Settings

POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


def samples(text: str) -> dict[str, float]:
    return {
        s.name + "".join(f"|{k}={v}" for k, v in sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@POSTGRES
async def test_the_gauges_are_on_metrics(client: httpx.AsyncClient, settings: Settings) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    found = samples(response.text)
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    total, _, free = shutil.disk_usage(settings.media_dir)
    assert found["ytempire_disk_free_ratio|path=media"] == pytest.approx(free / total, abs=0.01)
    assert found["ytempire_database_up"] == 1.0
    assert found["ytempire_videos_stuck"] == 0.0


async def test_an_unreachable_database_reads_as_down() -> None:
    settings = Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    engine = create_engine(settings, pooled=False)
    try:
        assert await probe_database(create_sessionmaker(engine)) is False
        assert REGISTRY.get_sample_value("ytempire_database_up") == 0.0
    finally:
        await engine.dispose()
