"""Each incident's public incident on Statuspage, once learnt."""

from bot.storage.tables import StatuspageIncidentRow
from bot.storage.tx.base import TxBase


class StatuspageIds(TxBase):
    async def statuspage_id(self, incident_id: int) -> str | None:
        """The id of the incident's public incident on Statuspage, once learnt."""
        row = await self.session.get(StatuspageIncidentRow, incident_id)
        return row.public_id if row else None

    async def set_statuspage_id(self, incident_id: int, public_id: str) -> None:
        row = await self.session.get(StatuspageIncidentRow, incident_id)
        if row is None:
            self.session.add(StatuspageIncidentRow(incident_id=incident_id, public_id=public_id))
        else:
            row.public_id = public_id
