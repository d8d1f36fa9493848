"""Checking an export on its own: the chain in its timeline block, its head, and every line
generated from its events, rendered again with the template it was written with."""

from dataclasses import dataclass, field

import jinja2

from bot.domain.timeline import GENESIS, TimelineEvent, verify_chain
from bot.export import canonical, carried
from bot.export.agreement import disagreement
from bot.export.people import MARKER, people_part, people_span
from bot.export.render import CHAIN_LINE, Renderer, day_of, timeline_row

TIMELINE = "## Timeline"


@dataclass
class FileCheck:
    events: list[TimelineEvent]
    line: int | None = None  # where the first problem is (1-based); None when the file holds
    problem: str = ""
    notes: list[str] = field(default_factory=list)  # what a passing check did and did not cover

    @property
    def head(self) -> str:
        return self.events[-1].hash if self.events else GENESIS


def check_export(text: str, renderer: Renderer | None = None) -> FileCheck:
    """`renderer`: the template the export was written with (the default one when None)."""
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
    if found.line:
        return found
    if block.record is None:
        found = _timeline_rows(lines, events, block.names)
        found.notes.append("written before exports carried their record: only its chain and "
                           "timeline rows are checked (export it again to cover the rest)")
        return found
    return _whole(lines, block, renderer or Renderer())


def _whole(lines: list[str], block: canonical.Canonical, renderer: Renderer) -> FileCheck:
    events = block.events
    assert block.record is not None
    try:
        record = carried.load(block.record, events, block.names)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        return FileCheck(events, block.record_line, f"the carried record does not read: {error}")
    differs = disagreement(record)
    if differs:
        return FileCheck(events, block.record_line, differs)
    try:
        expected = renderer.render(record, people_part("\n".join(lines))).split("\n")
    except (jinja2.TemplateError, ValueError) as error:
        return FileCheck(events, block.record_line,
                         f"{renderer.shown} cannot render the carried record: {error}")
    # The generated part (to the marker) and the closing block are each compared where they
    # stand; whatever lies between them is the team's.
    marker, tail = expected.index(MARKER) + 1, _block_start(expected)
    pairs: list[tuple[int, str | None]] = [*((n, expected[n]) for n in range(marker)),
             *((block.begin - 1 + k, line) for k, line in enumerate(expected[tail:]))]
    pairs.append((block.begin - 1 + len(expected) - tail, None))  # and then nothing more
    for n, want in pairs:
        shown = lines[n] if n < len(lines) else None
        if want != shown:
            return FileCheck(events, n + 1, _difference(want, shown, events, block.names)
                             + _template_note(block, renderer))
    check = FileCheck(events, notes=[f"every generated line matches ({renderer.shown})"])
    span = people_span(lines)
    if span and span[1] > span[0]:
        check.notes.append(f"lines {span[0] + 1}–{span[1]} below the marker are the team's own "
                           "writing, not verified")
    else:
        check.notes.append("nothing is written below the marker yet")
    return check


def _block_start(expected: list[str]) -> int:
    return next(n for n in range(len(expected) - 1, -1, -1) if expected[n] == canonical.BEGIN)


def _difference(want: str | None, shown: str | None, events: list[TimelineEvent],
                names: dict[str, str]) -> str:
    found = "the end of the file" if shown is None else f"`{shown}`"
    if want is None:
        return f"expected the end of the file, found {found}"
    rows = {}
    if events:
        day = day_of(events, events[0].at)
        rows = {timeline_row(e, names, day): e for e in reversed(events)}
    row = rows.get(want)
    what = f"timeline row differs from event {row.seq} ({row.action}): " if row else ""
    return f"{what}expected `{want}`, found {found}"


def _template_note(block: canonical.Canonical, renderer: Renderer) -> str:
    assert block.record is not None
    written = str(block.record.get("template_sha256", ""))
    if written == renderer.source_sha256():
        return ""
    return (f" (written with template {block.record.get('template')} sha256 {written[:12]}, "
            f"verified against {renderer.shown}: give the template it was written with, "
            "--template FILE or EXPORT_TEMPLATE)")


def _chain_line(lines: list[str], check: FileCheck) -> FileCheck:
    heads = [n for n, line in enumerate(lines) if line.startswith(CHAIN_LINE)]
    if not heads:
        return FileCheck(check.events, len(lines), f"no `{CHAIN_LINE.strip()}` line")
    if len(heads) > 1:
        # The chain head is the last line: any earlier one is not ours.
        return FileCheck(check.events, heads[0] + 1,
                         f"a second `{CHAIN_LINE.strip()}` line; the chain head closes the file")
    stated = lines[heads[-1]].removeprefix(CHAIN_LINE).strip()
    if stated != check.head:
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
