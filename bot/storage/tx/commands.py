"""Each command and Slack event kept once: a second delivery of the same one is a repeat."""

from bot.domain.errors import DuplicateDelivery
from bot.storage.tables import CommandRow, SlackEventRow, table_of
from bot.storage.tx.base import TxBase

_COMMANDS = table_of(CommandRow)
_SLACK_EVENTS = table_of(SlackEventRow)


class Commands(TxBase):
    async def record_command(
        self, *, trigger_id: str, incident_id: int | None, user_id: str, channel_id: str,
        command: str, text: str,
    ) -> None:
        """Keep the command; a second delivery of the same trigger raises DuplicateDelivery."""
        await self._insert_once(_COMMANDS, {
            "trigger_id": trigger_id, "incident_id": incident_id, "user_id": user_id,
            "channel_id": channel_id, "command": command, "text": text, "at": self.now})

    async def first_delivery_of_event(self, event_id: str) -> bool:
        try:
            await self._insert_once(_SLACK_EVENTS, {"event_id": event_id, "received_at": self.now})
        except DuplicateDelivery:
            return False
        return True
