"""Publish slots: a channel's cadence laid out over its local days, as UTC instants.

Day ``i`` (counted from a fixed epoch date, in the channel's timezone) gets
``floor((i + 1) * c) - floor(i * c)`` slots for a cadence of ``c`` videos a day, so a
cadence of 1.5 alternates 1 and 2, and 0.5 is a video every other day; over any run of
days the count is within one of ``c`` times the days. A day's ``m`` slots sit at the
middles of ``m`` equal parts of its publishing hours ``[start, end)``: one slot at the
middle of the window, two at its quarter points, and so on, rounded down to the minute.

Slots are wall-clock times: 18:30 stays 18:30 local across a DST change (its UTC instant
moves). A wall-clock time the zone skips (spring forward) or repeats (fall back) resolves
the way ``zoneinfo`` does with ``fold=0``; two slots landing on one instant are one slot.
The grid depends only on the cadence, zone and hours, so every tick computes the same
instants: they are the unique keys of ``autopilot_slots``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

EPOCH = date(2000, 1, 1)


class UnknownTimezone(ValueError):
    """Not an IANA timezone name this machine's zone database knows."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimezone(f"{name!r} is not an IANA timezone (e.g. Europe/Berlin)") from exc


@dataclass(frozen=True, slots=True)
class SlotGrid:
    cadence_per_day: float
    timezone: str
    day_start_hour: int = 8
    day_end_hour: int = 22

    def per_day(self, day: date) -> int:
        rate = Fraction(self.cadence_per_day).limit_denominator(1000)
        index = (day - EPOCH).days
        return math.floor((index + 1) * rate) - math.floor(index * rate)

    def on(self, day: date) -> list[datetime]:
        """The day's slots (local date ``day``) as UTC instants, earliest first."""
        count = self.per_day(day)
        if count <= 0:
            return []
        tz = zone(self.timezone)
        start = self.day_start_hour * 60
        length = (self.day_end_hour - self.day_start_hour) * 60
        out: list[datetime] = []
        for j in range(count):
            minute = start + math.floor((j + 0.5) * length / count)
            wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
            instant = wall.astimezone(UTC)
            if not out or instant > out[-1]:
                out.append(instant)
        return out

    def between(self, start: datetime, end: datetime) -> list[datetime]:
        """Slots in ``(start, end]`` (aware datetimes), earliest first."""
        tz = zone(self.timezone)
        first = start.astimezone(tz).date() - timedelta(days=1)
        last = end.astimezone(tz).date() + timedelta(days=1)
        found: list[datetime] = []
        day = first
        while day <= last:
            found.extend(t for t in self.on(day) if start < t <= end)
            day += timedelta(days=1)
        return sorted(set(found))
