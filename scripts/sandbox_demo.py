"""`make sandbox-demo`: a new company's first journey, against a running system (`make run`).

Sign up (trial) → pay for the professional plan with a test card at the Stripe stand-in → the
webhooks flow through the gateway and RabbitMQ until billing shows the plan active → connect a
bank at the Pluggy stand-in (user-ok / password-ok) → banking syncs it → transactions, summary →
a PIX payment to a supplier, authorised at the sandbox bank, completed by Pluggy's events → the
owner exports all the company's data and downloads the archive.
Each step prints what it did and what the system answered.
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from finhub_shared.settings import read_variable


def url(variable: str, default_port: int) -> str:
    return f"http://127.0.0.1:{read_variable(variable) or default_port}"


BILLING = url("BILLING_PORT", 8001)
BANKING = url("BANKING_PORT", 8002)
SANDBOX = url("SANDBOX_PORT", 8010)
WAIT_SECONDS = 90


def step(title: str) -> None:
    print(f"\n== {title}")


def check(response: httpx.Response, expected: int) -> dict[str, Any]:
    if response.status_code != expected:
        sys.exit(
            f"   !! {response.request.method} {response.request.url} answered "
            f"{response.status_code}: {response.text[:500]}"
        )
    body: dict[str, Any] = response.json()
    return body


def wait_until(what: str, probe: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(1)
    sys.exit(f"   !! gave up waiting for {what} after {WAIT_SECONDS} s")


def main() -> None:
    http = httpx.Client(timeout=30)
    step("1. Sign up: the company starts a 14-day trial")
    email = f"demo+{uuid.uuid4().hex[:8]}@padaria.com.br"
    documents = check(http.get(f"{BILLING}/api/auth/legal-documents"), 200)
    print(f"   accepting the terms of use {documents['terms_of_use']}", end="")
    print(f" and the privacy policy {documents['privacy_policy']}")
    account = check(
        http.post(
            f"{BILLING}/api/auth/register",
            json={
                "email": email,
                "password": "Demo-password-2026",
                "name": "Ana Souza",
                "company_name": "Padaria Pão Quente Ltda",
                "accepted": documents,
            },
        ),
        201,
    )
    auth = {"Authorization": f"Bearer {account['access_token']}"}
    print(f"   {email} → company {account['company']['id']}")
    subscription = check(http.get(f"{BILLING}/api/payments/subscription/", headers=auth), 200)
    print(f"   subscription: {subscription['status']} until {subscription['trial_ends_at']}")

    step("2. Choose a plan and check out at the Stripe stand-in")
    plans = http.get(f"{BILLING}/api/payments/plans/").json()
    for plan in plans:
        print(f"   {plan['slug']:<13} R$ {plan['prices']['monthly_cents'] / 100:>7.2f}/month")
    professional = next(plan for plan in plans if plan["slug"] == "professional")
    checkout = check(
        http.post(
            f"{BILLING}/api/payments/checkout/",
            headers=auth,
            json={"plan_id": professional["id"], "billing_period": "monthly"},
        ),
        201,
    )
    print(f"   checkout page: {checkout['checkout_url']}")
    check(
        http.post(
            f"{SANDBOX}/_sandbox/stripe/checkout/{checkout['session_id']}/pay",
            json={"card_number": "4242424242424242"},
        ),
        200,
    )
    print("   paid with 4242 4242 4242 4242")

    step("3. Stripe's webhooks → gateway → RabbitMQ → billing")

    def active_subscription() -> dict[str, Any] | None:
        body = check(http.get(f"{BILLING}/api/payments/subscription/", headers=auth), 200)
        return body if body["status"] == "active" else None

    active = wait_until("the subscription to become active", active_subscription)
    print(
        f"   subscription: {active['status']} on {active['plan']['slug']}, "
        f"period ends {active['current_period_end']}"
    )

    step("4. Connect a bank at the Pluggy stand-in")
    # Once per environment, as an operator would: Pluggy must know where to send its events.
    registration = [
        str(Path(sys.executable).parent / "finhub-gateway"),
        "pluggy-webhooks",
        "register",
    ]
    print(
        "   "
        + subprocess.run(registration, check=True, capture_output=True, text=True).stdout.strip()
    )
    token = check(
        http.post(f"{BANKING}/api/banking/pluggy/connect-token/", headers=auth, json={}), 201
    )
    # What Pluggy's Connect widget does with the connect token in the user's browser.
    item = check(
        http.post(
            f"{SANDBOX}/pluggy/items",
            headers={"X-API-KEY": token["connect_token"]},
            json={"connectorId": 0, "parameters": {"user": "user-ok", "password": "password-ok"}},
        ),
        200,
    )
    connected = check(
        http.post(
            f"{BANKING}/api/banking/pluggy/callback/", headers=auth, json={"item_id": item["id"]}
        ),
        200,
    )
    print(
        f"   item {connected['id']}: {connected['status']} — {connected['next_action']['message']}"
    )

    step("5. Banking syncs the accounts and transactions")

    def synced_transactions() -> dict[str, Any] | None:
        page = check(http.get(f"{BANKING}/api/banking/transactions/", headers=auth), 200)
        return page if page["results"] else None

    synced = wait_until("the first sync", synced_transactions)
    for account_row in http.get(f"{BANKING}/api/banking/accounts/", headers=auth).json():
        name, kind = account_row["name"], account_row["type"]
        print(f"   {name:<30} {kind:<8} balance R$ {account_row['balance_cents'] / 100:>12,.2f}")
    for transaction in synced["results"][:5]:
        amount = transaction["amount_cents"] / 100
        category = transaction["category_name"] or "-"
        print(
            f"   {transaction['date'][:10]} {transaction['type']:<6} R$ {amount:>10,.2f} "
            f"{category:<24} {transaction['description'][:40]}"
        )

    step("6. Dashboard")
    summary = check(http.get(f"{BANKING}/api/banking/summary/", headers=auth), 200)
    for balance in summary["balances"]:
        print(f"   {balance['account_type']:<20} R$ {money(balance['balance_cents'])}")
    for month in summary["months"][-3:]:
        print(
            f"   {month['month']}  in R$ {money(month['income_cents'])}"
            f"  out R$ {money(month['spending_cents'])}"
        )
    for category in summary["spending_by_category"][:3]:
        name = category["category_name"] or "-"
        print(f"   spent on {name:<24} R$ {money(category['spending_cents'])}")
    for recurring in summary["recurring_payments"][:3]:
        print(
            f"   recurring: {recurring['merchant']:<24} ~R$ {money(recurring['average_cents'])}"
            f" in {recurring['months']} months"
        )

    step("7. Pay a supplier by PIX")
    payment = check(
        http.post(
            f"{BANKING}/api/banking/pix/payments/",
            headers=auth,
            json={
                "amount_cents": 15_000,
                "recipient": {"pix_key": "fornecedor@example.com"},
                "description": "Demo supplier",
            },
        ),
        201,
    )
    print(
        f"   payment {payment['id']}: {payment['status']}, payer goes to {payment['payment_url']}"
    )
    # What the payer does on Pluggy's payment page: pay with the sandbox bank.
    request_id = payment["payment_url"].rstrip("/").rsplit("/", 1)[-1]
    check(http.post(f"{SANDBOX}/pluggy/_sandbox/pay/{request_id}"), 200)

    def completed_payment() -> dict[str, Any] | None:
        shown = check(
            http.get(f"{BANKING}/api/banking/pix/payments/{payment['id']}", headers=auth), 200
        )
        return shown if shown["status"] == "completed" else None

    paid = wait_until("Pluggy's payment events", completed_payment)
    print(f"   payment {paid['id']}: {paid['status']} (Pluggy: {paid['request_status']})")

    step("8. The owner exports all the company's data (LGPD)")
    export = check(http.post(f"{BILLING}/api/companies/me/exports", headers=auth), 202)

    def ready_export() -> dict[str, Any] | None:
        shown = check(
            http.get(f"{BILLING}/api/companies/me/exports/{export['id']}", headers=auth), 200
        )
        return shown if shown["status"] != "pending" else None

    finished = wait_until("billing and banking to gather the export", ready_export)
    if finished["status"] != "ready":
        sys.exit(f"   !! the export {finished['status']}: {finished['failure_reason']}")
    archive = http.get(f"{BILLING}{finished['archive_path']}", headers=auth)
    with zipfile.ZipFile(io.BytesIO(check_bytes(archive, 200))) as zipped:
        names = zipped.namelist()
    print(
        f"   {len(archive.content):,} bytes, {len(names)} files,"
        f" kept until {finished['expires_at']}"
    )
    print(f"   {', '.join(sorted(names)[:6])}, ...")
    print(
        "\nDone: a company signed up, paid, connected its bank, sees its money, paid by PIX and"
        " downloaded all its data."
    )


def check_bytes(response: httpx.Response, expected: int) -> bytes:
    if response.status_code != expected:
        sys.exit(
            f"   !! {response.request.url} answered {response.status_code}: {response.text[:500]}"
        )
    return response.content


def money(cents: int) -> str:
    return f"{cents / 100:>12,.2f}"


if __name__ == "__main__":
    main()
