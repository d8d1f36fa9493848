"""Access requests, and where each one's DM copies were posted."""

import dataclasses
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from bot.domain.access import AccessCopy, AccessRequest, AccessState
from bot.storage.tables import AccessCopyRow, AccessRequestRow
from bot.storage.tx.base import TxBase, insert_for, to_domain


def _access(row: Any) -> AccessRequest:
    request = to_domain(AccessRequest, row)
    request.state = AccessState(row.state)
    return request


class Access(TxBase):
    async def add_access_request(self, request: AccessRequest) -> AccessRequest:
        row = AccessRequestRow(**dataclasses.asdict(request) | {"id": None})
        self.session.add(row)
        await self.session.flush()
        request.id = row.id  # type: ignore[assignment]  # set by the flush
        return request

    async def access_request(self, request_id: int, *, lock: bool = False) -> AccessRequest | None:
        query = select(AccessRequestRow).where(col(AccessRequestRow.id) == request_id)
        row = (await self.session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
        return _access(row) if row else None

    async def save_access_request(self, request: AccessRequest) -> None:
        row = await self.session.get(AccessRequestRow, request.id)
        assert row is not None
        for key, value in dataclasses.asdict(request).items():
            setattr(row, key, value)

    async def access_requests(self, incident_id: int | None = None) -> list[AccessRequest]:
        query = select(AccessRequestRow).order_by(col(AccessRequestRow.id))
        if incident_id is not None:
            query = query.where(col(AccessRequestRow.incident_id) == incident_id)
        return [_access(row) for row in (await self.session.execute(query)).scalars()]

    async def set_access_copy(self, copy: AccessCopy) -> None:
        """Remember where a DM copy was posted; posted again (a retry), the last one counts."""
        insert = insert_for(self.dialect, AccessCopyRow)
        await self.session.execute(insert.values(**dataclasses.asdict(copy)).on_conflict_do_update(
            index_elements=[AccessCopyRow.request_id, AccessCopyRow.user_id],
            set_={"channel_id": insert.excluded.channel_id, "ts": insert.excluded.ts}))

    async def access_copies(self, request_id: int) -> list[AccessCopy]:
        rows = await self.session.execute(
            select(AccessCopyRow).where(col(AccessCopyRow.request_id) == request_id)
            .order_by(col(AccessCopyRow.user_id)))
        return [to_domain(AccessCopy, row) for row in rows.scalars()]
