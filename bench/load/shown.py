"""The log lines as Slack shows them: which, how often, in what order, and how fast posted."""

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from bot.standin.slack_api import FakeSlackAPI, Message


class Shown:
    """The run's markers as Slack shows them, channel by channel, in order."""

    def __init__(self, slack: FakeSlackAPI, channels: Iterable[str], pattern: re.Pattern[str]) -> None:
        self.slack, self.channels, self.pattern = slack, sorted(set(channels)), pattern
        self._cache: dict[tuple[str, str, int], list[tuple[int, int]]] = {}

    def _found(self, channel: str, message: Message) -> list[tuple[int, int]]:
        key = (channel, message.ts, len(message.edits))
        if key not in self._cache:
            self._cache[key] = [(int(c), int(k)) for c, k in self.pattern.findall(message.shown)]
        return self._cache[key]

    def in_order(self) -> dict[str, list[tuple[int, int]]]:
        return {channel: [hit for message in self.slack.messages(channel)
                          for hit in self._found(channel, message)]
                for channel in self.channels}

    def counts(self) -> Counter:
        return Counter(hit for hits in self.in_order().values() for hit in hits)


def out_of_order(shown: dict[str, list[tuple[int, int]]]) -> int:
    """Lines shown after a line their client sent later, into the same channel."""
    violations = 0
    for hits in shown.values():
        last: dict[int, int] = {}
        seen: set[tuple[int, int]] = set()
        for client, seq in hits:
            if (client, seq) in seen:
                continue
            seen.add((client, seq))
            if seq < last.get(client, -1):
                violations += 1
            last[client] = max(seq, last.get(client, -1))
    return violations


def peak_posts(slack: FakeSlackAPI, since: int, channels: Iterable[str]) -> tuple[int, int]:
    """chat.postMessage calls into these channels, and the most into one channel in any 1 s."""
    wanted = set(channels)
    times: dict[str, list[float]] = defaultdict(list)
    for call in slack.calls[since:]:
        if call.method == "chat.postMessage" and call.params.get("channel") in wanted:
            times[call.params["channel"]].append(call.at)
    peak = 0
    for stamps in times.values():
        stamps.sort()
        first = 0
        for last, at in enumerate(stamps):
            while at - stamps[first] >= 1.0:
                first += 1
            peak = max(peak, last - first + 1)
    return sum(len(stamps) for stamps in times.values()), peak
