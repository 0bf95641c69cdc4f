"""Spans recorded in memory for a test, with tracing on as an OTLP endpoint would turn it on."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Tracer

from finhub_shared.tracing import start_tracing, stop_tracing


@dataclass(frozen=True)
class Recording:
    """The spans finished so far, and a tracer for the test's own spans."""

    exporter: InMemorySpanExporter
    tracer: Tracer

    def spans(self) -> tuple[ReadableSpan, ...]:
        """Every span finished so far, in the order they finished."""
        return self.exporter.get_finished_spans()


@contextmanager
def recording_spans(service: str = "tests") -> Iterator[Recording]:
    """Tracing on for the block, every finished span kept in memory."""
    exporter = InMemorySpanExporter()
    provider = start_tracing(service, SimpleSpanProcessor(exporter))
    try:
        yield Recording(exporter, provider.get_tracer("tests"))
    finally:
        stop_tracing()


def ancestors(spans: Sequence[ReadableSpan], span: ReadableSpan) -> list[ReadableSpan]:
    """`span`'s parent, its parent's parent... as far as `spans` hold them, nearest first."""
    by_id = {other.context.span_id: other for other in spans}
    chain: list[ReadableSpan] = []
    parent = span.parent
    while parent is not None and parent.span_id in by_id:
        chain.append(by_id[parent.span_id])
        parent = chain[-1].parent
    return chain
