"""MFA prompts encrypted at rest with Fernet (MFA_ENCRYPTION_KEY; several keys for rotation)."""

from __future__ import annotations

import structlog
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

from banking.pluggy.payloads import ItemParameter
from finhub_shared.settings import split_secrets

log = structlog.get_logger(__name__)


class MfaCipher:
    """Encrypts with the first key; decrypts with any, so keys can be rotated."""

    def __init__(self, keys: SecretStr) -> None:
        self._fernet = MultiFernet([Fernet(key) for key in split_secrets(keys)])

    def encrypt(self, prompt: ItemParameter) -> bytes:
        """The prompt as an opaque token to store."""
        return self._fernet.encrypt(prompt.model_dump_json(by_alias=True).encode())

    def decrypt(self, token: bytes) -> ItemParameter | None:
        """The stored prompt, or None when no configured key opens it (a retired key)."""
        try:
            plain = self._fernet.decrypt(token)
        except InvalidToken:
            log.warning("mfa_prompt_unreadable")
            return None
        return ItemParameter.model_validate_json(plain)
