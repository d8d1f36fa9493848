"""The team's own part of an export: below one marked line, above the timeline block.

Everything above the marker is generated and verified; what people write below it is kept
when the export is written again, and `verify` says it does not cover it. The timeline block
and the chain line stay last, so the file still ends with its chain head.
"""

from bot.export import canonical

MARKER = "<!-- Below this line: the team's own writing, not covered by verify -->"


def people_span(lines: list[str]) -> tuple[int, int] | None:
    """The 0-based range [start, end) of the team's lines (between the marker and the
    timeline block, without the blank line before the block); None when the file has no
    marker or no block after it."""
    if MARKER not in lines:
        return None
    start = lines.index(MARKER) + 1
    begins = [n for n in range(start, len(lines))
              if lines[n] in (canonical.BEGIN, canonical.BEGIN_V1)]
    if not begins:
        return None
    end = begins[-1]
    while end > start and not lines[end - 1].strip():
        end -= 1
    return start, end


def people_part(text: str) -> str | None:
    """What the team wrote in an export, to keep when it is written again."""
    lines = text.split("\n")
    span = people_span(lines)
    return None if span is None else "\n".join(lines[span[0]:span[1]])
