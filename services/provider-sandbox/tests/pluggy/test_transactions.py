"""Accounts and transactions: cursor and page listings, filters, determinism, later changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from provider_sandbox.pluggy.testing import Pluggy
from provider_sandbox.pluggy.transactions.catalog import BASE_COUNTS, CATEGORIES

pytestmark = pytest.mark.asyncio


async def test_accounts_of_a_personal_connection(pluggy: Pluggy) -> None:
    item = await pluggy.connect()

    accounts = {a["subtype"]: a for a in await pluggy.accounts(item["id"])}

    assert set(accounts) == {"CHECKING_ACCOUNT", "SAVINGS_ACCOUNT", "CREDIT_CARD"}
    checking, card = accounts["CHECKING_ACCOUNT"], accounts["CREDIT_CARD"]
    assert (checking["type"], checking["currencyCode"]) == ("BANK", "BRL")
    assert checking["bankData"]["transferNumber"] == checking["number"]
    assert card["type"] == "CREDIT"
    assert card["number"].startswith("xxxx")
    assert card["creditData"]["creditLimit"] >= card["creditData"]["availableCreditLimit"]
    single = await pluggy.http.get(f"/accounts/{checking['id']}")
    assert single.json() == checking


async def test_v2_cursor_pages_return_every_transaction_once_in_date_order(
    pluggy: Pluggy,
) -> None:
    item = await pluggy.connect("user-ok-perf-3")
    account_id = await pluggy.checking_account_id(item["id"])

    results, pages = await pluggy.all_transactions(f"?accountId={account_id}")
    again, _ = await pluggy.all_transactions(f"?accountId={account_id}")

    expected = BASE_COUNTS["CHECKING"] * 3
    ids = [t["id"] for t in results]
    assert len(ids) == expected
    assert len(set(ids)) == expected
    assert pages == 2
    assert [t["id"] for t in again] == ids
    dates = [t["date"] for t in results]
    assert dates == sorted(dates)


async def test_v2_transactions_look_like_pluggys(pluggy: Pluggy) -> None:
    item = await pluggy.connect()
    account_id = await pluggy.checking_account_id(item["id"])

    results, _ = await pluggy.all_transactions(f"?accountId={account_id}")

    for transaction in results:
        assert transaction["accountId"] == account_id
        assert transaction["currencyCode"] == "BRL"
        assert transaction["type"] in ("DEBIT", "CREDIT")
        assert (transaction["amount"] < 0) == (transaction["type"] == "DEBIT")
        assert CATEGORIES[transaction["categoryId"]] == transaction["category"]
        assert transaction["status"] == "POSTED"
    methods = {t["paymentData"]["paymentMethod"] for t in results if t["paymentData"]}
    assert {"PIX", "BOLETO"} <= methods
    pix = next(
        t for t in results if t["paymentData"] and t["paymentData"]["paymentMethod"] == "PIX"
    )
    assert pix["paymentData"]["payer"]["documentNumber"]["type"] in ("CPF", "CNPJ")
    assert pix["paymentData"]["referenceNumber"].startswith("E")
    assert any(t["merchant"] and t["merchant"]["cnpj"] for t in results)
    last = results[-1]
    accounts = {a["id"]: a for a in await pluggy.accounts(item["id"])}
    assert last["balance"] == accounts[account_id]["balance"]


async def test_credit_card_purchases_are_debits_and_recent_ones_pending(pluggy: Pluggy) -> None:
    item = await pluggy.connect()
    card = next(a for a in await pluggy.accounts(item["id"]) if a["type"] == "CREDIT")

    results, _ = await pluggy.all_transactions(f"?accountId={card['id']}")

    purchases = [t for t in results if t["creditCardMetadata"]]
    assert purchases
    assert all(t["type"] == "DEBIT" for t in purchases)
    assert {t["status"] for t in results} == {"POSTED", "PENDING"}
    assert all(t["balance"] is None for t in results)


async def test_created_at_from_returns_only_what_arrived_since(pluggy: Pluggy) -> None:
    item = await pluggy.connect()
    account_id = await pluggy.checking_account_id(item["id"])
    far_future = f"{datetime.now(UTC) + timedelta(days=400):%Y-%m-%d}"
    clock = (await pluggy.http.get("/_sandbox/clock")).json()["now"]

    await pluggy.advance(minutes=5)
    added = await pluggy.http.post(f"/_sandbox/items/{item['id']}/transactions", json={"count": 7})
    assert added.status_code == 200

    later, _ = await pluggy.all_transactions(f"?accountId={account_id}&createdAtFrom={clock}")
    assert len(later) == 7
    none, _ = await pluggy.all_transactions(f"?accountId={account_id}&createdAtFrom={far_future}")
    assert none == []
    both = await pluggy.http.get(
        "/v2/transactions",
        params={"accountId": account_id, "createdAtFrom": clock, "dateFrom": "2020-01-01"},
    )
    assert both.status_code == 400


async def test_date_range_and_ids_filters(pluggy: Pluggy) -> None:
    item = await pluggy.connect()
    account_id = await pluggy.checking_account_id(item["id"])
    everything, _ = await pluggy.all_transactions(f"?accountId={account_id}")
    middle_day = everything[len(everything) // 2]["date"][:10]

    same_day, _ = await pluggy.all_transactions(
        f"?accountId={account_id}&dateFrom={middle_day}&dateTo={middle_day}"
    )
    picked = [everything[3]["id"], everything[10]["id"]]
    by_ids = await pluggy.http.get(
        "/v2/transactions", params={"accountId": account_id, "ids": ",".join(picked)}
    )

    assert same_day
    assert {t["date"][:10] for t in same_day} == {middle_day}
    assert [t["id"] for t in same_day] == [
        t["id"] for t in everything if t["date"][:10] == middle_day
    ]
    assert [t["id"] for t in by_ids.json()["results"]] == picked


async def test_v2_refuses_a_bad_cursor_and_a_missing_account(pluggy: Pluggy) -> None:
    item = await pluggy.connect()
    account_id = await pluggy.checking_account_id(item["id"])

    bad_cursor = await pluggy.http.get(
        "/v2/transactions", params={"accountId": account_id, "after": "bm90LWEtY3Vyc29y"}
    )
    no_account = await pluggy.http.get("/v2/transactions")

    assert bad_cursor.status_code == 400
    assert bad_cursor.json() == {"code": 400, "message": "Invalid cursor"}
    assert no_account.status_code == 400
    assert no_account.json()["message"].startswith("accountId should not be null")


async def test_v1_pages_add_up_to_the_same_transactions(pluggy: Pluggy) -> None:
    item = await pluggy.connect()
    account_id = await pluggy.checking_account_id(item["id"])
    everything, _ = await pluggy.all_transactions(f"?accountId={account_id}")

    pages = []
    for number in (1, 2, 3, 4, 5):
        response = await pluggy.http.get(
            "/transactions", params={"accountId": account_id, "pageSize": 60, "page": number}
        )
        pages.append(response.json())

    assert [p["total"] for p in pages] == [len(everything)] * 5
    assert [p["totalPages"] for p in pages] == [4] * 5
    assert [len(p["results"]) for p in pages] == [60, 60, 60, 20, 0]
    assert [t["id"] for p in pages for t in p["results"]] == [t["id"] for t in everything]
    too_big = await pluggy.http.get(
        "/transactions", params={"accountId": account_id, "pageSize": 501}
    )
    assert too_big.status_code == 400


async def test_one_transaction_by_id(pluggy: Pluggy) -> None:
    item = await pluggy.connect()
    account_id = await pluggy.checking_account_id(item["id"])
    first, _ = await pluggy.all_transactions(f"?accountId={account_id}")

    found = await pluggy.http.get(f"/transactions/{first[0]['id']}")
    missing = await pluggy.http.get("/transactions/00000000-0000-4000-8000-000000000000")

    assert found.json() == first[0]
    assert missing.status_code == 404
    assert missing.json()["codeDescription"] == "TRANSACTION_NOT_FOUND"


async def test_later_updates_and_deletions_send_their_events(pluggy: Pluggy) -> None:
    item = await pluggy.connect()
    account_id = await pluggy.checking_account_id(item["id"])
    before, _ = await pluggy.all_transactions(f"?accountId={account_id}")

    updated = await pluggy.http.post(
        f"/_sandbox/items/{item['id']}/transactions/update",
        json={"accountId": account_id, "count": 2},
    )
    deleted = await pluggy.http.post(
        f"/_sandbox/items/{item['id']}/transactions/delete",
        json={"accountId": account_id, "transactionIds": [before[0]["id"]]},
    )
    events = await pluggy.events()

    updated_ids = updated.json()["updated"][account_id]
    assert [e["event"] for e in events[-2:]] == ["transactions/updated", "transactions/deleted"]
    assert events[-2]["transactionIds"] == updated_ids
    assert events[-1]["transactionIds"] == [before[0]["id"]]
    assert events[-1]["accountId"] == account_id
    assert deleted.json()["deleted"] == {account_id: [before[0]["id"]]}
    refetched = await pluggy.http.get(
        "/v2/transactions", params={"accountId": account_id, "ids": ",".join(updated_ids)}
    )
    assert {t["description"].endswith("(atualizado)") for t in refetched.json()["results"]} == {
        True
    }
    after, _ = await pluggy.all_transactions(f"?accountId={account_id}")
    assert [t["id"] for t in after] == [t["id"] for t in before[1:]]
    assert (await pluggy.http.get(f"/transactions/{before[0]['id']}")).status_code == 404
    # Banking confirms a transactions/deleted event by asking for the ids: none comes back.
    asked = await pluggy.http.get(
        "/v2/transactions", params={"accountId": account_id, "ids": before[0]["id"]}
    )
    assert asked.json()["results"] == []


async def test_added_transactions_send_created_with_a_working_link(pluggy: Pluggy) -> None:
    item = await pluggy.connect()
    account_id = await pluggy.checking_account_id(item["id"])

    await pluggy.http.post(
        f"/_sandbox/items/{item['id']}/transactions", json={"count": 4, "accountId": account_id}
    )
    (event,) = [e for e in await pluggy.events() if e["event"] == "transactions/created"]
    linked = await pluggy.http.get(event["createdTransactionsLink"])

    assert event["itemId"] == item["id"]
    assert event["accountId"] == account_id
    assert len(linked.json()["results"]) == 4


async def test_a_poison_transaction_arrives_as_created_with_its_unstorable_text(
    pluggy: Pluggy,
) -> None:
    item = await pluggy.connect()
    account_id = await pluggy.checking_account_id(item["id"])

    planted = await pluggy.http.post(
        f"/_sandbox/items/{item['id']}/transactions/poison", json={"accountId": account_id}
    )
    transaction_id = planted.json()["planted"][account_id]
    (event,) = [e for e in await pluggy.events() if e["event"] == "transactions/created"]
    [poison] = (await pluggy.http.get(event["createdTransactionsLink"])).json()["results"]

    assert poison["id"] == transaction_id
    assert "\x00" in poison["description"]
    assert len(poison["description"]) == 5000
    assert "\x00" in poison["merchant"]["name"]
    assert len(poison["merchant"]["name"]) == 600
