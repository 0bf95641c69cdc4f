"""Banking's settings."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr

from finhub_shared.settings import TokenVerificationSettings, load_settings


class BankingSettings(TokenVerificationSettings):
    """Everything banking reads from the environment."""

    port: int = Field(8002, validation_alias="BANKING_PORT")
    database_url: SecretStr = Field(validation_alias="BANKING_DATABASE_URL")
    pluggy_client_id: str = Field(validation_alias="PLUGGY_CLIENT_ID")
    pluggy_client_secret: SecretStr = Field(validation_alias="PLUGGY_CLIENT_SECRET")
    pluggy_api_url: str = Field("https://api.pluggy.ai", validation_alias="PLUGGY_API_URL")
    mfa_encryption_key: SecretStr = Field(validation_alias="MFA_ENCRYPTION_KEY")


@lru_cache
def get_settings() -> BankingSettings:
    """The settings, read once; stops the process with a one-line reason if one is missing."""
    return load_settings(BankingSettings, "banking")
