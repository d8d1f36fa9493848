"""A message for something recorded, found by the kind of its notice."""

from bot.domain import notices as n
from bot.domain.notices import ChannelLine, DirectMessage
from bot.slack import ids

# Each of these registers the renderers of its lines when imported: importing them here is
# what makes every kind renderable wherever messages are rendered.
from bot.slack.render import direct, follow_up, handoff, lines
from bot.slack.render.said import BUTTONS, LINES, Names
from bot.slack.render.text import escape, sections

__all__ = ["direct", "follow_up", "handoff", "lines", "message"]


# What brings someone into the incident, or hands it over, says where the call is.
WITH_CALL = (n.Handoff, n.PageDM, n.EscalationDM)


def message(notice: ChannelLine | DirectMessage, names: Names,
            call: str | None = None) -> tuple[str, list[dict] | None]:
    """Text, and blocks when the line has buttons; `call`: MEETING_URL's link."""
    text = LINES[type(notice)](notice, names)
    if call and isinstance(notice, WITH_CALL):
        text += f"\n:telephone_receiver: Call: {escape(call)}"
    render_buttons = BUTTONS.get(type(notice))
    if render_buttons is None:
        return text, None
    value, elements = render_buttons(notice)
    row = {"type": "actions", "block_id": ids.notice_block(notice.kind, value), "elements": elements}
    return text, [*sections(text), row]
