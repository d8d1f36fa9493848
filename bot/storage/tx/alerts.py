"""Alerts heard from Alertmanager: their groups, each delivery once, what each incident saw."""

from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import col

from bot.domain.timeline import TimelineEvent
from bot.storage.tables import AlertDeliveryRow, AlertGroupRow, AlertSeenRow, EventRow, table_of
from bot.storage.tx.base import TxBase, insert_for, to_domain


class Alerts(TxBase):
    async def alert_group(self, key_sha256: str, group_key: str) -> tuple[int, int | None]:
        """The group's id and the incident it opened last, the group's row locked: two
        deliveries of one group are taken one after the other."""
        await self.session.execute(
            insert_for(self.dialect, table_of(AlertGroupRow)).on_conflict_do_nothing(),
            {"key_sha256": key_sha256, "group_key": group_key, "first_seen_at": self.now})
        row = (await self.session.execute(
            select(col(AlertGroupRow.id), col(AlertGroupRow.incident_id))
            .where(col(AlertGroupRow.key_sha256) == key_sha256).with_for_update())).one()
        return row[0], row[1]

    async def set_alert_group_incident(self, group_id: int, incident_id: int) -> None:
        await self.session.execute(update(AlertGroupRow).where(col(AlertGroupRow.id) == group_id)
                                   .values(incident_id=incident_id))

    async def record_alert_delivery(self, body_sha256: str, group_id: int) -> None:
        """Raises DuplicateDelivery when this very body was recorded before."""
        await self._insert_once(table_of(AlertDeliveryRow), {
            "body_sha256": body_sha256, "group_id": group_id, "received_at": self.now})

    async def alerts_seen(self, incident_id: int) -> dict[str, tuple[str, datetime]]:
        """fingerprint: (firing or resolved, startsAt) of the alerts the incident heard of."""
        rows = await self.session.execute(
            select(AlertSeenRow).where(col(AlertSeenRow.incident_id) == incident_id))
        return {r.fingerprint: (r.status, r.starts_at) for r in rows.scalars()}

    async def see_alert(self, incident_id: int, fingerprint: str, status: str,
                        starts_at: datetime) -> None:
        row = await self.session.get(AlertSeenRow, (incident_id, fingerprint))
        if row is None:
            self.session.add(AlertSeenRow(incident_id=incident_id, fingerprint=fingerprint,
                                          status=status, starts_at=starts_at))
        else:
            row.status, row.starts_at = status, starts_at
        await self.session.flush()

    async def alert_events(self) -> list[TimelineEvent]:
        """Every `alert_firing` event, of every incident (for figures across incidents)."""
        rows = await self.session.execute(
            select(EventRow).where(col(EventRow.action) == "alert_firing").order_by(col(EventRow.id)))
        return [to_domain(TimelineEvent, row) for row in rows.scalars()]
