"""After resolve the export follows the record: a change recorded once an incident has been
exported owes a rewrite of its export, `debounce` later, unless one is pending already, so a
burst of changes is written once.

The rule follows every event appended (the store runs it in the same transaction), so no use
case has to remember it: a store opened for the bot is given it,
`Store.from_url(url, clock=…, after_append=owe_export_again(policy.export_debounce))`.
"""

from datetime import timedelta

from bot.domain.reminders import ReminderKind
from bot.domain.timeline import TimelineEvent
from bot.storage.store import Tx
from bot.storage.tx import AfterAppend


def owe_export_again(debounce: timedelta) -> AfterAppend:
    async def after_append(tx: Tx, event: TimelineEvent) -> None:
        # Its state when the transaction read it, not now: resolving appends events too,
        # and its own export covers them; a reopen or a close is a change after the export.
        read_as = tx.status_when_read(event.incident_id)
        if read_as is not None and not read_as.is_open:
            await tx.schedule_unless_pending(ReminderKind.EXPORT_AGAIN, event.incident_id,
                                             tx.now + debounce)

    return after_append
