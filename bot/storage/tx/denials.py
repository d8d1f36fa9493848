"""What the incident policy refused."""

from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import col

from bot.domain.authz import Denial
from bot.storage.tables import PolicyDenialRow, table_of
from bot.storage.tx.base import TxBase, insert_for, to_domain

_DENIALS = table_of(PolicyDenialRow)


class Denials(TxBase):
    async def keep_denial(self, delivery: str, denial: Denial) -> bool:
        """Keep a refusal once per delivery (Slack's retry of it, or a batch run again,
        is the same refusal); whether it was new."""
        insert = insert_for(self.dialect, _DENIALS).on_conflict_do_nothing()
        values = {"delivery": delivery, "at": denial.at, "user_id": denial.user_id,
                  "action": denial.action, "incident_id": denial.incident_id,
                  "reason": denial.reason, "args": denial.args}
        result = await self.session.execute(insert.values(**values).returning(_DENIALS.c.id))
        return result.first() is not None

    async def denials(self, since: datetime | None = None) -> list[Denial]:
        query = select(PolicyDenialRow).order_by(col(PolicyDenialRow.at), col(PolicyDenialRow.id))
        if since is not None:
            query = query.where(col(PolicyDenialRow.at) >= since)
        return [to_domain(Denial, row) for row in (await self.session.execute(query)).scalars()]

    async def denials_by_action(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(col(PolicyDenialRow.action), func.count()).group_by(col(PolicyDenialRow.action)))
        return {action: count for action, count in rows.all()}
