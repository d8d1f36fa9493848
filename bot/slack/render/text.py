"""Text for Slack: escaped, cut or split to fit its limits, and the small blocks everything uses."""

import re
from collections.abc import Mapping
from datetime import datetime

SECTION_TEXT_LIMIT = 3000
FIELD_LIMIT = 2000
HEADER_LIMIT = 150


def escape(text: str) -> str:
    """Show text literally: `<!channel>` or `<@U1>` typed by a user never pings anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """For summaries only (headers, fields, notification text): what people typed is shown
    whole by `sections`. Half an escape or mention would show as garbage: it goes too."""
    if len(text) <= limit:
        return text
    return _HALF_TOKEN.sub("", text[: limit - 1]) + "…"


_HALF_TOKEN = re.compile(r"&[#A-Za-z0-9]{0,7}$|<(?:[@#!]|https?:|mailto:)[^<>]*$")


FENCE = "```"
# A piece never ends inside these: an escape (`&amp;`), a mention, channel or link (`<…>`),
# or a code fence marker.
_UNBREAKABLE = re.compile(r"<[^<>]*>|&(?:#\d+|[A-Za-z]+);|```")


def split_text(text: str, limit: int = SECTION_TEXT_LIMIT) -> list[str]:
    """`text` (mrkdwn) in pieces of at most `limit` characters that read as it does.

    A piece ends after a newline, else after a space or other blank, preferably in the latter
    half of its room so that pieces stay few; only with no blank in reach does it end where
    the room ends. It never ends inside an escape, a `<…>` or a fence marker. A break outside
    a code block wins over one inside; one inside closes the block, and the next piece opens
    it again. Joined, the pieces give the text back, but for those fences and for pieces of
    nothing but blanks (Slack refuses a blank section).
    """
    if len(text) <= limit:
        return [text]
    size = len(text)
    unbreakable = bytearray(size + 1)
    for match in _UNBREAKABLE.finditer(text):
        unbreakable[match.start() + 1:match.end()] = b"\1" * (len(match[0]) - 1)
    in_code = bytearray(size + 1)
    fences = [match.start() for match in re.finditer(FENCE, text)]
    # An odd fence out shows as backticks in Slack: only pairs make code blocks.
    for opening, closing in zip(fences[::2], fences[1::2], strict=False):
        in_code[opening + 3:closing + 1] = b"\1" * (closing - opening - 2)
        # A piece that closes a block right after it opens, or opens one only to close it,
        # would show an empty block.
        unbreakable[opening + 3] = unbreakable[closing] = 1
    pieces: list[str] = []
    start, reopen = 0, ""
    while len(reopen) + size - start > limit:
        end = _break(text, start, limit - len(reopen), unbreakable, in_code)
        close = FENCE if in_code[end] else ""
        pieces.append(reopen + text[start:end] + close)
        start, reopen = end, close
    pieces.append(reopen + text[start:])
    return [piece for piece in pieces if piece.strip()] or pieces[:1]


def _break(text: str, start: int, room: int, unbreakable: bytearray, in_code: bytearray) -> int:
    """Where the piece from `start` ends: the best place within `room` characters."""
    best, best_rank = 0, None
    for end in range(start + 1, start + room + 1):
        if unbreakable[end] or (in_code[end] and end - start + len(FENCE) > room):
            continue
        blank = text[end - 1].isspace()
        rank = (blank, blank and end - start >= room // 2, not in_code[end],
                text[end - 1] == "\n", end)
        if best_rank is None or rank > best_rank:
            best, best_rank = end, rank
    if best_rank is None:  # one stretch that must not break fills the room: break it anyway
        best = start + room
        if in_code[best]:
            best -= len(FENCE)
    return best


def sections(text: str) -> list[dict]:
    """As many sections as `text` needs: shown whole, never cut."""
    return [section(piece) for piece in split_text(text)]


def hhmm(at: datetime) -> str:
    return f"{at:%H:%M} UTC"


_SLACK_USER = re.compile(r"^[UW][A-Z0-9]+$")


def name(names: Mapping[str, str], user: str) -> str:
    """Named, never mentioned: a line pings nobody it does not mean to."""
    return escape(names.get(user, user))


def mention(user_id: str | None) -> str:
    if not user_id:
        return "_not assigned_"
    # A declarer that is no Slack user (an alert source) is named, not mentioned.
    return f"<@{user_id}>" if _SLACK_USER.match(user_id) else escape(user_id)


def section(text: str) -> dict:
    """One section: for text of ours known to fit; anything people typed goes through `sections`."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    element = {"type": "button", "text": {"type": "plain_text", "text": text},
               "action_id": action_id, "value": value}
    if style:
        element["style"] = style
    return element

