"""Server-rendered SVG charts: line (with an optional forecast band, and gaps where a value
is unknown), columns, horizontal bars, bars around zero (profit), a gauge.

Colours come from CSS classes (``series-0`` ...), so the charts follow the light and dark
themes; every chart has a title and a description for screen readers, and points carry
native tooltips.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from backend.web.formats import fmt_money, fmt_number

Format = Callable[[float], str]
__all__ = [
    "Band",
    "Series",
    "bar_list",
    "column_chart",
    "diverging_bars",
    "fmt_money",
    "fmt_number",
    "gauge",
    "line_chart",
]

WIDTH, HEIGHT = 640, 240
PAD_L, PAD_R, PAD_T, PAD_B = 56, 16, 16, 28
LABEL_CHARS = 20  # a bar label longer than this is cut with "…" (the full name is its title)


@dataclass(frozen=True)
class Series:
    name: str
    # None: no value at that x (an unknown revenue); the line breaks there, never drops to 0
    values: Sequence[float | None]
    dashed: bool = False
    start: int = 0  # x index of the first value (a forecast starts where history ends)


@dataclass(frozen=True)
class Band:
    """A shaded range (a forecast's uncertainty) over the last points of the x axis."""

    start: int  # x index of the band's first point
    lower: Sequence[float]
    upper: Sequence[float]


@dataclass
class _Scale:
    lo: float
    hi: float
    ticks: list[float] = field(default_factory=list)

    def y(self, value: float) -> float:
        span = self.hi - self.lo or 1.0
        return PAD_T + (HEIGHT - PAD_T - PAD_B) * (1 - (value - self.lo) / span)


def _nice_scale(values: Sequence[float], count: int = 4) -> _Scale:
    lo = min([0.0, *values])
    hi = max([0.0, *values])
    if hi == lo:
        hi = lo + 1
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    lo = math.floor(lo / step) * step
    hi = math.ceil(hi / step) * step
    ticks = [lo + i * step for i in range(round((hi - lo) / step) + 1)]
    return _Scale(lo, hi, ticks)


def _x(index: int, count: int) -> float:
    inner = WIDTH - PAD_L - PAD_R
    return PAD_L + (inner * index / (count - 1) if count > 1 else inner / 2)


def _frame(title: str, desc: str, body: list[str], css: str) -> Markup:
    return Markup(  # noqa: S704 - every text in the SVG went through escape()
        f'<svg class="chart {css}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>{''.join(body)}</svg>"
    )


def _y_axis(scale: _Scale, fmt: Format) -> list[str]:
    parts = []
    for tick in scale.ticks:
        y = scale.y(tick)
        parts.append(
            f'<line class="grid{" zero" if tick == 0 else ""}" x1="{PAD_L}" x2="{WIDTH - PAD_R}" '
            f'y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(fmt(tick))}</text>"
        )
    return parts


def _x_labels(labels: Sequence[str], positions: Sequence[float]) -> list[str]:
    if not labels:
        return []
    picks = sorted({0, len(labels) // 2, len(labels) - 1})
    anchors = {0: "start", len(labels) - 1: "end"}
    return [
        f'<text class="tick" x="{positions[i]:.1f}" y="{HEIGHT - 8}" '
        f'text-anchor="{anchors.get(i, "middle") if len(labels) > 1 else "middle"}">'
        f"{escape(labels[i])}</text>"
        for i in picks
    ]


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    fmt: Format = fmt_number,
    band: Band | None = None,
) -> Markup:
    """Lines over shared x labels; ``band`` shades a forecast range behind them."""
    count = len(labels)
    values = [v for s in series for v in s.values if v is not None]
    if band is not None:
        values += [*band.lower, *band.upper]
    scale = _nice_scale(values or [0.0])
    body = _y_axis(scale, fmt)
    if band is not None and band.lower:
        top = [
            f"{_x(band.start + i, count):.1f},{scale.y(v):.1f}" for i, v in enumerate(band.upper)
        ]
        bottom = [
            f"{_x(band.start + i, count):.1f},{scale.y(v):.1f}" for i, v in enumerate(band.lower)
        ]
        body.append(f'<polygon class="band" points="{" ".join(top + bottom[::-1])}"/>')
    show_points = count * len(series) <= 120
    for index, s in enumerate(series):
        offset = s.start
        dash = " dashed" if s.dashed else ""
        known = [(i, v) for i, v in enumerate(s.values) if v is not None]
        for run in _runs(known):
            if len(run) < 2:  # a known day between two gaps: a visible dot below
                continue
            path = " ".join(f"{_x(offset + i, count):.1f},{scale.y(v):.1f}" for i, v in run)
            body.append(f'<polyline class="line series-{index}{dash}" points="{path}"/>')
        if known:
            body.extend(
                f'<circle class="dot series-{index}{_lone(known, k)}" '
                f'cx="{_x(offset + i, count):.1f}" cy="{scale.y(v):.1f}" r="3">'
                f"<title>{escape(s.name)} · {escape(labels[offset + i])}: "
                f"{escape(fmt(v))}</title></circle>"
                for k, (i, v) in enumerate(known)
                if show_points or _lone(known, k)
            )
    body += _x_labels(labels, [_x(i, count) for i in range(count)])
    desc = "; ".join(_last_known(s, labels, fmt) for s in series)
    gaps = sum(v is None for s in series for v in s.values)
    if gaps:
        desc += f"; {gaps} points unknown (gaps in the lines)"
    return _frame(title, desc, body, "line-chart")


def _runs(known: Sequence[tuple[int, float]]) -> list[list[tuple[int, float]]]:
    """Consecutive x indexes: each run is one polyline (a None between runs is a gap)."""
    runs: list[list[tuple[int, float]]] = []
    for i, v in known:
        if runs and runs[-1][-1][0] == i - 1:
            runs[-1].append((i, v))
        else:
            runs.append([(i, v)])
    return runs


def _lone(known: Sequence[tuple[int, float]], k: int) -> str:
    """The class " lone" for a known point with no known neighbour (a visible dot)."""
    i = known[k][0]
    before = k > 0 and known[k - 1][0] == i - 1
    after = k + 1 < len(known) and known[k + 1][0] == i + 1
    return "" if before or after else " lone"


def _last_known(s: Series, labels: Sequence[str], fmt: Format) -> str:
    for i in range(len(s.values) - 1, -1, -1):
        value = s.values[i]
        if value is not None:
            return f"{s.name}: {fmt(value)} at {labels[s.start + i]}"
    return f"{s.name}: no data"


def column_chart(
    title: str, labels: Sequence[str], values: Sequence[float], *, fmt: Format = fmt_number
) -> Markup:
    """Vertical bars, one per label (e.g. views per day)."""
    count = len(labels)
    scale = _nice_scale(list(values) or [0.0])
    body = _y_axis(scale, fmt)
    inner = WIDTH - PAD_L - PAD_R
    slot = inner / max(count, 1)
    bar = max(slot * 0.7, 1.0)
    centers = []
    for i, value in enumerate(values):
        cx = PAD_L + slot * (i + 0.5)
        centers.append(cx)
        y0, y1 = scale.y(0), scale.y(value)
        top, height = min(y0, y1), abs(y0 - y1)
        body.append(
            f'<rect class="bar{" negative" if value < 0 else ""}" x="{cx - bar / 2:.1f}" '
            f'y="{top:.1f}" width="{bar:.1f}" height="{max(height, 0.5):.1f}" rx="2">'
            f"<title>{escape(labels[i])}: {escape(fmt(value))}</title></rect>"
        )
    body += _x_labels(labels, centers)
    total = fmt(sum(values)) if values else "no data"
    return _frame(title, f"{count} bars, total {total}", body, "column-chart")


def bar_list(
    title: str,
    rows: Sequence[tuple[str, float]],
    *,
    fmt: Format = fmt_number,
    maximum: float | None = None,
) -> Markup:
    """Horizontal labelled bars (cost by stage, score components, budgets)."""
    row_h = 30
    height = max(row_h * len(rows) + 8, 40)
    label_w = 150
    value_w = 80
    top = max([maximum or 0.0, *(v for _, v in rows)]) or 1.0
    body = []
    for i, (label, value) in enumerate(rows):
        y = 4 + i * row_h
        length = max((WIDTH - label_w - value_w) * max(value, 0) / top, 1.0)
        short = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
        body.append(
            f'<text class="label" x="0" y="{y + 19}"><title>{escape(label)}</title>'
            f"{escape(short)}</text>"
            f'<rect class="track" x="{label_w}" y="{y + 6}" rx="4" height="16" '
            f'width="{WIDTH - label_w - value_w}"/>'
            f'<rect class="hbar series-{i % 6}" x="{label_w}" y="{y + 6}" rx="4" height="16" '
            f'width="{length:.1f}"><title>{escape(label)}: {escape(fmt(value))}</title></rect>'
            f'<text class="value" x="{WIDTH}" y="{y + 19}" text-anchor="end">'
            f"{escape(fmt(value))}</text>"
        )
    desc = "; ".join(f"{label}: {fmt(value)}" for label, value in rows)
    return Markup(  # noqa: S704 - every text in the SVG went through escape()
        f'<svg class="chart bar-list" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>{''.join(body)}</svg>"
    )


def diverging_bars(
    title: str,
    rows: Sequence[tuple[str, float, str | None]],
    *,
    fmt: Format = fmt_money,
) -> Markup:
    """Horizontal bars out of a zero line: positive to the right, negative to the left in
    the warning colour (profit per video). Each row is (label, value, link or None); a
    link makes the label a link (to the video)."""
    row_h = 30
    height = max(row_h * len(rows) + 8, 40)
    label_w, value_w = 190, 84
    inner = WIDTH - label_w - value_w
    lo = min([0.0, *(v for _, v, _ in rows)])
    hi = max([0.0, *(v for _, v, _ in rows)])
    span = (hi - lo) or 1.0
    zero = label_w + inner * (-lo / span)
    body = [f'<line class="grid zero" x1="{zero:.1f}" x2="{zero:.1f}" y1="0" y2="{height}"/>']
    for i, (label, value, href) in enumerate(rows):
        y = 4 + i * row_h
        length = max(inner * abs(value) / span, 1.0)
        x = zero if value >= 0 else zero - length
        short = label if len(label) <= LABEL_CHARS + 6 else label[: LABEL_CHARS + 5] + "…"
        text = (
            f'<text class="label" x="0" y="{y + 19}"><title>{escape(label)}</title>'
            f"{escape(short)}</text>"
        )
        if href:
            text = f'<a href="{escape(href)}" tabindex="-1">{text}</a>'  # the tables link too
        sign = "negative" if value < 0 else "positive"
        body.append(
            f"{text}"
            f'<rect class="dbar {sign}" x="{x:.1f}" y="{y + 6}" rx="3" height="16" '
            f'width="{length:.1f}"><title>{escape(label)}: {escape(fmt(value))}</title></rect>'
            f'<text class="value{" danger" if value < 0 else ""}" x="{WIDTH}" y="{y + 19}" '
            f'text-anchor="end">{escape(fmt(value))}</text>'
        )
    desc = "; ".join(f"{label}: {fmt(value)}" for label, value, _ in rows)
    return Markup(  # noqa: S704 - every text in the SVG went through escape()
        f'<svg class="chart diverging" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>{''.join(body)}</svg>"
    )


GAUGE_W, GAUGE_H = 1000, 20  # stretched to the card's width; its height is CSS
GAUGE_WARN = 0.8  # from this share of the limit the bar turns amber


def gauge(
    title: str, used: float, limit: float, *, unit: str = "", exhausted: bool = False
) -> Markup:
    """One horizontal bar filled to ``used`` of ``limit`` (the YouTube quota of today):
    green, amber from 80 %, red when full or ``exhausted``; a tick at each quarter.

    Only shapes, stretched to any width (``preserveAspectRatio="none"``), so it reads the
    same on a phone; the numbers are the page's text around it."""
    share = min(max(used / limit, 0.0), 1.0) if limit > 0 else 1.0
    level = "danger" if exhausted or share >= 1 else "warn" if share >= GAUGE_WARN else "ok"
    suffix = f" {unit}" if unit else ""
    text = f"{used:,.0f} of {limit:,.0f}{suffix} used ({share * 100:.0f} %)"
    if exhausted:
        text += "; YouTube reported the quota spent"
    ticks = "".join(
        f'<line class="gauge-tick" x1="{GAUGE_W * q:.0f}" x2="{GAUGE_W * q:.0f}" y1="0" '
        f'y2="{GAUGE_H}" vector-effect="non-scaling-stroke"/>'
        for q in (0.25, 0.5, 0.75)
    )
    return Markup(  # noqa: S704 - every text in the SVG went through escape()
        f'<svg class="chart gauge" viewBox="0 0 {GAUGE_W} {GAUGE_H}" preserveAspectRatio="none" '
        f'role="img" xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}: '
        f'{escape(text)}" data-level="{level}"><title>{escape(title)}</title>'
        f"<desc>{escape(text)}</desc>"
        f'<rect class="track" x="0" y="0" width="{GAUGE_W}" height="{GAUGE_H}"/>'
        f'<rect class="gauge-fill gauge-{level}" x="0" y="0" width="{GAUGE_W * share:.1f}" '
        f'height="{GAUGE_H}"><title>{escape(text)}</title></rect>{ticks}</svg>'
    )
