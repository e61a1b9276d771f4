"""The autopilot: each channel with ``autopilot`` on keeps videos made for the publish
slots of its next ``autopilot_buffer_days`` days.

One tick, for each such channel, in its own transaction:

1. The channel's slots in ``(now + lead, now + buffer_days]`` (``slots.SlotGrid``: its
   cadence spread over its local day, or at its best hours once ``revenue_optimizer`` has
   learnt them from the first-48-hour views of its videos). A slot is *buffered* when its
   video is alive: in production, ready, publishing, scheduled or published, or failed only
   at the upload (production is done; the owner retries the upload). A slot whose video
   failed, was cancelled or discarded gets a new one, at most ``MAX_VIDEOS_PER_SLOT`` in all.
2. A paused channel gets nothing. Otherwise each open slot, earliest first, gets a video
   (queued without a topic, ``publish_at`` = the slot) while one more fits:
   - the channel's budgets: the forecast of one video (``forecast.py``) must fit in what
     is left today and this month (UTC, as the budget watcher counts) after the ledger
     and the forecast of the channel's videos still in production;
   - the appliance's daily spend cap ``YTE_AUTOPILOT_DAILY_SPEND_CAP_USD``: today's
     ledger of every channel plus every video in production's forecast;
   - YouTube's upload quota: today's units left for the project, less the units of the
     videos already waiting for an upload, must hold one more video's upload
     (videos.insert + thumbnails.set + captions.insert).
3. What it wanted, had, made and why it stopped is the channel's last-tick record
   (``autopilot_ticks``, shown with the schedule) and a structured log line.

Several workers may tick at once: the tick holds a Redis lock, each channel's transaction
a PostgreSQL advisory lock, and a slot is a unique (channel, slot time) row, so a race that
gets past both locks fails its insert and makes nothing.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import redis
import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.agents.revenue_optimizer import channel_publish_hours
from backend.autopilot import repository
from backend.autopilot.forecast import Forecast, video_cost
from backend.autopilot.schemas import ScheduleOut, SlotOut, TickOut
from backend.autopilot.slots import SlotGrid, zone
from backend.costs.budget import period_starts
from backend.costs.repository import spend_since
from backend.db.base import utcnow
from backend.db.session import unit_of_work
from backend.models import AutopilotSlot, AutopilotTick, Channel, ChannelStatus, Video, VideoStage
from backend.models import VideoStatus as S
from backend.publishing.quota import COSTS, quota_status
from backend.settings import Settings, get_settings
from backend.videos import service as video_service
from backend.videos.schemas import VideoCreate

log = structlog.get_logger(__name__)

MAX_VIDEOS_PER_SLOT = 2  # a slot whose videos keep failing is left open after this many
UPLOAD_UNITS = COSTS["videos.insert"] + COSTS["thumbnails.set"] + COSTS["captions.insert"]
DEAD = frozenset({S.failed, S.cancelled, S.discarded})
LOCK_KEY = "ytempire:autopilot:tick"


class SlotTaken(Exception):
    """Another tick gave this slot its video first (this tick's transaction is rolled back)."""


@dataclass
class Made:
    slot_at: datetime
    video_id: uuid.UUID


@dataclass
class ChannelTick:
    """One channel's part of a tick."""

    channel_id: uuid.UUID
    channel_name: str
    timezone: str = "UTC"
    wanted: int = 0
    buffered: int = 0
    made: list[Made] = field(default_factory=list)
    skip_code: str | None = None  # None: the buffer is full
    skip_reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def skip(self, code: str, reason: str) -> None:
        self.skip_code, self.skip_reason = code, reason


@dataclass
class TickReport:
    at: datetime
    locked: bool = False  # another tick held the lock: this one did nothing
    channels: list[ChannelTick] = field(default_factory=list)

    @property
    def made(self) -> int:
        return sum(len(c.made) for c in self.channels)


@dataclass
class Allowance:
    """What the whole appliance may still start this tick (spent down as videos are made)."""

    spend_usd: Decimal
    uploads: int
    spend_cap_usd: Decimal
    quota_left: int


@dataclass(frozen=True, slots=True)
class Slot:
    """A publish slot for the schedule: its time, its video (if any) and where it stands.

    ``status``: the video's status, or ``open`` (the autopilot will fill it), ``too_soon``
    (inside the lead time, no video: it will be missed) or ``off`` (autopilot is off).
    """

    at: datetime
    video_id: uuid.UUID | None
    status: str
    title: str | None = None


def grid_for(channel: Channel, settings: Settings, hours: tuple[int, ...] = ()) -> SlotGrid:
    return SlotGrid(
        channel.cadence_per_day,
        channel.timezone,
        settings.autopilot_day_start_hour,
        settings.autopilot_day_end_hour,
        hours,
    )


async def learnt_hours(
    session: AsyncSession, channel: Channel, settings: Settings, now: datetime
) -> tuple[int, ...]:
    """The channel's best publish hours once revenue_optimizer has learnt them from its
    videos' first-48-hour views; before that none (the slots spread over the day)."""
    zone(channel.timezone)  # an unknown zone fails here, with the reason
    hours = await channel_publish_hours(session, channel, settings, now)
    return hours.hours if hours.learned else ()


def alive(video: Video | None) -> bool:
    if video is None:
        return False
    failed_upload = video.status == S.failed and video.stage == VideoStage.upload
    return video.status not in DEAD or failed_upload


# --- the tick ---------------------------------------------------------------------------


async def tick(
    sessions: async_sessionmaker[AsyncSession],
    connection: redis.Redis | None,
    settings: Settings,
    dispatcher: video_service.Dispatcher,
    *,
    now: datetime | None = None,
) -> TickReport:
    """One tick over every autopilot channel. ``connection``: the Redis the tick lock lives
    in (None: no lock, as for the CLI beside an embedded ``serve``; the unique slots still
    keep two ticks from making one slot's video)."""
    now = now or utcnow()
    report = TickReport(at=now)
    with _tick_lock(connection, settings.autopilot_interval_seconds) as held:
        if not held:
            report.locked = True
            log.info("autopilot.tick_locked")
            return report
        async with sessions() as session:
            channel_ids = await repository.autopilot_channels(session)
            allowance = await _allowance(session, settings, now)
        for channel_id in channel_ids:
            result = await _fill_safely(sessions, settings, dispatcher, channel_id, now, allowance)
            if result is not None:
                report.channels.append(result)
    log.info("autopilot.tick", channels=len(report.channels), made=report.made)
    return report


async def _fill_safely(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    dispatcher: video_service.Dispatcher,
    channel_id: uuid.UUID,
    now: datetime,
    allowance: Allowance,
) -> ChannelTick | None:
    try:
        async with unit_of_work(sessions) as session:
            result = await fill_channel(session, settings, dispatcher, channel_id, now, allowance)
    except (IntegrityError, SlotTaken) as exc:  # a concurrent tick took a slot first
        log.warning("autopilot.slot_conflict", channel_id=str(channel_id), error=str(exc)[:200])
        return await _failed(
            sessions, channel_id, now, "conflict", "another tick filled these slots just now"
        )
    except Exception as exc:  # one channel's trouble does not stop the others' tick
        log.exception("autopilot.channel_failed", channel_id=str(channel_id))
        return await _failed(sessions, channel_id, now, "error", f"{type(exc).__name__}: {exc}")
    if result is not None:  # committed: the videos exist and their first stage is enqueued
        log.info(
            "autopilot.channel",
            channel_id=str(result.channel_id),
            wanted=result.wanted,
            buffered=result.buffered,
            made=[m.slot_at.isoformat() for m in result.made],
            skip=result.skip_code,
            reason=result.skip_reason,
        )
    return result


async def _failed(
    sessions: async_sessionmaker[AsyncSession],
    channel_id: uuid.UUID,
    now: datetime,
    code: str,
    reason: str,
) -> ChannelTick | None:
    """The channel's tick made nothing (rolled back): say why in its last-tick record."""
    async with unit_of_work(sessions) as session:
        channel = await session.get(Channel, channel_id)
        if channel is None:
            return None
        result = ChannelTick(channel.id, channel.name, channel.timezone)
        result.skip(code, reason)
        if code != "conflict":  # a conflict: the other tick records what it made
            await _record(session, result, now)
        return result


async def _allowance(session: AsyncSession, settings: Settings, now: datetime) -> Allowance:
    day_start, _ = period_starts(now)
    spent = await repository.spend_since(session, day_start)
    committed = Decimal(0)
    forecasts: dict[uuid.UUID, Forecast] = {}
    default = settings.autopilot_default_video_cost_usd
    for channel_id, _video_id, so_far in await repository.in_flight_spend(session):
        if channel_id not in forecasts:
            forecasts[channel_id] = await video_cost(session, channel_id, default)
        committed += max(Decimal(0), forecasts[channel_id].usd - so_far)
    cap = Decimal(str(settings.autopilot_daily_spend_cap_usd))
    quota = await quota_status(session, settings.youtube_upload_quota, now)
    waiting = await repository.awaiting_upload(session)
    uploads = (quota.left - waiting * UPLOAD_UNITS) // UPLOAD_UNITS
    return Allowance(
        spend_usd=cap - spent - committed,
        uploads=max(0, uploads),
        spend_cap_usd=cap,
        quota_left=quota.left,
    )


async def fill_channel(
    session: AsyncSession,
    settings: Settings,
    dispatcher: video_service.Dispatcher,
    channel_id: uuid.UUID,
    now: datetime,
    allowance: Allowance,
) -> ChannelTick | None:
    """Fill one channel's open slots in this transaction; None when it is not the
    autopilot's (any more) or another tick holds it right now."""
    channel = await session.get(Channel, channel_id)
    if channel is None or channel.deleted_at is not None or not channel.autopilot:
        return None
    if not await repository.try_channel_lock(session, channel.id):
        log.info("autopilot.channel_busy", channel_id=str(channel.id))
        return None
    result = ChannelTick(channel.id, channel.name, channel.timezone)
    start = now + timedelta(minutes=settings.autopilot_min_lead_minutes)
    end = now + timedelta(days=channel.autopilot_buffer_days)
    hours = await learnt_hours(session, channel, settings, now)
    grid = grid_for(channel, settings, hours)
    wanted = grid.between(start, end)
    around = await repository.slots_between(session, channel.id, _day_before(start, grid), end)
    rows = [(slot, video) for slot, video in around if slot.slot_at > start]
    by_time = {slot.slot_at: (slot, video) for slot, video in rows}
    result.wanted = len(wanted)
    result.buffered = sum(1 for _slot, video in rows if alive(video))
    full = _full_days(around, grid)  # a change of learnt hours adds no second video to a day
    open_slots = [
        t
        for t in wanted
        if (t not in by_time and _local_day(t, grid) not in full)
        or (
            t in by_time
            and not alive(by_time[t][1])
            and by_time[t][0].videos_made < MAX_VIDEOS_PER_SLOT
        )
    ][: max(0, result.wanted - result.buffered)]
    if channel.status != ChannelStatus.active:
        result.skip("paused", f"channel is paused ({channel.pause_reason or 'by its owner'})")
    elif open_slots:
        await _make_videos(
            session, settings, dispatcher, channel, now, allowance, result, open_slots, by_time
        )
    elif result.buffered < result.wanted:
        result.skip("slots_spent", f"open slots already had {MAX_VIDEOS_PER_SLOT} videos fail")
    await _record(session, result, now)
    return result


def _local_day(at: datetime, grid: SlotGrid) -> date:
    return at.astimezone(zone(grid.timezone)).date()


def _day_before(start: datetime, grid: SlotGrid) -> datetime:
    """Local midnight of ``start``'s day, less a second: slots from that day on."""
    local = datetime.combine(_local_day(start, grid), time.min, zone(grid.timezone))
    return local.astimezone(UTC) - timedelta(seconds=1)


def _full_days(rows: list[tuple[AutopilotSlot, Video | None]], grid: SlotGrid) -> set[date]:
    """Local days already holding their count of live videos (whatever their slot times)."""
    counts = Counter(_local_day(slot.slot_at, grid) for slot, video in rows if alive(video))
    return {day for day, n in counts.items() if n >= grid.per_day(day)}


async def _make_videos(
    session: AsyncSession,
    settings: Settings,
    dispatcher: video_service.Dispatcher,
    channel: Channel,
    now: datetime,
    allowance: Allowance,
    result: ChannelTick,
    open_slots: list[datetime],
    by_time: dict[datetime, tuple[AutopilotSlot, Video | None]],
) -> None:
    forecast = await video_cost(session, channel.id, settings.autopilot_default_video_cost_usd)
    day_start, month_start = period_starts(now)
    day = (await spend_since(session, [channel.id], day_start)).get(channel.id, Decimal(0))
    month = (await spend_since(session, [channel.id], month_start)).get(channel.id, Decimal(0))
    in_flight = sum(
        (
            max(Decimal(0), forecast.usd - spent)
            for _c, _v, spent in await repository.in_flight_spend(session, channel.id)
        ),
        Decimal(0),
    )
    daily_left = channel.daily_budget_usd - day - in_flight
    monthly_left = channel.monthly_budget_usd - month - in_flight
    result.details = {
        "forecast_usd": float(forecast.usd),
        "forecast": forecast.describe(),
        "day_spend_usd": float(day),
        "month_spend_usd": float(month),
        "in_flight_usd": float(in_flight),
    }
    for slot_at in open_slots:
        refusal = _refusal(forecast, daily_left, monthly_left, allowance, channel)
        if refusal is not None:
            result.skip(*refusal)
            break
        video = await _make_video(session, dispatcher, channel, slot_at, by_time.get(slot_at))
        result.made.append(Made(slot_at, video.id))
        result.buffered += 1
        daily_left -= forecast.usd
        monthly_left -= forecast.usd
        allowance.spend_usd -= forecast.usd
        allowance.uploads -= 1


def _refusal(
    forecast: Forecast,
    daily_left: Decimal,
    monthly_left: Decimal,
    allowance: Allowance,
    channel: Channel,
) -> tuple[str, str] | None:
    """Why one more video may not be made now (code, sentence), or None."""
    cost = forecast.usd
    if cost > daily_left:
        return (
            "budget_daily",
            f"one more video (forecast {forecast.describe()}) does not fit today's "
            f"${channel.daily_budget_usd:.2f} budget: ${max(daily_left, Decimal(0)):.4f} left "
            "after today's spend and the videos in production",
        )
    if cost > monthly_left:
        return (
            "budget_monthly",
            f"one more video (forecast {forecast.describe()}) does not fit this month's "
            f"${channel.monthly_budget_usd:.2f} budget: ${max(monthly_left, Decimal(0)):.4f} "
            "left after this month's spend and the videos in production",
        )
    if cost > allowance.spend_usd:
        return (
            "spend_cap",
            f"the appliance's daily spend cap ${allowance.spend_cap_usd:.2f} "
            f"(YTE_AUTOPILOT_DAILY_SPEND_CAP_USD) has ${max(allowance.spend_usd, Decimal(0)):.4f} "
            f"left after every channel's spend and videos in production; one more costs "
            f"${cost:.4f}",
        )
    if allowance.uploads < 1:
        return (
            "quota",
            f"YouTube's upload quota: {allowance.quota_left} units left today, not enough "
            f"for the uploads already waiting plus one more ({UPLOAD_UNITS} units each)",
        )
    return None


async def _make_video(
    session: AsyncSession,
    dispatcher: video_service.Dispatcher,
    channel: Channel,
    slot_at: datetime,
    existing: tuple[AutopilotSlot, Video | None] | None,
) -> Video:
    video = await video_service.create(
        session, channel, VideoCreate(topic=None), dispatcher=dispatcher
    )
    video.publish_at = slot_at
    if existing is None:
        session.add(
            AutopilotSlot(
                id=uuid.uuid4(),
                channel_id=channel.id,
                slot_at=slot_at,
                video_id=video.id,
                videos_made=1,
            )
        )
    else:
        slot, old = existing
        if old is not None:
            old.publish_at = None  # the slot is the new video's; a retried old one is the owner's
        await session.flush()
        if not await repository.claim_slot(session, slot, video.id):
            raise SlotTaken(f"slot {slot_at.isoformat()} was given a video by another tick")
    await session.flush()  # a slot taken by a concurrent tick fails here (unique key)
    return video


async def _record(session: AsyncSession, result: ChannelTick, now: datetime) -> None:
    await repository.save_tick(
        session,
        AutopilotTick(
            channel_id=result.channel_id,
            ticked_at=now,
            wanted=result.wanted,
            buffered=result.buffered,
            made=len(result.made),
            skip_code=result.skip_code,
            skip_reason=(result.skip_reason or "")[:500] or None,
            details=result.details,
        ),
    )


@contextmanager
def _tick_lock(connection: redis.Redis | None, ttl_s: int) -> Iterator[bool]:
    """A Redis lock across workers (SET NX with a token, released only by its holder);
    it expires by itself if the holder dies."""
    if connection is None:
        yield True
        return
    token = uuid.uuid4().hex.encode()
    if not connection.set(LOCK_KEY, token, nx=True, ex=max(ttl_s, 60)):
        yield False
        return
    try:
        yield True
    finally:
        with connection.pipeline() as pipe:
            try:
                pipe.watch(LOCK_KEY)
                if pipe.get(LOCK_KEY) == token:
                    pipe.multi()
                    pipe.delete(LOCK_KEY)
                    pipe.execute()
            except redis.WatchError:
                pass  # it expired and someone else holds it now: theirs to release


# --- the schedule -----------------------------------------------------------------------


async def upcoming_slots(
    session: AsyncSession, channel: Channel, now: datetime, settings: Settings | None = None
) -> list[Slot]:
    """The channel's publish slots of the next ``autopilot_buffer_days`` days (at least one
    day), with each slot's video and status, earliest first (for the dashboard and API)."""
    settings = settings or get_settings()
    end = now + timedelta(days=max(1, channel.autopilot_buffer_days))
    lead = now + timedelta(minutes=settings.autopilot_min_lead_minutes)
    hours = await learnt_hours(session, channel, settings, now)
    grid = grid_for(channel, settings, hours)
    around = await repository.slots_between(session, channel.id, _day_before(now, grid), end)
    rows = {slot.slot_at: video for slot, video in around if slot.slot_at > now}
    full = _full_days(around, grid)
    ahead = [t for t in grid.between(now, end) if t in rows or _local_day(t, grid) not in full]
    times = sorted(set(ahead) | set(rows))
    out = []
    for at in times:
        video = rows.get(at)
        if video is not None:
            out.append(Slot(at, video.id, video.status.value, video.title or video.topic))
        elif not channel.autopilot:
            out.append(Slot(at, None, "off"))
        else:
            out.append(Slot(at, None, "open" if at > lead else "too_soon"))
    return out


async def last_tick(session: AsyncSession, channel_id: uuid.UUID) -> AutopilotTick | None:
    return (await repository.last_ticks(session, [channel_id])).get(channel_id)


async def schedule(
    session: AsyncSession, channel: Channel, now: datetime, settings: Settings | None = None
) -> ScheduleOut:
    """The schedule as the API and the channel page show it."""
    tz = zone(channel.timezone)
    slots = await upcoming_slots(session, channel, now, settings)
    tick_row = await last_tick(session, channel.id)
    return ScheduleOut(
        channel_id=channel.id,
        autopilot=channel.autopilot,
        timezone=channel.timezone,
        cadence_per_day=channel.cadence_per_day,
        buffer_days=channel.autopilot_buffer_days,
        slots=[
            SlotOut(
                at=s.at,
                local_at=s.at.astimezone(tz),
                video_id=s.video_id,
                status=s.status,
                title=s.title,
            )
            for s in slots
        ],
        last_tick=TickOut.model_validate(tick_row, from_attributes=True) if tick_row else None,
    )
