"""Checking an export on its own: the chain in its timeline block, its head, its timeline rows."""

from dataclasses import dataclass

from bot.domain.timeline import GENESIS, TimelineEvent, verify_chain
from bot.export import canonical
from bot.export.render import CHAIN_LINE, day_of, timeline_row

TIMELINE = "## Timeline"


@dataclass
class FileCheck:
    events: list[TimelineEvent]
    line: int | None = None  # where the first problem is (1-based); None when the file holds
    problem: str = ""

    @property
    def head(self) -> str:
        return self.events[-1].hash if self.events else GENESIS


def check_export(text: str) -> FileCheck:
    lines = text.split("\n")
    try:
        block = canonical.read(lines)
    except canonical.CanonicalError as error:
        return FileCheck([], error.line, str(error))
    events = block.events
    broken = verify_chain(events)
    if broken:
        at = block.lines[events.index(broken.event)]
        return FileCheck(events, at, f"event {broken.event.seq} ({broken.event.action}): {broken.reason}")
    found = _chain_line(lines, FileCheck(events))
    return found if found.line else _timeline_rows(lines, events, block.names)


def _chain_line(lines: list[str], check: FileCheck) -> FileCheck:
    heads = [n for n, line in enumerate(lines) if line.startswith(CHAIN_LINE)]
    if not heads:
        return FileCheck(check.events, len(lines), f"no `{CHAIN_LINE.strip()}` line")
    stated = lines[heads[-1]].removeprefix(CHAIN_LINE).strip()
    if len(heads) > 1 or stated != check.head:
        return FileCheck(check.events, heads[-1] + 1,
                         f"the chain head is {check.head}, the file states {stated}")
    return check


def _timeline_rows(lines: list[str], events: list[TimelineEvent], names: dict[str, str]) -> FileCheck:
    headings = [n for n, line in enumerate(lines) if line == TIMELINE]
    if len(headings) != 1:
        return FileCheck(events, (headings[1] + 1) if headings else 1,
                         f"expected one `{TIMELINE}` heading, found {len(headings)}")
    start = next((n for n in range(headings[0] + 1, len(lines)) if lines[n].startswith("|")), None)
    if start is None:
        return FileCheck(events, headings[0] + 1, "the timeline has no table")
    n = start + 2  # past the header row and its |---| line
    for event in events:
        expected = timeline_row(event, names, day_of(events, event.at))
        shown = lines[n] if n < len(lines) else ""
        if shown != expected:
            what = "timeline row differs from" if shown.startswith("|") else "no timeline row for"
            return FileCheck(events, n + 1,
                             f"{what} event {event.seq} ({event.action}); expected `{expected}`")
        n += 1
    if n < len(lines) and lines[n].startswith("|"):
        return FileCheck(events, n + 1, "a timeline row no recorded event backs")
    return FileCheck(events)
