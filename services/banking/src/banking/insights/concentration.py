"""Supplier concentration: how much of what the company pays goes to a few payees."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from banking.insights.findings import Finding
from banking.insights.flows import chronological, own_transfers, payee_key, payee_name
from banking.insights.history import CompanyHistory, Movement
from banking.insights.wording import day_label, decimal, percent
from banking.money import brl

KIND = "supplier_concentration"
# Payments counted: those of the last WINDOW_DAYS days, today included.
WINDOW_DAYS = 90
# Fewer payments than this say too little about who the company depends on.
MIN_PAYMENTS = 10
TOP_PAYEES = 5
# Worth a look when one payee takes more than this share of the payments...
SINGLE_PAYEE_LIMIT = 0.40
# ...or the three largest together more than this one.
TOP_THREE_LIMIT = 0.75
# The top payee's latest payments shown as the finding's transactions.
SHOWN_PAYMENTS = 20


def find_supplier_concentration(history: CompanyHistory) -> list[Finding]:
    """The share of the last WINDOW_DAYS days' payments going to each of the top payees (by
    merchant, else normalised description), with the Herfindahl-Hirschman index; a warning
    past SINGLE_PAYEE_LIMIT or TOP_THREE_LIMIT."""
    since = history.today - timedelta(days=WINDOW_DAYS - 1)
    window = [m for m in history.movements if since <= m.day <= history.today]
    internal = own_transfers(window)
    payments = [m for m in window if m.amount_cents < 0 and m.transaction_id not in internal]
    if len(payments) < MIN_PAYMENTS:
        return []
    by_payee: dict[str, list[Movement]] = defaultdict(list)
    for payment in payments:
        by_payee[payee_key(payment)].append(payment)
    paid = {key: -sum(m.amount_cents for m in group) for key, group in by_payee.items()}
    total = sum(paid.values())
    shares = {key: cents / total for key, cents in paid.items()}
    ranked = sorted(paid, key=lambda key: (-paid[key], key))
    top_share = shares[ranked[0]]
    top_three_share = sum(shares[key] for key in ranked[:3])
    hhi = round(sum(share * share for share in shares.values()) * 10_000)
    top = [
        {
            "payee": payee_name(by_payee[key]),
            "paid_cents": paid[key],
            "share": round(shares[key], 4),
            "payments": len(by_payee[key]),
        }
        for key in ranked[:TOP_PAYEES]
    ]
    evidence = {
        "since": since.isoformat(),
        "until": history.today.isoformat(),
        "window_days": WINDOW_DAYS,
        "paid_cents": total,
        "payments": len(payments),
        "payees": len(paid),
        "top_payees": top,
        "top_share": round(top_share, 4),
        "top_three_share": round(top_three_share, 4),
        "herfindahl_index": hhi,
        "thresholds": {"top_share": SINGLE_PAYEE_LIMIT, "top_three_share": TOP_THREE_LIMIT},
        "own_transfers_left_out": len(internal),
    }
    name = str(top[0]["payee"])
    concentrated = top_share > SINGLE_PAYEE_LIMIT or top_three_share > TOP_THREE_LIMIT
    latest = sorted(by_payee[ranked[0]], key=chronological)
    period = f"Entre {day_label(since)} e {day_label(history.today)}"
    facts = (
        f"{period}, a empresa pagou {brl(total)} a {len(paid)} favorecidos; {name} recebeu "
        f"{brl(paid[ranked[0]])} ({percent(top_share)})"
    )
    if len(ranked) > 1:
        facts += f" e os 3 maiores somam {percent(top_three_share)}"
    hhi_text = f"Índice de Herfindahl-Hirschman: {decimal(hhi, 0)} (de 0 a 10.000)."
    if concentrated:
        title = (
            f"{name} recebe {percent(top_share)} dos seus pagamentos"
            if top_share > SINGLE_PAYEE_LIMIT
            else f"Três favorecidos recebem {percent(top_three_share)} dos seus pagamentos"
        )
        message = (
            f"{facts}. Acima de {percent(SINGLE_PAYEE_LIMIT)} num só fornecedor, ou de "
            f"{percent(TOP_THREE_LIMIT)} nos três maiores, um reajuste ou uma falha de um "
            f"deles pesa no caixa inteiro: vale ter alternativas. {hhi_text}"
        )
    else:
        title = "Pagamentos bem distribuídos entre fornecedores"
        message = f"{facts}. Nenhum fornecedor concentra os pagamentos. {hhi_text}"
    return [
        Finding(
            kind=KIND,
            tier="advanced",
            severity="warning" if concentrated else "info",
            title=title,
            message=message,
            evidence=evidence,
            transaction_ids=tuple(m.transaction_id for m in reversed(latest[-SHOWN_PAYMENTS:])),
            key=KIND,
        )
    ]
