"""Amounts written in reais as a Brazilian reads them."""

from __future__ import annotations

import pytest

from banking.money import brl


@pytest.mark.parametrize(
    ("cents", "written"),
    [
        (0, "R$ 0,00"),
        (5, "R$ 0,05"),
        (3190, "R$ 31,90"),
        (123456, "R$ 1.234,56"),
        (123456789, "R$ 1.234.567,89"),
        (-3190, "-R$ 31,90"),
        (-100000, "-R$ 1.000,00"),
    ],
)
def test_reais_use_a_dot_for_thousands_and_a_comma_for_cents(cents: int, written: str) -> None:
    assert brl(cents) == written
