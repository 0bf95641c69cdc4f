"""The console in a real browser (Debian's Chromium through Playwright) against the whole running
system: an operator finds a dead-lettered event and replays it; a company signs up, pays, connects
its bank answering the MFA prompt, and sees its charts. Each test saves a screenshot of its last
page under build/screenshots/ (the path is printed)."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import text

from finhub_shared.db import Database

from .conftest import SAVED
from .system import System, chromium, running_system

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(300)]

SCREENSHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots"
PASSWORD = "Correct-horse-battery-9"
# Playwright waits this long for what a page should come to show (webhooks, syncs, the stream).
WAIT_MS = 60_000
expect.set_options(timeout=WAIT_MS)


async def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    SAVED.append(path)
    return path


async def dead_letters(system: System, queue: str) -> int | None:
    """How many messages the test's copy of `queue` has parked (the gateway's admin API)."""
    headers = {"Authorization": f"Bearer {os.environ['ADMIN_TOKEN']}"}
    async with system.client("admin") as admin:
        listed = (await admin.get("/admin/dead-letters", headers=headers)).json()["items"]
    [found] = [entry for entry in listed if entry["queue"] == system.queues[queue]]
    count: int | None = found["messages"]
    return count


async def handled_by_banking(event_id: str) -> bool:
    """Whether banking's inbox recorded the event as handled."""
    database = Database(os.environ["BANKING_DATABASE_URL"], application_name="console-e2e-check")
    try:
        async with database.transaction() as session:
            found = await session.scalar(
                text("SELECT count(*) FROM inbox_events WHERE event_id = :id"), {"id": event_id}
            )
    finally:
        await database.dispose()
    return bool(found)


async def eventually(check: Any, what: str, within: float = 60) -> None:
    async with asyncio.timeout(within):
        while not await check():
            await asyncio.sleep(0.3)
    assert await check(), what


async def test_an_operator_finds_a_dead_lettered_event_and_replays_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with running_system(monkeypatch) as system, chromium() as browser:
        # Pluggy's API is down when Pluggy tells us an item changed: banking cannot fetch the
        # item, every attempt fails, and the event is parked in banking.pluggy's DLQ.
        async with system.client("sandbox") as sandbox:
            outage = await sandbox.post(
                "/_sandbox/faults", json={"target": "pluggy", "kind": "server_error"}
            )
            assert outage.status_code == 201, outage.text
        event_id = f"evt-{uuid.uuid4()}"
        item_id = str(uuid.uuid4())
        async with system.client("gateway") as gateway:
            delivered = await gateway.post(
                "/webhooks/pluggy",
                json={"event": "item/updated", "eventId": event_id, "itemId": item_id},
                headers={"x-webhook-secret": os.environ["PLUGGY_WEBHOOK_SECRET"]},
            )
            assert delivered.status_code < 300, delivered.text

        async def parked() -> bool:
            return await dead_letters(system, "banking.pluggy") == 1

        await eventually(parked, "the event was not dead-lettered")

        page = await browser.new_page()
        await page.goto(system.console + "/admin/events")
        await page.get_by_label("Token de administração (ADMIN_TOKEN)").fill(
            os.environ["ADMIN_TOKEN"]
        )
        await page.get_by_role("button", name="Entrar").click()
        await expect(page.locator(f'tr[data-event-id="{event_id}"]')).to_be_visible()
        # Among the events dead-lettered on some queue (the list refreshes itself).
        await page.get_by_label("Destino numa fila").select_option("dead_lettered")
        await page.get_by_role("button", name="Filtrar").click()
        await expect(page.locator(f'tr[data-event-id="{event_id}"]')).to_be_visible()

        await page.get_by_role("link", name="Mensagens mortas").click()
        queue = system.queues["banking.pluggy"]
        row = page.locator(f'tr[data-queue="{queue}"]')
        await expect(row).to_contain_text("1")
        await row.get_by_role("link", name=queue).click()
        letter = page.locator(f'article[data-message-id="{event_id}"]')
        await expect(letter).to_contain_text("Tentativas")
        await expect(letter).to_contain_text("3")

        # The letter leads to the event as the gateway stored it: its body and headers.
        await letter.get_by_role("link", name="Ver o evento no gateway").click()
        await page.locator(f'tr[data-event-id="{event_id}"]').get_by_role("link").click()
        await expect(page.get_by_role("heading", name=f"Evento {event_id}")).to_be_visible()
        await expect(page.locator("pre")).to_contain_text(item_id)
        await expect(page.get_by_role("heading", name="Cabeçalhos")).to_be_visible()
        await page.go_back()
        await page.go_back()

        # Pluggy is back: the operator sends the letter back to its queue.
        async with system.client("sandbox") as sandbox:
            assert (await sandbox.delete("/_sandbox/faults")).status_code == 204
        await (
            page.locator(f'article[data-message-id="{event_id}"]')
            .get_by_role("button", name="Reenviar")
            .click()
        )
        await expect(page.get_by_role("status")).to_contain_text("1 mensagem(ns) reenviada(s)")

        async def handled() -> bool:
            return await handled_by_banking(event_id)

        await eventually(handled, "banking did not handle the replayed event")
        await page.reload()
        await expect(page.get_by_text("Nenhuma mensagem morta nesta fila.")).to_be_visible()
        assert await dead_letters(system, "banking.pluggy") == 0

        # The event's page tells its fate on banking's queue: handled, after the replay.
        await page.goto(f"{system.console}/admin/events?q={event_id}")
        await page.locator(f'tr[data-event-id="{event_id}"]').get_by_role("link").click()
        fate = page.locator('tr[data-fate-state="handled"]', has_text="banking")
        await expect(fate).to_be_visible()
        await screenshot(page, "operator-event-handled-after-replay")


async def test_a_company_signs_up_pays_connects_its_bank_and_sees_its_charts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with running_system(monkeypatch) as system, chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(WAIT_MS)
        await page.goto(system.console + "/signup")
        await page.get_by_label("Seu nome").fill("Ana Souza")
        await page.get_by_label("Nome da empresa").fill("Padaria Pão Quente")
        await page.get_by_label("E-mail").fill(f"ana+{uuid.uuid4().hex[:6]}@padaria.com.br")
        await page.get_by_label("Senha").fill(PASSWORD)
        await page.get_by_label("Li e aceito").check()
        await page.get_by_role("button", name="Criar conta").click()
        await expect(page.get_by_text("Conta criada!")).to_be_visible()

        # Stripe Checkout (the sandbox's page) with the test card that works.
        await page.get_by_role("button", name="Assinar o plano Enterprise").click()
        await page.locator("input[name=card][value='4242424242424242']").check()
        await page.get_by_role("button", name="Subscribe").click()
        await expect(page.get_by_text("Pagamento recebido")).to_be_visible()
        await expect(page.locator('[data-subscription-status="active"]')).to_be_visible()

        # The sandbox bank that asks for a code; its progress arrives over the live stream.
        await page.get_by_role("link", name="Conectar banco").click()
        await page.get_by_label("Banco", exact=True).select_option(label="Pluggy Bank MFA 2-step")
        await page.get_by_label("Usuário no banco").fill("user-ok")
        await page.get_by_label("Senha do banco").fill("password-ok")
        await page.get_by_role("button", name="Conectar").click()
        mfa = page.locator("#mfa-answer")
        await expect(mfa).to_be_visible()
        await mfa.fill("123456")
        # A live event redrawing the panel while the code is typed keeps what was typed.
        await page.evaluate(
            "() => htmx.ajax('GET', document.getElementById('item-state').dataset.stateUrl,"
            " {target: '#item-state', swap: 'innerHTML'})"
        )
        await expect(mfa).to_have_value("123456")
        await page.get_by_role("button", name="Enviar código").click()
        await expect(page.locator('[data-status="UPDATED"]')).to_be_visible()
        await expect(page.locator('#progress li[data-event="sync.finished"]').first).to_be_visible()

        # A transaction recategorised from the list, the others as they were.
        await page.get_by_role("link", name="Transações").click()
        first = page.locator("tr[data-transaction]").first
        category = first.get_by_label("Categoria")
        current = await category.input_value()
        choices = await category.locator("option").evaluate_all("(all) => all.map(o => o.value)")
        chosen = next(value for value in choices if value and value != current)
        await category.select_option(chosen)
        await first.get_by_role("button", name="Salvar").click()
        await expect(page.get_by_role("status")).to_contain_text("Categoria alterada em 1")

        await page.get_by_role("link", name="Painel", exact=True).click()
        await expect(page.locator('svg[data-chart="cash-flow"] rect').first).to_be_attached()
        await expect(page.locator('svg[data-chart="categories"] rect').first).to_be_attached()
        await expect(page.locator("[data-account]").first).to_contain_text("R$")
        await screenshot(page, "company-dashboard-after-connecting")

        # On a phone's width the same page still fits.
        await page.set_viewport_size({"width": 390, "height": 844})
        await screenshot(page, "company-dashboard-phone")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
