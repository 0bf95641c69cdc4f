"""Money, days and months as a Brazilian reads them; the charts' bars and their labels."""

from __future__ import annotations

import re

from console.charts import MonthFlow, Slice, by_category, cash_flow
from console.formatting import brl, day, moment, month, number, short_month


def test_reais_use_a_comma_for_cents_and_dots_for_thousands() -> None:
    assert brl(123456) == "R$\xa01.234,56"
    assert brl(5) == "R$\xa00,05"
    assert brl(-100000000) == "-R$\xa01.000.000,00"
    assert brl(None) == "—"


def test_days_months_and_instants_are_brazilian() -> None:
    assert day("2026-12-07") == "07/12/2026"
    assert day("2026-12-07T01:30:00+00:00") == "07/12/2026"
    assert month("2026-02") == "fev. 2026"
    assert short_month("2026-02") == "fev/26"
    # 01:30 UTC is still the evening before in São Paulo (UTC-3).
    assert moment("2026-12-07T01:30:00+00:00") == "06/12/2026 22:30:00"
    assert number(1234) == "1.234"


def test_the_cash_flow_chart_has_two_bars_a_month_each_titled_with_its_amount() -> None:
    svg = str(cash_flow([MonthFlow("2026-11", 500000, -320050), MonthFlow("2026-12", 0, 125000)]))

    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]
    assert len(heights) == 4
    assert max(heights) == heights[0]  # the largest amount fills the plot
    assert heights[2] == 0
    assert "Saídas em nov. 2026: R$\xa03.200,50" in svg
    assert 'role="img"' in svg


def test_the_category_chart_puts_the_largest_first_and_escapes_names() -> None:
    svg = str(by_category([Slice("Lazer", 1000), Slice("<Mercado>", 5000)]))

    assert svg.index("&lt;Mercado&gt;") < svg.index("Lazer")
    assert "<Mercado>" not in svg


def test_past_eight_categories_the_smaller_ones_share_one_bar() -> None:
    svg = str(by_category([Slice(f"Categoria {n}", 100 * (n + 1)) for n in range(10)]))

    assert svg.count("<rect") == 8
    # The three smallest (R$ 1,00 + R$ 2,00 + R$ 3,00) as one.
    assert "Outras: R$\xa06,00" in svg
