"""What each command does and says, one handler per request type, registered with
`registry.handles`. Importing this package registers them all."""

from bot.slack.listeners.handlers import (
    access,
    follow_ups,
    incident,
    outside,
    people,
    reading,
    services,
)

__all__ = ["access", "follow_ups", "incident", "outside", "people", "reading", "services"]
