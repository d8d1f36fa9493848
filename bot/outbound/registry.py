"""Which delivery serves each kind of notice: every adapter registers its own.

A delivery registered for a base class serves every kind under it (one for all the lines
said in an incident channel, say). Kinds served by one delivery that coalesces go out
together when they queue up in a lane.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from bot.domain.notices import KINDS, Notice
from bot.outbound.codec import SENT_AS

N = TypeVar("N", bound=Notice)


@dataclass(frozen=True)
class Owed(Generic[N]):
    id: int
    notice: N
    created_at: datetime
    attempts: int
    # An earlier attempt may have reached the other side: look before sending again.
    check_first: bool
    # Until then a look that finds nothing proves nothing: the earlier attempt may still land.
    unsure_until: datetime | None = None


@dataclass(frozen=True)
class Batch(Generic[N]):
    """Owed notices of one lane and one delivery, leased together, head first."""

    items: list[Owed[N]]

    @property
    def head(self) -> Owed[N]:
        return self.items[0]

    @property
    def check_first(self) -> bool:
        return any(item.check_first for item in self.items)


# A delivery gets its batch and returns the items it did not get to, if any: they go out
# in the next call. It raises Retry or GiveUp (bot/outbound/errors.py) for the other side's
# answers; anything else it raises is a fault of ours.
Send = Callable[[Batch[N]], Awaitable[Sequence[Owed[N]] | None]]


class System(Protocol):
    """An outside system whose outages hold its rows: asked with one cheap call until it
    answers again, rather than by every lane."""

    name: str
    # When it started failing (loop time), None while it answers.
    failing_since: float | None

    async def probe(self) -> bool: ...


@dataclass(frozen=True)
class Delivery(Generic[N]):
    name: str
    send: Send[N]
    # Rows of this delivery right behind each other in a lane go out in one call.
    coalesce: bool = False
    # A post into a channel: the channel's pace applies.
    paced: bool = False
    system: System | None = None


@dataclass
class Registry:
    _by_kind: dict[type[Notice], Delivery[Any]] = field(default_factory=dict)

    def add(self, kind: type[N], send: Send[N], *, coalesce: bool = False, paced: bool = False,
            system: System | None = None) -> None:
        assert kind not in self._by_kind, f"{kind.__name__} has a delivery already"
        self._by_kind[kind] = Delivery(kind.__name__, send, coalesce, paced, system)

    def delivery(self, kind: type[Notice]) -> Delivery[Any] | None:
        for cls in kind.__mro__:
            if cls in self._by_kind:
                return self._by_kind[cls]
        return None

    def _stored(self) -> dict[str, Delivery[Any]]:
        """Each kind name an outbox row may carry, this release's and the one before's."""
        kinds = {**KINDS, **SENT_AS}
        return {name: delivery for name, cls in kinds.items()
                if (delivery := self.delivery(cls)) is not None}

    def together(self) -> dict[str, str]:
        """Kind name → its delivery's name, for the kinds that coalesce."""
        return {name: d.name for name, d in self._stored().items() if d.coalesce}

    def paced(self) -> set[str]:
        return {name for name, d in self._stored().items() if d.paced}

    def kinds_of(self, system: System) -> set[str]:
        return {name for name, d in self._stored().items() if d.system is system}
