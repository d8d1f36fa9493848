from dataclasses import dataclass

from bot.domain.authz import Judge


@dataclass(frozen=True)
class Caller:
    """Who ran a command, where, the delivery it came in (for exactly-once), and the judge
    of what they may do."""

    user_id: str
    user_name: str
    channel_id: str
    trigger_id: str
    judge: Judge
    command: str = "/incident"
    text: str = ""
