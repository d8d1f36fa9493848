"""Entries owed to one channel share a message as far as Slack's limits allow, in order."""

import json

from bot.slack.posting import BLOCKS_BUDGET, MAX_BLOCKS, TEXT_LIMIT, Entry, pack
from bot.slack.render.text import button, escape, section, sections
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


def long_line(tag: str, size: int = 3900) -> str:
    """What a person typed at Slack's command limit, escaped: it grows past one section."""
    rows = [f"{tag} row {n:03d}: if a<b && c>d then <page> & retry" for n in range(size // 40)]
    return escape("\n".join(rows)[:size])


def within_limits(packed) -> None:
    validate_blocks(packed.blocks)
    assert len(json.dumps(packed.blocks, ensure_ascii=False)) <= BLOCKS_BUDGET
    assert len(packed.blocks) <= MAX_BLOCKS and len(packed.text) <= TEXT_LIMIT


def test_a_long_line_takes_several_sections_and_the_lines_around_it_stay_in_order():
    long = long_line("L")
    packed = pack([Entry("1", "before"), Entry("2", long), Entry("3", "after")])
    assert packed.tags == ["1", "2", "3"]
    texts = [b["text"]["text"] for b in packed.blocks]
    assert texts[0] == "before" and len(texts) > 3
    assert "".join(texts[1:]) == long + "\nafter"  # the last piece takes the next line too
    within_limits(packed)


def test_a_lone_long_line_goes_in_sections_with_a_short_notification():
    long = long_line("L")
    packed = pack([Entry("1", long)])
    assert packed.tags == ["1"] and len(packed.blocks) > 1
    assert "".join(b["text"]["text"] for b in packed.blocks) == long
    within_limits(packed)


def test_a_long_line_with_buttons_keeps_them_below_its_sections():
    long = long_line("W")
    entry = Entry("9", long, [*sections(long), {"type": "actions", "elements": [
        button("Extend", "access_extend", "9")]}])
    packed = pack([Entry("1", "before"), entry])
    assert packed.tags == ["1", "9"] and packed.blocks[-1]["type"] == "actions"
    within_limits(packed)


def test_a_burst_of_long_lines_packs_within_limits_in_order_each_once_and_whole():
    entries = [Entry(str(n), long_line(f"E{n:02d}", size)) if size else Entry(str(n), f"short {n}")
               for n, size in enumerate([3900, 0, 2500, 3900, 1200, 0, 0, 3900, 2500] * 3)]
    messages, rest = [], entries
    while rest:
        packed = pack(rest)
        within_limits(packed)
        messages.append(packed)
        rest = rest[len(packed.tags):]
    assert [tag for packed in messages for tag in packed.tags] == [e.tag for e in entries]
    assert len(messages) < len(entries)  # entries still share messages
    by_tag = {e.tag: e.line for e in entries}
    for packed in messages:
        shown = "".join(b["text"]["text"] for b in packed.blocks)
        assert all(shown.count(by_tag[tag]) == 1 for tag in packed.tags)  # whole, here


def test_a_line_escaping_grows_past_one_message_goes_whole_as_text():
    line = ":memo: *alice*: " + escape("&" * 3990)  # 19,950 characters, no blank to break at
    packed = pack([Entry("1", "before"), Entry("2", line), Entry("3", "after")])
    assert packed.tags == ["1"]
    alone = pack([Entry("2", line), Entry("3", "after")])
    assert (alone.text, alone.blocks, alone.tags) == (line, None, ["2"])
    assert len(alone.text) < 40_000  # what Slack shows of a message's text
