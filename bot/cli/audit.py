"""`audit access`: one row per access request; `audit denials`: what the incident policy
refused. For a compliance reviewer."""

import sys
from typing import Any

import click

from bot.cli.running import with_store
from bot.cli.tables import cell, format_option, minute, second, since_option, write_rows
from bot.domain.authz import Denial
from bot.services import records
from bot.storage.store import Store

AUDIT_COLUMNS = ["incident", "request", "what", "requester", "approver", "approved_at",
                 "expires_at", "revoked", "requested_at", "step", "reason", "denial_note"]
# csv and json carry one field per fact, where the table folds some into one readable cell.
AUDIT_FIELDS = ["incident", "request", "what", "requester", "requested_at", "step", "reason",
                "state", "approver", "decided_at", "expires_at", "denial_note", "revoked_at",
                "revoked_by", "not_revoked"]
DENIAL_COLUMNS = ["at", "who", "action", "incident", "reason", "args"]


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


@audit.command("denials")
@click.option("--since", help="only refusals on or after this date (YYYY-MM-DD, UTC)")
@click.option("--format", "output", default="table", help="table (tab-separated), csv or json")
def audit_denials(since: str | None, output: str) -> None:
    """What the incident policy refused: who, what, which incident, why, when."""
    day, output = since_option(since), format_option(output)

    async def action(store: Store) -> None:
        denials, names = await records.denials(store, since=day)

        def fields(d: Denial, args: object) -> list[Any]:
            return [second(d.at), names.get(d.user_id, d.user_id), d.action,
                    f"INC-{d.incident_id}" if d.incident_id else None, d.reason, args]

        if output == "table":
            click.echo("\t".join(DENIAL_COLUMNS))
            for d in denials:
                click.echo("\t".join(cell(str(v) if v is not None else None)
                                     for v in [minute(d.at), *fields(d, _args(d))[1:]]))
        elif output == "json":
            write_rows(output, DENIAL_COLUMNS, [fields(d, d.args) for d in denials])
        else:
            write_rows(output, DENIAL_COLUMNS, [fields(d, _args(d)) for d in denials])

    with_store(action)


def _args(denial: Denial) -> str:
    return " ".join(f"{key}={value}" for key, value in denial.args.items())
