"""The outbox side of a transaction: what the change owes the outside world, written with it."""

from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import insert

from bot.storage.tables import OutboxRow, table_of
from bot.storage.tx.base import TxBase

_OUTBOX = table_of(OutboxRow)


class AsRow(Protocol):
    """What a notice is to storage: the row it becomes."""

    @property
    def lane(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def payload(self) -> dict[str, Any]: ...

    # Not before this long after the change.
    @property
    def settle(self) -> timedelta: ...


class OwedCalls(TxBase):
    def notify(self, *notices: AsRow) -> None:
        """Owe these calls; they are written, in order, with the rest of the transaction."""
        self._owed += [dict(lane=notice.lane, kind=notice.kind, payload=notice.payload,
                            created_at=self.now, due_at=self.now + notice.settle)
                       for notice in notices]
        self.notices += len(notices)

    async def write_owed(self) -> None:
        if self._owed:  # ids follow the order they were owed in: a lane's order
            driver = await self._fast()
            if driver is not None:
                await driver.insert(_OUTBOX, self._owed)
            else:
                await self.session.execute(insert(_OUTBOX), self._owed)
        self._owed = []
