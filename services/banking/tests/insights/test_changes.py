"""Month-over-month changes by category found on made-up histories where the answer is known."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from banking.insights.changes import find_category_changes
from banking.insights.findings import Point
from banking.insights.history import AccountBalance, CompanyHistory, Movement

# The last complete month is October 2026; July to September are the months before it.
TODAY = date(2026, 11, 20)
ACCOUNT = uuid.uuid4()
# Pluggy's category ids.
MARKETING = "17020000"
RENT = "12010000"
OWN_TRANSFER = "04010000"


def spent(day: date, cents: int, category: str | None, name: str | None) -> Movement:
    return Movement(
        transaction_id=uuid.uuid4(),
        account_id=ACCOUNT,
        day=day,
        amount_cents=-cents,
        description="PAGAMENTO",
        merchant=None,
        category_id=category,
        category_name=name,
    )


def history(*movements: Movement) -> CompanyHistory:
    return CompanyHistory(
        company_id=uuid.uuid4(),
        today=TODAY,
        accounts=(AccountBalance(ACCOUNT, "Conta Corrente", 1_000_000, TODAY),),
        movements=movements,
        scheduled=(),
    )


def monthly(
    amounts: dict[int, int], category: str | None, name: str | None, *, day: int = 10
) -> list[Movement]:
    """One payment per month of 2026 (month number: cents)."""
    return [
        spent(date(2026, month, day), cents, category, name) for month, cents in amounts.items()
    ]


def steady(cents: int, october: int, category: str | None, name: str | None) -> list[Movement]:
    """`cents` every month from January to September 2026, then `october` in October."""
    return monthly({**dict.fromkeys(range(1, 10), cents), 10: october}, category, name)


def test_a_category_that_doubled_is_reported_with_its_monthly_chart() -> None:
    marketing = steady(100_000, 200_000, MARKETING, "Marketing")
    extra = spent(date(2026, 10, 25), 5_000, MARKETING, "Marketing")
    november = spent(date(2026, 11, 3), 900_000, MARKETING, "Marketing")
    start = spent(date(2026, 1, 1), 100, None, None)

    findings = find_category_changes(history(*marketing, extra, november, start))

    assert len(findings) == 1
    change = findings[0]
    assert change.kind == "category_change"
    assert change.tier == "standard"
    assert change.severity == "warning"
    assert change.title == "Gastos com Marketing subiram 105%"
    assert change.message == (
        "Em out/2026 a empresa gastou R$ 2.050,00 com Marketing, R$ 1.050,00 a mais que "
        "na média dos 3 meses anteriores (R$ 1.000,00)."
    )
    assert change.evidence == {
        "category": "Marketing",
        "category_id": MARKETING,
        "month": "2026-10",
        "month_total_cents": 205_000,
        "compared_with": "previous_months_average",
        "baseline_months": ["2026-07", "2026-08", "2026-09"],
        "baseline_average_cents": 100_000,
        "change_cents": 105_000,
        "change_percent": 105.0,
        "transactions_count": 2,
    }
    assert change.transaction_ids == (marketing[-1].transaction_id, extra.transaction_id)
    assert change.key == f"category_change:{MARKETING}:2026-10"
    assert change.series == {
        "monthly_total": (
            *(Point(date(2026, month, 1), 100_000) for month in range(1, 10)),
            Point(date(2026, 10, 1), 205_000),
        )
    }


def test_small_changes_are_not_reported() -> None:
    findings = find_category_changes(
        history(
            # +2%: R$ 100 on R$ 5.000.
            *steady(500_000, 510_000, RENT, "Aluguel"),
            # +50%, but only R$ 150.
            *steady(30_000, 45_000, "11020000", "Café"),
            # +R$ 300, but 3% of R$ 10.000.
            *steady(1_000_000, 1_030_000, "01010000", "Folha"),
            # Money moved to the company's own savings is no spending.
            spent(date(2026, 10, 15), 5_000_000, OWN_TRANSFER, "Mesma titularidade"),
        )
    )

    assert findings == []


def test_only_the_three_biggest_changes_in_reais_are_reported_a_fall_included() -> None:
    categories = {name: f"0{n + 5}000000" for n, name in enumerate("ABCDE")}
    findings = find_category_changes(
        history(
            *steady(100_000, 300_000, categories["A"], "A"),  # +R$ 2.000
            *steady(100_000, 150_000, categories["B"], "B"),  # +R$ 500
            *steady(500_000, 100_000, categories["C"], "C"),  # -R$ 4.000
            *steady(100_000, 400_000, categories["D"], "D"),  # +R$ 3.000
            *steady(100_000, 170_000, categories["E"], "E"),  # +R$ 700
        )
    )

    assert [f.evidence["category"] for f in findings] == ["C", "D", "A"]
    fall = findings[0]
    assert fall.severity == "info"
    assert fall.title == "Gastos com C caíram 80%"
    assert "R$ 4.000,00 a menos que na média dos 3 meses anteriores (R$ 5.000,00)" in fall.message


def test_a_new_kind_of_spending_is_reported_as_new() -> None:
    findings = find_category_changes(
        history(
            *steady(100_000, 100_000, RENT, "Aluguel"),
            spent(date(2026, 10, 2), 80_000, None, "Viagens"),
            spent(date(2026, 10, 9), 40_000, None, "Viagens"),
        )
    )

    (new,) = findings
    assert new.title == "Novos gastos com Viagens"
    assert new.evidence["change_percent"] is None
    assert new.evidence["category_id"] is None
    assert new.key == "category_change:Viagens:2026-10"


def test_uncategorised_spending_is_named_so() -> None:
    (change,) = find_category_changes(history(*steady(100_000, 300_000, None, None)))

    assert change.title == "Gastos sem categoria subiram 200%"
    assert change.message.startswith("Em out/2026 a empresa gastou R$ 3.000,00 sem categoria, ")
    assert change.evidence["category"] == "Sem categoria"
    assert change.key == "category_change:none:2026-10"


def test_with_one_whole_month_before_the_comparison_is_with_the_previous_month() -> None:
    findings = find_category_changes(
        history(
            spent(date(2026, 9, 1), 100_000, MARKETING, "Marketing"),
            spent(date(2026, 10, 1), 250_000, MARKETING, "Marketing"),
        )
    )

    (change,) = findings
    assert change.evidence["compared_with"] == "previous_month"
    assert change.evidence["baseline_months"] == ["2026-09"]
    assert "que no mês anterior (R$ 1.000,00)" in change.message
    assert change.series["monthly_total"] == (
        Point(date(2026, 9, 1), 100_000),
        Point(date(2026, 10, 1), 250_000),
    )


def test_without_a_whole_month_before_the_last_nothing_is_compared() -> None:
    # September is covered from its 15th day only: its total would be half a month.
    assert (
        find_category_changes(
            history(
                spent(date(2026, 9, 15), 100_000, MARKETING, "Marketing"),
                spent(date(2026, 10, 1), 250_000, MARKETING, "Marketing"),
            )
        )
        == []
    )
    assert find_category_changes(history()) == []


def test_the_chart_covers_the_last_twelve_months() -> None:
    marketing = [
        spent(date(2024, 1, 1) + timedelta(days=30 * n), 100_000, MARKETING, "Marketing")
        for n in range(34)
    ]

    (change,) = find_category_changes(
        history(*marketing, spent(date(2026, 10, 20), 300_000, MARKETING, "Marketing"))
    )

    points = change.series["monthly_total"]
    assert [p.day for p in points] == [
        *(date(2025, month, 1) for month in (11, 12)),
        *(date(2026, month, 1) for month in range(1, 11)),
    ]
    assert points[-1].value_cents == 300_000
    assert all(p.value_cents > 0 for p in points)
