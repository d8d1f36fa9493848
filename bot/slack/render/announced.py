"""Lines about an incident said in the workspace's channels (ANNOUNCE_CHANNEL, EXEC_CHANNEL),
each renderer registered for its notice class and typed by it. Who did something is named,
not mentioned: a line in a busy channel should ping no one."""

from collections.abc import Callable
from typing import Any, TypeVar

from bot.domain import notices as n
from bot.domain.incident import IncidentRecord
from bot.slack.render.text import escape, mention

A = TypeVar("A", bound=n.Notice)
Render = Callable[[A, IncidentRecord], str]
ANNOUNCED: dict[type[n.Notice], Callable[[Any, IncidentRecord], str]] = {}


def announced(kind: type[A]) -> Callable[[Render[A]], Render[A]]:
    def register(render: Render[A]) -> Render[A]:
        ANNOUNCED[kind] = render
        return render
    return register


def announcement(said: n.Announcement | n.ToExecutives, record: IncidentRecord) -> str:
    return ANNOUNCED[type(said)](said, record)


def _where(record: IncidentRecord) -> str:
    incident = record.incident
    return f"<#{incident.channel_id}>" if incident.channel_id else f"#{incident.channel_name}"


def _head(record: IncidentRecord) -> str:
    incident = record.incident
    return f"*{incident.ref}* ({incident.severity_label}) {escape(incident.title)}"


@announced(n.AnnounceDeclared)
def _declared(said: n.AnnounceDeclared, record: IncidentRecord) -> str:
    return f":rotating_light: {_head(record)} declared by {mention(said.user)}. Join {_where(record)}."


@announced(n.StillOpen)
def _still_open(said: n.StillOpen, record: IncidentRecord) -> str:
    incident = record.incident
    return (f":rotating_light: {_head(record)} is still *{incident.status}* {said.after} after it "
            f"was declared. Commander: {mention(incident.commander_id)}. "
            f"Follow it in {_where(record)}.")


@announced(n.AnnounceSeverity)
def _severity(said: n.AnnounceSeverity, record: IncidentRecord) -> str:
    incident = record.incident
    return (f":arrow_up_down: *{incident.ref}* {escape(incident.title)}: severity "
            f"{said.old} → {said.new} ({escape(said.rationale or '')}), "
            f"by {escape(record.name(said.user))}. {_where(record)}")


@announced(n.AnnounceStatus)
def _status(said: n.AnnounceStatus, record: IncidentRecord) -> str:
    return (f":white_check_mark: {_head(record)} is {said.status}, "
            f"by {escape(record.name(said.user))}. {_where(record)}")


@announced(n.AnnounceUpdate)
def _update(said: n.AnnounceUpdate, record: IncidentRecord) -> str:
    incident = record.incident
    return (f":mega: *{incident.ref}* ({incident.severity_label}) update: "
            f"{escape(said.text)} ({_where(record)})")
