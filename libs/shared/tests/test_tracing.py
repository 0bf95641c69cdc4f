"""Tracing is off without an OTLP endpoint and exports by OTLP with one; logs name the trace."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import structlog
from fastapi import FastAPI
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.trace import format_trace_id

from finhub_dev.traces import recording_spans
from finhub_shared import tracing
from finhub_shared.logging import configure_logging, get_logger


@pytest.fixture
def collector() -> Iterator[tuple[str, list[ExportTraceServiceRequest]]]:
    """An OTLP/HTTP collector on a free port: its base URL, and the exports it received."""
    received: list[ExportTraceServiceRequest] = []

    class Collect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/v1/traces":
                received.append(ExportTraceServiceRequest.FromString(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Collect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()
    thread.join()


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Every log line, as JSON, for the test; the process's logging is put back after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging("billing", stream=stream)
    yield stream
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    structlog.reset_defaults()


def test_without_an_endpoint_nothing_is_instrumented_nor_exported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in tracing.ENDPOINT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    app = FastAPI()

    tracing.configure_tracing("billing")
    tracing.instrument_app(app)

    assert not tracing.tracing_enabled()
    assert app.user_middleware == []
    assert not HTTPXClientInstrumentor().is_instrumented_by_opentelemetry
    with tracing.publishing("finhub.events", "billing.x.happened", "id-1", None) as headers:
        assert headers == {}
        assert tracing.current_trace_context() is None


def test_with_an_endpoint_the_services_spans_are_exported_by_otlp(
    monkeypatch: pytest.MonkeyPatch, collector: tuple[str, list[ExportTraceServiceRequest]]
) -> None:
    url, received = collector
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", url)
    try:
        tracing.configure_tracing("billing")
        assert tracing.tracing_enabled()
        with tracing.publishing("finhub.events", "billing.x.happened", "id-1", None) as headers:
            assert "traceparent" in headers
    finally:
        tracing.stop_tracing()  # sends what the batch holds

    [export] = received
    [resource_spans] = export.resource_spans
    service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    [span] = [span for scope in resource_spans.scope_spans for span in scope.spans]
    assert service["service.name"] == "billing"
    assert span.name == "publish billing.x.happened"
    assert not tracing.tracing_enabled()


def test_log_lines_name_the_trace_of_the_active_span(json_logs: io.StringIO) -> None:
    log = get_logger("billing.payments")
    with recording_spans() as recording, recording.tracer.start_as_current_span("work") as work:
        log.info("inside")
    log.info("outside")

    inside, outside = (json.loads(line) for line in json_logs.getvalue().splitlines())
    assert inside["trace_id"] == format_trace_id(work.get_span_context().trace_id)
    assert "trace_id" not in outside
