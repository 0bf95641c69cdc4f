"""Charts drawn on the server as inline SVG: no chart library, no script, readable by a screen
reader (each chart has a title and every bar its value); they scale with the page's width."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from console.formatting import brl, month, short_month

INCOME = "#1b7f3b"
SPENDING = "#b3261e"
CATEGORY = "#2f5fb3"
# Categories drawn one by one; the smaller rest share one bar, so the chart stays short.
CATEGORY_BARS = 8


@dataclass(frozen=True)
class MonthFlow:
    month: str  # 2026-12
    income_cents: int
    spending_cents: int


@dataclass(frozen=True)
class Slice:
    label: str
    cents: int


def cash_flow(months: Sequence[MonthFlow], title: str = "Fluxo de caixa por mês") -> Markup:
    """Income and spending of each month, side by side, with the month below."""
    width, height, top, bottom, left = 640, 260, 16, 40, 8
    plot = height - top - bottom
    largest = max([abs(m.income_cents) for m in months] + [abs(m.spending_cents) for m in months])
    slot = (width - left * 2) / max(len(months), 1)
    bar = max(min(slot / 3, 40), 2)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" data-chart="cash-flow">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot}" x2="{width - left}" y2="{top + plot}" '
        'stroke="#888" stroke-width="1"/>',
    ]
    for index, entry in enumerate(months):
        x = left + index * slot + (slot - 2 * bar) / 2
        for offset, cents, colour, name in (
            (0, entry.income_cents, INCOME, "Entradas"),
            (bar, entry.spending_cents, SPENDING, "Saídas"),
        ):
            size = plot * abs(cents) / largest if largest else 0
            label = f"{name} em {month(entry.month)}: {brl(abs(cents))}"
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{top + plot - size:.1f}" width="{bar:.1f}" '
                f'height="{size:.1f}" fill="{colour}"><title>{escape(label)}</title></rect>'
            )
        parts.append(
            f'<text x="{left + index * slot + slot / 2:.1f}" y="{height - bottom / 2 + 4}" '
            f'text-anchor="middle" font-size="13">{escape(short_month(entry.month))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def by_category(slices: Sequence[Slice], title: str = "Gastos por categoria") -> Markup:
    """One horizontal bar per category, largest first, each labelled with its amount; past
    CATEGORY_BARS, the rest together as "Outras"."""
    ordered = sorted(slices, key=lambda item: abs(item.cents), reverse=True)
    if len(ordered) > CATEGORY_BARS:
        rest = sum(abs(item.cents) for item in ordered[CATEGORY_BARS - 1 :])
        ordered = [*ordered[: CATEGORY_BARS - 1], Slice("Outras", rest)]
    row, width, label_width = 30, 640, 200
    height = max(len(ordered), 1) * row + 8
    largest = max((abs(item.cents) for item in ordered), default=0)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" data-chart="categories">',
        f"<title>{escape(title)}</title>",
    ]
    for index, item in enumerate(ordered):
        y = 4 + index * row
        size = (width - label_width - 120) * abs(item.cents) / largest if largest else 0
        amount = brl(abs(item.cents))
        parts.append(
            f'<text x="{label_width - 8}" y="{y + row / 2 + 4:.1f}" text-anchor="end" '
            f'font-size="13">{escape(item.label[:28])}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{size:.1f}" height="{row - 10}" '
            f'fill="{CATEGORY}"><title>{escape(f"{item.label}: {amount}")}</title></rect>'
            f'<text x="{label_width + size + 6:.1f}" y="{y + row / 2 + 4:.1f}" '
            f'font-size="13">{escape(amount)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
