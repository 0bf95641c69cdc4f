"""Tracing with OpenTelemetry: spans for HTTP served and called, SQL statements and the bus.

Off unless an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, with the other standard OTEL_* variables): then nothing is
instrumented and no span is made. The W3C trace context of the work that writes an outbox row is
stored with the row, sent in the message's headers, and continued by each consumer, so one trace
runs from a provider's webhook to its last effect in every service.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.propagators.textmap import Getter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
)
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from opentelemetry.util.types import Attributes
from structlog.typing import EventDict, WrappedLogger

# Either one turns tracing on; the exporter reads it (and OTEL_EXPORTER_OTLP_HEADERS...) itself.
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
# Probes and scrapes come every few seconds and say nothing about the work done.
_UNTRACED_PATHS = r"/(healthz|readyz|metrics)$"

# What an outbox row keeps and a message's headers carry: `traceparent` and maybe `tracestate`.
TraceContext = dict[str, str]

# Each instruments a library for the whole process (both are singletons).
_HTTPX = HTTPXClientInstrumentor()
_ASYNCPG = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]


class _Tracing:
    """The process's tracer provider while tracing is on (one process serves one service)."""

    provider: TracerProvider | None = None


_state = _Tracing()


class _NoLoneQueries(Sampler):
    """Every trace is kept except one a SQL statement would start on its own (the relay's polls,
    probes): those come several times a second and belong to no work worth following."""

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        if attributes and ("db.system" in attributes or "db.system.name" in attributes):
            return SamplingResult(Decision.DROP)
        return ALWAYS_ON.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return "NoLoneQueries"


class _HeaderGetter(Getter[Mapping[str, Any]]):
    """Reads AMQP headers, whose strings may arrive as bytes."""

    def get(self, carrier: Mapping[str, Any], key: str) -> list[str] | None:
        value = carrier.get(key)
        if isinstance(value, bytes):
            return [value.decode("latin-1")]
        return [value] if isinstance(value, str) else None

    def keys(self, carrier: Mapping[str, Any]) -> list[str]:
        return list(carrier)


def configure_tracing(service: str) -> None:
    """Export this process's spans by OTLP when an endpoint is configured, else leave tracing off.

    Called where each API and worker starts; a second call does nothing."""
    if _state.provider is not None or not any(os.environ.get(name) for name in ENDPOINT_VARIABLES):
        return
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return
    provider = start_tracing(service, BatchSpanProcessor(OTLPSpanExporter()))
    # Spans that libraries make through the global API join the same traces.
    trace.set_tracer_provider(provider)


def start_tracing(service: str, processor: SpanProcessor) -> TracerProvider:
    """Record spans into `processor` and instrument every HTTP client and SQL statement."""
    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: service}), sampler=ParentBased(_NoLoneQueries())
    )
    provider.add_span_processor(processor)
    _state.provider = provider
    _HTTPX.instrument(tracer_provider=provider)
    _ASYNCPG.instrument(tracer_provider=provider)
    return provider


def stop_tracing() -> None:
    """Send the spans still buffered and stop making new ones (a process exiting flushes anyway)."""
    provider, _state.provider = _state.provider, None
    if provider is None:
        return
    _HTTPX.uninstrument()
    _ASYNCPG.uninstrument()
    provider.shutdown()


def tracing_enabled() -> bool:
    """Whether this process records spans."""
    return _state.provider is not None


def instrument_app(app: FastAPI) -> None:
    """Give each request `app` serves a span, continuing the caller's trace (nothing when off)."""
    if _state.provider is not None:
        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=_state.provider,
            excluded_urls=_UNTRACED_PATHS,
            # A span per body chunk sent or read says nothing, and a live stream sends thousands.
            exclude_spans=["receive", "send"],
        )


def current_trace_context() -> TraceContext | None:
    """The active span's W3C trace context, to store with an outbox row; None without a span."""
    if not trace.get_current_span().get_span_context().is_valid:
        return None
    carrier: TraceContext = {}
    propagate.inject(carrier)
    return carrier


@contextmanager
def publishing(
    exchange: str, routing_key: str, message_id: str, trace_context: Mapping[str, str] | None
) -> Iterator[TraceContext]:
    """A producer span around one publish, in the trace `trace_context` (an outbox row's) names,
    else the current one; yields the headers that carry it to the consumers."""
    provider = _state.provider
    if provider is None:
        yield {}
        return
    parent = propagate.extract(trace_context) if trace_context else None
    attributes = {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": "send",
        "messaging.destination.name": exchange or routing_key,
        "messaging.rabbitmq.destination.routing_key": routing_key,
        "messaging.message.id": message_id,
    }
    tracer = provider.get_tracer(__name__)
    with tracer.start_as_current_span(
        f"publish {routing_key}", context=parent, kind=SpanKind.PRODUCER, attributes=attributes
    ):
        headers: TraceContext = {}
        propagate.inject(headers)
        yield headers


@contextmanager
def consuming(
    queue: str, routing_key: str | None, message_id: str | None, headers: Mapping[str, Any]
) -> Iterator[None]:
    """A consumer span around the handling of one message, continuing the trace its headers
    carry (a new trace when they carry none)."""
    provider = _state.provider
    if provider is None:
        yield
        return
    attributes = {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": "process",
        "messaging.destination.name": queue,
        "messaging.rabbitmq.destination.routing_key": routing_key or "",
        "messaging.message.id": message_id or "",
    }
    tracer = provider.get_tracer(__name__)
    with tracer.start_as_current_span(
        f"process {queue}",
        context=propagate.extract(headers, getter=_HeaderGetter()),
        kind=SpanKind.CONSUMER,
        attributes=attributes,
    ):
        yield


def mark_handed_on(
    name: str, trace_context: Mapping[str, str], attributes: Mapping[str, str | int]
) -> None:
    """A span, in the trace `trace_context` (a stored row's) names, marking the moment what that
    trace stored was handed on: a live stream's delivery, so the trace reaches the user's screen."""
    provider = _state.provider
    if provider is None:
        return
    tracer = provider.get_tracer(__name__)
    span = tracer.start_span(
        name,
        context=propagate.extract(trace_context),
        kind=SpanKind.PRODUCER,
        attributes=attributes,
    )
    span.end()


def mark_failed(description: str) -> None:
    """Mark the active span failed with `description`, already redacted: the exception itself is
    not recorded, as its text and stack may hold what must never leave the process."""
    trace.get_current_span().set_status(Status(StatusCode.ERROR, description))


def add_trace_id(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: the active span's trace id, so a log line leads to its trace."""
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event_dict["trace_id"] = trace.format_trace_id(span_context.trace_id)
    return event_dict
