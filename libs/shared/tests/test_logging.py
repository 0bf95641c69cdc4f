"""Structured logging: every line, ours or a library's, is free of secrets and keeps context."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from uvicorn.config import LOGGING_CONFIG

from finhub_shared.correlation import correlation_scope
from finhub_shared.logging import REDACTED, configure_logging, get_logger, is_sensitive_key

# One real example of every kind of secret the redaction must recognise in free text.
SECRETS_IN_TEXT = {
    "bearer token": "Bearer 9f8e7d6c5b4a39281706f5e4",
    "jwt": jwt.encode(
        {"sub": "user-1", "company_id": "c-1"},
        "a-signing-key-long-enough-for-hs256-use",
        algorithm="HS256",
    ),
    "stripe live key": "sk_live_51HcW4rLkdIwHu7ixlBqYwzGzR",
    "stripe test key": "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "stripe restricted key": "rk_live_51HcW4rLkdIwHu7ixQq8uV",
    "webhook secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "stripe signature": (
        "t=1492774577,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"
    ),
    "card": "4242424242424242",
    "spaced card": "4000 0566 5566 5556",
    "dashed card": "5555-5555-5555-4444",
    "amex card": "3782 822463 10005",
    "formatted cpf": "529.982.247-25",
    "bare cpf": "52998224725",
    "formatted cnpj": "11.222.333/0001-81",
    "bare cnpj": "11222333000181",
}
# In URLs only the password is secret; the rest of the URL is useful context.
URL_PASSWORDS = {
    "postgresql://finhub:pgPassw0rdZ@db.internal:5432/billing": "pgPassw0rdZ",
    "amqp://finhub:rabbitPw77q@rabbit:5672/finhub": "rabbitPw77q",
}
BEARER_VALUE = "9f8e7d6c5b4a39281706f5e4"

# Context that must survive redaction.
CORRELATION_ID = "req-7f3a9c.checkout_42"
ROUTING_KEY = "stripe.invoice.payment_failed"
IDEMPOTENCY_KEY = "idem-2024-05-01-0001"
EVENT_ID = "evt_123"
STRIPE_EVENT_ID = "evt_1NG8Du2eZvKYlo2CqN8BFbUq"
COMPANY_ID = "8b3f6f0e-4c1d-4e8a-9a57-1f2e3d4c5b6a"
HEX_CORRELATION_ID = "1234567890123456789012345678901a"


@dataclass
class LogCapture:
    stream: io.StringIO

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def clear(self) -> None:
        self.stream.seek(0)
        self.stream.truncate()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the process-wide logging set-up back as it was, so other tests are not affected."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    structlog.reset_defaults()


@pytest.fixture
def json_logs(restore_logging: None) -> LogCapture:
    capture = LogCapture(io.StringIO())
    configure_logging("billing", "DEBUG", stream=capture.stream)
    return capture


def _assert_no_secret(output: str) -> None:
    for kind, secret in SECRETS_IN_TEXT.items():
        # The whole example, and any long piece of it ("Bearer" itself may stay).
        for fragment in [secret, *re.split(r"[ ,=.-]", secret)]:
            if fragment == secret or len(fragment) >= 8:
                assert fragment not in output, f"{kind} leaked"
    for url, password in URL_PASSWORDS.items():
        assert password not in output, f"password of {url.split(':')[0]} URL leaked"


def test_a_line_carries_event_level_logger_service_time_and_correlation_id(
    json_logs: LogCapture,
) -> None:
    with correlation_scope(CORRELATION_ID):
        get_logger("billing.payments").info("payment_recorded", amount_cents=125_000)

    [line] = json_logs.lines()
    assert line["event"] == "payment_recorded"
    assert line["level"] == "info"
    assert line["logger"] == "billing.payments"
    assert line["service"] == "billing"
    assert line["correlation_id"] == CORRELATION_ID
    assert line["amount_cents"] == 125_000
    assert line["timestamp"].endswith("Z")


def test_each_line_names_its_area_from_its_logger_unless_the_call_names_one(
    json_logs: LogCapture,
) -> None:
    get_logger("billing.payments.service").info("payment_recorded")
    get_logger("billing.erasure.jobs").info("erasure_step_done")
    get_logger("banking.sync.service").info("sync_finished")
    get_logger("finhub_shared.bus.consumer").warning("bus_handler_failed")
    logging.getLogger("sqlalchemy.engine.Engine").warning("slow query")
    get_logger("webhook_gateway.webhooks.endpoints").warning("webhook_rejected", area="security")
    get_logger("a_script_of_ours").info("done")

    areas = [(line["logger"], line["area"]) for line in json_logs.lines()]
    assert areas == [
        ("billing.payments.service", "payments"),
        ("billing.erasure.jobs", "privacy"),
        ("banking.sync.service", "bank_sync"),
        ("finhub_shared.bus.consumer", "bus"),
        ("sqlalchemy.engine.Engine", "database"),
        ("webhook_gateway.webhooks.endpoints", "security"),
        ("a_script_of_ours", "app"),
    ]


SENSITIVE_FIELDS = [
    "authorization",
    "Stripe-Signature",
    "X-Webhook-Secret",
    "cookie",
    "Set-Cookie",
    "X-API-Key",
    "password",
    "secret",
    "client_secret",
    "clientSecret",
    "token",
    "access_token",
    "accessToken",
    "refresh_token",
    "api_key",
    "apiKey",
    "connect_token",
    "connectToken",
    "mfa",
    "mfa_answer",
    "mfa_parameters",
    "otp",
    "parameters",
    "credentials",
    "card",
    "card_number",
    "cvc",
    "cpf",
    "cnpj",
    "document",
    "private_key",
    "whsec",
    "raw_body",
    "body",
    "payload",
    # anything ending in _secret, _token, _password or _key
    "stripe_webhook_secret",
    "pluggy_item_token",
    "database_password",
    "encryption_key",
]


def test_values_under_sensitive_keys_are_replaced_wherever_they_are_nested(
    json_logs: LogCapture,
) -> None:
    fields = {name: f"plain-value-{number}-xq" for number, name in enumerate(SENSITIVE_FIELDS)}
    log = get_logger("webhook_gateway.stripe")
    with correlation_scope(CORRELATION_ID):
        log.info(
            "webhook_received",
            routing_key=ROUTING_KEY,
            idempotency_key=IDEMPOTENCY_KEY,
            event_id=EVENT_ID,
            company_id=uuid.UUID(COMPANY_ID),
            headers={"Content-Type": "application/json", **fields},
            raw_headers=[(b"authorization", b"Basic c2VjcmV0OnNlY3JldA=="), (b"accept", b"*/*")],
            payment={"card": {"number": "4242424242424242", "cvc": "123", "last4": "4242"}},
            item={
                "parameters": {"user": "joao", "password": "senha-do-banco", "token": "tk-889900"}
            },
            **fields,
        )

    output = json_logs.text
    for value in [*fields.values(), "c2VjcmV0OnNlY3JldA==", "senha-do-banco", "tk-889900"]:
        assert value not in output
    [line] = json_logs.lines()
    assert line["headers"]["Content-Type"] == "application/json"
    assert all(line["headers"][name] == REDACTED for name in SENSITIVE_FIELDS)
    assert line["raw_headers"] == [["authorization", REDACTED], ["accept", "*/*"]]
    assert line["payment"] == {"card": REDACTED}
    assert line["item"] == {"parameters": REDACTED}
    assert line["event"] == "webhook_received"
    assert line["correlation_id"] == CORRELATION_ID
    assert line["routing_key"] == ROUTING_KEY
    assert line["idempotency_key"] == IDEMPOTENCY_KEY
    assert line["event_id"] == EVENT_ID
    assert line["company_id"] == COMPANY_ID


@pytest.mark.parametrize(
    ("key", "sensitive"),
    [
        ("routing_key", False),
        ("idempotency_key", False),
        ("routingKey", False),
        ("event_id", False),
        ("token_type", False),
        ("key", False),
        ("stripe_api_key", True),
        ("Idempotency-Key-Secret", True),
        ("ACCESS-TOKEN", True),
    ],
)
def test_which_keys_count_as_sensitive(key: str, sensitive: bool) -> None:
    assert is_sensitive_key(key) is sensitive


def test_secrets_inside_messages_and_values_are_replaced_and_the_rest_kept(
    json_logs: LogCapture,
) -> None:
    examples = [*SECRETS_IN_TEXT.values(), *URL_PASSWORDS]
    log = get_logger("banking.items")
    with correlation_scope(CORRELATION_ID):
        for example in examples:
            log.warning(f"provider said: {example} for {EVENT_ID}", detail=f"got {example} back")
        log.info("url_in_a_list", urls=list(URL_PASSWORDS))

    _assert_no_secret(json_logs.text)
    lines = json_logs.lines()
    assert len(lines) == len(examples) + 1
    for line in lines[:-1]:
        assert line["event"].startswith("provider said: ")
        assert line["event"].endswith(f" for {EVENT_ID}")
        assert REDACTED in line["event"] or "***@" in line["event"]
        assert line["correlation_id"] == CORRELATION_ID
    assert lines[-1]["urls"] == [
        "postgresql://finhub:***@db.internal:5432/billing",
        "amqp://finhub:***@rabbit:5672/finhub",
    ]


def test_secret_assignments_in_text_are_replaced_but_useful_ones_kept(
    json_logs: LogCapture,
) -> None:
    get_logger().info(
        "GET /callback?connect_token=ct-abc987&item_id=42 "
        "{'password': 'hunter2x', 'routing_key': 'pluggy.item.updated'} client_secret: cs-5566"
    )

    [line] = json_logs.lines()
    for secret in ("ct-abc987", "hunter2x", "cs-5566"):
        assert secret not in line["event"]
    assert "item_id=42" in line["event"]
    assert "'routing_key': 'pluggy.item.updated'" in line["event"]


def test_ordinary_ids_and_numbers_are_not_mistaken_for_secrets(json_logs: LogCapture) -> None:
    ordinary = [
        EVENT_ID,
        STRIPE_EVENT_ID,
        COMPANY_ID,
        HEX_CORRELATION_ID,
        "1700000000001",  # a millisecond timestamp that fails the Luhn check
        "4242424242424241",  # 16 digits, not Luhn-valid, so not a card
        "2024-05-01T12:00:00.123456+00:00",
        ROUTING_KEY,
        "finhub.events",
        "item 12345 synced 1234567890 transactions",
    ]
    get_logger().info("ids " + " ".join(ordinary), ids=ordinary, total_cents=1_234_567_890_123)

    [line] = json_logs.lines()
    assert line["ids"] == ordinary
    assert line["event"] == "ids " + " ".join(ordinary)
    assert line["total_cents"] == 1_234_567_890_123


def _fail_connecting() -> None:
    raise ConnectionError(
        f"could not reach {next(iter(URL_PASSWORDS))} with {SECRETS_IN_TEXT['stripe live key']}"
        f" for card {SECRETS_IN_TEXT['card']} and cpf {SECRETS_IN_TEXT['formatted cpf']}"
    )


def _log_failure_with_cause() -> None:
    log = get_logger("billing.checkout")
    try:
        try:
            _fail_connecting()
        except ConnectionError as error:
            raise RuntimeError(f"checkout failed, {SECRETS_IN_TEXT['bearer token']}") from error
    except RuntimeError:
        with correlation_scope(CORRELATION_ID):
            log.exception("checkout_failed", routing_key=ROUTING_KEY)


def test_exception_messages_and_causes_are_redacted_in_json_tracebacks(
    json_logs: LogCapture,
) -> None:
    _log_failure_with_cause()

    _assert_no_secret(json_logs.text)
    [line] = json_logs.lines()
    assert line["event"] == "checkout_failed"
    assert line["correlation_id"] == CORRELATION_ID
    assert line["routing_key"] == ROUTING_KEY
    error, cause = line["exception"]
    assert cause["exc_type"] == "ConnectionError"
    assert "postgresql://finhub:***@db.internal:5432/billing" in cause["exc_value"]
    assert "_fail_connecting" in [frame["name"] for frame in cause["frames"]]
    assert error["exc_type"] == "RuntimeError"
    assert "locals" not in error["frames"][0]


def test_exception_messages_are_redacted_in_console_tracebacks(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging("billing", json=False, stream=stream)

    _log_failure_with_cause()

    output = stream.getvalue()
    _assert_no_secret(output)
    assert "checkout_failed" in output
    assert "Traceback (most recent call last)" in output
    assert "ConnectionError: could not reach postgresql://finhub:***@db.internal" in output
    assert CORRELATION_ID in output


def test_library_loggers_go_through_the_same_redaction(
    json_logs: LogCapture, capsys: pytest.CaptureFixture[str]
) -> None:
    secret_url = next(iter(URL_PASSWORDS))
    with correlation_scope(CORRELATION_ID):
        logging.getLogger("sqlalchemy.engine").warning("connecting to %s", secret_url)
        logging.getLogger("httpx").info(
            "HTTP Request: POST %s", f"https://api.example.com/x?token={BEARER_VALUE}"
        )
        try:
            _fail_connecting()
        except ConnectionError:
            logging.getLogger("aio_pika").exception(
                "reconnect failed with %s", SECRETS_IN_TEXT["webhook secret"]
            )

    _assert_no_secret(json_logs.text)
    _assert_no_secret("".join(capsys.readouterr()))
    sqlalchemy_line, httpx_line, aio_pika_line = json_logs.lines()
    assert sqlalchemy_line["logger"] == "sqlalchemy.engine"
    assert sqlalchemy_line["level"] == "warning"
    assert sqlalchemy_line["event"] == (
        "connecting to postgresql://finhub:***@db.internal:5432/billing"
    )
    assert httpx_line["event"] == f"HTTP Request: POST https://api.example.com/x?token={REDACTED}"
    assert aio_pika_line["exception"][0]["exc_type"] == "ConnectionError"
    assert all(line["correlation_id"] == CORRELATION_ID for line in json_logs.lines())
    assert all(line["service"] == "billing" for line in json_logs.lines())


def test_uvicorn_lines_are_redacted_even_after_uvicorn_set_up_its_own_handlers(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # uvicorn configures its loggers before the app's lifespan runs configure_logging.
    logging.config.dictConfig(LOGGING_CONFIG)
    capture = LogCapture(io.StringIO())
    configure_logging("banking", stream=capture.stream, access_log=True)

    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d',
        "10.0.0.7:50122",
        "GET",
        f"/api/banking/callback?connect_token={BEARER_VALUE}",
        "1.1",
        200,
    )
    try:
        _fail_connecting()
    except ConnectionError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")

    _assert_no_secret(capture.text + "".join(capsys.readouterr()))
    access_line, error_line = capture.lines()
    assert access_line["logger"] == "uvicorn.access"
    assert "/api/banking/callback?connect_token=[REDACTED]" in access_line["event"]
    assert error_line["logger"] == "uvicorn.error"
    assert error_line["exception"][0]["exc_type"] == "ConnectionError"


def test_without_access_log_uvicorn_finds_no_handler_for_its_access_lines(
    restore_logging: None,
) -> None:
    # uvicorn checks this once per connection and then skips each request's line altogether.
    configure_logging("banking", stream=io.StringIO(), access_log=False)
    assert not logging.getLogger("uvicorn.access").hasHandlers()

    configure_logging("banking", stream=io.StringIO(), access_log=True)
    assert logging.getLogger("uvicorn.access").hasHandlers()


def test_configuring_twice_replaces_the_handler_instead_of_doubling_lines(
    restore_logging: None,
) -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("banking", stream=first)
    configure_logging("banking-consumer", stream=second)

    get_logger().info("synced")

    assert first.getvalue() == ""
    [line] = second.getvalue().splitlines()
    assert json.loads(line)["service"] == "banking-consumer"


def test_lines_below_the_level_are_dropped(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging("banking", "warning", stream=stream)

    get_logger().info("routine")
    logging.getLogger("sqlalchemy.engine").info("SELECT 1")
    get_logger().warning("unusual")

    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == ["unusual"]


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown log level 'LOUD'"):
        configure_logging("banking", "LOUD")


# Generated documents and cards: every valid one must be redacted, in any accepted format.


def _with_check_digit(digits: list[int], weights: list[int]) -> list[int]:
    remainder = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
    return [*digits, 0 if remainder < 2 else 11 - remainder]


@st.composite
def cpfs(draw: st.DrawFn) -> str:
    digits = draw(st.lists(st.integers(0, 9), min_size=9, max_size=9))
    digits = _with_check_digit(digits, list(range(10, 1, -1)))
    digits = _with_check_digit(digits, list(range(11, 1, -1)))
    text = "".join(map(str, digits))
    return draw(st.sampled_from([text, f"{text[:3]}.{text[3:6]}.{text[6:9]}-{text[9:]}"]))


@st.composite
def cnpjs(draw: st.DrawFn) -> str:
    digits = draw(st.lists(st.integers(0, 9), min_size=12, max_size=12))
    digits = _with_check_digit(digits, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    digits = _with_check_digit(digits, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    text = "".join(map(str, digits))
    formatted = f"{text[:2]}.{text[2:5]}.{text[5:8]}/{text[8:12]}-{text[12:]}"
    return draw(st.sampled_from([text, formatted]))


def _luhn_check_digit(body: str) -> str:
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        if position % 2 == 0:  # doubled, because the check digit will take position 0
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str((10 - total % 10) % 10)


@st.composite
def cards(draw: st.DrawFn) -> str:
    length = draw(st.integers(13, 19))
    body = "".join(
        map(str, draw(st.lists(st.integers(0, 9), min_size=length - 1, max_size=length - 1)))
    )
    number = body + _luhn_check_digit(body)
    formats = [number]
    if length == 16:
        groups = [number[i : i + 4] for i in range(0, 16, 4)]
        formats += [" ".join(groups), "-".join(groups)]
    if length == 15:
        formats.append(f"{number[:4]} {number[4:10]} {number[10:]}")
    return draw(st.sampled_from(formats))


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=st.one_of(cpfs(), cnpjs(), cards()))
def test_generated_documents_and_card_numbers_never_survive(
    json_logs: LogCapture, number: str
) -> None:
    json_logs.clear()
    get_logger().info(f"customer {number} paid", note=f"ref {number}.", values=[number])
    logging.getLogger("httpx").info("sent %s", number)

    digits = "".join(char for char in number if char.isdigit())
    assert number not in json_logs.text
    assert digits not in json_logs.text
    assert [line["event"] for line in json_logs.lines()] == [
        f"customer {REDACTED} paid",
        f"sent {REDACTED}",
    ]
