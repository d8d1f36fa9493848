"""Messages captured into the timeline (pinned, or by the shortcut), recorded or owed."""

import dataclasses

from sqlalchemy import delete
from sqlmodel import col

from bot.domain.captures import Capture
from bot.storage.tables import CapturedMessageRow
from bot.storage.tx.base import TxBase, to_domain


class Captures(TxBase):
    async def captured_message(self, channel_id: str, ts: str) -> Capture | None:
        """The message's capture, recorded or owed. The caller holds the incident's lock."""
        row = await self.session.get(CapturedMessageRow, (channel_id, ts))
        return to_domain(Capture, row) if row else None

    async def save_captured_message(self, capture: Capture) -> None:
        row = await self.session.get(CapturedMessageRow, (capture.channel_id, capture.ts))
        if row is None:
            self.session.add(CapturedMessageRow(**dataclasses.asdict(capture)))
        else:
            for key, value in dataclasses.asdict(capture).items():
                setattr(row, key, value)
        await self.session.flush()

    async def drop_captured_message(self, channel_id: str, ts: str) -> None:
        await self.session.execute(delete(CapturedMessageRow).where(
            col(CapturedMessageRow.channel_id) == channel_id, col(CapturedMessageRow.ts) == ts))
