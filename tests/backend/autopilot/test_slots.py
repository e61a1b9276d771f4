"""Publish slots: the cadence over the channel's local day, DST-safe, the same every tick."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.autopilot.slots import SlotGrid, UnknownTimezone


def _local(grid: SlotGrid, start: str, end: str) -> list[str]:
    tz = ZoneInfo(grid.timezone)
    times = grid.between(datetime.fromisoformat(start), datetime.fromisoformat(end))
    return [t.astimezone(tz).strftime("%m-%d %H:%M%z") for t in times]


def test_two_a_day_sit_at_the_quarter_points_of_the_publishing_hours() -> None:
    grid = SlotGrid(2, "UTC", 8, 22)
    assert _local(grid, "2026-12-02T00:00+00:00", "2026-12-03T00:00+00:00") == [
        "12-02 11:30+0000",
        "12-02 18:30+0000",
    ]
    assert [t.tzinfo for t in grid.on(date(2026, 12, 2))] == [UTC, UTC]


def test_new_york_slots_keep_their_wall_clock_time_across_the_end_of_dst() -> None:
    # DST ends in the US on 2026-11-01 at 02:00: local 11:30 is 15:30 UTC before, 16:30 after.
    grid = SlotGrid(2, "America/New_York", 8, 22)
    times = grid.between(
        datetime(2026, 10, 31, 0, 0, tzinfo=UTC), datetime(2026, 11, 3, 0, 0, tzinfo=UTC)
    )
    tz = ZoneInfo("America/New_York")
    assert {t.astimezone(tz).strftime("%H:%M") for t in times} == {"11:30", "18:30"}
    by_day = {t.astimezone(tz).date(): [] for t in times}  # type: ignore[var-annotated]
    for t in times:
        by_day[t.astimezone(tz).date()].append(t.strftime("%H:%M"))
    assert by_day[date(2026, 10, 31)] == ["15:30", "22:30"]
    assert by_day[date(2026, 11, 1)] == ["16:30", "23:30"]
    assert by_day[date(2026, 11, 2)] == ["16:30", "23:30"]


def test_berlin_spring_forward_day_is_not_skipped_or_doubled() -> None:
    # 2026-03-29 02:00 -> 03:00 in Europe/Berlin: the day is 23 h long, slots stay at 15:00.
    grid = SlotGrid(1, "Europe/Berlin", 8, 22)
    times = grid.between(
        datetime(2026, 3, 27, 16, 0, tzinfo=UTC), datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
    )
    assert [t.astimezone(ZoneInfo("Europe/Berlin")).strftime("%d %H:%M") for t in times] == [
        "28 15:00",
        "29 15:00",
        "30 15:00",
        "31 15:00",
    ]
    assert times[1] - times[0] == timedelta(hours=23)


def test_slots_inside_a_skipped_or_repeated_hour_are_distinct_instants() -> None:
    # Hours 0-4 in New York on the spring-forward day (02:00-03:00 does not exist).
    grid = SlotGrid(4, "America/New_York", 0, 4)
    times = grid.on(date(2026, 3, 8))
    assert times == sorted(set(times)) and len(times) >= 3
    fall = SlotGrid(4, "America/New_York", 0, 4).on(date(2026, 11, 1))
    assert fall == sorted(set(fall)) and len(fall) == 4


@pytest.mark.parametrize("cadence", [1.0, 0.5, 1.5, 3.0, 1 / 3, 0.1, 24.0])
def test_any_run_of_days_holds_the_cadence_times_its_length_within_one(cadence: float) -> None:
    grid = SlotGrid(cadence, "Asia/Kolkata", 8, 22)
    for first in range(0, 30, 7):
        days = [date(2026, 1, 1) + timedelta(days=first + i) for i in range(7)]
        assert abs(sum(grid.per_day(d) for d in days) - cadence * 7) < 1 + 1e-9
    total = sum(grid.per_day(date(2026, 1, 1) + timedelta(days=i)) for i in range(70))
    assert abs(total - cadence * 70) < 1 + 1e-9


def test_the_grid_is_the_same_whatever_the_window() -> None:
    grid = SlotGrid(3, "Australia/Sydney", 6, 23)
    wide = grid.between(
        datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 4, 10, tzinfo=UTC)
    )  # includes the end of DST in Sydney (2026-04-05)
    narrow = grid.between(wide[4] - timedelta(seconds=1), wide[9])
    assert narrow == wide[4:10]


def test_an_unknown_timezone_is_refused_with_the_reason() -> None:
    with pytest.raises(UnknownTimezone, match="not an IANA timezone"):
        SlotGrid(1, "Mars/Olympus_Mons").on(date(2026, 1, 1))
