"""The export's zip: billing's own tables as JSON, banking's files as it sent them, a manifest."""

from __future__ import annotations

import base64
import gzip
import io
import json
import shutil
import zipfile
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic_core import to_jsonable_python
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.accounts.models import Company, User
from billing.audit.models import AuditEntry
from billing.checkout.models import CheckoutSession
from billing.consents.models import Consent
from billing.customers.models import PaymentMethod, StripeCustomer
from billing.disputes.models import Dispute
from billing.exports.schemas import CompanyExported
from billing.fraud.models import FraudWarning
from billing.invoices.models import Invoice
from billing.notifications.models import Notification
from billing.payments.models import Payment, Refund
from billing.subscriptions.models import Subscription
from billing.usage.models import Usage
from finhub_shared.audit import redacted
from finhub_shared.auth import CompanyOwned
from finhub_shared.db import table_of

FORMAT_VERSION = 1
# What never leaves billing, even for the company itself: password hashes, and links that give
# access by themselves (as the audit listing hides them; JSON states are redacted the same way).
HIDDEN_COLUMNS = frozenset({"password_hash", "url", "hosted_invoice_url", "invoice_pdf_url"})
# Billing's tables of the company, each one JSON file: a list of its rows.
COMPANY_TABLES: tuple[tuple[str, type[CompanyOwned]], ...] = (
    ("users.json", User),
    ("consents.json", Consent),
    ("subscriptions.json", Subscription),
    ("invoices.json", Invoice),
    ("payments.json", Payment),
    ("refunds.json", Refund),
    ("disputes.json", Dispute),
    ("fraud_warnings.json", FraudWarning),
    ("stripe_customers.json", StripeCustomer),
    ("payment_methods.json", PaymentMethod),
    ("checkout_sessions.json", CheckoutSession),
    ("usage.json", Usage),
    ("notifications.json", Notification),
    ("audit_log.json", AuditEntry),
)


def _json(value: Any) -> bytes:
    return json.dumps(to_jsonable_python(value), ensure_ascii=False, indent=2).encode()


async def _rows(
    session: AsyncSession, table: Table, owner_column: str, company_id: UUID
) -> list[dict[str, Any]]:
    """The company's rows of `table` (those whose `owner_column` is its id), in key order."""
    columns = [column for column in table.columns if column.key not in HIDDEN_COLUMNS]
    statement = (
        select(*columns)
        .where(table.c[owner_column] == company_id)
        .order_by(*table.primary_key.columns)
    )
    return [
        {key: redacted(value) for key, value in row._mapping.items()}
        for row in await session.execute(statement)
    ]


async def billing_files(session: AsyncSession, company_id: UUID) -> dict[str, bytes]:
    """Billing's data of the company, one JSON file per table (no password hashes)."""
    [company] = await _rows(session, table_of(Company), "id", company_id)
    files = {"company.json": _json(company)}
    for name, model in COMPANY_TABLES:
        files[name] = _json(await _rows(session, table_of(model), "company_id", company_id))
    return files


def manifest(
    export_id: UUID,
    company_id: UUID,
    generated_at: datetime,
    billing: Mapping[str, bytes],
    banking: CompanyExported,
) -> dict[str, Any]:
    """What the archive holds: when it was made, and each service's part and files."""
    return {
        "format_version": FORMAT_VERSION,
        "export_id": str(export_id),
        "company_id": str(company_id),
        "generated_at": generated_at.isoformat(),
        "services": {
            "billing": {"generated_at": generated_at.isoformat(), "files": sorted(billing)},
            "banking": {
                "generated_at": banking.generated_at.isoformat(),
                "files": sorted(banking.files),
            },
        },
    }


def zipped(
    manifest_data: Mapping[str, Any], billing: Mapping[str, bytes], banking: CompanyExported
) -> bytes:
    """The zip: manifest.json, billing/<file>, banking/<file> (unpacked one at a time, so a big
    history is never held uncompressed). CPU-bound: call it in a thread."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", _json(manifest_data))
        for name, content in sorted(billing.items()):
            archive.writestr(f"billing/{name}", content)
        for name, encoded in sorted(banking.files.items()):
            packed = io.BytesIO(base64.b64decode(encoded))
            with (
                gzip.GzipFile(fileobj=packed, mode="rb") as source,
                archive.open(f"banking/{name}", "w", force_zip64=True) as target,
            ):
                shutil.copyfileobj(source, target)
    return buffer.getvalue()
