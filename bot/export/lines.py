"""What user text may look like in the export: never the start of a line that greps as ours.

Every line the export greps by (front matter keys, headings, table rows, `- [ ]` items, the
hash line, the canonical block) begins with text the template writes. User text goes on
after such a start, joined to one line, or quoted line by line (`> `), or, in the front
matter, as a YAML scalar quoted when a plain one would not read back the same.
"""

import re

import yaml

JOIN = " ↵ "  # where a line break was in text shown on one line

# An HTML comment opened by user text would hide what follows it when the file is rendered.
_COMMENT = re.compile(r"<!--")


def _plain(text: str) -> str:
    return _COMMENT.sub(r"<\\!--", text)


def inline(value: object) -> str:
    """Text on one line, after something the template wrote."""
    text = "" if value is None else str(value)
    return _plain(JOIN.join(line.strip() for line in text.strip().splitlines()))


def cell(value: object) -> str:
    """Text as typed, except what would break a Markdown table row."""
    text = "" if value is None else str(value)
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return _plain("<br>".join(line.strip() for line in text.strip().splitlines())) or "-"


def quote(value: object) -> str:
    """Text of several lines as a Markdown block quote: every line starts with `>`."""
    text = "" if value is None else str(value)
    return "\n".join(f"> {line}".rstrip() for line in _plain(text.strip()).splitlines())


def fence(text: str) -> str:
    """Output in a code block inside a block quote: a line of backticks cannot close it,
    and no line of it starts a line of the file."""
    body = text.replace("```", "ʼʼʼ").rstrip("\n") or "(no output)"
    return "\n".join(f"> {line}".rstrip() for line in ["```", *body.splitlines(), "```"])


def scalar(value: object) -> str:
    """A front matter value: plain when YAML reads it back as the same string (so
    `commander: alice` greps as typed), double-quoted on one line otherwise."""
    text = "" if value is None else str(value)
    if text and text.isprintable() and text == text.strip():
        try:
            if yaml.safe_load(f"k: {text}") == {"k": text}:
                return text
        except yaml.YAMLError:
            pass
    return '"' + "".join(_yaml_char(c) for c in text) + '"'


_YAML_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _yaml_char(c: str) -> str:
    """JSON's escapes would write a character beyond U+FFFF as two \\u halves, which YAML
    reads back as two broken characters: escape only what YAML cannot hold on one line."""
    if c in _YAML_ESCAPES:
        return _YAML_ESCAPES[c]
    code = ord(c)
    if code < 0x20 or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF) \
            or 0xD800 <= code <= 0xDFFF:
        return f"\\u{code:04x}"
    return c
