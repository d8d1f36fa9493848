"""People: who joined each incident, and everyone's display name."""

import dataclasses

from sqlalchemy import select
from sqlmodel import col

from bot.domain.incident import Participant
from bot.storage.tables import ParticipantRow, UserRow, table_of
from bot.storage.tx.base import TxBase, insert_for, to_domain

_USERS = table_of(UserRow)


class People(TxBase):
    async def add_participant(self, participant: Participant) -> bool:
        """Record a join; False when the person had joined before."""
        key = (participant.incident_id, participant.user_id)
        if await self.session.get(ParticipantRow, key):
            return False
        self.session.add(ParticipantRow(**dataclasses.asdict(participant)))
        await self.session.flush()
        return True

    async def is_participant(self, incident_id: int, user_id: str) -> bool:
        """Seen joining the incident's channel."""
        return await self.session.get(ParticipantRow, (incident_id, user_id)) is not None

    async def participants(self, incident_id: int) -> list[Participant]:
        """In the order they joined."""
        rows = await self.session.execute(
            select(ParticipantRow)
            .where(col(ParticipantRow.incident_id) == incident_id)
            .order_by(col(ParticipantRow.joined_at), col(ParticipantRow.user_id))
        )
        return [to_domain(Participant, row) for row in rows.scalars()]

    async def remember_user(self, user_id: str, name: str) -> None:
        """Store a display name. One upsert: two first commands of a person at once both pass."""
        if not name or self._stored_names.get(user_id) == name:
            return
        insert = insert_for(self.dialect, UserRow)
        await self.session.execute(insert.values(id=user_id, name=name).on_conflict_do_update(
            index_elements=[_USERS.c.id], set_={"name": insert.excluded.name}))
        self.names_written[user_id] = name

    async def names(self) -> dict[str, str]:
        rows = await self.session.execute(select(UserRow))
        return {row.id: row.name for row in rows.scalars()}
