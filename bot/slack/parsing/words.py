"""Pieces of command text every parser reads: mentions as Slack writes them, flags, durations,
request ids, and the sentence a refusal is written in."""

import re
from datetime import timedelta

from bot.domain.durations import parse_duration
from bot.slack.parsing.usage import UsageError

_PERSON = r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>"
MENTION = re.compile(rf"^{_PERSON}$")
TRAILING_MENTION = re.compile(rf"\s*{_PERSON}\s*$")
LEADING_MENTION = re.compile(rf"^{_PERSON}(?:\s+|$)")
# People and user groups as Slack writes them in command text (should_escape).
INVITEE = re.compile(rf"{_PERSON}|<!subteam\^([A-Z0-9]+)(?:\|([^>]*))?>")
_REF = re.compile(r"^AR-?\d+$", re.IGNORECASE)


def sentence(error: ValueError) -> str:
    text = str(error)
    return f"{text[:1].upper()}{text[1:]}."


def required(rest: str, command: str, what: str) -> str:
    if not rest:
        raise UsageError(f"Say {what}.", command)
    return rest


def flag(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?:^|\s)--{name}(?=\s|$)")


def duration(text: str, command: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise UsageError(sentence(exc), command) from None


def access_ref(text: str, command: str) -> str:
    if not _REF.match(text):
        raise UsageError(f"`{text}` is not an access request id like AR-3.", command)
    return text.upper()
