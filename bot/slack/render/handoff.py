"""The handoff message: where things stand, for the commander taking over."""

from bot.domain import notices as n
from bot.domain.roles import label
from bot.slack.render.said import Names, line
from bot.slack.render.text import escape, hhmm, mention
from bot.slack.render.text import name as named


@line(n.Handoff)
def handoff(said: n.Handoff, names: Names) -> str:
    """Only the two commanders are mentioned: everyone else named here is shown by name, so a
    handoff pings no crowd."""
    def name(user: str | None) -> str:
        return named(names, user) if user else "-"

    previous = f" from {mention(said.previous)}" if said.previous else ""
    lines = [f":handshake: *Handoff*: {mention(said.commander)} takes over as incident "
             f"commander{previous} (handed over by {name(said.user)}).",
             f"*Status* {said.status} · *Severity* {said.severity}",
             "*Roles* " + " · ".join(f"{label(role)}: {name(user)}" for role, user in said.roles)]

    def listing(title: str, items: list[str]) -> None:
        lines.append(f"*{title}*" + ("".join(f"\n• {item}" for item in items) if items
                                     else " _none_"))

    listing("Open runbook steps", [f"{s.runbook} step {s.number}: {escape(s.title)} ({s.state})"
                                   for s in said.steps])
    listing("Live access", [f"{a.ref} {escape(a.what)} for {name(a.requester)}, until "
                            f"{hhmm(a.expires)}" for a in said.access])
    listing("Open action items", [f"#{a.number} {escape(a.text)}"
                                  + (f" (owner {name(a.owner)})" if a.owner else "")
                                  for a in said.actions])
    last = said.last_update
    lines.append("*Last update* " + (f"{hhmm(last.at)}: {escape(last.text)}" if last
                                     else "_none yet_"))
    lines.append("*Notes* " + (escape(said.notes) if said.notes else "_none_"))
    return "\n".join(lines)
