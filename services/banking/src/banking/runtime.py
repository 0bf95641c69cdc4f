"""What banking's services, handlers and jobs need besides a session: the settings, the
database, the Pluggy client and the language model's client, built once per process.

The API keeps one `Runtime` in `app.state` (banking.dependencies hands it to routes); the worker
builds one in `consumer.run` and `run_worker` hands it to every handler and job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from banking.config import BankingSettings
from banking.entitlements.schemas import TrialTerms
from banking.items.mfa import MfaCipher
from banking.pluggy import PluggyClient
from finhub_shared.db import Database


@dataclass(frozen=True)
class Runtime:
    settings: BankingSettings
    database: Database
    pluggy: PluggyClient
    # The client of the language model that writes insights' month summary: the worker opens it
    # once and closes it at its end; None where no summary is written (the API).
    llm: httpx.AsyncClient | None = None
    mfa_cipher: MfaCipher = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mfa_cipher", MfaCipher(self.settings.mfa_encryption_key))

    @property
    def trial_terms(self) -> TrialTerms:
        """What a company billing has not told us about gets."""
        return TrialTerms(
            days=self.settings.trial_days,
            bank_accounts=self.settings.trial_bank_accounts,
            transactions_per_month=self.settings.trial_transactions_per_month,
        )
