"""Runbook Markdown → Runbook, or every problem with its `file:line`. Never raises on bad input."""

import re
from datetime import date, timedelta

import yaml
from markdown_it import MarkdownIt

from bot.domain.durations import parse_duration
from bot.runbooks.format import CATEGORIES, RISKS, Check, Problem, Runbook, Step

_ID = re.compile(r"^RUN-\d+$")
_STEP = re.compile(r"^Step\s+(\d+)\s*[:.-]\s*(.+)$", re.IGNORECASE)
_FIELD = re.compile(r"^(risk|check):\s*(.*?)\s*$", re.IGNORECASE)
_CHECKBOX = re.compile(r"^\s*[-*]\s+\[[ xX]\]\s+(.+)$")
DEFAULT_TIMEOUT = timedelta(seconds=10)
_markdown = MarkdownIt("commonmark")


class _Report:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def add(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))


def parse_runbook(source: str, path: str) -> tuple[Runbook | None, list[Problem]]:
    report = _Report(path)
    lines = source.splitlines()
    meta, body_start = _front_matter(lines, report)
    if meta is None:
        return None, report.problems
    fields = _fields(meta, lines, report)
    # A malformed check is reported once, where it is declared, not again at each step using it.
    declared = set(meta["checks"]) if isinstance(meta.get("checks"), dict) else set()
    sections, steps = _body(lines, body_start, declared, report)
    if report.problems:
        return None, report.problems
    return Runbook(**fields, scope=sections.get("scope", ""),
                   prerequisites=sections.get("prerequisites", ""),
                   escalation=sections.get("escalation", ""), steps=tuple(steps), path=path,
                   source=source, rollback=sections.get("rollback", "")), []


def _front_matter(lines: list[str], report: _Report) -> tuple[dict | None, int]:
    if not lines or lines[0].strip() != "---":
        report.add(1, "no front matter: the file must start with a '---' line")
        return None, 0
    end = next((n for n in range(1, len(lines)) if lines[n].strip() == "---"), None)
    if end is None:
        report.add(1, "front matter is not closed with a '---' line")
        return None, 0
    try:
        meta = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        report.add(line, f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}")
        return None, end + 1
    if not isinstance(meta, dict):
        report.add(2, "front matter must be a mapping of fields")
        return None, end + 1
    return meta, end + 1


def _front_matter_end(lines: list[str]) -> int:
    return next((n for n in range(1, len(lines)) if lines[n].strip() == "---"), len(lines))


def key_line(lines: list[str], key: str, default: int = 1, indent: bool = False) -> int:
    """1-based line of a front matter key, or `default` when the key is not there."""
    lead = r"\s+" if indent else ""
    pattern = re.compile("^" + lead + re.escape(key) + r"\s*:")
    return next((n + 1 for n in range(1, _front_matter_end(lines)) if pattern.match(lines[n])),
                default)


def heading_line(lines: list[str], text: str, level: int = 2) -> int | None:
    """1-based line of the body's first heading with this text, in any case."""
    return next((line for found_level, line, found in _headings(lines, _front_matter_end(lines) + 1)
                 if found_level == level and found.lower() == text.lower()), None)


def _fields(meta: dict, lines: list[str], report: _Report) -> dict:
    def text(key: str, required: bool = False) -> str:
        value = meta.get(key)
        if value is None or str(value).strip() == "":
            if required:
                report.add(key_line(lines, key, 2), f"'{key}' is missing")
            return ""
        return str(value).strip()

    runbook_id = text("id", required=True)
    if runbook_id and not _ID.match(runbook_id):
        report.add(key_line(lines, "id"), f"id '{runbook_id}' must look like RUN-001")
    category = text("category") or "incident"
    if category not in CATEGORIES:
        report.add(key_line(lines, "category"),
                   f"unknown category '{category}' (use one of {', '.join(CATEGORIES)})")
    last_tested = meta.get("last_tested")
    if last_tested is not None and not isinstance(last_tested, date):
        report.add(key_line(lines, "last_tested"), "last_tested must be a date like 2025-01-15")
        last_tested = None
    match = meta.get("match") or []
    if isinstance(match, str):
        match = [match]
    if not isinstance(match, list) or not all(isinstance(m, str) for m in match):
        report.add(key_line(lines, "match"), "match must be a list of slug patterns")
        match = []
    return {"id": runbook_id, "title": text("title", required=True), "category": category,
            "trigger": text("trigger"), "owner": text("owner"), "last_tested": last_tested,
            "match": tuple(match), "checks": _checks(meta.get("checks"), lines, report)}


def _checks(raw: object, lines: list[str], report: _Report) -> dict[str, Check]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        report.add(key_line(lines, "checks"), "checks must map names to {run: …} or {http: …}")
        return {}
    checks = {}
    for name, spec in raw.items():
        line = key_line(lines, str(name), key_line(lines, "checks"), indent=True)
        if not isinstance(spec, dict) or (("run" in spec) == ("http" in spec)):
            report.add(line, f"check '{name}' needs exactly one of run: or http:")
            continue
        try:
            timeout = parse_duration(str(spec["timeout"])) if "timeout" in spec else DEFAULT_TIMEOUT
        except ValueError as exc:
            report.add(line, f"check '{name}': timeout {exc}")
            continue
        checks[str(name)] = Check(str(name), spec.get("run"), spec.get("http"), timeout)
    return checks


def _headings(lines: list[str], start: int) -> list[tuple[int, int, str]]:
    """(level, 1-based line, text) of every heading, ignoring '#' lines inside code fences."""
    tokens = _markdown.parse("\n".join(lines[start:]))
    found = []
    for n, token in enumerate(tokens):
        if token.type == "heading_open" and token.map:
            found.append((int(token.tag[1]), start + token.map[0] + 1, tokens[n + 1].content.strip()))
    return found


def _body(lines: list[str], start: int, checks: set[str],
          report: _Report) -> tuple[dict[str, str], list[Step]]:
    headings = _headings(lines, start)
    sections: dict[str, str] = {}
    procedure: tuple[int, int] | None = None
    h2 = [(line, text) for level, line, text in headings if level == 2]
    for n, (line, text) in enumerate(h2):
        end = h2[n + 1][0] - 1 if n + 1 < len(h2) else len(lines)
        key = text.lower()
        if key == "procedure":
            procedure = (line, end)
        else:
            sections[key] = "\n".join(lines[line:end]).strip()
    if procedure is None:
        report.add(start + 1, "no '## Procedure' section")
        return sections, []
    step_heads = [(line, text) for level, line, text in headings
                  if level == 3 and procedure[0] < line <= procedure[1]]
    steps: list[Step] = []
    seen: set[int] = set()
    for n, (line, text) in enumerate(step_heads):
        match = _STEP.match(text)
        if not match:
            report.add(line, f"'### {text}' is not a step heading like '### Step 1: Verify alert'")
            continue
        number = int(match.group(1))
        if number in seen:
            report.add(line, f"step {number} appears twice")
        elif number != len(seen) + 1:
            report.add(line, f"step {number} is out of order (expected step {len(seen) + 1})")
        seen.add(number)
        end = step_heads[n + 1][0] - 1 if n + 1 < len(step_heads) else procedure[1]
        steps.append(_step(lines, line, end, number, match.group(2).strip(), checks, report))
    if not step_heads:
        report.add(procedure[0], "the procedure has no steps ('### Step 1: …')")
    return sections, steps


def _step(lines: list[str], head: int, end: int, number: int, title: str,
          checks: set[str], report: _Report) -> Step:
    risk, check, verification, text = "low", None, [], []
    in_fence, in_verification = False, False
    for index in range(head, end):
        raw = lines[index]
        if raw.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        field = None if in_fence else _FIELD.match(raw.strip())
        checkbox = None if in_fence else _CHECKBOX.match(raw)
        if field and field.group(1).lower() == "risk":
            risk = field.group(2).lower()
            if risk not in RISKS:
                report.add(index + 1, f"unknown risk '{field.group(2)}' (use low, medium or high)")
        elif field:
            check = field.group(2)
            if check not in checks:
                report.add(index + 1, f"step {number} names check '{check}', which the front "
                                      "matter does not declare")
        elif not in_fence and raw.strip().lower().rstrip(":") == "verification":
            in_verification = True
        elif checkbox and in_verification:
            verification.append(checkbox.group(1).strip())
        else:
            text.append(raw)
    tokens = _markdown.parse("\n".join(lines[head:end]))
    commands = tuple(t.content.rstrip("\n") for t in tokens if t.type == "fence")
    return Step(number, title, risk, check, "\n".join(text).strip(), commands,
                tuple(verification), head)
