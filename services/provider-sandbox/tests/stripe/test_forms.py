"""Stripe's bracket form encoding, read into nested dicts and lists."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from provider_sandbox.stripe.errors import StripeApiError
from provider_sandbox.stripe.forms import merge_metadata, optional_bool, parse_form


def test_nested_hashes_and_indexed_arrays() -> None:
    body = urlencode(
        {
            "mode": "subscription",
            "metadata[company_id]": "c-1",
            "line_items[0][price]": "price_a",
            "line_items[0][quantity]": "2",
            "line_items[1][price]": "price_b",
            "subscription_data[metadata][plan]": "pro",
        }
    )

    assert parse_form(body) == {
        "mode": "subscription",
        "metadata": {"company_id": "c-1"},
        "line_items": [{"price": "price_a", "quantity": "2"}, {"price": "price_b"}],
        "subscription_data": {"metadata": {"plan": "pro"}},
    }


def test_empty_brackets_append_in_order() -> None:
    body = "expand[]=customer&expand[]=latest_invoice.payment_intent&lookup_keys[]=starter_monthly"

    assert parse_form(body) == {
        "expand": ["customer", "latest_invoice.payment_intent"],
        "lookup_keys": ["starter_monthly"],
    }


def test_indices_sort_numerically_not_as_text() -> None:
    body = "&".join(f"items[{index}][price]=p{index}" for index in (10, 2, 0, 1))

    prices = [item["price"] for item in parse_form(body)["items"]]

    assert prices == ["p0", "p1", "p2", "p10"]


def test_metadata_keys_that_look_like_numbers_stay_keys() -> None:
    assert parse_form("metadata[0]=zero&metadata[1]=one") == {"metadata": {"0": "zero", "1": "one"}}


def test_percent_encoding_and_blank_values_survive() -> None:
    body = urlencode({"email": "ana+test@example.com", "description": ""})

    assert parse_form(body) == {"email": "ana+test@example.com", "description": ""}


def test_empty_metadata_value_deletes_the_key_and_empty_metadata_clears_all() -> None:
    current = {"keep": "1", "drop": "2"}

    assert merge_metadata(current, {"drop": "", "new": "3"}) == {"keep": "1", "new": "3"}
    assert merge_metadata(current, {}) == {}
    assert merge_metadata(current, None) == current


def test_booleans_are_true_or_false_only() -> None:
    assert optional_bool({"flag": "true"}, "flag") is True
    assert optional_bool({"flag": "false"}, "flag") is False
    with pytest.raises(StripeApiError) as raised:
        optional_bool({"flag": "yes"}, "flag")
    assert raised.value.error["param"] == "flag"
