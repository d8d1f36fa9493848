from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    """Who ran a command, where, and the delivery it came in (for exactly-once)."""

    user_id: str
    user_name: str
    channel_id: str
    trigger_id: str
    command: str = "/incident"
    text: str = ""
