"""The bot's log lines: LOG_LEVEL, and LOG_FORMAT=json for a log pipeline (one object a line).

A line about an incident carries its id (`incident`, e.g. "INC-3"): given by the code that
logs (`extra={"incident": 3}`), or by the context it runs in (`about_incident`), so a line
deep in a delivery or a library knows which incident it was working for.
"""

import contextlib
import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_incident: ContextVar[int | None] = ContextVar("incident", default=None)


@contextlib.contextmanager
def about_incident(incident_id: int | None) -> Iterator[None]:
    """Lines logged within (and in tasks started within) carry this incident's id."""
    token = _incident.set(incident_id)
    try:
        yield
    finally:
        _incident.reset(token)


def setup_logging(level: str | None = None, form: str | None = None) -> None:
    """LOG_LEVEL is the level of the bot's own lines; other libraries' show from WARNING up
    (at INFO, SQLAlchemy would print every statement), or from LOG_LEVEL when higher. Unset,
    the levels stay as they are: WARNING, or INFO for `serve`. LOG_FORMAT json writes one
    object a line (JsonLines), else the text lines as before. Called again, it replaces what
    it set before."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Stderr)]:
        root.removeHandler(old)
    handler = _Stderr()
    handler.setFormatter(JsonLines() if form == "json" else logging.Formatter(TEXT))
    handler.addFilter(IncidentFilter())
    root.addHandler(handler)
    if level is None:
        return
    number = logging.getLevelName(level)
    root.setLevel(max(number, logging.WARNING))
    logging.getLogger("bot").setLevel(number)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler setup_logging adds, told apart from any other (a test's, say)."""


class IncidentFilter(logging.Filter):
    """Puts the incident on the record: the caller's `extra`, else the context's."""

    def filter(self, record: logging.LogRecord) -> bool:
        incident = getattr(record, "incident", None)
        if incident is None:
            incident = _incident.get()
        record.incident = ref(incident)
        return True


def ref(incident: object) -> str | None:
    if incident is None:
        return None
    return f"INC-{incident}" if isinstance(incident, int) else str(incident)


class JsonLines(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, incident where there is
    one, and a traceback as one string."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
                    .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        incident = getattr(record, "incident", None)
        if incident is not None:
            line["incident"] = incident
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["error"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)
