"""Connectors: a few Brazilian banks and Pluggy's sandbox banks, with their health.

Every connector here accepts Pluggy's sandbox users (`user-ok` / `password-ok` and the error
users, see `sandbox_users.py`). The bank connector ids are illustrative, not Pluggy's real ones;
the sandbox connectors follow Pluggy's SDK tests (0 = Pluggy Bank) and examples (5 = MFA 2-step).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from provider_sandbox.pluggy.clock import iso
from provider_sandbox.pluggy.transactions.catalog import BANKS, Bank

HealthStatus = Literal["ONLINE", "UNSTABLE", "OFFLINE"]
ConnectorType = Literal["PERSONAL_BANK", "BUSINESS_BANK"]
MfaFlow = Literal["none", "one_step", "two_step"]

PRODUCTS = ["ACCOUNTS", "CREDIT_CARDS", "TRANSACTIONS", "PAYMENT_DATA", "IDENTITY"]

USER_CREDENTIAL = {
    "name": "user",
    "label": "Usuário",
    "type": "text",
    "placeholder": "user-ok",
    "assistiveText": "No sandbox, use user-ok",
    "mfa": False,
}
PASSWORD_CREDENTIAL = {
    "name": "password",
    "label": "Senha",
    "type": "password",
    "placeholder": "password-ok",
    "assistiveText": "No sandbox, use password-ok",
    "mfa": False,
}
TOKEN_CREDENTIAL = {
    "name": "token",
    "label": "Token",
    "type": "number",
    "placeholder": "123456",
    "assistiveText": "O token de 6 dígitos do seu aplicativo",
    "validation": "^\\d{6}$",
    "validationMessage": "O token deve ter 6 dígitos",
    "mfa": True,
}


@dataclass
class Connector:
    """One institution a client can connect to."""

    id: int
    name: str
    institution_url: str
    image_url: str
    primary_color: str
    type: ConnectorType
    bank: Bank
    is_sandbox: bool = False
    mfa: MfaFlow = "none"
    supports_payments: bool = True
    health: HealthStatus = "ONLINE"
    # Open Finance institutions' items have consents that can expire or be revoked.
    is_open_finance: bool = False
    created_at: datetime = field(default_factory=lambda: datetime(2020, 1, 1, tzinfo=UTC))
    updated_at: datetime = field(default_factory=lambda: datetime(2020, 1, 1, tzinfo=UTC))

    @property
    def credentials(self) -> list[dict[str, Any]]:
        """What the user types to connect (item parameters)."""
        if self.mfa == "one_step":
            return [USER_CREDENTIAL, PASSWORD_CREDENTIAL, TOKEN_CREDENTIAL]
        return [USER_CREDENTIAL, PASSWORD_CREDENTIAL]

    def as_json(self) -> dict[str, Any]:
        """The connector in Pluggy's shape."""
        return {
            "id": self.id,
            "name": self.name,
            "institutionUrl": self.institution_url,
            "imageUrl": self.image_url,
            "primaryColor": self.primary_color,
            "type": self.type,
            "country": "BR",
            "credentials": self.credentials,
            "hasMFA": self.mfa != "none",
            "oauth": False,
            "oauthUrl": None,
            "resetPasswordUrl": None,
            "products": PRODUCTS,
            "health": {"status": self.health, "stage": None},
            "isOpenFinance": self.is_open_finance,
            "isSandbox": self.is_sandbox,
            "supportsPaymentInitiation": self.supports_payments,
            "supportsScheduledPayments": self.supports_payments,
            "supportsSmartTransfers": False,
            "supportsBoletoManagement": False,
            "supportsAutomaticPix": self.supports_payments,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }


def _bank(compe: str) -> Bank:
    return next(bank for bank in BANKS if bank.compe == compe)


def _logo(connector_id: int) -> str:
    return f"https://cdn.pluggy.ai/assets/connector-icons/{connector_id}.svg"


def initial_connectors() -> dict[int, Connector]:
    """The catalogue a fresh sandbox starts with, by id."""
    connectors = [
        Connector(0, "Pluggy Bank", "https://pluggy.ai", _logo(0), "ef294b", "PERSONAL_BANK",
                  _bank("341"), is_sandbox=True),
        Connector(4, "Pluggy Bank MFA 1-step", "https://pluggy.ai", _logo(4), "ef294b",
                  "PERSONAL_BANK", _bank("341"), is_sandbox=True, mfa="one_step"),
        Connector(5, "Pluggy Bank MFA 2-step", "https://pluggy.ai", _logo(5), "ef294b",
                  "PERSONAL_BANK", _bank("341"), is_sandbox=True, mfa="two_step"),
        Connector(201, "Itaú", "https://www.itau.com.br", _logo(201), "ec7000",
                  "PERSONAL_BANK", _bank("341")),
        Connector(202, "Itaú Empresas", "https://www.itau.com.br/empresas", _logo(202),
                  "ec7000", "BUSINESS_BANK", _bank("341")),
        Connector(203, "Bradesco", "https://banco.bradesco", _logo(203), "cc092f",
                  "PERSONAL_BANK", _bank("237")),
        Connector(204, "Bradesco Empresas", "https://banco.bradesco/empresas", _logo(204),
                  "cc092f", "BUSINESS_BANK", _bank("237")),
        Connector(205, "Banco do Brasil", "https://www.bb.com.br", _logo(205), "fcfc30",
                  "PERSONAL_BANK", _bank("001")),
        Connector(206, "Caixa Econômica Federal", "https://www.caixa.gov.br", _logo(206),
                  "005ca9", "PERSONAL_BANK", _bank("104")),
        Connector(207, "Nubank", "https://nubank.com.br", _logo(207), "820ad1",
                  "PERSONAL_BANK", _bank("260")),
        Connector(208, "Nubank PJ", "https://nubank.com.br/pj", _logo(208), "820ad1",
                  "BUSINESS_BANK", _bank("260")),
        Connector(209, "Inter", "https://www.bancointer.com.br", _logo(209), "ff7a00",
                  "PERSONAL_BANK", _bank("077")),
        Connector(210, "Inter Empresas", "https://www.bancointer.com.br/empresas", _logo(210),
                  "ff7a00", "BUSINESS_BANK", _bank("077")),
    ]  # fmt: skip
    return {connector.id: connector for connector in connectors}


def matches(
    connector: Connector,
    *,
    name: str | None,
    types: list[str],
    include_sandbox: bool,
    supports_payment_initiation: bool | None,
) -> bool:
    """Whether a connector passes `GET /connectors` filters."""
    if connector.is_sandbox and not include_sandbox:
        return False
    if name and name.casefold() not in connector.name.casefold():
        return False
    if types and connector.type not in types:
        return False
    return supports_payment_initiation in (None, connector.supports_payments)
