"""git commits of exports on /metrics."""

from collections.abc import Iterator

from prometheus_client.metrics_core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.export.git import ExportGit


class ExportGitOutcomes(Collector):
    def __init__(self, git: ExportGit) -> None:
        self.git = git

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily("incident_bot_export_git",
                                     "Exports committed and pushed to git by this process, and "
                                     "git failures", labels=["outcome"])
        for outcome in ("committed", "pushed", "failed"):
            family.add_metric([outcome], self.git.counts[outcome])
        yield family
