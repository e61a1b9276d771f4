"""Publish slots: a channel's cadence laid out over its local days, as UTC instants.

Day ``i`` (counted from a fixed epoch date, in the channel's timezone) gets
``floor((i + 1) * c) - floor(i * c)`` slots for a cadence of ``c`` videos a day, so a
cadence of 1.5 alternates 1 and 2, and 0.5 is a video every other day; over any run of
days the count is within one of ``c`` times the days. A day's ``m`` slots sit at the
middles of ``m`` equal parts of its publishing hours ``[start, end)``: one slot at the
middle of the window, two at its quarter points, and so on, rounded down to the minute.

A channel whose best publish hours have been learnt (``revenue_optimizer``: from its own
videos' first-48-hour views) passes them as ``hours``, best first: a day's ``m`` slots are
then at the top of the best hours inside ``[start, end)`` that lie at least
``max(1, (end - start) // (2 m))`` hours apart (greedy, best first; so two a day keep 3 hours
between them in the default 8-22 window), earliest first; when the hours cannot hold ``m``
such slots, the day is spread as above.

Slots are wall-clock times: 18:30 stays 18:30 local across a DST change (its UTC instant
moves). A wall-clock time the zone skips (spring forward) or repeats (fall back) resolves
the way ``zoneinfo`` does with ``fold=0``; two slots landing on one instant are one slot.
The grid depends only on the cadence, zone, hours and learnt hours, so every tick computes
the same instants until the learnt hours change: they are the unique keys of
``autopilot_slots`` (the tick counts a channel's videos in the window whatever their slot
time, so a change of hours never makes more than the buffer).
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
    hours: tuple[int, ...] = ()  # learnt local publish hours, best first (empty: spread)

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
        learnt = self.best_hours(count)
        if learnt:
            minutes = [h * 60 for h in learnt]
        else:
            minutes = [start + math.floor((j + 0.5) * length / count) for j in range(count)]
        out: list[datetime] = []
        for minute in minutes:
            wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
            instant = wall.astimezone(UTC)
            if not out or instant > out[-1]:
                out.append(instant)
        return out

    def best_hours(self, count: int) -> tuple[int, ...]:
        """The ``count`` learnt hours a day of ``count`` slots uses, earliest first; empty
        when there are no learnt hours or they cannot hold ``count`` spaced slots."""
        if not self.hours or count <= 0:
            return ()
        gap = max(1, (self.day_end_hour - self.day_start_hour) // (2 * count))
        chosen: list[int] = []
        for hour in self.hours:
            if not self.day_start_hour <= hour < self.day_end_hour or hour in chosen:
                continue
            if all(abs(hour - c) >= gap for c in chosen):
                chosen.append(hour)
                if len(chosen) == count:
                    return tuple(sorted(chosen))
        return ()

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
