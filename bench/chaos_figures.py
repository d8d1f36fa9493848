"""What bench/chaos.py records of a run, and the figures it prints from Slack's side: the row
of the table, and when each incident channel heard from the bots."""

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.standin.slack_api import Call, FakeSlackAPI

MARKER = re.compile(r"chaos(\d{5})")
FAULTS = ("503", "429", "hang")


@dataclass
class Line:
    seq: int
    channel: str
    user: str
    answer: str = ""

    @property
    def marker(self) -> str:
        return f"chaos{self.seq:05d}"  # fixed width: no marker is part of another

    @property
    def acked(self) -> bool:
        return self.answer == "Logged."


@dataclass
class Chaos:
    """The run as it went; times are the wall clock's (time.time()), as Slack's calls are."""

    lines: list[Line] = field(default_factory=list)
    killed_at: list[float] = field(default_factory=list)
    injected: Counter[str] = field(default_factory=Counter)
    left_over: Counter[str] = field(default_factory=Counter)  # no bot call met them
    began: float = 0.0
    ended: float = 0.0
    first_call: int = 0  # Slack's calls from the chaos on: slack.calls[first_call:]

    def calls(self, slack: FakeSlackAPI) -> list[Call]:
        return [call for call in slack.calls[self.first_call:] if call.at <= self.ended]


def shown_in(slack: FakeSlackAPI, channels: Sequence[str]) -> Counter[tuple[str, int]]:
    """How often each line shows, by channel and number."""
    return Counter((channel, int(seq)) for channel in channels
                   for message in slack.messages(channel) for seq in MARKER.findall(message.shown))


def print_figures(chaos: Chaos, slack: FakeSlackAPI, channels: Sequence[str],
                  first_shown: dict[int, float], *, seconds: float, limit: float) -> None:
    acked = [line for line in chaos.lines if line.acked]
    counts = shown_in(slack, channels)
    lost = sum(1 for line in acked if not counts[(line.channel, line.seq)])
    doubled = sum(1 for n in counts.values() if n > 1)
    caught_up = (f"{max(first_shown.values(), default=0.0):.1f}" if len(first_shown) == len(acked)
                 else f"not within {limit:.0f}")
    met = chaos.injected - chaos.left_over
    calls = chaos.calls(slack)
    failed = sum(1 for call in calls if call.status in (503, 429)) + met["hang"]
    print("| chaos s | lines acknowledged | kills | Slack faults injected | catch-up s | lost | doubled |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {seconds:.0f} | {len(acked)} of {len(chaos.lines)} | {len(chaos.killed_at)} "
          f"| {sum(met.values())} ({', '.join(f'{k} {met[k]}' for k in FAULTS)}) "
          f"| {caught_up} | {lost} | {doubled} |")
    print()
    print(f"Web API calls during the chaos: {len(calls)}, of which {failed} met a fault "
          f"({failed / max(1, len(calls)):.0%}); faults no bot call met: "
          f"{sum(chaos.left_over.values())}")
    refused = Counter(line.answer[:100] for line in chaos.lines if not line.acked)
    for answer, count in refused.most_common(5):
        print(f"  not acknowledged, {count} x: {answer}")
    twice = sorted(seq for (_, seq), n in counts.items() if n > 1)
    if twice:
        print("lines shown twice: " + ", ".join(f"#{seq}" for seq in twice[:20]))
    print("kills, s before the end: "
          + ", ".join(f"{chaos.ended - at:.1f}" for at in chaos.killed_at))


def print_channels(chaos: Chaos, slack: FakeSlackAPI, channels: Sequence[str],
                   first_shown: dict[int, float]) -> None:
    """When each channel heard from the bots: a lane that stays quiet while Slack answers
    waits on something of the bots' own (a backoff, or the lease of a killed replica). A call
    is stamped when it is answered: one that hung is stamped when it landed."""
    print()
    print("channel | lines acknowledged | all shown, s after the end | last post before the end, "
          "s | first call after the end, s | longest silence in the chaos, s")
    print("---|---|---|---|---|---")
    for channel in channels:
        mine = [line.seq for line in chaos.lines if line.acked and line.channel == channel]
        shown = [first_shown[seq] for seq in mine if seq in first_shown]
        posts = [call.at for call in slack.calls[chaos.first_call:]
                 if call.method == "chat.postMessage" and call.status == 200
                 and call.params.get("channel") == channel]
        during = [at for at in posts if at <= chaos.ended]
        after = [call.at - chaos.ended for call in slack.calls[chaos.first_call:]
                 if call.at > chaos.ended and call.params.get("channel") == channel]
        stamps = [chaos.began, *during, chaos.ended]
        silence = max(b - a for a, b in zip(stamps, stamps[1:], strict=False))
        name = slack.channels[channel].name if channel in slack.channels else "?"
        print(f"{channel} #{name} | {len(mine)} "
              f"| {max(shown, default=0.0):.1f}{'' if len(shown) == len(mine) else ' (not all)'} "
              f"| {chaos.ended - during[-1] if during else float('nan'):.1f} "
              f"| {after[0] if after else float('nan'):.1f} | {silence:.1f}")


def keep_record(chaos: Chaos, slack: FakeSlackAPI, channels: Sequence[str], workdir: Path) -> None:
    """What Slack was asked and what it shows, for a closer look at a figure."""
    with (workdir / "calls.tsv").open("w") as out:
        for call in slack.calls[chaos.first_call:]:
            out.write(f"{call.at - chaos.ended:.3f}\t{call.method}\t{call.status}"
                      f"\t{call.error or ''}\t{call.params.get('channel', '')}\n")
    with (workdir / "messages.txt").open("w") as out:
        for channel in channels:
            for message in slack.messages(channel):
                out.write(f"{channel} {message.ts} {' '.join(MARKER.findall(message.shown))}\n")
