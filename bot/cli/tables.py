"""How the reports print: their options read before the database opens, csv and json rows,
and cells that keep a table on one line each."""

import csv
import io
import json
from datetime import date, datetime, timedelta
from typing import Any

import click

from bot.cli.running import fail
from bot.domain.errors import IncidentError
from bot.domain.stats import short_duration
from bot.services import records

FORMATS = ("table", "csv", "json")


def since_option(text: str | None) -> date | None:
    """Read before the database is opened: a typo costs one line, not a migration run."""
    try:
        return records.since_date(text)
    except IncidentError as error:
        fail(str(error))


def format_option(text: str) -> str:
    if text.lower() not in FORMATS:
        fail(f"'{text}' is not a format (use table, csv or json)")
    return text.lower()


def write_rows(output: str, columns: list[str], rows: list[list[Any]]) -> None:
    """csv with a header row, or json: a list of objects keyed by column. Empty is null."""
    if output == "json":
        click.echo(json.dumps([dict(zip(columns, row, strict=True)) for row in rows], indent=2))
        return
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(columns)
    out.writerows([("" if v is None else str(v).lower() if isinstance(v, bool) else v) for v in row]
                  for row in rows)
    click.echo(buffer.getvalue(), nl=False)


def cell(text: str | None) -> str:
    """Free text on one line of a table, `-` when empty."""
    return " ".join((text or "").split()) or "-"


def minute(value: datetime | None) -> str:
    return f"{value:%Y-%m-%dT%H:%MZ}" if value else "-"


def second(value: datetime | None) -> str | None:
    return f"{value:%Y-%m-%dT%H:%M:%SZ}" if value else None


def span(value: timedelta | None) -> str:
    return short_duration(value) if value is not None else "-"


def seconds(value: timedelta | None) -> int | None:
    return round(value.total_seconds()) if value is not None else None
