"""The CSV export: per channel per day, or per video per day, streamed from one query.

A row is a day with a YouTube Analytics row or a charge in the cost ledger (cost by UTC
day). Unknown is an empty cell, never 0: revenue YouTube did not give (no monetary scope),
and every metric of a day YouTube has not reported (a charge alone). Profit is revenue
minus cost, empty when the revenue is; RPM is revenue per 1,000 views.

Text cells (channel names, titles: what an owner typed or a model wrote) that a
spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return)
get a leading apostrophe (OWASP "CSV injection"); numbers are written as plain numbers.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.analytics import repository

log = structlog.get_logger(__name__)

Scope = Literal["channels", "videos"]
BATCH = 500  # rows fetched, and written out, at a time
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CHANNEL_HEADER = (
    "day",
    "channel_id",
    "channel_name",
    "views",
    "watch_time_minutes",
    "average_view_duration_seconds",
    "subscribers_gained",
    "subscribers_lost",
    "revenue_usd",
    "ad_revenue_usd",
    "cpm_usd",
    "playback_cpm_usd",
    "rpm_usd",
    "cost_usd",
    "profit_usd",
)
VIDEO_HEADER = (
    "day",
    "channel_id",
    "video_id",
    "youtube_video_id",
    "title",
    "views",
    "watch_time_minutes",
    "average_view_duration_seconds",
    "subscribers_gained",
    "subscribers_lost",
    "revenue_usd",
    "ad_revenue_usd",
    "cpm_usd",
    "playback_cpm_usd",
    "rpm_usd",
    "cost_usd",
    "profit_usd",
)


def text_cell(value: str | None) -> str:
    """A text cell a spreadsheet shows as text, never runs as a formula."""
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def number_cell(value: int | float | Decimal | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _money(revenue: Any, views: Any, cost: Any) -> tuple[str, str, str]:
    """(rpm, cost, profit) cells from a row's revenue, views and charge."""
    known = _decimal(revenue)
    spent = _decimal(cost) or Decimal(0)
    rpm = None
    if known is not None and views:
        rpm = round(float(known) / int(views) * 1000, 4)
    profit = None if known is None else known - spent
    return number_cell(rpm), number_cell(spent), number_cell(profit)


def channel_row(row: Sequence[Any]) -> list[str]:
    day, channel_id, name, views, minutes, avd, gained, lost, revenue, ad, cpm, pcpm, cost = row
    return [
        repository.as_date(day).isoformat(),
        str(channel_id),
        text_cell(name),
        number_cell(views),
        number_cell(minutes),
        number_cell(avd),
        number_cell(gained),
        number_cell(lost),
        number_cell(_decimal(revenue)),
        number_cell(_decimal(ad)),
        number_cell(cpm),
        number_cell(pcpm),
        *_money(revenue, views, cost),
    ]


def video_row(row: Sequence[Any]) -> list[str]:
    (day, channel_id, video_id, youtube_id, title, topic, views, minutes, avd, gained, lost) = row[
        :11
    ]
    revenue, ad, cpm, pcpm, cost = row[11:]
    return [
        repository.as_date(day).isoformat(),
        str(channel_id),
        str(video_id),
        text_cell(youtube_id),
        text_cell(repository.video_label(title, topic)),
        number_cell(views),
        number_cell(minutes),
        number_cell(avd),
        number_cell(gained),
        number_cell(lost),
        number_cell(_decimal(revenue)),
        number_cell(_decimal(ad)),
        number_cell(cpm),
        number_cell(pcpm),
        *_money(revenue, views, cost),
    ]


def filename(scope: Scope, start: date, end: date) -> str:
    return f"ytempire-{scope}-{start.isoformat()}-{end.isoformat()}.csv"


async def stream_csv(
    factory: async_sessionmaker[AsyncSession],
    scope: Scope,
    channel_ids: Sequence[uuid.UUID],
    start: date,
    end: date,
) -> AsyncIterator[bytes]:
    """The CSV in chunks of ``BATCH`` rows, read through its own session (the request's
    has ended by the time a streamed body is sent)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CHANNEL_HEADER if scope == "channels" else VIDEO_HEADER)
    yield buffer.getvalue().encode()
    if not channel_ids:
        return
    build = (
        repository.channel_export_query if scope == "channels" else repository.video_export_query
    )
    convert = channel_row if scope == "channels" else video_row
    rows = 0
    async with factory() as session:
        query = build(session, channel_ids, start, end).execution_options(yield_per=BATCH)
        try:
            result = await session.stream(query)
            async for partition in result.partitions(BATCH):
                buffer.seek(0)
                buffer.truncate()
                writer.writerows(convert(row) for row in partition)
                rows += len(partition)
                yield buffer.getvalue().encode()
        except Exception:
            log.exception("analytics.export_failed", scope=scope, rows=rows)
            raise
    log.info("analytics.exported", scope=scope, rows=rows, start=str(start), end=str(end))
