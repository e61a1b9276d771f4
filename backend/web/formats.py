"""Number formats shared by the templates (as Jinja filters), the SVG charts and app.js.

The money rule (one rule everywhere; ``app.js`` ``money()`` mirrors it for live updates):

* zero is ``$0.00``;
* a cent or more: two decimals with thousands separators: ``$0.75``, ``$12.30``,
  ``$1,234.50``;
* under a cent (CPU work costs fractions of a cent): up to four decimals without trailing
  zeros, so a real cost never reads as ``$0.00``: ``$0.0021``, ``$0.005``;
* under a hundredth of a cent: ``<$0.0001``;
* a negative amount carries a minus in front: ``-$3.10``, ``-$0.0021``.
"""

from __future__ import annotations

from decimal import Decimal

Number = float | int | Decimal


def fmt_money(value: Number | None) -> str:
    if value is None:
        return "—"
    amount = float(value)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount == 0 or amount >= 0.01:
        return f"{sign}${amount:,.2f}"
    if amount < 0.0001:
        return f"{sign}<$0.0001"
    return f"{sign}${f'{amount:.4f}'.rstrip('0')}"


def fmt_number(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    if abs(value) >= 1000:
        return f"{value / 1000:.1f}k"
    if value == int(value):
        return f"{int(value)}"
    return f"{value:.2f}"
