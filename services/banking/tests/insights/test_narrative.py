"""The month's summary: the template's pt-BR sentences from the numbers, and a language model's
text through the sandbox's OpenAI-compatible API when one is configured, sent aggregated
numbers and category names only, with the template standing whenever the model fails."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import SecretStr, ValidationError
from pydantic_core import to_jsonable_python

from banking.config import BankingSettings, get_settings
from banking.insights.concentration import find_supplier_concentration
from banking.insights.findings import Finding
from banking.insights.history import AccountBalance, CompanyHistory, Movement
from banking.insights.narrative import Written, model_facts, template_summary, written_summary
from banking.insights.runway import find_runway
from provider_sandbox.main import create_app as create_sandbox
from provider_sandbox.openai.routes import OpenAISandbox

TODAY = date(2026, 12, 6)
COMPANY = uuid.uuid4()
CHECKING = uuid.uuid4()
SAVINGS = uuid.uuid4()
CNPJ = "12.345.678/0001-90"
CPF = "529.982.247-25"
KEY = "sk-insights-secret-key"
ACCOUNTS = (
    AccountBalance(CHECKING, "Conta Empresarial Itaú", 4_000_000, TODAY),
    AccountBalance(SAVINGS, "Poupança Reserva", 500_000, TODAY),
)


def move(
    day: date,
    cents: int,
    category: str | None,
    description: str,
    merchant: str | None = None,
    account: uuid.UUID = CHECKING,
) -> Movement:
    category_id = None if category is None else "01000000"
    return Movement(uuid.uuid4(), account, day, cents, description, merchant, category_id, category)


def month(year: int, number: int, *, supplier: int, marketing: int, rent: int) -> list[Movement]:
    first = date(year, number, 1)
    return [
        move(first.replace(day=2), 3_000_000, "Receitas", f"TED recebida Cliente Zeta {CNPJ}"),
        move(first.replace(day=10), -supplier, "Fornecedores", f"PIX ENVIADO ACME INSUMOS {CNPJ}"),
        move(first.replace(day=12), -marketing, "Marketing", "Compra", "Anúncios Beta Mídia"),
        move(first.replace(day=15), -rent, None, f"Aluguel Joana Prado CPF {CPF}"),
    ]


def company_history() -> CompanyHistory:
    movements = [
        *month(2026, 9, supplier=2_700_000, marketing=300_000, rent=400_000),
        *month(2026, 10, supplier=2_000_000, marketing=500_000, rent=400_000),
        *month(2026, 11, supplier=2_600_000, marketing=200_000, rent=400_000),
        # Moved to the company's own savings in November: neither income nor spending.
        move(date(2026, 11, 20), -700_000, None, "Transf para poupança"),
        move(date(2026, 11, 20), 700_000, None, "Transf da conta", account=SAVINGS),
        *[move(date(2026, 11, 1 + n), -10_000, "Tarifas", f"Tarifa {n}") for n in range(8)],
    ]
    return CompanyHistory(COMPANY, TODAY, ACCOUNTS, tuple(movements), ())


def findings_of(history: CompanyHistory) -> list[Finding]:
    duplicate = Finding(
        kind="duplicate_charge",
        tier="standard",
        severity="action",
        title="Cobrança em dobro de ACME INSUMOS",
        message=f"Dois pagamentos iguais a ACME INSUMOS {CNPJ}.",
        evidence={"payee": "ACME INSUMOS", "account_id": str(CHECKING)},
        transaction_ids=(history.movements[1].transaction_id,),
        account_id=CHECKING,
        key=f"duplicate:{history.movements[1].transaction_id}",
    )
    return [*find_runway(history), *find_supplier_concentration(history), duplicate]


def test_the_template_tells_the_month_in_portuguese_from_its_numbers() -> None:
    history = company_history()

    summary = template_summary(history, findings_of(history))

    assert summary.kind == "month_summary"
    assert summary.tier == "advanced"
    assert summary.severity == "info"
    assert summary.title == "Resumo de nov/2026"
    assert summary.key == "month_summary:2026-11"
    # November: R$ 30.000 in; R$ 26.000 + 2.000 + 4.000 + 8 x 100 = R$ 32.800 out; October:
    # R$ 29.000 out. Runway: R$ 45.000 over a burn of (4.000 - 1.000 + 2.800) / 3 a month.
    assert summary.message == (
        "Em nov/2026 entraram R$ 30.000,00 e saíram R$ 32.800,00, um resultado de "
        "-R$ 2.800,00. As saídas subiram 13% em relação a out/2026 (R$ 29.000,00). Maiores "
        "mudanças de gasto por categoria: Fornecedores +R$ 6.000,00 (+30%), Marketing "
        "-R$ 3.000,00 (-60%), Tarifas +R$ 800,00 (novo gasto). No ritmo atual, o caixa de "
        "R$ 45.000,00 dura cerca de 23,3 meses. 2 alertas pedem atenção nos insights."
    )
    evidence = summary.evidence
    assert evidence["written_by"] == "template"
    assert (evidence["month"], evidence["previous_month"]) == ("2026-11", "2026-10")
    assert evidence["income_cents"] == 3_000_000
    assert evidence["spending_cents"] == 3_280_000
    assert evidence["net_cents"] == -280_000
    assert evidence["previous_spending_cents"] == 2_900_000
    assert evidence["own_transfers_left_out"] == 2
    assert evidence["category_changes"][0] == {
        "category": "Fornecedores",
        "spending_cents": 2_600_000,
        "previous_spending_cents": 2_000_000,
        "change_cents": 600_000,
    }
    assert evidence["alerts"] == {"duplicate_charge": 1, "supplier_concentration": 1}
    assert evidence["cash_cents"] == 4_500_000
    # The month's largest payments.
    by_id = {m.transaction_id: m for m in history.movements}
    assert [by_id[t].amount_cents for t in summary.transaction_ids][:3] == [
        -2_600_000,
        -400_000,
        -200_000,
    ]


def test_a_quiet_month_and_a_company_not_burning_cash_are_said_plainly() -> None:
    earning = [
        move(date(2026, 9, 2), 1_000_000, "Receitas", "TED"),
        move(date(2026, 10, 2), 1_000_000, "Receitas", "TED"),
    ]
    history = CompanyHistory(COMPANY, TODAY, ACCOUNTS, tuple(earning), ())

    summary = template_summary(history, find_runway(history))

    assert summary.message == (
        "Em nov/2026 não houve movimentação nas contas. Com R$ 45.000,00 em caixa, a empresa "
        "não está queimando caixa."
    )
    assert summary.transaction_ids == ()


@pytest_asyncio.fixture
async def sandbox() -> AsyncIterator[FastAPI]:
    app = create_sandbox(webhook_transport=httpx.MockTransport(lambda _: httpx.Response(200)))
    async with LifespanManager(app):
        yield app


@pytest_asyncio.fixture
async def client(sandbox: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox)) as http:
        yield http


def with_model(**changes: object) -> BankingSettings:
    """Banking's settings with the sandbox's OpenAI-compatible API configured."""
    llm = {
        "insights_llm_url": "http://sandbox.test/openai/v1",
        "insights_llm_model": "gpt-sandbox",
        "insights_llm_api_key": SecretStr(KEY),
        "insights_llm_timeout_seconds": 5.0,
    }
    return get_settings().model_copy(update=llm | changes)


async def script(client: httpx.AsyncClient, *answers: dict[str, object]) -> None:
    scripted = {"answers": list(answers)}
    response = await client.post("http://sandbox.test/openai/_sandbox/answers", json=scripted)
    assert response.status_code == 204


def received(sandbox: FastAPI) -> OpenAISandbox:
    state: OpenAISandbox = sandbox.state.openai
    return state


@pytest.mark.asyncio
async def test_without_a_configured_model_the_template_writes_it_and_nothing_is_sent(
    client: httpx.AsyncClient, sandbox: FastAPI
) -> None:
    settings = get_settings()
    assert settings.insights_llm_url is None  # off by default
    history = company_history()

    summary = await written_summary(client, settings, history, findings_of(history))

    assert summary == template_summary(history, findings_of(history))
    assert received(sandbox).received == []


@pytest.mark.asyncio
async def test_a_configured_model_writes_it_from_numbers_and_category_names_only(
    client: httpx.AsyncClient, sandbox: FastAPI
) -> None:
    history = company_history()
    findings = findings_of(history)
    await script(client, {"content": "  Novembro fechou no vermelho por causa dos fornecedores. "})

    summary = await written_summary(client, with_model(), history, findings)

    assert summary.message == "Novembro fechou no vermelho por causa dos fornecedores."
    assert summary.evidence["written_by"] == "model:gpt-sandbox"
    template = template_summary(history, findings)
    assert summary.evidence | {"written_by": "template"} == template.evidence
    assert summary.transaction_ids == template.transaction_ids

    [request] = received(sandbox).received
    assert request.key_accepted
    assert request.body["model"] == "gpt-sandbox"
    sent = json.dumps(request.body, ensure_ascii=False)
    facts = json.loads(request.body["messages"][1]["content"])
    assert facts == model_facts(template)
    # What it may know: amounts, months, category names, runway, shares, kinds of alerts.
    for expected in ("R$ 30.000,00", "R$ 32.800,00", "nov/2026", "Fornecedores", "Marketing"):
        assert expected in sent
    assert facts["meses_de_caixa"] == "23,3"
    assert facts["alertas"] == {"duplicate_charge": 1, "supplier_concentration": 1}
    # What it must never know: names, descriptions, documents, ids.
    secrets = {KEY, CNPJ, CPF, "12345678000190", "52998224725", str(COMPANY)}
    secrets |= {a.name for a in history.accounts} | {str(a.account_id) for a in history.accounts}
    for movement in history.movements:
        secrets |= {movement.description, str(movement.transaction_id)}
        secrets |= {movement.merchant} if movement.merchant else set()
    secrets |= {"ACME", "Acme", "Zeta", "Joana", "Beta Mídia", "Itaú"}
    secrets |= {findings[-1].key}
    for finding in findings:
        secrets |= {finding.title, finding.message}
    leaked = {secret for secret in secrets if secret.lower() in sent.lower()}
    assert leaked == set()


@pytest.mark.asyncio
async def test_the_model_is_asked_once_for_the_same_numbers(
    client: httpx.AsyncClient, sandbox: FastAPI
) -> None:
    history, settings = company_history(), with_model()
    findings = findings_of(history)
    first = await written_summary(client, settings, history, findings)
    stored = Written(first.message, to_jsonable_python(first.evidence))

    again = await written_summary(client, settings, history, findings, stored)
    # Other numbers, or another model, are asked again.
    older = Written(first.message, stored.evidence | {"income_cents": 1})
    await written_summary(client, settings, history, findings, older)
    await written_summary(
        client, with_model(insights_llm_model="gpt-other"), history, findings, stored
    )

    assert again == first
    asked = [request.body["model"] for request in received(sandbox).received]
    assert asked == ["gpt-sandbox", "gpt-sandbox", "gpt-other"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("answers", "changes"),
    [
        pytest.param([{"status": 500}], {}, id="server error"),
        pytest.param([{"status": 429}], {}, id="rate limited"),
        pytest.param([], {"insights_llm_api_key": SecretStr("not-a-key")}, id="key refused"),
        pytest.param([], {"insights_llm_api_key": None}, id="no key"),
        pytest.param([{"content": "   "}], {}, id="empty text"),
        pytest.param([{"delay_seconds": 2}], {"insights_llm_timeout_seconds": 0.05}, id="too slow"),
        pytest.param([], {"insights_llm_url": "http://sandbox.test/nowhere/v1"}, id="not found"),
        pytest.param([], {"insights_llm_url": "not a url"}, id="bad url"),
    ],
)
async def test_a_failing_model_leaves_the_template_and_logs_no_key(
    client: httpx.AsyncClient,
    answers: list[dict[str, object]],
    changes: dict[str, object],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    history = company_history()
    findings = findings_of(history)
    if answers:
        await script(client, *answers)

    summary = await written_summary(client, with_model(**changes), history, findings)

    assert summary == template_summary(history, findings)
    assert summary.evidence["written_by"] == "template"
    [failure] = [r for r in caplog.records if "insights_summary_model_failed" in r.getMessage()]
    assert "gpt-sandbox" in failure.getMessage()
    assert KEY not in caplog.text + capsys.readouterr().out


def test_a_model_url_without_a_model_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="BANKING_INSIGHTS_LLM_MODEL"):
        BankingSettings(insights_llm_url="http://127.0.0.1:8010/openai/v1")
