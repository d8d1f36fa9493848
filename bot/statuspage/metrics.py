"""Statuspage on /metrics."""

from collections.abc import Iterator

from prometheus_client.metrics_core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.statuspage.api import Statuspage


class StatuspageCalls(Collector):
    def __init__(self, statuspage: Statuspage) -> None:
        self.statuspage = statuspage

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily("incident_bot_statuspage_calls",
                                     "Statuspage API calls made by this process, by answer",
                                     labels=["call", "outcome"])
        for (call, outcome), count in sorted(self.statuspage.counts.items()):
            family.add_metric([call, outcome], count)
        yield family
