"""PagerDuty on /metrics."""

from collections.abc import Iterator

from prometheus_client.metrics_core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.paging.pagerduty import PagerDuty


class PagerDutyEvents(Collector):
    """The client's own tally, read at scrape time: every answer counted where it happened."""

    def __init__(self, pager: PagerDuty) -> None:
        self.pager = pager

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily("incident_bot_pagerduty_events",
                                     "PagerDuty events sent by this process, by answer",
                                     labels=["action", "outcome"])
        for (action, outcome), count in sorted(self.pager.counts.items()):
            family.add_metric([action, outcome], count)
        yield family
