"""What the bots still owed Slack when the chaos ended, read from their outbox table: for each
lane, how many rows, and what its first row waits for (its due time, a lease, a held flag).
For bench/chaos.py.

Read by column name, and only the columns there are: an older or newer schema prints what it
has, and a table that is not there says so instead of failing the run.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy import text as sql

from bot.storage.migrate import sync_url

OWED = "SELECT * FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL ORDER BY lane, id"


@dataclass
class Owed:
    read_at: datetime  # naive UTC, as the table keeps its times
    rows: list[dict[str, Any]]
    problem: str = ""


def read_owed(url: str) -> Owed:
    now = datetime.now(UTC).replace(tzinfo=None)
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            rows = [dict(row._mapping) for row in connection.execute(sql(OWED))]
    except Exception as exc:  # a schema without this table: say so, the run goes on
        return Owed(now, [], f"outbox not readable: {type(exc).__name__}: {str(exc)[:120]}")
    finally:
        engine.dispose()
    return Owed(now, rows)


def _after(owed: Owed, value: Any) -> str:
    if not isinstance(value, datetime):
        return "-"
    return f"{(value.replace(tzinfo=None) - owed.read_at).total_seconds():.1f}"


def print_owed(owed: Owed) -> None:
    print()
    if owed.problem:
        print(owed.problem)
        return
    lanes: dict[str, list[dict[str, Any]]] = {}
    for row in owed.rows:
        lanes.setdefault(str(row.get("lane")), []).append(row)
    print(f"owed when the chaos ended: {len(owed.rows)} outbox rows in {len(lanes)} lanes; "
          "each lane's first row (times in s after the end)")
    print()
    print("lane | rows | kind | due | leased until | attempts | held | uncertain | last error")
    print("---|---|---|---|---|---|---|---|---")
    for lane, rows in lanes.items():
        head = rows[0]
        error = str(head.get("last_error") or "")[:70].replace("|", "/")
        print(f"{lane} | {len(rows)} | {head.get('kind', '-')} | {_after(owed, head.get('due_at'))} "
              f"| {_after(owed, head.get('lease_until'))} | {head.get('attempts', '-')} "
              f"| {head.get('held', '-')} | {head.get('uncertain', '-')} | {error}")
