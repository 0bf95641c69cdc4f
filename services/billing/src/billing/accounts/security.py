"""Password hashing (argon2, off the event loop) and refresh token generation."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from billing.accounts.errors import PasswordTooLong, WeakPassword
from finhub_shared.fields import encodable

MIN_PASSWORD_LENGTH = 10
# Longer passwords are refused before hashing: argon2 over megabytes is a denial of service.
MAX_PASSWORD_LENGTH = 256

_hasher = PasswordHasher()


def check_password_length(password: str) -> None:
    """Refuse a password too long to hash; every path to the hasher calls this first."""
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordTooLong(f"The password must have at most {MAX_PASSWORD_LENGTH} characters.")


def check_new_password(password: str, email: str) -> None:
    """Refuse a password that is easy to guess; the error never repeats the password."""
    check_password_length(password)
    if not encodable(password):
        raise WeakPassword("The password must be valid Unicode text.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            f"The password must have {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters."
        )
    if not (re.search(r"[A-Za-z]", password) and re.search(r"[^A-Za-z]", password)):
        raise WeakPassword("The password needs letters and at least one digit or symbol.")
    if len(set(password)) < 5:
        raise WeakPassword("The password repeats too few different characters.")
    if password.lower() in email:
        raise WeakPassword("The password must not be part of the email address.")


async def hash_password(password: str) -> str:
    """The argon2id hash of the password (computed in a thread: it is slow on purpose)."""
    check_password_length(password)
    return await asyncio.to_thread(_hasher.hash, password)


async def password_matches(password_hash: str, password: str) -> bool:
    """Whether the password is the one hashed; one without a UTF-8 form never is (argon2 hashes
    bytes)."""
    check_password_length(password)
    if not encodable(password):
        return False
    try:
        return await asyncio.to_thread(_hasher.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


@lru_cache
def _unknown_user_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


async def spend_verification_time(password: str) -> None:
    """Verify against a throwaway hash, so an unknown email takes as long as a wrong password."""
    await password_matches(await asyncio.to_thread(_unknown_user_hash), password)


def new_refresh_token() -> str:
    """An opaque refresh token: 256 random bits."""
    return secrets.token_urlsafe(32)


def refresh_token_hash(token: str) -> str:
    """What is stored of a refresh token (a random token needs no slow hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


def rotation_key(private_key_pem: str) -> bytes:
    """The key that derives a refresh token's successor, from billing's own signing secret."""
    return hashlib.sha256(b"finhub refresh rotation\0" + private_key_pem.encode()).digest()


def successor_refresh_token(token: str, key: bytes) -> str:
    """The token that replaces `token` when it is used: derived, not random, so a retry that lost
    the answer gets the same one again; only the holder of `key` can compute it."""
    digest = hmac.new(key, token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
