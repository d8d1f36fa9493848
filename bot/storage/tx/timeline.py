"""The timeline: each incident's events, chained one after the other."""

import dataclasses
import functools
from typing import Any

from sqlalchemy import func, insert, select
from sqlmodel import col

from bot.domain.timeline import ChainLink, TimelineEvent, chain
from bot.storage.tables import EventRow, table_of
from bot.storage.tx.base import TxBase, insert_for, to_domain

_EVENTS = table_of(EventRow)


@functools.cache
def _append_after(dialect: str) -> Any:
    return (insert_for(dialect, _EVENTS)
            .on_conflict_do_nothing(index_elements=[_EVENTS.c.incident_id, _EVENTS.c.seq])
            .returning(_EVENTS.c.id))


def _values(event: TimelineEvent) -> dict[str, Any]:
    """Its fields as they are: asdict's deep copy was a tenth of an append's CPU."""
    return {field.name: getattr(event, field.name) for field in dataclasses.fields(event)}


class Timeline(TxBase):
    async def append(self, event: TimelineEvent) -> TimelineEvent:
        """Chain and store an event. The caller holds the incident's lock."""
        head = self.heads_written.get(event.incident_id) or self._stored_heads.get(event.incident_id)
        # The head this process last committed is the head, unless another replica has
        # appended since: then (incident, seq) is taken, nothing is written, and we read it.
        # Plain inserts here and below: this is every command's path, and the ORM's unit of
        # work cost more than the statements themselves.
        if head is None or not await self._append_after(chain(event, head)):
            last = (await self.session.execute(
                select(_EVENTS.c.seq, _EVENTS.c.hash).where(_EVENTS.c.incident_id == event.incident_id)
                .order_by(_EVENTS.c.seq.desc()).limit(1))).first()
            chain(event, ChainLink(*last) if last else None)
            await self.session.execute(insert(_EVENTS), _values(event))
        self.heads_written[event.incident_id] = ChainLink(event.seq, event.hash)
        return event

    async def _append_after(self, event: TimelineEvent) -> bool:
        values = _values(event)
        driver = await self._fast()
        if driver is not None:
            return await driver.insert_new(_EVENTS, values, conflict=("incident_id", "seq"))
        written = await self.session.execute(_append_after(self.dialect), values)
        return written.first() is not None

    async def version(self, incident_id: int) -> int:
        """The last event's number: it grows with every change to the incident."""
        return await self.session.scalar(
            select(func.max(EventRow.seq)).where(col(EventRow.incident_id) == incident_id)) or 0

    async def events(self, incident_id: int) -> list[TimelineEvent]:
        rows = await self.session.execute(
            select(EventRow).where(col(EventRow.incident_id) == incident_id).order_by(col(EventRow.seq))
        )
        return [to_domain(TimelineEvent, row) for row in rows.scalars()]
