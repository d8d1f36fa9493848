"""Slack's answers that only a person can fix: a scope the app lacks, a channel the bot is not
in (or that is gone, or archived), a token Slack no longer takes. Trying again soon changes
nothing and giving up would lose the call, so the call is kept and tried again every FIX_WAIT,
and what to fix is logged once."""

import logging
from collections.abc import Mapping
from datetime import timedelta

from bot.outbound.errors import Retry

log = logging.getLogger(__name__)

FIX_WAIT = timedelta(minutes=5)
TOKEN_REFUSED = {"invalid_auth", "not_authed", "account_inactive", "token_revoked",
                 "token_expired"}
NOT_IN_CHANNEL = {"not_in_channel",
                  # conversations.join on a private channel: only an invite lets the bot in.
                  "method_not_supported_for_channel_type"}
# A channel a setting names that is gone or archived is a setting to fix; an incident's own
# channel, deleted or archived on purpose, is Slack's final word (the call is given up).
SETTING_GONE = {"channel_not_found", "is_archived"}
TOKEN_FIX = ("set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (reinstall the app to the "
             "workspace if it was removed) and restart the bot")


class NeedsAPerson(Retry):
    """A refusal nobody but a person can lift; `about` is the scope or the channel."""

    def __init__(self, method: str, error: str, fix: str, *, about: str = "") -> None:
        super().__init__(f"{method}: {error}" + (f" ({about})" if about else ""), after=FIX_WAIT)
        self.method, self.error, self.fix, self.about = method, error, fix, about

    @property
    def token(self) -> bool:
        return self.error in TOKEN_REFUSED

    def line(self) -> str:
        return (f"Slack refuses {self.method} with {self.error}"
                + (f" ({self.about})" if self.about else "") + f": {self.fix}")


def refusal(method: str, error: str, answer: object, params: Mapping[str, object],
            settings: Mapping[str, str]) -> NeedsAPerson | None:
    """The refusal a person must lift, if Slack's `error` to `method` is one. `settings`: the
    setting that names a channel (ANNOUNCE_CHANNEL, say), by the channel it names."""
    if error == "missing_scope":
        needed = str((answer if isinstance(answer, dict) else {}).get("needed") or "?")
        return NeedsAPerson(method, error, about=needed, fix=(
            f"add the scope {needed} to the app (oauth_config.scopes.bot in manifest.yml) and "
            "reinstall it to the workspace"))
    if error in TOKEN_REFUSED:
        return NeedsAPerson(method, error, fix=TOKEN_FIX)
    if error == "restricted_action":
        return NeedsAPerson(method, error, fix=(
            "the workspace's settings do not let the app do this: a Slack admin must allow it"))
    channel = str(params.get("channel") or "")
    setting = settings.get(channel)
    if not (error in NOT_IN_CHANNEL or error in SETTING_GONE and setting):
        return None
    where = f"{setting} ({channel})" if setting else f"channel {channel}"
    or_else = f", or set {setting} to another channel" if setting else ""
    if error == "channel_not_found":
        fix = f"{where} does not exist, or is private and the bot is not in it: invite the bot{or_else}"
    elif error == "is_archived":
        fix = f"{where} is archived: unarchive it{or_else}"
    else:
        fix = f"invite the bot to {where} (`/invite` it there){or_else}"
    return NeedsAPerson(method, error, fix, about=channel)


class Told:
    """What to fix, logged once per method, answer and scope or channel: each call still owed
    is tried again every FIX_WAIT, and the same line each time would bury the log."""

    def __init__(self) -> None:
        self._told: set[tuple[str, str, str]] = set()

    def tell(self, refused: NeedsAPerson) -> None:
        key = (refused.method, refused.error, refused.about)
        if key in self._told:
            return
        self._told.add(key)
        log.error("%s; what is owed is kept and tried again every %d minutes", refused.line(),
                  FIX_WAIT.total_seconds() // 60)
