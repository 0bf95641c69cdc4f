"""Categories that learn: a correction proposes similar past transactions and, with the user's
consent, recategorises exactly those; the company's model, trained in the worker on its
corrections, categorises new synced transactions when the company allows it. Rules win, a
category a person chose is never changed, and one company's corrections never reach another."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select

from banking.audit.models import AuditEntry
from banking.config import BankingSettings
from banking.learning import repository
from banking.learning import service as learning
from banking.learning.classifier import Model
from banking.runtime import Runtime
from banking.transactions.models import Transaction
from banking.transactions.schemas import TransactionRead
from finhub_shared.db import Database
from finhub_shared.events import utcnow

from ..conftest import connect_bank, deliver_pluggy_event, run_queued_syncs, token_for
from ..pluggy_sandbox import SandboxPluggy

pytestmark = pytest.mark.asyncio

TRANSACTIONS = "/api/banking/transactions"
LEARNING = "/api/banking/categories/learning"
SUPPLIES, RIDES, MEALS = "08000000", "19010000", "11010000"
# When Pluggy first saw the history; each later sync's transactions are seen hours after the
# ones before, so the incremental sync (from the newest seen) takes them.
FIRST_SEEN = datetime(2026, 12, 1, 12, tzinfo=UTC)
_later = count(1)


@pytest_asyncio.fixture
async def company(
    worker_runtime: Runtime, client: httpx.AsyncClient, fake_pluggy: SandboxPluggy
) -> uuid.UUID:
    """A company with a synced history: four PIX to a supplier, three rides, two bakeries."""
    return await company_with_history(worker_runtime, client, fake_pluggy)


async def company_with_history(
    runtime: Runtime, client: httpx.AsyncClient, fake_pluggy: SandboxPluggy
) -> uuid.UUID:
    company_id = uuid.uuid4()
    await connect_bank(client, fake_pluggy, company_id)
    account = list(fake_pluggy.accounts)[-1]
    history = (
        (4, "PIX ENVIADO Fornecedor", None, ("Transfers", "05000000")),
        (3, "UBER *TRIP", "Uber", ("Taxi", "19000000")),
        (2, "Padaria Pão Quente", "Padaria Pão Quente", ("Food", "11000000")),
    )
    for count_of, description, merchant, category in history:
        fake_pluggy.add_transactions(
            account,
            count_of,
            description=description,
            merchant=merchant,
            category=category,
            created_at=FIRST_SEEN,
        )
    await run_queued_syncs(runtime)
    return company_id


async def sync_new(
    runtime: Runtime, fake_pluggy: SandboxPluggy, company_id: uuid.UUID, **transaction: Any
) -> list[dict[str, Any]]:
    """One new transaction of the company's account at Pluggy, synced; its listing entries."""
    item = next(
        i for i, body in fake_pluggy.items.items() if body["clientUserId"] == str(company_id)
    )
    account = next(a for a, body in fake_pluggy.accounts.items() if body["itemId"] == item)
    description = transaction.pop("description")
    fake_pluggy.add_transactions(
        account,
        1,
        description=description,
        created_at=FIRST_SEEN + timedelta(hours=next(_later)),
        **transaction,
    )
    await deliver_pluggy_event(runtime, "item/updated", {"itemId": item})
    await run_queued_syncs(runtime)
    return [t for t in await transactions(runtime, company_id) if t["description"] == description]


async def transactions(runtime: Runtime, company_id: uuid.UUID) -> list[dict[str, Any]]:
    async with runtime.database.sessions() as session:
        rows = await session.scalars(
            select(Transaction)
            .where(Transaction.company_id == company_id)
            .order_by(Transaction.date)
        )
        return [TransactionRead.model_validate(row).model_dump(mode="json") for row in rows]


def named(rows: list[dict[str, Any]], start: str) -> list[dict[str, Any]]:
    return [row for row in rows if row["description"].startswith(start)]


async def correct(
    client: httpx.AsyncClient, company_id: uuid.UUID, transaction_id: str, category_id: str
) -> dict[str, Any]:
    response = await client.patch(
        f"{TRANSACTIONS}/{transaction_id}",
        json={"category_id": category_id},
        headers=token_for(company_id),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def train_after_pause(runtime: Runtime, settings: BankingSettings | None = None) -> int:
    """The worker's training once the corrections paused: how many models it trained."""
    later = utcnow() + timedelta(minutes=1)
    return await learning.train_due(runtime.database, later, settings or runtime.settings)


async def teach(runtime: Runtime, client: httpx.AsyncClient, company_id: uuid.UUID) -> None:
    """Correct one supplier PIX, one ride and one bakery, then let the worker train."""
    rows = await transactions(runtime, company_id)
    await correct(client, company_id, named(rows, "PIX")[0]["id"], SUPPLIES)
    await correct(client, company_id, named(rows, "UBER")[0]["id"], RIDES)
    await correct(client, company_id, named(rows, "Padaria")[0]["id"], MEALS)
    assert await train_after_pause(runtime) == 1


async def allow(client: httpx.AsyncClient, company_id: uuid.UUID, allowed: bool = True) -> None:
    response = await client.put(
        LEARNING, json={"auto_apply": allowed}, headers=token_for(company_id)
    )
    assert response.status_code == 200, response.text
    assert response.json()["auto_apply"] is allowed


async def test_a_correction_proposes_the_same_payees_past_transactions_and_applies_those_chosen(
    worker_runtime: Runtime, client: httpx.AsyncClient, company: uuid.UUID, database: Database
) -> None:
    before = await transactions(worker_runtime, company)
    first, *others = named(before, "PIX")

    answer = await correct(client, company, first["id"], SUPPLIES)

    proposed = answer["suggestions"]
    assert sorted(s["transaction_id"] for s in proposed) == sorted(t["id"] for t in others)
    assert {(s["reason"], s["confidence"], s["category_id"]) for s in proposed} == {
        ("same_payee", 1.0, "05000000")
    }
    similar = await client.get(f"{TRANSACTIONS}/{first['id']}/similar", headers=token_for(company))
    assert similar.json() == {"category_id": SUPPLIES, "suggestions": proposed}
    chosen = [others[0]["id"], others[1]["id"]]

    applied = await client.post(
        f"{TRANSACTIONS}/{first['id']}/similar/apply",
        json={"transaction_ids": chosen},
        headers=token_for(company),
    )

    assert applied.status_code == 200, applied.text
    assert applied.json() == {"category_id": SUPPLIES, "updated": sorted(chosen), "skipped": []}
    after = {t["id"]: t for t in await transactions(worker_runtime, company)}
    changed = {i for i, t in after.items() if t != next(b for b in before if b["id"] == i)}
    assert changed == {first["id"], *chosen}
    assert {(after[i]["category_id"], after[i]["category_source"]) for i in chosen} == {
        (SUPPLIES, "user")
    }
    async with database.sessions() as session:
        entry = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.company_id == company,
                AuditEntry.action == "transaction.suggestions_applied",
            )
        )
    assert entry is not None
    assert entry.actor.startswith("user:")
    assert entry.after == {"category_id": SUPPLIES, "transaction_ids": sorted(chosen)}
    assert entry.before is not None
    assert {t["category_id"] for t in entry.before["transactions"]} == {"05000000"}
    left = await client.get(f"{TRANSACTIONS}/{first['id']}/similar", headers=token_for(company))
    assert [s["transaction_id"] for s in left.json()["suggestions"]] == [others[2]["id"]]


async def test_the_model_categorises_a_similar_new_transaction_only_with_the_companys_consent(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    company: uuid.UUID,
) -> None:
    await teach(worker_runtime, client, company)
    state = (await client.get(LEARNING, headers=token_for(company))).json()
    assert state["auto_apply"] is False
    assert state["model"] == {
        "version": 1,
        "corrections": 3,
        "categories": 3,
        "trained_at": state["model"]["trained_at"],
        "guessing": True,
    }

    (off,) = await sync_new(
        worker_runtime, fake_pluggy, company, description="PIX ENVIADO Fornecedor"
    )
    await allow(client, company)
    (on,) = await sync_new(
        worker_runtime,
        fake_pluggy,
        company,
        description="UBER *TRIP",
        merchant="Uber",
        category=("Taxi", "19000000"),
    )

    assert (off["category_id"], off["category_source"], off["category_confidence"]) == (
        "05000000",
        "pluggy",
        None,
    )
    assert (on["category_id"], on["category_source"]) == (RIDES, "learned")
    assert 0.6 <= on["category_confidence"] <= 1
    shown = await client.get(f"{TRANSACTIONS}/{on['id']}", headers=token_for(company))
    assert shown.json()["category_confidence"] == on["category_confidence"]


async def test_an_unsure_model_leaves_pluggys_category(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    company: uuid.UUID,
) -> None:
    await teach(worker_runtime, client, company)
    await allow(client, company)

    (unlike,) = await sync_new(
        worker_runtime,
        fake_pluggy,
        company,
        description="Posto Shell",
        merchant="Shell",
        category=("Gas", "19050001"),
        transaction_type="DEBIT",
    )

    assert (unlike["category_id"], unlike["category_source"]) == ("19050001", "pluggy")


async def test_rules_win_over_the_model(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    company: uuid.UUID,
) -> None:
    await teach(worker_runtime, client, company)
    await allow(client, company)
    rule = await client.post(
        "/api/banking/rules/",
        json={"field": "merchant", "value": "uber", "category_id": "19000000"},
        headers=token_for(company),
    )
    assert rule.status_code == 201

    (ride,) = await sync_new(
        worker_runtime,
        fake_pluggy,
        company,
        description="UBER *TRIP",
        merchant="Uber",
        category=("Taxi", "19000000"),
    )

    assert (ride["category_id"], ride["category_source"], ride["category_confidence"]) == (
        "19000000",
        "rule",
        None,
    )


async def test_a_category_a_person_chose_is_never_proposed_nor_overwritten(
    worker_runtime: Runtime, client: httpx.AsyncClient, company: uuid.UUID
) -> None:
    first, second, *_ = named(await transactions(worker_runtime, company), "PIX")
    await correct(client, company, second["id"], MEALS)

    answer = await correct(client, company, first["id"], SUPPLIES)
    applied = await client.post(
        f"{TRANSACTIONS}/{first['id']}/similar/apply",
        json={"transaction_ids": [second["id"]]},
        headers=token_for(company),
    )

    assert second["id"] not in {s["transaction_id"] for s in answer["suggestions"]}
    assert applied.json() == {"category_id": SUPPLIES, "updated": [], "skipped": [second["id"]]}
    kept = next(t for t in await transactions(worker_runtime, company) if t["id"] == second["id"])
    assert (kept["category_id"], kept["category_source"]) == (MEALS, "user")


async def test_another_companys_corrections_never_reach_ours(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    company: uuid.UUID,
) -> None:
    await teach(worker_runtime, client, company)
    await allow(client, company)
    ours = await company_with_history(worker_runtime, client, fake_pluggy)
    await allow(client, ours)
    theirs = named(await transactions(worker_runtime, company), "PIX")[0]

    (ride,) = await sync_new(
        worker_runtime,
        fake_pluggy,
        ours,
        description="UBER *TRIP",
        merchant="Uber",
        category=("Taxi", "19000000"),
    )
    similar = await client.get(f"{TRANSACTIONS}/{theirs['id']}/similar", headers=token_for(ours))
    applied = await client.post(
        f"{TRANSACTIONS}/{named(await transactions(worker_runtime, ours), 'PIX')[0]['id']}"
        "/similar/apply",
        json={"transaction_ids": [theirs["id"]]},
        headers=token_for(ours),
    )

    assert (ride["category_source"], ride["category_confidence"]) == ("pluggy", None)
    assert (await client.get(LEARNING, headers=token_for(ours))).json()["model"] is None
    assert (similar.status_code, similar.json()["code"]) == (404, "not_found")
    assert (applied.status_code, applied.json()["code"]) == (404, "not_found")
    unchanged = next(
        t for t in await transactions(worker_runtime, company) if t["id"] == theirs["id"]
    )
    assert unchanged["category_source"] == "user"


async def test_too_few_corrections_or_a_single_category_make_no_guesses(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    company: uuid.UUID,
) -> None:
    await allow(client, company)
    rows = await transactions(worker_runtime, company)
    for ride in named(rows, "UBER"):
        await correct(client, company, ride["id"], RIDES)
    await train_after_pause(worker_runtime)
    one_category = (await client.get(LEARNING, headers=token_for(company))).json()["model"]
    await correct(client, company, named(rows, "PIX")[0]["id"], SUPPLIES)
    # Corrected just now: the worker waits for the corrections to pause before training.
    assert await learning.train_due(worker_runtime.database, utcnow(), worker_runtime.settings) == 0

    (ride,) = await sync_new(
        worker_runtime,
        fake_pluggy,
        company,
        description="UBER *TRIP",
        merchant="Uber",
        category=("Taxi", "19000000"),
    )

    assert (one_category["corrections"], one_category["guessing"]) == (3, False)
    assert (ride["category_source"], ride["category_confidence"]) == ("pluggy", None)


async def test_how_many_corrections_a_model_needs_is_a_setting(
    worker_runtime: Runtime, client: httpx.AsyncClient, company: uuid.UUID
) -> None:
    demanding = worker_runtime.settings.model_copy(update={"learning_min_corrections": 4})
    rows = await transactions(worker_runtime, company)
    for name, category in (("PIX", SUPPLIES), ("UBER", RIDES), ("Padaria", MEALS)):
        await correct(client, company, named(rows, name)[0]["id"], category)

    await train_after_pause(worker_runtime, demanding)

    model = (await client.get(LEARNING, headers=token_for(company))).json()["model"]
    assert (model["corrections"], model["guessing"]) == (3, False)


async def test_how_sure_a_guess_must_be_to_be_applied_is_a_setting(
    worker_runtime: Runtime, client: httpx.AsyncClient, company: uuid.UUID
) -> None:
    await teach(worker_runtime, client, company)
    async with worker_runtime.database.sessions() as session:
        learned = await repository.get(session, company)
    assert learned is not None
    assert learned.model is not None
    model = Model.from_bytes(learned.model)
    row = {
        "description": "UBER *TRIP",
        "merchant_name": "Uber",
        "pluggy_category_id": "19000000",
        "type": "DEBIT",
        "amount_cents": 2500,
        "category_source": "pluggy",
    }
    sure, doubting = dict(row), dict(row)

    await learning.guess_categories([sure], learning.Learned(model, {}, 0.6))
    await learning.guess_categories([doubting], learning.Learned(model, {}, 1.0))

    assert (sure["category_source"], sure["category_id"]) == ("learned", RIDES)
    assert doubting["category_source"] == "pluggy"


async def test_a_new_correction_trains_a_newer_model(
    worker_runtime: Runtime, client: httpx.AsyncClient, company: uuid.UUID
) -> None:
    await teach(worker_runtime, client, company)
    await correct(
        client, company, named(await transactions(worker_runtime, company), "UBER")[1]["id"], RIDES
    )

    assert await train_after_pause(worker_runtime) == 1
    assert await train_after_pause(worker_runtime) == 0
    model = (await client.get(LEARNING, headers=token_for(company))).json()["model"]
    assert (model["version"], model["corrections"]) == (2, 4)


async def test_bad_requests_are_refused_with_a_clear_code(
    worker_runtime: Runtime,
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    company: uuid.UUID,
) -> None:
    pix = named(await transactions(worker_runtime, company), "PIX")
    (uncategorised,) = await sync_new(
        worker_runtime, fake_pluggy, company, description="Sem categoria", category=None
    )
    apply = f"{TRANSACTIONS}/{pix[0]['id']}/similar/apply"
    owner = token_for(company)

    member = await client.put(
        LEARNING, json={"auto_apply": True}, headers=token_for(company, "member")
    )
    not_bool = await client.put(LEARNING, json={"auto_apply": "sometimes"}, headers=owner)
    empty = await client.post(apply, json={"transaction_ids": []}, headers=owner)
    too_many = await client.post(
        apply, json={"transaction_ids": [str(uuid.uuid4()) for _ in range(201)]}, headers=owner
    )
    unknown = await client.post(apply, json={"transaction_ids": [str(uuid.uuid4())]}, headers=owner)
    no_category = await client.post(
        f"{TRANSACTIONS}/{uncategorised['id']}/similar/apply",
        json={"transaction_ids": [pix[1]["id"]]},
        headers=owner,
    )
    viewer = await client.post(
        apply, json={"transaction_ids": [pix[1]["id"]]}, headers=token_for(company, "viewer")
    )

    assert (member.status_code, member.json()["code"]) == (403, "forbidden_role")
    assert not_bool.status_code == 422
    assert empty.status_code == 422
    assert too_many.status_code == 422
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    assert (no_category.status_code, no_category.json()["code"]) == (422, "no_category")
    assert viewer.status_code == 403
    assert named(await transactions(worker_runtime, company), "PIX")[1] == pix[1]
