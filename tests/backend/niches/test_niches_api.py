"""The niches API on the real databases: listing, detail, trending, categories, search,
analyze (job run inline), and watchlists with ownership and alert thresholds."""

from __future__ import annotations

from typing import Any

import pytest
from rq import Queue
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import backend.niches.discovery.tasks as discovery_tasks
from backend.db.session import unit_of_work
from backend.jobs.worker import _ThreadWorker
from backend.models import Event, Niche
from backend.niches import repository
from backend.niches.discovery.service import analyze_niche
from backend.niches.discovery.sources.factory import build_sources
from backend.settings import Settings
from tests.backend.conftest import Api

pytestmark = pytest.mark.usefixtures("stored")


async def test_list_sorts_by_score_and_paginates_with_a_cursor(owner: Api) -> None:
    first = (await owner.get("/api/v1/niches?limit=2")).json()
    assert [n["name"] for n in first["items"]] == ["index fund investing", "air fryer recipes"]
    second = (await owner.get(f"/api/v1/niches?limit=2&cursor={first['next_cursor']}")).json()
    assert [n["name"] for n in second["items"]] == ["sourdough bread", "retro gaming"]
    assert second["next_cursor"] is None  # unscored niches are not ranked by score


async def test_list_filters(owner: Api) -> None:
    async def names(query: str) -> list[str]:
        response = await owner.get(f"/api/v1/niches?{query}")
        assert response.status_code == 200, response.text
        return [n["name"] for n in response.json()["items"]]

    assert await names("category=cooking") == ["air fryer recipes", "sourdough bread"]
    assert await names("min_score=50") == ["index fund investing", "air fryer recipes"]
    assert await names("source=reddit") == ["index fund investing"]
    assert (await names("sort=name"))[0] == "air fryer recipes"
    assert len(await names("sort=recent")) == 5


@pytest.mark.parametrize(
    "query", ["category=underwater_basket", "cursor=%%%", "min_score=101", "source=DROP%20TABLE"]
)
async def test_bad_list_queries_are_clear_errors(owner: Api, query: str) -> None:
    response = await owner.get(f"/api/v1/niches?{query}")
    assert response.status_code in {400, 422}
    if "category" in query:
        assert response.json()["error"]["code"] == "unknown_category"


async def test_detail_has_breakdown_series_forecast_and_topics(
    owner: Api, stored: dict[str, Niche]
) -> None:
    niche = stored["air fryer recipes"]
    body = (await owner.get(f"/api/v1/niches/{niche.id}")).json()
    assert body["breakdown"] == {"total": 71.5}
    assert body["interest"]["forecast"][0]["yhat_upper"] == 60.0
    assert [t["topic"] for t in body["topics"]] == [
        "air fryer salmon bites",
        "crispy air fryer tofu",
    ]
    assert body["top_videos"][0]["id"] == "vid00000001"
    assert (await owner.get("/api/v1/niches/not-a-uuid")).status_code == 404


async def test_trending_and_categories(owner: Api) -> None:
    trending = (await owner.get("/api/v1/niches/trending")).json()
    assert [(n["name"], n["growth"]) for n in trending] == [("air fryer recipes", 0.4)]
    categories = (await owner.get("/api/v1/niches/categories")).json()
    cooking = next(c for c in categories["items"] if c["key"] == "cooking")
    assert cooking["niches"] == 2 and cooking["average_score"] == pytest.approx(59.75)
    assert "creator" in categories["cpm_source"]


async def test_semantic_search(
    owner: Api, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    from backend.niches.discovery.dedup import embed_texts

    async with unit_of_work(sessions) as session:
        niches = list(await session.scalars(select(Niche)))
        vectors = await embed_texts(settings, [n.name for n in niches])
        for niche, vector in zip(niches, vectors, strict=True):
            niche.embedding = vector
    hits = (await owner.get("/api/v1/niches/search?q=investing in ETFs")).json()
    assert hits[0]["name"] == "index fund investing" and hits[0]["similarity"] > 0.4
    assert (await owner.get("/api/v1/niches/search?q=%20")).status_code == 400


async def test_sources_report_skipped_when_unconfigured(owner: Api) -> None:
    health = {s["source"]: s for s in (await owner.get("/api/v1/niches/sources")).json()}
    assert health["youtube"]["configured"] is False
    assert health["youtube"]["quota"]["daily"] == 10_000


async def test_analyze_queues_a_job_whose_result_is_the_scored_niche(
    owner: Api, app: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    response = await owner.post(
        "/api/v1/niches/analyze", json={"name": "Sourdough  Bread", "category": "cooking"}
    )
    assert response.status_code == 202, response.text
    accepted = response.json()
    status = (await owner.get(f"/api/v1/niches/analyze/{accepted['job_id']}")).json()
    assert status["status"] == "queued"
    connection = app.state.redis.sync
    monkeypatch.setattr(discovery_tasks, "build_sources", lambda s, r: build_sources(s, r))
    worker = _ThreadWorker([Queue("discovery", connection=connection)], connection=connection)
    import asyncio

    await asyncio.to_thread(worker.work, burst=True)
    done = (await owner.get(f"/api/v1/niches/analyze/{accepted['job_id']}")).json()
    assert done["status"] == "finished", done
    niche = done["niche"]
    assert niche["name"] == "sourdough bread" and niche["score"] is not None
    assert niche["interest"]["forecast"]  # bundled sample series, forecast by Prophet
    assert niche["inputs"]["sources"]["youtube"].startswith("skipped")
    parts = sum(
        niche["breakdown"][c]["points"] for c in ("trend", "competition", "monetization", "volume")
    )
    assert parts == pytest.approx(niche["score"], abs=0.01)


async def test_analyze_rejects_unknown_category(owner: Api) -> None:
    response = await owner.post(
        "/api/v1/niches/analyze", json={"name": "deep sea welding", "category": "underwater"}
    )
    assert response.status_code == 400
    assert "cooking" in response.json()["error"]["details"]["known"]
    assert (await owner.get("/api/v1/niches/analyze/some-other-job")).status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/users/watchlist", "/api/v1/users/favorites"])
async def test_watchlist_is_per_user(
    owner: Api, other: Api, stored: dict[str, Niche], path: str
) -> None:
    """The same answers at the watchlist's address and at its old one, /users/favorites."""
    niche = stored["retro gaming"]
    added = await owner.post(path, json={"niche_id": str(niche.id), "alert_threshold": 60})
    assert added.status_code == 201, added.text
    entry = added.json()
    assert [e["niche"]["name"] for e in (await owner.get(path)).json()] == ["retro gaming"]
    assert (await other.get(path)).json() == []
    assert (await other.delete(f"{path}/{entry['id']}")).status_code == 404
    again = await owner.post(path, json={"niche_id": str(niche.id), "alert_threshold": 70})
    assert again.json()["id"] == entry["id"] and again.json()["alert_threshold"] == 70
    assert (await owner.delete(f"{path}/{entry['id']}")).status_code == 204
    assert (await owner.get(path)).json() == []
    missing = await owner.post(path, json={"niche_id": "00000000-0000-0000-0000-000000000000"})
    assert missing.status_code == 404
    assert (
        await owner.post(path, json={"niche_id": str(niche.id), "alert_threshold": 120})
    ).status_code == 422


async def test_a_concurrent_add_answers_409_at_both_addresses(
    owner: Api, stored: dict[str, Niche], monkeypatch: pytest.MonkeyPatch
) -> None:
    niche = stored["retro gaming"]
    body = {"niche_id": str(niche.id), "alert_threshold": 50}
    assert (await owner.post("/api/v1/users/watchlist", json=body)).status_code == 201

    async def not_seen(*_: Any) -> None:  # the other request's row lands after our check
        return None

    monkeypatch.setattr(repository, "watchlist_entry_for_niche", not_seen)
    for path in ("/api/v1/users/watchlist", "/api/v1/users/favorites"):
        response = await owner.post(path, json=body)
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "favorite_exists"
    assert len((await owner.get("/api/v1/users/watchlist")).json()) == 1


async def test_openapi_marks_the_old_favorites_address_deprecated(owner: Api) -> None:
    paths = (await owner.get("/openapi.json")).json()["paths"]
    for method in ("get", "post"):
        assert paths["/api/v1/users/favorites"][method]["deprecated"] is True
        assert "deprecated" not in paths["/api/v1/users/watchlist"][method]
    assert paths["/api/v1/users/favorites/{entry_id}"]["delete"]["deprecated"] is True
    assert paths["/api/v1/users/favorites"]["get"]["operationId"].startswith("list_favorites")


async def test_crossing_a_threshold_records_a_niche_alert(
    owner: Api,
    other: Api,
    stored: dict[str, Niche],
    app: Any,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    niche = stored["sourdough bread"]  # 48.0 now; bundled series rescoring lands above 40
    await owner.post(
        "/api/v1/users/watchlist", json={"niche_id": str(niche.id), "alert_threshold": 40}
    )
    await other.post(
        "/api/v1/users/favorites", json={"niche_id": str(niche.id), "alert_threshold": 99}
    )
    async with unit_of_work(sessions) as session:
        row = await session.get(Niche, niche.id)
        assert row is not None
        row.score = 30.0  # below the owner's threshold before rescoring
    sources = build_sources(settings, app.state.redis.sync)
    async with unit_of_work(sessions) as session:
        analysis = await analyze_niche(session, app.state.redis.sync, settings, sources, niche.id)
    assert 40 <= analysis.score.total < 99
    async with sessions() as session:
        events = list(await session.scalars(select(Event).where(Event.type == "niche.alert")))
    assert len(events) == 1 and events[0].data["threshold"] == 40
    watchlist = (await owner.get("/api/v1/users/watchlist")).json()
    assert watchlist[0]["last_alerted_at"] is not None
    async with unit_of_work(sessions) as session:  # no new crossing, no new alert
        await analyze_niche(session, app.state.redis.sync, settings, sources, niche.id)
    async with sessions() as session:
        count = len(list(await session.scalars(select(Event).where(Event.type == "niche.alert"))))
    assert count == 1
