"""Incidents: declared, read (locked when they will change), saved."""

import dataclasses
import functools
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlmodel import col

from bot import tracing
from bot.domain.incident import Incident
from bot.domain.lifecycle import Status
from bot.storage.tables import IncidentRow, table_of
from bot.storage.tx.base import TxBase, to_domain

# The statements every command runs are built once: building one (coercing each value,
# deriving its cache key) cost more CPU than sending it.
_INCIDENTS = table_of(IncidentRow)


@functools.cache
def _incident_query(column: str, lock: bool, skip_locked: bool) -> Any:
    query = select(_INCIDENTS).where(_INCIDENTS.c[column] == bindparam("key"))
    # Locking serializes everything that touches one incident (its chain above all).
    return query.with_for_update(skip_locked=skip_locked) if lock else query


def incident_of(row: Any) -> Incident:
    incident = to_domain(Incident, row)
    incident.status = Status(row.status)
    return incident


class Incidents(TxBase):
    async def add_incident(self, incident: Incident) -> Incident:
        row = IncidentRow(**dataclasses.asdict(incident) | {"id": None, "status": incident.status})
        self.session.add(row)
        await self.session.flush()
        incident.id = row.id  # type: ignore[assignment]  # set by the flush
        tracing.incident(incident.id)
        return incident

    async def incident(self, incident_id: int, *, lock: bool = False,
                       skip_locked: bool = False) -> Incident | None:
        """`skip_locked`: None at once when someone else holds the incident's lock."""
        query = _incident_query("id", lock, skip_locked)
        row = (await self.session.execute(query, {"key": incident_id})).first()
        return self._seen(incident_of(row)) if row else None

    async def incident_by_channel(self, channel_id: str, *, lock: bool = False) -> Incident | None:
        if lock and channel_id in self._locked:
            return dataclasses.replace(self._locked[channel_id])
        driver = await self._fast()
        if driver is not None:
            found = await driver.row(_INCIDENTS, "channel_id", channel_id, lock=lock)
            row: Any = SimpleNamespace(**found) if found else None
        else:
            row = (await self.session.execute(_incident_query("channel_id", lock, False),
                                              {"key": channel_id})).first()
        if row is None:
            return None
        incident = self._seen(incident_of(row))
        if lock:
            self._locked[channel_id] = dataclasses.replace(incident)
        return incident

    def _seen(self, incident: Incident) -> Incident:
        tracing.incident(incident.id)
        self._read_status.setdefault(incident.id, incident.status)
        return incident

    def status_when_read(self, incident_id: int) -> Status | None:
        """The incident's status when this transaction first read it; None: not read here."""
        return self._read_status.get(incident_id)

    async def save_incident(self, incident: Incident) -> None:
        for channel_id, held in list(self._locked.items()):
            if held.id == incident.id:  # still locked, whichever channel it has now
                del self._locked[channel_id]
                self._locked[incident.channel_id or channel_id] = dataclasses.replace(incident)
        values = dataclasses.asdict(incident) | {"status": str(incident.status)}
        await self.session.execute(
            update(_INCIDENTS).where(_INCIDENTS.c.id == incident.id).values(**values))

    async def incidents(self) -> list[Incident]:
        rows = (await self.session.execute(select(IncidentRow).order_by(col(IncidentRow.id)))).scalars()
        return [incident_of(row) for row in rows]
