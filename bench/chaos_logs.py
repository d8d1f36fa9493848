"""What the replicas' logs say about a catch-up: the deliveries they put off, for how long, and
when owed calls went out again. For bench/chaos.py.

The bots log (bot/outbound/loop.py) lines such as
`2026-12-06 02:12:30,777 WARNING bot.outbound.loop: INC-1 log #[12, 13] deferred 12.3s: …`
(or, before this release, `slack call post #[12, 13] deferred …`) and
`… WARNING …: 40 owed Slack calls go out again`; the time is the machine's local time.
"""

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

LINE = re.compile(r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (?P<level>[A-Z]+) (?P<logger>\S+): "
                  r"(?P<message>.*)$")
DEFERRED = re.compile(r"^(?P<what>.*?) deferred (?P<seconds>\d+(?:\.\d+)?)s: (?P<why>.*)$")
RELEASED = re.compile(r"^(?P<count>\d+) owed .*calls go out again", re.IGNORECASE)
BUCKETS: tuple[tuple[float, str], ...] = ((2, "<2 s"), (10, "2-10 s"), (60, "10-60 s"),
                                          (math.inf, ">60 s"))
LATE = timedelta(seconds=20)  # "the end of the chaos": its last this many seconds
LONGEST = 8


@dataclass
class Deferral:
    replica: str
    at: datetime
    seconds: float
    what: str
    why: str

    @property
    def due(self) -> datetime:
        return self.at + timedelta(seconds=self.seconds)


@dataclass
class Release:
    replica: str
    at: datetime
    count: int


def read_logs(logs: Sequence[Path]) -> tuple[list[Deferral], list[Release]]:
    deferrals, releases = [], []
    for log in logs:
        for text in log.read_text(errors="replace").splitlines():
            line = LINE.match(text)
            if line is None:
                continue
            at = datetime.strptime(line["at"], "%Y-%m-%d %H:%M:%S,%f")
            if deferred := DEFERRED.match(line["message"]):
                deferrals.append(Deferral(log.stem, at, float(deferred["seconds"]),
                                          _short(deferred["what"]), deferred["why"]))
            elif released := RELEASED.match(line["message"]):
                releases.append(Release(log.stem, at, int(released["count"])))
    return deferrals, releases


def bucket(seconds: float) -> str:
    return next(name for limit, name in BUCKETS if seconds < limit)


def print_log_figures(workdir: Path, began: datetime, ended: datetime) -> None:
    logs = sorted(workdir.glob("replica*.log"))
    deferrals, releases = read_logs(logs)
    during = [d for d in deferrals if began <= d.at <= ended]
    after = [d for d in deferrals if d.at > ended]
    print()
    print(f"deferrals logged by the replicas ({len(logs)} logs, one per start)")
    print()
    print("deferred for | during the chaos | after it")
    print("---|---|---")
    for _, name in BUCKETS:
        print(f"{name} | {sum(bucket(d.seconds) == name for d in during)} "
              f"| {sum(bucket(d.seconds) == name for d in after)}")
    late = sorted((d for d in during if d.at >= ended - LATE), key=lambda d: -d.seconds)
    print()
    print(f"the longest deferrals logged in the last {LATE.seconds} s of the chaos "
          f"({len(late)} in all):")
    print()
    print("replica | logged, s before the end | deferred s | due, s after the end | what | why")
    print("---|---|---|---|---|---")
    for d in late[:LONGEST]:
        print(f"{d.replica} | {(ended - d.at).total_seconds():.1f} | {d.seconds:.1f} "
              f"| {(d.due - ended).total_seconds():.1f} | {d.what} | {d.why[:80]}")
    if during:
        last_due = max(during, key=lambda d: d.due)
        print()
        print(f"the latest due time of a deferral made during the chaos: "
              f"{(last_due.due - ended).total_seconds():.1f} s after its end "
              f"({last_due.replica}: {last_due.what}, {last_due.seconds:.1f} s); one waiting for "
              f"Slack to answer goes out when a probe is answered, whatever its due time")
    if after:
        print()
        print("deferrals logged after the end (s after the end):")
        for d in sorted(after, key=lambda d: d.at)[:LONGEST]:
            print(f"  {d.replica} at {(d.at - ended).total_seconds():.1f}: {d.what} deferred "
                  f"{d.seconds:.1f} s, due at {(d.due - ended).total_seconds():.1f}: {d.why[:80]}")
    kinds = Counter(_reason(d.why) for d in during)
    print("why, during the chaos: " + ", ".join(f"{why} {n}" for why, n in kinds.most_common(6)))
    print(f"'owed calls go out again': {sum(r.at <= ended for r in releases)} during the chaos "
          f"({sum(r.count for r in releases if r.at <= ended)} calls), "
          f"{sum(r.at > ended for r in releases)} after it "
          f"({sum(r.count for r in releases if r.at > ended)} calls)")


def _short(what: str) -> str:
    # Outbox row ids, a batch of many: the first and last, and how many.
    def span(ids: re.Match[str]) -> str:
        numbers = ids[1].split(", ")
        return ids[0] if len(numbers) < 3 else f"#[{numbers[0]}..{numbers[-1]}] ({len(numbers)})"

    return re.sub(r"#\[([\d, ]+)\]", span, what)


def _reason(why: str) -> str:
    # The reason without its varying parts (ids, numbers), to count alike ones together.
    return re.sub(r"\d+(\.\d+)?", "N", why)[:60]
