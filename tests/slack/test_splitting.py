"""Long text is shown whole: split into sections within Slack's 3,000 characters, at places
that read well, never inside an escape, a mention, a link or a code block's fence."""

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.slack.posting import fitted, said
from bot.slack.render.text import FENCE, SECTION_TEXT_LIMIT, cut, escape, sections, split_text
from bot.standin.block_kit import validate_blocks


def unbroken(piece: str) -> bool:
    """Every `&` starts a whole escape and every `<` has its `>`."""
    rest = re.sub(r"&(?:amp|lt|gt);", "", re.sub(r"<[^<>]*>", "", piece))
    return not any(c in rest for c in "&<>")


def test_text_within_the_limit_is_one_piece():
    assert split_text("x" * SECTION_TEXT_LIMIT) == ["x" * SECTION_TEXT_LIMIT]
    assert split_text("") == [""]


def test_pieces_end_after_a_newline_when_one_is_in_reach():
    text = ("word " * 99 + "word\n") * 20  # 500-character lines
    pieces = split_text(text)
    assert "".join(pieces) == text
    assert all(len(p) <= SECTION_TEXT_LIMIT for p in pieces)
    assert all(p.endswith("\n") for p in pieces[:-1]) and len(pieces) == 4


def test_without_newlines_pieces_end_after_a_space():
    text = " ".join(f"w{n:04d}" for n in range(1600))
    pieces = split_text(text)
    assert "".join(pieces) == text
    assert all(p.endswith(" ") and len(p) <= SECTION_TEXT_LIMIT for p in pieces[:-1])
    assert len(pieces) == 4


def test_a_newline_far_back_loses_to_a_space_near_the_end_so_pieces_stay_few():
    text = "a\n" + "word " * 1000
    pieces = split_text(text)
    assert len(pieces[0]) > 2900 and len(pieces) == 2


def test_with_no_blank_in_reach_a_piece_ends_where_the_room_does():
    assert [len(p) for p in split_text("x" * 7000)] == [3000, 3000, 1000]


def test_never_inside_an_escape_a_mention_a_channel_or_a_link():
    for token in ("&amp;", "&lt;", "&gt;", "<@U0ALICE>", "<#C0OPS|ops>",
                  "<https://runbooks.example.com/db|the db runbook>"):
        text = token * (7000 // len(token))
        pieces = split_text(text)
        assert "".join(pieces) == text
        assert all(re.fullmatch(f"(?:{re.escape(token)})+", p) for p in pieces), token
        assert all(len(p) <= SECTION_TEXT_LIMIT for p in pieces)


def test_a_code_block_that_fits_a_section_moves_whole_to_the_next():
    intro = "intro " * 400
    code = FENCE + "select 1;\n" * 150 + FENCE
    pieces = split_text(intro + code + " after")
    assert pieces == [intro, code + " after"]


def test_a_code_block_longer_than_a_section_is_closed_and_opened_again():
    code = FENCE + "".join(f"row {n:04d} | a < b\n" for n in range(400)) + FENCE
    text = "before\n" + escape(code) + "\nafter"
    pieces = split_text(text)
    assert len(pieces) > 2 and all(len(p) <= SECTION_TEXT_LIMIT for p in pieces)
    assert all(p.count(FENCE) % 2 == 0 for p in pieces)  # each piece shows a whole code block
    assert all(p.endswith("\n" + FENCE) for p in pieces[:-1])  # closed at a line's end
    assert "".join(pieces).replace(FENCE * 2, "") == text


def test_an_odd_fence_out_is_only_backticks():
    text = FENCE + " word" * 1500
    pieces = split_text(text)
    assert "".join(pieces) == text and pieces[0].count(FENCE) == 1


def test_sections_hold_the_pieces_and_slack_takes_them():
    text = escape("a < b & c > d\n" * 600)
    blocks = sections(text)
    validate_blocks(blocks)
    assert "".join(b["text"]["text"] for b in blocks) == text


WORD = st.one_of(
    st.text(alphabet="ab&<>*_", min_size=1, max_size=14).map(escape),
    st.sampled_from(["<@U0BOB>", "<#C0OPS|ops>", "<https://x.example|a link>", "&amp;amp;"]),
)


@given(st.lists(st.tuples(WORD, st.sampled_from([" ", "\n"])), min_size=1, max_size=120))
def test_any_text_comes_back_whole_from_pieces_within_the_limit(parts):
    text = "".join(word + blank for word, blank in parts).rstrip()
    pieces = split_text(text, limit=60)
    assert "".join(pieces) == text
    assert all(len(p) <= 60 for p in pieces)
    assert all(unbroken(p) for p in pieces)


CODE = st.text(alphabet="ab< \n", min_size=1, max_size=150).map(lambda s: FENCE + escape(s) + FENCE)


@given(st.lists(st.tuples(st.one_of(WORD, CODE),
                          st.sampled_from([" ", "\n"])), min_size=1, max_size=40))
def test_code_blocks_split_only_into_whole_code_blocks(parts):
    text = "".join(word + blank for word, blank in parts).rstrip()
    pieces = split_text(text, limit=60)
    assert all(len(p) <= 60 for p in pieces)
    assert all(p.count(FENCE) % 2 == 0 and unbroken(p) for p in pieces)
    assert "".join(pieces).replace(FENCE * 2, "") == text


def test_a_summary_cut_never_leaves_half_an_escape_or_mention():
    assert cut("x" * 10 + "&amp;" * 10, 13) == "x" * 10 + "…"
    assert cut("owner <@U0BOB> is on it", 10) == "owner …"
    assert cut("a<b in a plain title", 6) == "a<b i…"
    assert cut("short", 10) == "short"


def test_what_one_message_cannot_hold_goes_whole_as_text():
    head = {"type": "header", "text": {"type": "plain_text", "text": "INC-1 <!here>"}}
    small = [head, *sections("*Root cause*\n" + escape("a & b"))]
    assert fitted("INC-1", small) == ("INC-1", small)
    huge = [head, *sections("*Root cause*\n" + escape("& " * 1995)),
            {"type": "actions", "elements": [{"type": "button", "action_id": "a",
                                              "text": {"type": "plain_text", "text": "Go"}}]}]
    text, blocks = fitted("INC-1", huge)
    assert blocks is None
    assert text == said(huge) == "*INC-1 &lt;!here&gt;*\n*Root cause*\n" + "&amp; " * 1995
