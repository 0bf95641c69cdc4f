"""The month's summary in plain words: a template over the numbers, or, when an
OpenAI-compatible endpoint is configured, a language model writing from aggregated numbers only.

The model is sent a whitelist of facts (`model_facts`): amounts, category names, runway, the
top payee's share and the kinds of the other findings; never payee names, descriptions,
documents or ids. Any failure of the model falls back to the template. The model is asked once
per set of facts: a summary it wrote from the same facts before is kept.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import httpx
import structlog
from pydantic_core import to_jsonable_python

from banking.config import BankingSettings
from banking.insights.findings import Finding
from banking.insights.flows import own_transfers
from banking.insights.history import CompanyHistory, Movement
from banking.insights.months import month_start, months_before
from banking.insights.wording import UNCATEGORISED, decimal, month_key, month_label
from banking.insights.wording import percent as percent_text
from banking.money import brl

log = structlog.get_logger(__name__)

KIND = "month_summary"
# The category changes the summary names, the largest first.
CATEGORY_CHANGES = 3
# The month's largest payments shown as the summary's transactions.
SHOWN_PAYMENTS = 5
# Longest model text kept (a summary is a few sentences).
MAX_MODEL_TEXT = 2000
SYSTEM_PROMPT = (
    "Você é um analista financeiro que escreve para o dono de uma pequena empresa brasileira. "
    "Escreva em português do Brasil um resumo do mês em 3 a 5 frases simples, usando só os "
    "números recebidos, sem inventar nenhum, com valores em reais como vieram. Destaque o que "
    "pede atenção. Sem títulos, listas nem markdown."
)


def template_summary(history: CompanyHistory, findings: Sequence[Finding]) -> Finding:
    """The last complete month in pt-BR sentences built from its numbers: money in and out,
    the largest category changes from the month before, the runway, the alerts standing."""
    month = months_before(month_start(history.today), 1)
    previous = months_before(month, 1)
    window = [m for m in history.movements if previous <= month_start(m.day) <= month]
    internal = own_transfers(window)
    counted = [m for m in window if m.transaction_id not in internal]
    this = [m for m in counted if month_start(m.day) == month]
    before = [m for m in counted if month_start(m.day) == previous]
    income, spending = _totals(this)
    previous_income, previous_spending = _totals(before)
    changes = _category_changes(this, before)
    evidence: dict[str, Any] = {
        "month": month_key(month),
        "previous_month": month_key(previous),
        "income_cents": income,
        "spending_cents": spending,
        "net_cents": income - spending,
        "previous_income_cents": previous_income,
        "previous_spending_cents": previous_spending,
        "category_changes": changes,
        "own_transfers_left_out": len(internal),
        "alerts": _alerts(findings),
        "written_by": "template",
    }
    evidence |= _runway_facts(findings) | _concentration_facts(findings)
    payments = sorted(
        (m for m in this if m.amount_cents < 0), key=lambda m: (m.amount_cents, m.day)
    )
    return Finding(
        kind=KIND,
        tier="advanced",
        severity="info",
        title=f"Resumo de {month_label(month)}",
        message=" ".join(_sentences(evidence, month, previous)),
        evidence=evidence,
        transaction_ids=tuple(m.transaction_id for m in payments[:SHOWN_PAYMENTS]),
        key=f"{KIND}:{month_key(month)}",
    )


@dataclass(frozen=True)
class Written:
    """A summary stored before: its words and the evidence (as JSON) they were written from."""

    message: str
    evidence: dict[str, Any]


async def written_summary(
    client: httpx.AsyncClient,
    settings: BankingSettings,
    history: CompanyHistory,
    findings: Sequence[Finding],
    before: Written | None = None,
) -> Finding:
    """The summary a language model wrote from `model_facts`, when one is configured and
    answers in time (kept from `before` when that model wrote it from the same numbers); the
    template's otherwise."""
    template = template_summary(history, findings)
    if not settings.insights_llm_url or not settings.insights_llm_model:
        return template
    model = settings.insights_llm_model
    evidence = template.evidence | {"written_by": f"model:{model}"}
    if before is not None and before.evidence == to_jsonable_python(evidence):
        # The facts the model would be sent are made of this evidence alone: nothing to ask.
        return replace(template, message=before.message, evidence=evidence)
    try:
        async with asyncio.timeout(settings.insights_llm_timeout_seconds):
            text = await _ask_model(client, settings, model, model_facts(template))
    except (
        httpx.HTTPError,
        httpx.InvalidURL,
        TimeoutError,
        ValueError,
        LookupError,
        TypeError,
    ) as error:
        # Never the key, nor the body (the model's words may echo the request).
        log.warning(
            "insights_summary_model_failed",
            error=type(error).__name__,
            status=error.response.status_code if isinstance(error, httpx.HTTPStatusError) else None,
            model=model,
        )
        return template
    return replace(template, message=text, evidence=evidence)


def model_facts(summary: Finding) -> dict[str, Any]:
    """What the model may know of the month, copied field by field from the template's
    evidence: amounts in reais, category names, runway and shares; nothing else."""
    evidence = summary.evidence
    facts: dict[str, Any] = {
        "mes": _label(evidence["month"]),
        "mes_anterior": _label(evidence["previous_month"]),
        "entradas": brl(evidence["income_cents"]),
        "saidas": brl(evidence["spending_cents"]),
        "resultado": brl(evidence["net_cents"]),
        "entradas_mes_anterior": brl(evidence["previous_income_cents"]),
        "saidas_mes_anterior": brl(evidence["previous_spending_cents"]),
        "maiores_mudancas_de_gasto_por_categoria": [
            {
                "categoria": str(change["category"]),
                "gasto_no_mes": brl(change["spending_cents"]),
                "gasto_no_mes_anterior": brl(change["previous_spending_cents"]),
                "variacao": brl(change["change_cents"]),
            }
            for change in evidence["category_changes"]
        ],
        "alertas": {str(kind): int(count) for kind, count in evidence["alerts"].items()},
    }
    if "cash_cents" in evidence:
        facts["caixa_hoje"] = brl(evidence["cash_cents"])
        facts["queima_media_mensal"] = brl(evidence["burn_per_month_cents"])
        runway = evidence["runway_months"]
        facts["meses_de_caixa"] = None if runway is None else decimal(float(runway))
    if "top_payee_share" in evidence:
        facts["parcela_do_maior_fornecedor_nos_pagamentos"] = percent_text(
            float(evidence["top_payee_share"])
        )
    return facts


async def _ask_model(
    client: httpx.AsyncClient, settings: BankingSettings, model: str, facts: dict[str, Any]
) -> str:
    assert settings.insights_llm_url is not None
    headers = {}
    if settings.insights_llm_api_key is not None:
        headers["Authorization"] = f"Bearer {settings.insights_llm_api_key.get_secret_value()}"
    request = {
        "model": model,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": json.dumps(facts, ensure_ascii=False)},
        ],
        "temperature": 0.2,
    }
    response = await client.post(
        f"{settings.insights_llm_url.rstrip('/')}/chat/completions",
        json=request,
        headers=headers,
        timeout=settings.insights_llm_timeout_seconds,
    )
    response.raise_for_status()
    content = response.json()["choices"][0]["message"]["content"]
    if not isinstance(content, str) or not content.strip():
        raise ValueError("the model wrote nothing")
    return content.strip()[:MAX_MODEL_TEXT]


def _totals(movements: Iterable[Movement]) -> tuple[int, int]:
    income = spending = 0
    for movement in movements:
        if movement.amount_cents > 0:
            income += movement.amount_cents
        else:
            spending -= movement.amount_cents
    return income, spending


def _category_changes(this: list[Movement], before: list[Movement]) -> list[dict[str, Any]]:
    spent: dict[str, int] = defaultdict(int)
    spent_before: dict[str, int] = defaultdict(int)
    for movements, totals in ((this, spent), (before, spent_before)):
        for movement in movements:
            if movement.amount_cents < 0:
                totals[movement.category_name or UNCATEGORISED] -= movement.amount_cents
    changes: list[dict[str, Any]] = [
        {
            "category": name,
            "spending_cents": spent[name],
            "previous_spending_cents": spent_before[name],
            "change_cents": spent[name] - spent_before[name],
        }
        for name in sorted(spent.keys() | spent_before.keys())
        if spent[name] != spent_before[name]
    ]
    changes.sort(key=lambda change: -abs(change["change_cents"]))
    return changes[:CATEGORY_CHANGES]


def _alerts(findings: Sequence[Finding]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for finding in findings:
        if finding.severity != "info" and finding.kind != KIND:
            counts[finding.kind] += 1
    return dict(sorted(counts.items()))


def _runway_facts(findings: Sequence[Finding]) -> dict[str, Any]:
    runway = next((f for f in findings if f.kind == "runway"), None)
    if runway is None:
        return {}
    return {
        "cash_cents": runway.evidence["cash_cents"],
        "burn_per_month_cents": runway.evidence["burn_per_month_cents"],
        "runway_months": runway.evidence["runway_months"],
    }


def _concentration_facts(findings: Sequence[Finding]) -> dict[str, Any]:
    concentration = next((f for f in findings if f.kind == "supplier_concentration"), None)
    if concentration is None:
        return {}
    return {"top_payee_share": concentration.evidence["top_share"]}


def _sentences(evidence: dict[str, Any], month: date, previous: date) -> list[str]:
    income, spending = evidence["income_cents"], evidence["spending_cents"]
    if not income and not spending:
        sentences = [f"Em {month_label(month)} não houve movimentação nas contas."]
    else:
        sentences = [
            f"Em {month_label(month)} entraram {brl(income)} e saíram {brl(spending)}, um "
            f"resultado de {brl(income - spending)}."
        ]
    previous_spending = evidence["previous_spending_cents"]
    if previous_spending and spending != previous_spending:
        change = (spending - previous_spending) / previous_spending
        direction = "subiram" if change > 0 else "caíram"
        sentences.append(
            f"As saídas {direction} {percent_text(abs(change))} em relação a "
            f"{month_label(previous)} ({brl(previous_spending)})."
        )
    if evidence["category_changes"]:
        named = ", ".join(_category_change_text(c) for c in evidence["category_changes"])
        sentences.append(f"Maiores mudanças de gasto por categoria: {named}.")
    if "cash_cents" in evidence:
        runway = evidence["runway_months"]
        sentences.append(
            f"Com {brl(evidence['cash_cents'])} em caixa, a empresa não está queimando caixa."
            if runway is None
            else f"No ritmo atual, o caixa de {brl(evidence['cash_cents'])} dura cerca de "
            f"{decimal(float(runway))} meses."
        )
    alerts = sum(evidence["alerts"].values())
    if alerts:
        plural = "alerta pede" if alerts == 1 else "alertas pedem"
        sentences.append(f"{alerts} {plural} atenção nos insights.")
    return sentences


def _category_change_text(change: dict[str, Any]) -> str:
    delta = change["change_cents"]
    sign = "+" if delta > 0 else "-"
    before = change["previous_spending_cents"]
    relative = f"{sign}{percent_text(abs(delta) / before)}" if before else "novo gasto"
    return f"{change['category']} {sign}{brl(abs(delta))} ({relative})"


def _label(key: str) -> str:
    year, month = key.split("-")
    return month_label(date(int(year), int(month), 1))
