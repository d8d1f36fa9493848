"""Commands that name people: commander, role, handoff, invite, page."""

from bot.slack.parsing.requests import Commander, Handoff, Invite, Page, Role
from bot.slack.parsing.usage import UsageError
from bot.slack.parsing.words import INVITEE, LEADING_MENTION, MENTION, required


def parse_commander(rest: str) -> Commander:
    match = MENTION.match(required(rest, "commander", "who (as an @mention)"))
    if not match:
        raise UsageError(f"`{rest}` is not a person: @mention them so Slack links the name.",
                         "commander")
    return Commander(match.group(1), match.group(2) or "")


def parse_role(rest: str) -> Role:
    words = required(rest, "role", "which role and who").split(maxsplit=1)
    match = MENTION.match(words[1].strip()) if len(words) > 1 else None
    if not match:
        raise UsageError("Say the role, then @mention the person so Slack links the name.",
                         "role")
    return Role(words[0].lower(), match.group(1), match.group(2) or "")


def parse_handoff(rest: str) -> Handoff:
    match = LEADING_MENTION.match(required(rest, "handoff", "who takes over (as an @mention)"))
    if not match:
        raise UsageError("@mention the next commander first, then any notes.", "handoff")
    return Handoff(match.group(1), match.group(2) or "", rest[match.end():].strip())


def parse_invite(rest: str) -> Invite:
    text = required(rest, "invite", "whom to invite (@people or @user-groups)")
    people = [(m.group(1) or m.group(3), m.group(2) or m.group(4) or "")
              for m in INVITEE.finditer(text)]
    if not people or INVITEE.sub("", text).strip():
        raise UsageError("Name people and user groups as @mentions so Slack links them.",
                         "invite")
    return Invite(tuple(dict.fromkeys(people)))


def parse_page(rest: str) -> Page:
    text = required(rest, "page", "whom to page: a PagerDuty service or an @mention")
    person = LEADING_MENTION.match(text)
    if person:
        return Page(None, person.group(1), person.group(2) or "", text[person.end():].strip())
    if text.startswith(("<@", "<!", "<#", "@")):
        raise UsageError("@mention the person so Slack links the name, or name a service.", "page")
    words = text.split(maxsplit=1)
    return Page(words[0], None, "", words[1].strip() if len(words) > 1 else "")
