"""Publishing gauges for the API's ``/metrics``, read from the database when it is scraped.

Uploads run in the workers, which expose no metrics endpoint; the database is where every
process's uploads and quota spends meet. So on a scrape (through
``observability.metrics.ScrapeRefresher``: throttled and bounded) the API sets:

- ``ytempire_youtube_quota_units_left{project}`` (and ``_used``, ``_limit``) from
  :func:`quota.quota_status` (one project: the stored OAuth client's; a replaced client's
  old label is dropped),
- ``ytempire_youtube_upload_sessions{status}``: upload sessions (one per video) by status,
- ``ytempire_youtube_upload_confirmed_bytes``: bytes YouTube confirmed over all uploads.

The in-process counters (``ytempire_youtube_upload_bytes_total``, retries, quota waits,
upload stage outcomes) count what this process did itself (all of it with
``serve --embedded``).
"""

from __future__ import annotations

from prometheus_client import Gauge
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.models import UploadSession, UploadStatus
from backend.publishing.metrics import QUOTA_LEFT, QUOTA_LIMIT, QUOTA_USED
from backend.publishing.quota import quota_status

UPLOAD_SESSIONS = Gauge(
    "ytempire_youtube_upload_sessions", "YouTube upload sessions by status", ["status"]
)
UPLOAD_CONFIRMED_BYTES = Gauge(
    "ytempire_youtube_upload_confirmed_bytes", "Bytes YouTube confirmed, over all uploads"
)


async def upload_totals(session: AsyncSession) -> tuple[dict[UploadStatus, int], int]:
    """Upload sessions by status, and the bytes YouTube confirmed over all of them."""
    rows = await session.execute(
        select(
            UploadSession.status,
            func.count(),
            func.coalesce(func.sum(UploadSession.confirmed_bytes), 0),
        ).group_by(UploadSession.status)
    )
    counts: dict[UploadStatus, int] = dict.fromkeys(UploadStatus, 0)
    confirmed = 0
    for status, count, confirmed_bytes in rows.all():
        counts[UploadStatus(status)] = int(count)
        confirmed += int(confirmed_bytes)
    return counts, confirmed


async def refresh_gauges(sessions: async_sessionmaker[AsyncSession], daily_units: int) -> None:
    async with sessions() as session:
        quota = await quota_status(session, daily_units)
        counts, confirmed = await upload_totals(session)
    for gauge in (QUOTA_LEFT, QUOTA_USED, QUOTA_LIMIT):
        gauge.clear()  # a replaced client's project goes; no await until it is set again
    if quota.project_id is not None:
        QUOTA_LEFT.labels(project=quota.project_id).set(quota.left)
    for status, count in counts.items():
        UPLOAD_SESSIONS.labels(status=status.value).set(count)
    UPLOAD_CONFIRMED_BYTES.set(confirmed)
