"""Why our webhook could not be registered at Pluggy."""

from __future__ import annotations

from finhub_shared.errors import ProviderError


class MissingPluggyCredentials(ProviderError):
    status_code = 400
    code = "pluggy_credentials_missing"
