"""A service and an incident type as the catalog declares them: plain values, no Slack."""

from dataclasses import dataclass, field
from pathlib import Path

from bot.runbooks.format import Problem

__all__ = ["IncidentType", "Problem", "Service"]


@dataclass(frozen=True)
class Service:
    name: str
    aliases: tuple[str, ...] = ()
    # Slack user group id of the team that owns the service.
    owner_group: str | None = None
    # PagerDuty escalation policy id: who is on call for the service.
    escalation_policy: str | None = None
    # A name in PAGERDUTY_SERVICES: where a page for the service goes.
    pagerduty_service: str | None = None
    # Statuspage component ids marked when the service is hit.
    components: tuple[str, ...] = ()
    runbooks: tuple[str, ...] = ()
    tier: int | None = None
    # PagerDuty's id of the service, from a Backstage descriptor's pagerduty.com/service-id.
    pagerduty_service_id: str | None = None
    path: str = ""
    # Line of each key in the file, and of each list item as "key:item", so lint can point at
    # what it finds.
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def line(self, key: str) -> int:
        """1-based line of a key in the service's file; its name's line when the key is absent."""
        return self.lines.get(key, self.lines.get("name", 1))


@dataclass(frozen=True)
class IncidentType:
    name: str
    description: str = ""
    # The severity an incident of this type is declared at when none is given (1 is SEV1).
    severity: int | None = None
    private: bool = False
    # Slack user (U…, W…) and user group (S…) ids asked into every incident of the type.
    invite: tuple[str, ...] = ()
    runbooks: tuple[str, ...] = ()
    export_template: Path | None = None
    announce: bool = True
    statuspage: bool = True
    # The lowest severity that still owes a postmortem: 2 means SEV1 and SEV2 do.
    postmortem_from: int | None = None
    path: str = ""
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def needs_postmortem(self, severity: int) -> bool | None:
        """Whether an incident of this type at `severity` owes a postmortem; None when the type
        does not say, and the bot's own rule applies."""
        return None if self.postmortem_from is None else severity <= self.postmortem_from

    def line(self, key: str) -> int:
        return self.lines.get(key, self.lines.get("", 1))
