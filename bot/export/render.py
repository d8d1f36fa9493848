"""The Markdown postmortem draft: one Jinja2 environment, a template an operator may replace."""

import functools
import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import jinja2

from bot.domain.alerts import alert_rows, detected_at, web_link
from bot.domain.incident import Incident, IncidentRecord
from bot.domain.roles import assignments
from bot.domain.runbook_progress import Abort, Completion, aborts, completions
from bot.domain.timeline import GENESIS, TimelineEvent
from bot.export import canonical, carried
from bot.export.lines import cell, fence, inline, quote, scalar
from bot.export.people import MARKER
from bot.export.summary import summary_lines
from bot.runbooks.copies import runbook_views
from bot.tickets.model import ticket_label

DEFAULT_TEMPLATE = "postmortem.md.j2"
CHAIN_LINE = "timeline-sha256: "


def export_filename(incident: Incident) -> str:
    return f"{incident.declared_at:%Y-%m-%d-%H%M}-{incident.slug}.md"


def iso(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def clock(at: datetime, day: date) -> str:
    """A time in the incident: the day shown only when it is not the day it was declared."""
    return f"{at:%H:%M}" if at.date() == day else f"{at:%m-%d %H:%M}"


def day_of(events: Sequence[TimelineEvent], fallback: datetime) -> date:
    return events[0].at.date() if events else fallback.date()


def timeline_row(event: TimelineEvent, names: dict[str, str], day: date) -> str:
    """One row of `## Timeline`; `verify FILE.md` renders the same rows from the file's own
    copy of the events and compares."""
    who = names.get(event.actor_id, event.actor_id)
    return (f"| {clock(event.at, day)} | {cell(event.step or '-')} | {event.action} "
            f"| {cell(event.details)} | {cell(who)} |")


class Renderer:
    def __init__(self, template: Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = [jinja2.PackageLoader("bot.export", "templates")]
        self.template_name = DEFAULT_TEMPLATE
        if template is not None:
            loaders.insert(0, jinja2.FileSystemLoader(str(template.parent)))
            self.template_name = template.name
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters.update(cell=cell, iso=iso, fence=fence, inline=inline, quote=quote,
                                scalar=scalar)

    def check(self) -> None:
        """Fail at start-up, not at the first resolve, on a template that does not parse."""
        self.env.get_template(self.template_name)

    @property
    def shown(self) -> str:
        """Which template this is, as `verify` says it."""
        return "the default template" if self.template_name == DEFAULT_TEMPLATE and \
            self.env.loader is not None and self.source_sha256() == _default_sha256() \
            else f"template {self.template_name} (sha256 {self.source_sha256()[:12]})"

    def source_sha256(self) -> str:
        assert self.env.loader is not None
        source, _, _ = self.env.loader.get_source(self.env, self.template_name)
        return hashlib.sha256(source.encode()).hexdigest()

    def render(self, record: IncidentRecord, people: str | None = None) -> str:
        """`people`: what the team wrote below the marker in the file this one replaces."""
        lines = self.env.get_template(self.template_name).render(view(record)).rstrip("\n").split("\n")
        if lines[-1].startswith(CHAIN_LINE):
            lines.pop()
        if MARKER in lines:
            at = lines.index(MARKER)
            lines, default = lines[:at], "\n".join(lines[at + 1:])
        else:
            default = DEFAULT_PEOPLE
        generated = "\n".join(lines).rstrip("\n")
        written = (default if people is None else people).strip("\n")
        head = record.events[-1].hash if record.events else GENESIS
        # Whatever the template says, the generated part ends at the marker; below it the
        # team's writing, then the events in their hashed form, the record they were rendered
        # with, and the chain head close every export.
        names = carried.shown_names(record)
        block = canonical.block(record.events, names, {
            **carried.dump(record), "template": self.template_name,
            "template_sha256": self.source_sha256()})
        return (f"{generated}\n\n{MARKER}\n" + (f"{written}\n" if written else "")
                + f"\n{block}\n\n{CHAIN_LINE}{head}\n")


DEFAULT_PEOPLE = "## Analysis\n\n## Lessons learned"


@functools.cache
def _default_sha256() -> str:
    return Renderer().source_sha256()


def shown_names(record: IncidentRecord) -> dict[str, str]:
    return carried.shown_names(record)


def view(record: IncidentRecord) -> dict:
    incident = record.incident
    day = day_of(record.events, incident.declared_at)
    names = shown_names(record)

    def at(value: datetime) -> str:
        return clock(value, day)

    def aborted(abort: Abort | None) -> dict | None:
        return {"who": record.name(abort.by), "at": at(abort.at), "reason": abort.reason} \
            if abort else None

    stopped = aborts(record.events)
    ended = completions(record.events)

    def completion(done: Completion | None) -> dict | None:
        if done is None:
            return None
        return {"state": "Completed" if done.completed else "Reopened", "at": at(done.at),
                "who": record.name(done.by), "note": done.note}

    return {
        "incident": incident,
        "commander": record.name(incident.commander_id) if incident.commander_id else "",
        "detected": detected_at(record.events),
        "declared_by": record.name(incident.declared_by),
        "timeline": [
            {"time": at(e.at), "step": e.step or "-", "action": e.action,
             "details": e.details, "who": record.name(e.actor_id),
             "line": timeline_row(e, names, day)}
            for e in record.events
        ],
        "alerts": [
            {"fired": at(a.fired), "resolved": at(a.resolved) if a.resolved else "-",
             "name": a.name, "summary": a.summary, "source": a.source}
            for a in alert_rows(record.events)
        ],
        "approvals": [
            {"time": at(r.requested_at), "type": r.state, "access": r.what + (
                f" (step {r.step})" if r.step else ""), "ref": r.ref,
             "requester": record.name(r.requester_id),
             "approver": record.name(r.approver_id) if r.approver_id else "-",
             "expiry": at(r.expires_at) if r.expires_at else "-",
             "revoked": (f"{at(r.revoked_at)} by {record.name(r.revoked_by)}" if r.revoked_at
                         else "NOT REVOKED" if r.needs_revoking else "-")}
            for r in record.access_requests
        ],
        "runbooks": [
            {"id": v.runbook.id, "title": v.runbook.title, "sha256": v.attached.sha256,
             "aborted": aborted(stopped.get(v.runbook.id)),
             "completion": completion(ended.get(v.runbook.id)),
             "steps": [{"number": s.step.number, "title": s.step.title, "risk": s.step.risk,
                        "status": s.state.status,
                        "who": record.name(s.state.by) if s.state.by else "",
                        "at": at(s.state.at) if s.state.at else ""} for s in v.steps]}
            for v in runbook_views(record)
        ],
        "snapshots": [
            {"time": at(e.at), "step": e.step or "-", "check": e.data.get("check", ""),
             "who": record.name(e.actor_id), "note": e.data.get("note", ""),
             "output": e.data.get("output", "")}
            for e in record.events if e.action == "snapshot"
        ],
        "participants": [
            {"name": record.name(p.user_id), "joined": at(p.joined_at)}
            for p in record.participants
        ],
        "roles": [
            {"role": a.role, "name": record.name(a.user_id), "since": at(a.at)}
            for a in assignments(record.events)
        ],
        "action_items": [
            {"text": a.text, "owner": record.name(a.owner_id) if a.owner_id else "",
             "done": a.done, "due": a.due_on.isoformat() if a.due_on else "",
             "ticket": ticket_label(a.ticket_key) if a.ticket_key else "",
             "ticket_url": web_link(a.ticket_url or "")}
            for a in record.action_items
        ],
        "summary": summary_lines(record, at=at),
        "chain_head": record.events[-1].hash if record.events else GENESIS,
    }
