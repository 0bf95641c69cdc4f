"""Structured logging for every process, with secrets redacted from every line, ours or a library's.

structlog renders our own log calls; the stdlib `logging` records of uvicorn, SQLAlchemy, aio-pika
and httpx go through the same processors (structlog's ProcessorFormatter), so the redaction below
sees every line before it is written.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any, TextIO

import structlog
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import EventDict, Processor, WrappedLogger

from finhub_shared.tracing import add_trace_id

REDACTED = "[REDACTED]"

# Keys whose value is dropped whatever it holds. Matching ignores case, `-`/`_` and camelCase,
# so "Stripe-Signature", "stripe_signature" and "stripeSignature" are one key.
SENSITIVE_KEYS = frozenset(
    {
        # HTTP headers
        "authorization",
        "proxy_authorization",
        "cookie",
        "set_cookie",
        "stripe_signature",
        "x_webhook_secret",
        "x_api_key",
        # credentials and tokens
        "password",
        "passwd",
        "secret",
        "client_secret",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "connect_token",
        "api_key",
        "private_key",
        "whsec",
        # bank credentials and MFA answers (Pluggy sends both as "parameters")
        "credentials",
        "parameters",
        "mfa",
        "mfa_answer",
        "mfa_parameters",
        "otp",
        # card data: the whole card object goes, brand and last4 included
        "card",
        "card_number",
        "cvc",
        "cvv",
        # Brazilian identity documents
        "cpf",
        "cnpj",
        "document",
        # webhook bodies are never logged
        "body",
        "raw_body",
        "payload",
    }
)
SENSITIVE_KEY_SUFFIXES = ("_secret", "_token", "_password", "_key")
# Names ending in a sensitive suffix that carry no secret and that operators need to read.
NON_SECRET_KEYS = frozenset({"routing_key", "idempotency_key"})


def _snake_case(key: str) -> str:
    with_underscores = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key)
    return with_underscores.lower().replace("-", "_")


_COMPACT_SENSITIVE_KEYS = frozenset(key.replace("_", "") for key in SENSITIVE_KEYS)


def is_sensitive_key(key: str) -> bool:
    """Whether the value stored under `key` must never be logged."""
    snake = _snake_case(key)
    if snake in NON_SECRET_KEYS:
        return False
    return snake.replace("_", "") in _COMPACT_SENSITIVE_KEYS or snake.endswith(
        SENSITIVE_KEY_SUFFIXES
    )


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _redact_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return REDACTED if _luhn_valid(digits) else match.group(0)


def _redact_assignment(match: re.Match[str]) -> str:
    if is_sensitive_key(match.group("key")):
        return f"{match.group('key')}{match.group('separator')}{REDACTED}"
    return match.group(0)


# Numbers must stand alone: digits glued to letters or "_" are part of an id (hex UUID, "evt_123").
_ALONE_BEFORE = r"(?<![A-Za-z0-9_])"
_ALONE_AFTER = r"(?![A-Za-z0-9_])"

# Applied in order to every string; each replaces the secret part of its match.
_TEXT_REDACTIONS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    # scheme://user:password@host, e.g. AMQP and PostgreSQL URLs
    (re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@"), r"\g<head>***@"),
    (
        re.compile(r"(?P<scheme>\bbearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE),
        rf"\g<scheme>{REDACTED}",
    ),
    # JWT: base64url JSON header (always "eyJ"), payload, signature
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]+|\bwhsec_[A-Za-z0-9+/=]+"), REDACTED),
    # Stripe-Signature header value: t=<timestamp>,v1=<hmac>[,v0=<hmac>]
    (re.compile(r"\bt=\d+(?:,\s*v\d+=[A-Za-z0-9]+)+"), REDACTED),
    # password=..., "token": "...", client_secret: ... (same key rules as structured fields)
    (
        re.compile(
            r"(?P<key>[A-Za-z][A-Za-z0-9_-]*)(?P<separator>[\"']?\s*[:=]\s*[\"']?)"
            # the value stops at URL and list punctuation, so "https://h/?token=x" reaches token
            r"[^\s&?=:,;\"'{}\[\]]+"
        ),
        _redact_assignment,
    ),
    # CNPJ and CPF, formatted or as bare 14 and 11 digit runs
    (
        re.compile(rf"{_ALONE_BEFORE}\d{{2}}\.\d{{3}}\.\d{{3}}/\d{{4}}-\d{{2}}{_ALONE_AFTER}"),
        REDACTED,
    ),
    (re.compile(rf"{_ALONE_BEFORE}\d{{3}}\.\d{{3}}\.\d{{3}}-\d{{2}}{_ALONE_AFTER}"), REDACTED),
    (re.compile(rf"{_ALONE_BEFORE}(?:\d{{14}}|\d{{11}}){_ALONE_AFTER}"), REDACTED),
    # card numbers: 13-19 digits, contiguous or grouped 4-4-4-x / 4-6-5; only Luhn-valid ones
    (
        re.compile(
            rf"{_ALONE_BEFORE}(?:\d{{13,19}}|\d{{4}}(?:[ -]\d{{4}}){{2}}[ -]\d{{1,7}}"
            rf"|\d{{4}}[ -]\d{{6}}[ -]\d{{5}}){_ALONE_AFTER}"
        ),
        _redact_card,
    ),
)


def redact_text(text: str) -> str:
    """`text` with every secret-looking part (tokens, URL passwords, documents, cards) replaced."""
    for pattern, replacement in _TEXT_REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any) -> Any:
    """A copy of `value` with secrets removed: sensitive keys dropped, every string scanned.

    Objects other than containers and numbers become their (scanned) `str()`, so no renderer's
    `repr()` can leak what we did not see.
    """
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return value if redact_text(str(value)) == str(value) else REDACTED
    if isinstance(value, dict):
        return {key: _redact_item(key, item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, tuple):
        return _redact_tuple(value)
    if isinstance(value, bytes):
        return redact_text(value.decode("utf-8", errors="replace"))
    return redact_text(str(value))


def _redact_item(key: object, item: Any) -> Any:
    return REDACTED if is_sensitive_key(str(key)) else redact(item)


def _redact_tuple(value: tuple[Any, ...]) -> tuple[Any, ...]:
    # A (name, value) pair is how raw HTTP headers travel (ASGI scopes, httpx `.raw`).
    if len(value) == 2 and isinstance(value[0], str | bytes):
        name = value[0].decode("latin-1") if isinstance(value[0], bytes) else value[0]
        if is_sensitive_key(name):
            return (name, REDACTED)
    return tuple(redact(item) for item in value)


def redact_secrets(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: remove secrets from the whole event; runs just before rendering."""
    return {key: _redact_item(key, item) for key, item in event_dict.items()}


# Each line's `area`, for operators to route lines (an alert's runbook names one): the area of
# the longest dotted prefix of the line's logger name here, DEFAULT_AREA when none matches. A
# call may name its area itself (`log.warning(..., area="security")`) and that wins.
AREAS: Mapping[str, str] = {
    # the services: each one's main concern, and the parts that are another's
    "webhook_gateway": "webhooks",
    "webhook_gateway.erasure": "privacy",
    "billing": "payments",
    "billing.erasure": "privacy",
    "billing.exports": "privacy",
    "banking": "bank_sync",
    "banking.erasure": "privacy",
    "banking.insights": "insights",
    "banking.learning": "insights",
    "banking.pix": "payments",
    "live": "live",
    "provider_sandbox": "sandbox",
    # the shared parts and the libraries under them
    "finhub_shared.bus": "bus",
    "finhub_shared.inbox": "bus",
    "finhub_shared.outbox": "bus",
    "aio_pika": "bus",
    "aiormq": "bus",
    "finhub_shared.supervision": "jobs",
    "finhub_shared.worker": "jobs",
    "finhub_shared.provider_client": "providers",
    "httpx": "providers",
    "httpcore": "providers",
    "stripe": "providers",
    "finhub_shared.errors": "http",
    "finhub_shared.observability": "http",
    "uvicorn": "http",
    "fastapi": "http",
    "sqlalchemy": "database",
    "asyncpg": "database",
    "alembic": "database",
}
DEFAULT_AREA = "app"


@functools.cache
def area_of(logger_name: str) -> str:
    """The area of a line logged by `logger_name` (see AREAS)."""
    parts = logger_name.split(".")
    for end in range(len(parts), 0, -1):
        if area := AREAS.get(".".join(parts[:end])):
            return area
    return DEFAULT_AREA


def add_area(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: the line's `area`, unless the call named one."""
    event_dict.setdefault("area", area_of(str(event_dict.get("logger", ""))))
    return event_dict


def _add_service(service: str) -> Processor:
    def add_service(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        event_dict["service"] = service
        return event_dict

    return add_service


# Run on every event, whether it comes from structlog or from a stdlib logger.
_SHARED_PROCESSORS: tuple[Processor, ...] = (
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
    add_trace_id,
)

# Tracebacks without local variables: their values would be secrets we cannot recognise.
_JSON_EXCEPTIONS = structlog.processors.ExceptionRenderer(
    ExceptionDictTransformer(show_locals=False)
)

_HANDLER_NAME = "finhub"

# Libraries that install their own handlers; we send their records to ours instead.
_LOGGERS_WITH_OWN_HANDLERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def _formatter(service: str, *, json: bool) -> structlog.stdlib.ProcessorFormatter:
    # Exceptions are turned into text or dicts BEFORE redaction, so their messages are scanned too.
    exceptions = _JSON_EXCEPTIONS if json else structlog.processors.format_exc_info
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _add_service(service),
            add_area,
            exceptions,
            redact_secrets,
            renderer,
        ],
    )


def _level_number(level: str) -> int:
    try:
        return logging.getLevelNamesMapping()[level.upper()]
    except KeyError:
        raise ValueError(f"unknown log level {level!r}") from None


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stdout` is when a line is logged, not when logging was set up,
    so output redirected later (a test's capture, a supervisor's reopened pipe) still gets it."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def configure_logging(
    service: str,
    level: str = "INFO",
    *,
    json: bool = True,
    stream: TextIO | None = None,
    access_log: bool = False,
) -> None:
    """Send every log line (structlog and stdlib) through redaction to `stream` (stdout).

    Safe to call again: the handler it installed before is replaced, not duplicated.
    """
    level_number = _level_number(level)
    # This half never differs between calls (service, format and stream live in the handler),
    # so loggers cached by an earlier call stay correct.
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream) if stream else _StdoutHandler()
    handler.name = _HANDLER_NAME
    handler.setFormatter(_formatter(service, json=json))

    root = logging.getLogger()
    for previous in [h for h in root.handlers if h.name == _HANDLER_NAME]:
        root.removeHandler(previous)
        previous.close()
    root.addHandler(handler)
    root.setLevel(level_number)

    for name in _LOGGERS_WITH_OWN_HANDLERS:
        library_logger = logging.getLogger(name)
        library_logger.handlers.clear()
        library_logger.propagate = True
    # One line per request costs the hot paths dearly; the metrics already count every request.
    # Off, the access logger reaches no handler: uvicorn then skips the call and its arguments.
    access = logging.getLogger("uvicorn.access")
    access.setLevel(logging.INFO if access_log else logging.WARNING)
    access.propagate = access_log


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    """A structlog logger named `name` (default: the calling module)."""
    if name is None:
        return structlog.stdlib.get_logger()
    return structlog.stdlib.get_logger(name)
