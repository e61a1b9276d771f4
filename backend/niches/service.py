"""Niche rules: reading the catalogue, semantic search, analyze requests, watchlists."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

import numpy as np
import redis
import structlog
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.errors import BadRequest, Conflict, NotFound
from backend.jobs.queues import QueueName, enqueue_after_commit
from backend.models import Niche, Trend, User, WatchlistEntry
from backend.niches import monetization, repository
from backend.niches.catalog import catalog
from backend.niches.discovery.dedup import embed_texts
from backend.niches.discovery.sources.factory import health
from backend.niches.monetization import OwnerRevenue
from backend.niches.repository import NicheFilter, Sort
from backend.niches.schemas import (
    AnalyzeRequest,
    AnalyzeStatus,
    Categories,
    CategoryOut,
    MeasuredRpm,
    NicheDetail,
    NicheOut,
    NichePage,
    OwnerMonetization,
    OwnerNicheScore,
    SearchHit,
    SourceHealth,
    TrendingNiche,
    TrendOut,
    WatchlistEntryCreate,
    WatchlistEntryOut,
)
from backend.settings import Settings

log = structlog.get_logger(__name__)

ANALYZE_JOB_PREFIX = "niche-analyze-"


def check_category(category: str | None) -> None:
    if category is not None and category not in catalog().categories:
        raise BadRequest(
            f"unknown category {category!r}",
            code="unknown_category",
            details={"known": sorted(catalog().categories)},
        )


def encode_cursor(sort_value: Any, niche_id: uuid.UUID) -> str:
    raw = json.dumps(
        [
            sort_value if not hasattr(sort_value, "isoformat") else sort_value.isoformat(),
            str(niche_id),
        ]
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str = "score") -> tuple[Any, str]:
    """(sort value, niche id) of a cursor made for ``sort``; anything else is a 400."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, niche_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        uuid.UUID(niche_id)
        if sort == "score" and not (
            isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 1e9
        ):
            raise ValueError("a score cursor holds a number")
        if sort == "recent":
            datetime.fromisoformat(value)
        if sort == "name" and not isinstance(value, str):
            raise ValueError("a name cursor holds a name")
    except (ValueError, TypeError, AttributeError) as exc:
        raise BadRequest("malformed cursor", code="invalid_cursor") from exc
    return value, niche_id


def cursor_for(niche: Niche, sort: str) -> str:
    value = {"score": niche.score, "recent": niche.created_at, "name": niche.name}[sort]
    return encode_cursor(value, niche.id)


async def list_page(
    session: AsyncSession, spec: NicheFilter, sort: Sort, limit: int, cursor: str | None
) -> NichePage:
    """One page of the catalogue (keyset pagination; ``cursor`` from the previous page)."""
    check_category(spec.category)
    after = decode_cursor(cursor, sort) if cursor else None
    rows = await repository.page(session, spec, sort, limit + 1, after)
    more = len(rows) > limit
    rows = rows[:limit]
    return NichePage(
        items=[NicheOut.model_validate(n) for n in rows],
        next_cursor=cursor_for(rows[-1], sort) if more else None,
    )


async def trending(session: AsyncSession, limit: int, category: str | None) -> list[TrendingNiche]:
    check_category(category)
    return [
        TrendingNiche(**NicheOut.model_validate(n).model_dump(), growth=round(g, 4))
        for n, g in await repository.trending(session, limit, category)
    ]


async def categories(session: AsyncSession) -> Categories:
    table = catalog()
    stats = await repository.category_stats(session)
    items = [
        CategoryOut(
            key=c.key,
            label=c.label,
            cpm_usd=c.cpm_usd,
            cpm_range_usd=c.range_usd,
            rpm_usd=c.rpm_usd,
            niches=stats.get(c.key, (0, None))[0],
            average_score=round(a, 2)
            if (a := stats.get(c.key, (0, None))[1]) is not None
            else None,
        )
        for c in table.categories.values()
    ]
    return Categories(items=items, cpm_source=table.cpm_source, cpm_reviewed=table.cpm_reviewed)


def source_health(settings: Settings, connection: redis.Redis) -> list[SourceHealth]:
    return [SourceHealth(**record) for record in health(settings, connection)]


async def get(session: AsyncSession, niche_id: uuid.UUID) -> Niche:
    niche = await repository.get(session, niche_id)
    if niche is None:
        raise NotFound("niche", niche_id)
    return niche


def trend_out(trend: Trend) -> TrendOut:
    return TrendOut.model_validate(trend)


async def owner_revenue(session: AsyncSession, settings: Settings, user: User) -> OwnerRevenue:
    """The user's measured views and revenue (``monetization.py``), for :func:`for_owner`."""
    return await monetization.owner_revenue(session, user.id, settings.rpm_window_days)


def for_owner(niche: Niche, revenue: OwnerRevenue, settings: Settings) -> OwnerNicheScore | None:
    """The niche's score with the owner's measured RPM blended into its monetization."""
    view = monetization.owner_score(niche, revenue, settings)
    if view is None:
        return None
    measured = view.rpm.measurement
    return OwnerNicheScore(
        score=view.score,
        market_score=view.market_score,
        monetization=OwnerMonetization(
            estimate_rpm_usd=round(view.rpm.prior_rpm_usd, 4),
            measured=MeasuredRpm(
                rpm_usd=None
                if view.rpm.measured_rpm_usd is None
                else round(view.rpm.measured_rpm_usd, 4),
                views=view.rpm.views,
                revenue_usd=measured.revenue_usd if measured else 0.0,
                channels=measured.channels if measured else 0,
                scope=measured.scope if measured else None,
                window_days=view.window_days,
            ),
            prior_views=view.rpm.prior_views,
            weight=round(view.rpm.weight, 6),
            rpm_usd=round(view.rpm.rpm_usd, 4),
            rpm_ceiling_usd=view.rpm_ceiling_usd,
            score=view.monetization,
            estimate_score=view.market_monetization,
            score_weight=round(view.monetization_weight, 6),
        ),
    )


async def detail(
    session: AsyncSession, niche: Niche, for_you: OwnerNicheScore | None = None
) -> NicheDetail:
    trends = await repository.trends_for(session, [niche.id])
    own = next((t for t in trends if t.topic == niche.name and t.series), None)
    others = sorted(
        (t for t in trends if t is not own),
        key=lambda t: (t.growth is None, -(t.growth or 0.0), t.topic),
    )
    base = NicheOut.model_validate(niche).model_dump()
    return NicheDetail(
        **base,
        inputs=niche.inputs,
        interest=trend_out(own) if own else None,
        topics=[trend_out(t) for t in others],
        top_videos=list(niche.inputs.get("top_videos", [])),
        for_you=for_you,
    )


async def search(
    session: AsyncSession, settings: Settings, query: str, limit: int, category: str | None
) -> list[SearchHit]:
    """Niches nearest in meaning to ``query`` (cosine of all-MiniLM-L6-v2 embeddings)."""
    text = " ".join(query.split())
    if len(text) < 2 or len(text) > 200:
        raise BadRequest("q must be 2 to 200 characters", code="invalid_query")
    check_category(category)
    niches = await repository.embedded(session, category)
    if not niches:
        return []
    [vector] = await embed_texts(settings, [text])
    matrix = np.asarray([n.embedding for n in niches], dtype=np.float32)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)
    sims = matrix @ np.asarray(vector, dtype=np.float32)
    order = np.argsort(-sims)[:limit]
    return [
        SearchHit(
            **NicheOut.model_validate(niches[i]).model_dump(), similarity=round(float(sims[i]), 4)
        )
        for i in order
    ]


async def request_analysis(
    session: AsyncSession, connection: redis.Redis, data: AnalyzeRequest
) -> tuple[str, Niche]:
    """The named niche (created when new), and a job id that scores it after commit."""
    check_category(data.category)
    niche = await repository.get_by_name(session, data.name)
    if niche is None:
        niche = Niche(
            id=uuid.uuid4(),
            name=data.name,
            category=data.category,
            description=data.description,
            breakdown={},
            inputs={},
            sources=["custom"],
            keywords=data.keywords,
        )
        session.add(niche)
        await session.flush()
        log.info("niche.created", niche_id=str(niche.id), name=niche.name, origin="analyze")
    elif niche.category != data.category:
        raise Conflict(
            f"niche {niche.name!r} exists in category {niche.category!r}",
            code="niche_category_conflict",
            details={"niche_id": str(niche.id), "category": niche.category},
        )
    job_id = f"{ANALYZE_JOB_PREFIX}{niche.id}-{uuid.uuid4().hex[:8]}"
    enqueue_after_commit(
        session,
        connection,
        QueueName.discovery,
        "backend.niches.discovery.tasks.analyze_niche",
        str(niche.id),
        job_id=job_id,
    )
    return job_id, niche


async def analysis_status(
    session: AsyncSession, connection: redis.Redis, job_id: str
) -> AnalyzeStatus:
    """Where an analyze job is; once finished, the niche as it was scored."""
    if not job_id.startswith(ANALYZE_JOB_PREFIX):
        raise NotFound("job", job_id)
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError as exc:
        raise NotFound("job", job_id) from exc
    raw = job.get_status(refresh=True)
    state = str(getattr(raw, "value", raw) or "unknown")
    result = AnalyzeStatus(job_id=job_id, status=state)
    returned = job.return_value() if state == "finished" else None
    if isinstance(returned, dict):
        try:
            niche_id = uuid.UUID(str(returned["niche_id"]))
        except ValueError as exc:
            raise NotFound("niche", returned["niche_id"]) from exc
        niche = await get(session, niche_id)
        result.niche = await detail(session, niche)
    elif state == "failed":
        latest = job.latest_result()
        lines = (latest.exc_string or "").strip().splitlines() if latest else []
        result.error = lines[-1] if lines else "failed"
    return result


# The API's error codes keep the first name of a watchlist entry ("favorite") for its clients.
ENTRY_EXISTS = "favorite_exists"
ENTRY = "favorite"


async def ranked(session: AsyncSession, limit: int = 60) -> list[Niche]:
    """Niches for the dashboard: best score first, unscored ones last."""
    return await repository.ranked(session, limit)


async def top_trends(session: AsyncSession, niche: Niche, limit: int = 3) -> list[Trend]:
    return await repository.top_trends(session, niche.id, limit)


def watchlist_entry_out(entry: WatchlistEntry, niche: Niche) -> WatchlistEntryOut:
    return WatchlistEntryOut(
        id=entry.id,
        niche=NicheOut.model_validate(niche),
        alert_threshold=entry.alert_threshold,
        last_alerted_at=entry.last_alerted_at,
        created_at=entry.created_at,
    )


async def watchlist(session: AsyncSession, user: User) -> list[WatchlistEntryOut]:
    return [watchlist_entry_out(e, n) for e, n in await repository.watchlist(session, user.id)]


async def watchlist_by_niche(session: AsyncSession, user: User) -> dict[uuid.UUID, WatchlistEntry]:
    return {e.niche_id: e for e, _ in await repository.watchlist(session, user.id)}


async def add_to_watchlist(
    session: AsyncSession, user: User, data: WatchlistEntryCreate
) -> WatchlistEntryOut:
    """Watch a niche; adding it again updates the alert threshold. A concurrent add of the
    same niche answers 409 rather than a second row."""
    niche = await get(session, data.niche_id)
    entry = await repository.watchlist_entry_for_niche(session, user.id, niche.id)
    if entry is not None:
        entry.alert_threshold = data.alert_threshold
        await session.flush()
        return watchlist_entry_out(entry, niche)
    entry = WatchlistEntry(
        id=uuid.uuid4(), user_id=user.id, niche_id=niche.id, alert_threshold=data.alert_threshold
    )
    try:
        async with session.begin_nested():
            session.add(entry)
    except IntegrityError as exc:
        raise Conflict("niche is already on the watchlist", code=ENTRY_EXISTS) from exc
    return watchlist_entry_out(entry, niche)


async def remove_from_watchlist(session: AsyncSession, user: User, entry_id: uuid.UUID) -> None:
    """By entry id or niche id; someone else's entry answers 404 like a missing one."""
    entry = await repository.watchlist_entry(session, user.id, entry_id)
    entry = entry or await repository.watchlist_entry_for_niche(session, user.id, entry_id)
    if entry is None:
        raise NotFound(ENTRY, entry_id)
    await session.delete(entry)
    await session.flush()
