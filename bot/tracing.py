"""Spans of a request's way through the bot: the Slack request or alert delivery, the use
case, its transactions, and each outbound delivery, each carrying `incident.id` once the
incident is known. On with OTEL_EXPORTER_OTLP_ENDPOINT and the `otel` extra installed
(`pip install 'incident-bot[otel]'`); off, a span costs the test of one global, and the
OpenTelemetry packages are never imported.

The outbound deliveries run later, in the delivery loop, in traces of their own: their
`incident.id` ties them to the request that owed them.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

log = logging.getLogger(__name__)

INCIDENT = "incident.id"
_tracer: Any = None
_provider: Any = None
# What the spans of one request learn on their way down (the incident), shared by the
# request's outermost span and everything under it, also in tasks it starts.
_learned: ContextVar[dict[str, str] | None] = ContextVar("learned", default=None)


class TracingUnavailable(Exception):
    """OTEL_EXPORTER_OTLP_ENDPOINT is set, but the tracing packages are not installed."""


def enable(endpoint: str | None = None, *, exporter: Any = None, version: str = "") -> None:
    """Send spans to `exporter`, or as OTLP over HTTP to `endpoint` (the base URL, as
    OTEL_EXPORTER_OTLP_ENDPOINT gives it: traces go to its /v1/traces)."""
    global _tracer, _provider
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError:
        raise TracingUnavailable("OTEL_EXPORTER_OTLP_ENDPOINT is set, but tracing is not "
                                 "installed: pip install 'incident-bot[otel]'") from None
    provider = TracerProvider(resource=Resource.create(
        {"service.name": "incident-bot", "service.version": version}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        assert endpoint is not None
        # Batched: a span never waits for the collector.
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(
            endpoint=endpoint.rstrip("/") + "/v1/traces")))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    _provider, _tracer = provider, provider.get_tracer("incident-bot")


def disable() -> None:
    """Send what is still batched, and stop."""
    global _tracer, _provider
    if _provider is not None:
        _provider.shutdown()
    _provider = _tracer = None


@contextmanager
def span(name: str, **attributes: str | int | bool | None) -> Iterator[None]:
    """A span around the block, a child of the span around it; attributes left None are
    left out."""
    if _tracer is None:
        yield
        return
    learned = _learned.get()
    token = _learned.set({} if learned is None else learned)
    shown = {key: value for key, value in attributes.items() if value is not None}
    try:
        with _tracer.start_as_current_span(name, attributes=shown) as current:
            try:
                yield
            finally:
                if held := _learned.get():
                    current.set_attributes(held)
    finally:
        _learned.reset(token)


def incident(incident_id: int | None) -> None:
    """The incident this request is about: on every span of it from now, and on the spans
    around it when they end."""
    if _tracer is None or incident_id is None:
        return
    from opentelemetry import trace

    ref = f"INC-{incident_id}"
    trace.get_current_span().set_attribute(INCIDENT, ref)
    learned = _learned.get()
    if learned is not None:
        learned[INCIDENT] = ref
