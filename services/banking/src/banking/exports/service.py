"""Banking's part of a company's data export: every table of the company as JSON, its
transactions also as CSV, each file gzipped then base64 for the bus. Rows are streamed from the
database into the compressor, so a long history is never held in memory uncompressed."""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic_core import to_jsonable_python
from sqlalchemy import Select, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from banking.accounts.models import BankAccount
from banking.audit.models import AuditEntry
from banking.categories.models import CategoryRule
from banking.connectors.models import Connector
from banking.exports.schemas import ExportRequested
from banking.items.models import Item
from banking.pix.models import PixMandate, PixMandatePayment, PixPayment, PixScheduledPayment
from banking.publishing import COMPANY_EXPORTED, company_exported_data, publish
from banking.transactions.models import Transaction
from banking.usage.models import MonthlyUsage
from finhub_shared.audit import redacted
from finhub_shared.db import table_of

ENCODING = "gzip+base64"
# Rows read from the database at a time.
BATCH = 1000
# What never leaves banking, even for the company itself: the pending MFA prompt, and a PIX
# payment's page, which gives access by itself (JSON states are redacted as the audit listing
# shows them).
HIDDEN_COLUMNS = frozenset({"mfa_prompt_encrypted", "payment_url"})
# The company's tables, one JSON file each (a list of its rows).
COMPANY_TABLES: tuple[tuple[str, type[Any]], ...] = (
    ("accounts.json", BankAccount),
    ("transactions.json", Transaction),
    ("category_rules.json", CategoryRule),
    ("pix_payments.json", PixPayment),
    ("pix_scheduled_payments.json", PixScheduledPayment),
    ("pix_mandates.json", PixMandate),
    ("pix_mandate_payments.json", PixMandatePayment),
    ("monthly_usage.json", MonthlyUsage),
    ("audit_log.json", AuditEntry),
)
# Tables read in another order than their key's: as a person reads them.
READING_ORDER: dict[type[Any], tuple[str, ...]] = {Transaction: ("date", "id")}
# A cell starting so is a formula to Excel, LibreOffice and Sheets (CSV injection): a bank's
# description or a category name is data, so such a cell is written with a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TRANSACTIONS_CSV_HEADER = (
    "id",
    "date",
    "account_id",
    "account_name",
    "description",
    "merchant_name",
    "type",
    "amount",
    "currency_code",
    "status",
    "category_id",
    "category_name",
    "category_source",
    "over_limit",
)


class _Packed:
    """Text written into a gzip stream in memory; `encoded()` is its base64."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self._gzip = gzip.GzipFile(fileobj=self._buffer, mode="wb", mtime=0)

    def write(self, text: str) -> int:
        return self._gzip.write(text.encode())

    def encoded(self) -> str:
        self._gzip.close()
        return base64.b64encode(self._buffer.getvalue()).decode()


def reais(cents: int) -> str:
    """Integer cents as a decimal string of reais: 123456 → "1234.56"."""
    return str(Decimal(cents).scaleb(-2).quantize(Decimal("0.01")))


def _visible(table: Table) -> list[Any]:
    return [column for column in table.columns if column.key not in HIDDEN_COLUMNS]


async def _streamed(session: AsyncSession, statement: Select[Any]) -> AsyncIterator[dict[str, Any]]:
    result = await session.stream(statement.execution_options(yield_per=BATCH))
    async for row in result.mappings():
        yield {key: redacted(value) for key, value in row.items()}


async def _json_file(session: AsyncSession, statement: Select[Any]) -> str:
    packed = _Packed()
    packed.write("[")
    separator = "\n"
    async for row in _streamed(session, statement):
        packed.write(separator + json.dumps(to_jsonable_python(row), ensure_ascii=False))
        separator = ",\n"
    packed.write("\n]\n")
    return packed.encoded()


def _as_text(value: str | None) -> str:
    """A bank's free text as a spreadsheet shows it, never as a formula it would run."""
    text = value or ""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _csv_row(row: dict[str, Any]) -> Iterable[Any]:
    return (
        row["id"],
        row["date"].isoformat(),
        row["account_id"],
        _as_text(row["account_name"]),
        _as_text(row["description"]),
        _as_text(row["merchant_name"]),
        row["type"],
        reais(row["amount_cents"]),
        row["currency_code"],
        row["status"] or "",
        row["category_id"] or "",
        _as_text(row["category_name"]),
        row["category_source"] or "",
        "true" if row["over_limit"] else "false",
    )


async def _transactions_csv(session: AsyncSession, company_id: UUID) -> str:
    packed = _Packed()
    writer = csv.writer(packed, lineterminator="\n")
    writer.writerow(TRANSACTIONS_CSV_HEADER)
    statement = (
        select(Transaction.__table__, BankAccount.name.label("account_name"))
        .join(BankAccount, BankAccount.id == Transaction.account_id)
        .where(Transaction.company_id == company_id)
        .order_by(Transaction.date, Transaction.id)
    )
    async for row in _streamed(session, statement):
        writer.writerow(_csv_row(row))
    return packed.encoded()


def _of_company(model: type[Any], company_id: UUID) -> Select[Any]:
    table = table_of(model)
    order = [table.c[name] for name in READING_ORDER.get(model, ())] or table.primary_key.columns
    return select(*_visible(table)).where(table.c.company_id == company_id).order_by(*order)


async def company_files(session: AsyncSession, company_id: UUID) -> dict[str, str]:
    """Banking's files of the company, each gzipped then base64: its connections (with their
    bank's name, never a credential or an MFA prompt), accounts, transactions (JSON and CSV with
    amounts in reais), categorisation rules, PIX payments and mandates, and monthly usage."""
    items = table_of(Item)
    connections = (
        select(*_visible(items), Connector.name.label("connector_name"))
        .join(Connector, Connector.id == items.c.connector_id)
        .where(items.c.company_id == company_id)
        .order_by(items.c.created_at, items.c.id)
    )
    files = {"items.json": await _json_file(session, connections)}
    for name, model in COMPANY_TABLES:
        files[name] = await _json_file(session, _of_company(model, company_id))
    files["transactions.csv"] = await _transactions_csv(session, company_id)
    return files


async def export_company(session: AsyncSession, request: ExportRequested, now: datetime) -> None:
    """Answer billing's export request with banking's files of the company."""
    files = await company_files(session, request.company_id)
    data = company_exported_data(request.export_id, request.company_id, now, ENCODING, files)
    await publish(session, COMPANY_EXPORTED, data, request.company_id)
