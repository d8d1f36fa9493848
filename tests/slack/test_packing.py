"""Entries owed to one channel share a message as far as Slack's limits allow, in order."""

import json

from bot.slack.blocks import button, section
from bot.slack.posting import BLOCKS_BUDGET, MAX_BLOCKS, Entry, pack
from bot.standin.block_kit import validate_blocks


def lines(n: int, size: int = 40) -> list[Entry]:
    return [Entry(str(i), f"line {i:04d} " + "x" * size) for i in range(n)]


def shown(blocks: list[dict]) -> str:
    return "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")


def with_buttons(tag: str, action: str) -> Entry:
    line = f"warning {tag}"
    return Entry(tag, line, [section(line), {"type": "actions", "elements": [button("Extend", action, tag)]}])


def test_a_lone_entry_goes_as_it_is():
    packed = pack([Entry("7", "just this")])
    assert (packed.text, packed.blocks, packed.tags) == ("just this", None, ["7"])


def test_consecutive_lines_share_sections_in_order_and_every_entry_is_named():
    packed = pack(lines(120))
    assert packed.tags == [str(i) for i in range(120)]
    assert shown(packed.blocks).splitlines() == [e.line for e in lines(120)]
    assert len(packed.blocks) < 5  # lines are joined, not a block each
    validate_blocks(packed.blocks)


def test_a_message_stops_at_slacks_limits_and_the_rest_waits_for_the_next():
    entries = lines(400, size=200)
    packed = pack(entries)
    assert 1 < len(packed.tags) < 400
    assert len(json.dumps(packed.blocks)) <= BLOCKS_BUDGET
    assert len(packed.blocks) <= MAX_BLOCKS
    validate_blocks(packed.blocks)
    rest = pack(entries[len(packed.tags):])
    assert rest.tags[0] == str(len(packed.tags))  # the next message goes on where this one stopped


def test_fifty_blocks_at_most_even_for_short_entries_with_buttons():
    entries = [with_buttons(str(i), f"act{i}") for i in range(40)]
    packed = pack(entries)
    assert len(packed.blocks) <= MAX_BLOCKS and len(packed.tags) == MAX_BLOCKS // 2
    validate_blocks(packed.blocks)


def test_two_entries_with_the_same_buttons_never_share_a_message():
    packed = pack([Entry("1", "before"), with_buttons("2", "access_extend"),
                   with_buttons("3", "access_extend")])
    assert packed.tags == ["1", "2"]
    validate_blocks(packed.blocks)  # Slack refuses a repeated action_id


def test_a_line_at_the_section_limit_gets_a_section_of_its_own():
    long = Entry("2", "y" * 3000)
    packed = pack([Entry("1", "short"), long, Entry("3", "after")])
    assert [b["text"]["text"] for b in packed.blocks] == ["short", "y" * 3000, "after"]
    validate_blocks(packed.blocks)
