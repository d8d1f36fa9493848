"""The incident lifecycle: new → acknowledged → mitigating → monitoring → resolved → closed."""

from enum import StrEnum

from bot.domain.errors import IncidentError


class Status(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    MITIGATING = "mitigating"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def rank(self) -> int:
        return list(Status).index(self)

    @property
    def is_open(self) -> bool:
        return self.rank < Status.RESOLVED.rank


SETTABLE = [s for s in Status if s is not Status.NEW]


def parse_status(text: str) -> Status:
    try:
        status = Status(text.strip().lower())
    except ValueError:
        raise ValueError(f"'{text}' is not a status") from None
    if status is Status.NEW:
        raise ValueError("an incident cannot go back to 'new'")
    return status


def check_transition(current: Status, target: Status, rationale: str) -> None:
    """Forward moves, skipping included, are free, except resolving or closing what was
    never being mitigated; going back must say why. `rationale`: for resolve, the root cause."""
    if target is current:
        raise IncidentError(f"The incident is already {current}.")
    if not target.is_open and current.rank < Status.MITIGATING.rank and not rationale.strip():
        how = ("`/incident resolve <root cause>`" if target is Status.RESOLVED
               else f"`/incident status {target} <why>`")
        verb = "resolve" if target is Status.RESOLVED else "close"
        raise IncidentError(f"The incident is still {current}: to {verb} it before any mitigation, "
                            f"say why: {how}")
    if target.rank < current.rank and not rationale.strip():
        raise IncidentError(
            f"Going back from {current} to {target} needs a rationale: "
            f"`/incident status {target} <why>`"
        )
