"""`audit access`: one row per access request, for a compliance reviewer."""

import sys
from typing import Any

import click

from bot.cli.running import with_store
from bot.cli.tables import cell, format_option, minute, second, since_option, write_rows
from bot.services import records
from bot.storage.store import Store

AUDIT_COLUMNS = ["incident", "request", "what", "requester", "approver", "approved_at",
                 "expires_at", "revoked", "requested_at", "step", "reason", "denial_note"]
# csv and json carry one field per fact, where the table folds some into one readable cell.
AUDIT_FIELDS = ["incident", "request", "what", "requester", "requested_at", "step", "reason",
                "state", "approver", "decided_at", "expires_at", "denial_note", "revoked_at",
                "revoked_by", "not_revoked"]


@click.group()
def audit() -> None:
    """Compliance reports."""


@audit.command("access")
@click.option("--unrevoked", is_flag=True, help="only access granted and not confirmed revoked")
@click.option("--since", help="only requests made on or after this date (YYYY-MM-DD, UTC)")
@click.option("--format", "output", default="table", help="table (tab-separated), csv or json")
def audit_access(unrevoked: bool, since: str | None, output: str) -> None:
    """One row per access request; exit 1 when --unrevoked finds any."""
    day, output = since_option(since), format_option(output)

    async def action(store: Store) -> None:
        rows = await records.audit_access(store, unrevoked_only=unrevoked, since=day)
        if output == "table":
            click.echo("\t".join(AUDIT_COLUMNS))
            for row in rows:
                click.echo("\t".join(audit_cells(row)))
        else:
            write_rows(output, AUDIT_FIELDS, [audit_fields(row) for row in rows])
        if unrevoked and rows:
            sys.exit(1)

    with_store(action)


def audit_cells(row: records.AuditRow) -> list[str]:
    r = row.request
    if r.revoked_at:
        revoked = f"{minute(r.revoked_at)} by {row.name(r.revoked_by)}"
    else:
        revoked = "NOT REVOKED" if r.needs_revoking else f"- ({r.state})"
    approved_at = minute(r.decided_at) if r.approver_id and r.state != "denied" else "-"
    return [f"INC-{r.incident_id}", r.ref, cell(r.what), row.name(r.requester_id),
            row.name(r.approver_id), approved_at, minute(r.expires_at), revoked,
            minute(r.requested_at), cell(r.step), cell(r.reason), cell(r.decision_note)]


def audit_fields(row: records.AuditRow) -> list[Any]:
    r = row.request
    return [f"INC-{r.incident_id}", r.ref, r.what, row.name(r.requester_id), second(r.requested_at),
            r.step, r.reason, str(r.state), row.name(r.approver_id) if r.approver_id else None,
            second(r.decided_at), second(r.expires_at), r.decision_note, second(r.revoked_at),
            row.name(r.revoked_by) if r.revoked_by else None, r.needs_revoking]
