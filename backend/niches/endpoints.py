from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from backend.deps import CurrentUser, SessionDep, SettingsDep, SyncRedisDep, parse_uuid
from backend.niches import service
from backend.niches.repository import NicheFilter
from backend.niches.schemas import (
    AnalyzeAccepted,
    AnalyzeRequest,
    AnalyzeStatus,
    Categories,
    NicheDetail,
    NichePage,
    SearchHit,
    SortParam,
    SourceHealth,
    TrendingNiche,
    WatchlistEntryCreate,
    WatchlistEntryOut,
)

router = APIRouter(prefix="/niches", tags=["niches"])
watchlist_router = APIRouter(prefix="/users/watchlist", tags=["niches"])
# /users/favorites: the watchlist's first address, kept (same JSON) for existing clients.
favorites_router = APIRouter(prefix="/users/favorites", tags=["niches"], deprecated=True)

Limit = Annotated[int, Query(ge=1, le=100)]


@router.get("")
async def list_niches(
    user: CurrentUser,
    session: SessionDep,
    category: str | None = None,
    min_score: Annotated[float | None, Query(ge=0, le=100)] = None,
    source: Annotated[str | None, Query(pattern=r"^[a-z_]{2,32}$")] = None,
    sort: SortParam = "score",
    cursor: str | None = None,
    limit: Limit = 20,
) -> NichePage:
    spec = NicheFilter(category, min_score, source)
    return await service.list_page(session, spec, sort, limit, cursor)


@router.get("/trending")
async def trending(
    user: CurrentUser, session: SessionDep, category: str | None = None, limit: Limit = 10
) -> list[TrendingNiche]:
    return await service.trending(session, limit, category)


@router.get("/categories")
async def categories(user: CurrentUser, session: SessionDep) -> Categories:
    return await service.categories(session)


@router.get("/search")
async def search(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=200)],
    category: str | None = None,
    limit: Limit = 10,
) -> list[SearchHit]:
    return await service.search(session, settings, q, limit, category)


@router.get("/sources")
async def sources(
    user: CurrentUser, settings: SettingsDep, connection: SyncRedisDep
) -> list[SourceHealth]:
    return service.source_health(settings, connection)


@router.post("/analyze", status_code=status.HTTP_202_ACCEPTED)
async def analyze(
    data: AnalyzeRequest, user: CurrentUser, session: SessionDep, connection: SyncRedisDep
) -> AnalyzeAccepted:
    job_id, niche = await service.request_analysis(session, connection, data)
    return AnalyzeAccepted(job_id=job_id, niche_id=niche.id, status="queued")


@router.get("/analyze/{job_id}")
async def analyze_status(
    job_id: str, user: CurrentUser, session: SessionDep, connection: SyncRedisDep
) -> AnalyzeStatus:
    return await service.analysis_status(session, connection, job_id)


@router.get("/{niche_id}")
async def get_niche(
    niche_id: str, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> NicheDetail:
    """The niche; ``for_you``: its score with the RPM measured on your channels blended into
    the monetization component (estimate, measurement, weight)."""
    niche = await service.get(session, parse_uuid(niche_id, "niche"))
    revenue = await service.owner_revenue(session, settings, user)
    return await service.detail(session, niche, service.for_owner(niche, revenue, settings))


async def list_watchlist(user: CurrentUser, session: SessionDep) -> list[WatchlistEntryOut]:
    return await service.watchlist(session, user)


async def add_to_watchlist(
    data: WatchlistEntryCreate, user: CurrentUser, session: SessionDep
) -> WatchlistEntryOut:
    """Watch a niche (an alert when its score reaches ``alert_threshold``); again: update it."""
    return await service.add_to_watchlist(session, user, data)


async def remove_from_watchlist(entry_id: str, user: CurrentUser, session: SessionDep) -> None:
    """``entry_id``: the entry's id or the niche's id."""
    await service.remove_from_watchlist(session, user, parse_uuid(entry_id, service.ENTRY))


for _router, _names in (
    (watchlist_router, ("list_watchlist", "add_to_watchlist", "remove_from_watchlist")),
    (favorites_router, ("list_favorites", "add_favorite", "remove_favorite")),  # operation ids
):
    _router.add_api_route("", list_watchlist, methods=["GET"], name=_names[0])
    _router.add_api_route(
        "",
        add_to_watchlist,
        methods=["POST"],
        status_code=status.HTTP_201_CREATED,
        name=_names[1],
    )
    _router.add_api_route(
        "/{entry_id}",
        remove_from_watchlist,
        methods=["DELETE"],
        status_code=status.HTTP_204_NO_CONTENT,
        name=_names[2],
    )
