"""The SVG charts the analytics pages draw: gaps where a value is unknown, bars around zero."""

from __future__ import annotations

import re

from backend.web.charts import Series, diverging_bars, fmt_money, line_chart

LABELS = ["d1", "d2", "d3", "d4", "d5", "d6", "d7"]


def polylines(svg: str, series: int) -> list[list[tuple[float, float]]]:
    found = re.findall(rf'<polyline class="line series-{series}[^"]*" points="([^"]*)"', svg)
    out = []
    for line in found:
        points = [point.split(",") for point in line.split()]
        out.append([(float(x), float(y)) for x, y in points])
    return out


def test_an_unknown_value_is_a_gap_not_a_zero() -> None:
    svg = line_chart(
        "Revenue",
        LABELS,
        [Series("Revenue", [1.0, 2.0, None, 2.0, 2.5, None, 3.0]), Series("Cost", [1.0] * 7)],
        fmt=fmt_money,
    )
    lines = polylines(svg, 0)
    assert [len(line) for line in lines] == [2, 2]  # d1-d2 and d4-d5; d7 stands alone
    assert all(y < 200 for line in lines for _, y in line)  # nothing drawn down at 0
    assert len(polylines(svg, 1)) == 1 and len(polylines(svg, 1)[0]) == 7
    # d7 has no known neighbour: a visible dot, with its value as a tooltip
    lone = re.findall(r'<circle class="dot series-0 lone"[^>]*><title>([^<]*)</title>', svg)
    assert lone == ["Revenue · d7: $3.00"]
    assert "2 points unknown (gaps in the lines)" in svg
    assert "Revenue: $3.00 at d7" in svg


def test_a_series_with_no_known_value_draws_no_line() -> None:
    svg = line_chart("RPM", LABELS, [Series("RPM", [None] * 7)], fmt=fmt_money)
    assert "<polyline" not in svg and "<circle" not in svg
    assert "RPM: no data" in svg and "7 points unknown" in svg


def test_known_values_draw_one_line_as_before() -> None:
    svg = line_chart("Views", LABELS, [Series("Views", [1, 2, 3, 4, 5, 6, 7])])
    assert len(polylines(svg, 0)) == 1 and "unknown" not in svg


def test_bars_around_zero_link_to_their_videos_and_escape_titles() -> None:
    svg = diverging_bars(
        "Profit",
        [("Winner", 5.0, "/videos/a"), ('<b>"Loser"</b>', -2.5, "/videos/b"), ("Flat", 0.0, None)],
    )
    bars = re.findall(
        r'<rect class="dbar (\w+)" x="([\d.]+)" y="[\d.]+" rx="3" height="16" '
        r'width="([\d.]+)"',
        svg,
    )
    (win_sign, win_x, win_w), (lose_sign, lose_x, lose_w), (_, flat_x, _) = bars
    assert (win_sign, lose_sign) == ("positive", "negative")
    zero = float(win_x)
    assert float(lose_x) + float(lose_w) == zero == float(flat_x)  # the loss ends at zero
    assert abs(float(win_w) / float(lose_w) - 2.0) < 0.01  # lengths in proportion
    assert svg.count("<a href=") == 2 and 'href="/videos/b"' in svg
    assert "<b>" not in svg and "&lt;b&gt;&#34;Loser&#34;&lt;/b&gt;" in svg
    assert '<text class="value danger"' in svg and "-$2.50" in svg
