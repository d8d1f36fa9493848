"""`stats`: counts and times by month and severity; `list`: one line per incident."""

import click

from bot.cli.running import settings, with_store
from bot.cli.tables import cell, format_option, minute, seconds, since_option, span, write_rows
from bot.services import records
from bot.storage.store import Store

STATS_TIMES = ["mtta", "mtta_p50", "mtta_p90", "mttr", "mttr_p50", "mttr_p90"]
STATS_COLUMNS = ["month", "severity", "count", "ack_missed", *STATS_TIMES]
STATS_TABLE = "{:<7} {:<8} {:>5} {:>10}" + " {:>8}" * len(STATS_TIMES)


@click.command()
@click.option("--since", help="only incidents declared on or after this date (YYYY-MM-DD, UTC)")
@click.option("--format", "output", default="table",
              help="table, csv or json (csv and json give durations in seconds)")
@click.option("--drills", is_flag=True, help="count drills too")
def stats(since: str | None, output: str, drills: bool) -> None:
    """Count, missed ACK_DEADLINEs, MTTA and MTTR (mean, p50, p90; nearest rank) by month
    (UTC, of the declare) and severity, with each one's totals under `all`."""
    day, output = since_option(since), format_option(output)
    policy = settings().policy()

    async def action(store: Store) -> None:
        groups = await records.stats(store, day, policy=policy, drills=drills)
        if output != "table":
            write_rows(output, STATS_COLUMNS, [
                [month, severity, figures.count, figures.missed_ack,
                 *(seconds(figures.times()[name]) for name in STATS_TIMES)]
                for (month, severity), figures in groups.items()])
            return
        click.echo(STATS_TABLE.format(*STATS_COLUMNS))
        for (month, severity), figures in groups.items():
            click.echo(STATS_TABLE.format(month, severity, figures.count, figures.missed_ack,
                                          *(span(figures.times()[name]) for name in STATS_TIMES)))

    with_store(action)


@click.command("list")
@click.option("--open", "open_only", is_flag=True, help="only incidents not yet resolved")
@click.option("--since", help="only incidents declared on or after this date (YYYY-MM-DD, UTC)")
@click.option("--drills", is_flag=True, help="show drills too")
def list_incidents(open_only: bool, since: str | None, drills: bool) -> None:
    """One line per incident, newest first; private ones too, marked."""
    day = since_option(since)

    async def action(store: Store) -> None:
        listed = await records.list_incidents(store, open_only=open_only, since=day, drills=drills)
        rows = [["incident", "severity", "status", "declared", "commander", "channel", "flags",
                 "title"]]
        for entry in listed:
            i = entry.incident
            flags = ",".join(name for name, on in (("private", i.private), ("drill", i.drill)) if on)
            rows.append([i.ref, i.severity_label, str(i.status), minute(i.declared_at),
                         entry.commander, f"#{i.channel_name}" if i.channel_name else "-",
                         flags or "-", cell(i.title)])
        widths = [max(len(row[n]) for row in rows) for n in range(len(rows[0]) - 1)]
        for row in rows:
            click.echo("  ".join([*(v.ljust(w) for v, w in zip(row, widths, strict=False)), row[-1]]))

    with_store(action)
