"""Outbound calls on /metrics: every call the adapters make to Slack, PagerDuty, Statuspage
and git, by system, method and outcome, counted where the call is made. Per process: the
replicas' counts add up.

Outcomes: `ok` the other side took it; `retry` it did not, for a passing reason (rate
limited, failing, too slow, not reached), and goes again; `refused` the other side said no
(a setting or a permission a person must fix, or a final answer the call is given up on);
`error` the call failed in a way that says nothing about the other side (a fault of ours).
An answer the caller acts on as a step of its own (a Slack channel name taken: the next one
is tried) is `ok`: nothing there to look into.
"""

import contextlib
from collections import Counter
from collections.abc import Iterator

from prometheus_client.metrics_core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

OK, RETRY, REFUSED, ERROR = "ok", "retry", "refused", "error"


class OutboundCalls(Collector):
    """One tally, shared by the adapters of a running bot."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()

    def add(self, system: str, method: str, outcome: str) -> None:
        self.counts[(system, method, outcome)] += 1

    @contextlib.contextmanager
    def counting(self, system: str, method: str, *, retry: type[Exception],
                 refused: type[Exception]) -> Iterator[None]:
        """Count the call made in the block by how it ended: `retry` and `refused` are the
        adapter's own exceptions for those outcomes; any other is `error`."""
        try:
            yield
        except retry:
            self.add(system, method, RETRY)
            raise
        except refused:
            self.add(system, method, REFUSED)
            raise
        except Exception:
            self.add(system, method, ERROR)
            raise
        self.add(system, method, OK)

    def count(self, system: str, method: str | None = None, outcome: str | None = None) -> int:
        """How many calls of `system` (of `method`, with `outcome`) were counted."""
        return sum(n for (s, m, o), n in self.counts.items()
                   if s == system and method in (None, m) and outcome in (None, o))

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily("incident_bot_outbound_calls",
                                     "Calls made to Slack, PagerDuty, Statuspage and git by this "
                                     "process, by system, method and outcome",
                                     labels=["system", "method", "outcome"])
        for (system, method, outcome), count in sorted(self.counts.items()):
            family.add_metric([system, method, outcome], count)
        yield family
