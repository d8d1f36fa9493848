"""Catalog YAML → services and incident types, or every problem at its `file:line`.

YAML is composed, not loaded, so every key and value keeps the line it was written on.
Never raises on bad input."""

import difflib
import re
from pathlib import Path

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.catalog.model import IncidentType, Problem, Service
from bot.domain.severity import parse_severity

NAME = re.compile(r"^[a-z0-9-]+$")
RUNBOOK_ID = re.compile(r"^RUN-\d+$")
_USER_GROUP = re.compile(r"^S[A-Z0-9]+$")
_INVITEE = re.compile(r"^[UWS][A-Z0-9]+$")
PAGERDUTY_ID = re.compile(r"^[A-Z0-9]+$")
_COMPONENT = re.compile(r"^[A-Za-z0-9_-]+$")
_TAG = "tag:yaml.org,2002:"

SERVICE_KEYS = ("name", "aliases", "owner_group", "escalation_policy", "pagerduty_service",
                "components", "runbooks", "tier")
TYPE_KEYS = ("description", "severity", "private", "invite", "runbooks", "export_template",
             "announce", "statuspage", "postmortem_from")
NAME_RULE = "lowercase letters, digits and '-', like payments-api"


class Report:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def add(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))


def line_of(node: Node) -> int:
    return node.start_mark.line + 1


def compose(source: str, report: Report) -> MappingNode | None:
    """The file's one document as a mapping node, or None with the reason reported."""
    try:
        root = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        report.add(mark.line + 1 if mark else 1, f"not valid YAML: {exc.problem or exc}")
        return None
    except yaml.YAMLError as exc:
        report.add(1, f"not valid YAML: {exc}")
        return None
    if root is None:
        report.add(1, "the file is empty")
        return None
    if not isinstance(root, MappingNode):
        report.add(line_of(root), "the file must be a mapping of keys to values")
        return None
    return root


def _value(node: Node) -> object:
    """A scalar as YAML types it (int, bool, str, date…); None for anything else."""
    if not isinstance(node, ScalarNode):
        return None
    try:
        return SafeConstructor().construct_object(node, deep=True)
    except (ConstructorError, ValueError):
        return node.value


class Fields:
    """The keys of one mapping node, each read with the line of the key or value at fault."""

    def __init__(self, node: MappingNode, report: Report, known: tuple[str, ...],
                 line: int | None = None) -> None:
        self.report = report
        self.line = line if line is not None else line_of(node)
        self.nodes: dict[str, tuple[Node, Node]] = {}
        self.items: dict[str, int] = {}  # "key:value" of each list item: its line
        for key, value in node.value:
            name = str(_value(key)) if isinstance(key, ScalarNode) else ""
            if name in self.nodes:
                report.add(line_of(key), f"'{name}' appears twice (also on line "
                                         f"{line_of(self.nodes[name][0])})")
            elif name not in known:
                report.add(line_of(key), _unknown_key(name, known))
            else:
                self.nodes[name] = (key, value)

    @property
    def lines(self) -> dict[str, int]:
        return {**{name: line_of(key) for name, (key, _) in self.nodes.items()}, **self.items}

    def _given(self, key: str) -> Node | None:
        """The value's node, or None when the key is absent or left empty (`key:`)."""
        found = self.nodes.get(key)
        if found is None or found[1].tag == _TAG + "null":
            return None
        return found[1]

    def text(self, key: str, pattern: re.Pattern[str] | None = None, rule: str = "",
             required: bool = False) -> str | None:
        node = self._given(key)
        if node is None:
            if required:
                self.report.add(line_of(self.nodes[key][0]) if key in self.nodes else self.line,
                                f"'{key}' is missing")
            return None
        return _text(node, key, pattern, rule, self.report)

    def texts(self, key: str, pattern: re.Pattern[str] | None = None, rule: str = "",
              item: str = "") -> tuple[str, ...]:
        node = self._given(key)
        if node is None:
            return ()
        if not isinstance(node, SequenceNode):
            self.report.add(line_of(node), f"'{key}' must be a list, like [{rule_example(rule)}]")
            return ()
        found: list[str] = []
        for element in node.value:
            value = _text(element, item or key, pattern, rule, self.report)
            if value is None:
                continue
            if value in found:
                self.report.add(line_of(element), f"{item or key} '{value}' is listed twice")
                continue
            found.append(value)
            self.items[f"{key}:{value}"] = line_of(element)
        return tuple(found)

    def boolean(self, key: str, default: bool) -> bool:
        node = self._given(key)
        if node is None:
            return default
        if node.tag != _TAG + "bool":
            self.report.add(line_of(node), f"'{key}' must be true or false")
            return default
        return bool(_value(node))

    def number(self, key: str, low: int, high: int) -> int | None:
        node = self._given(key)
        if node is None:
            return None
        value = _value(node)
        if node.tag != _TAG + "int" or not isinstance(value, int) or not low <= value <= high:
            self.report.add(line_of(node), f"'{key}' must be a whole number from {low} to {high}")
            return None
        return value

    def severity(self, key: str) -> int | None:
        node = self._given(key)
        if node is None:
            return None
        value = _value(node)
        if isinstance(value, str):
            try:
                return parse_severity(value)
            except ValueError:
                pass
        self.report.add(line_of(node), f"'{key}' must be a severity from sev1 to sev4 "
                                       "(or p1 to p4)")
        return None


def rule_example(rule: str) -> str:
    return rule.rsplit("like ", 1)[-1].rstrip(")") if "like " in rule else "…"


def _text(node: Node, key: str, pattern: re.Pattern[str] | None, rule: str,
          report: Report) -> str | None:
    if not isinstance(node, ScalarNode) or node.tag != _TAG + "str":
        report.add(line_of(node), f"'{key}' must be text" + (f" ({rule})" if rule else ""))
        return None
    value = node.value.strip()
    if not value:
        report.add(line_of(node), f"'{key}' is empty")
        return None
    if pattern is not None and not pattern.match(value):
        report.add(line_of(node), f"{key} '{value}' is not valid ({rule})")
        return None
    return value


def _unknown_key(name: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return f"unknown key '{name}' (did you mean '{close[0]}'?)"
    return f"unknown key '{name}' (use {', '.join(known)})"


GROUP_RULE = "a Slack user group id, like S0CHECKOUT"
PAGERDUTY_RULE = "a PagerDuty id of uppercase letters and digits, like PABC123"
COMPONENT_RULE = "a Statuspage component id, like cmp_checkout"
RUNBOOK_RULE = "a runbook id, like RUN-004"
INVITEE_RULE = "a Slack user (U…) or user group (S…) id, like U0LEAD"


def parse_service(source: str, path: str) -> tuple[Service | None, list[Problem]]:
    """One service file; None and its problems when anything in it is wrong."""
    report = Report(path)
    root = compose(source, report)
    if root is None:
        return None, report.problems
    fields = Fields(root, report, SERVICE_KEYS, line=1)
    name = fields.text("name", NAME, NAME_RULE, required=True)
    aliases = fields.texts("aliases", NAME, NAME_RULE, item="alias")
    if name is not None and name in aliases:
        report.add(fields.lines["aliases"], f"alias '{name}' is the service's own name")
    service = Service(
        name=name or "", aliases=aliases,
        owner_group=fields.text("owner_group", _USER_GROUP, GROUP_RULE),
        escalation_policy=fields.text("escalation_policy", PAGERDUTY_ID, PAGERDUTY_RULE),
        pagerduty_service=fields.text("pagerduty_service"),
        components=fields.texts("components", _COMPONENT, COMPONENT_RULE, item="component"),
        runbooks=fields.texts("runbooks", RUNBOOK_ID, RUNBOOK_RULE, item="runbook"),
        tier=fields.number("tier", 1, 4), path=path, lines=fields.lines)
    return (None if report.problems else service), report.problems


def parse_types(source: str, path: str, base: Path) -> tuple[list[IncidentType], list[Problem]]:
    """types.yaml: type name → fields. A type with a problem is left out, the others kept.
    `base` is the catalog folder, where export templates are looked for."""
    report = Report(path)
    root = compose(source, report)
    if root is None:
        return [], report.problems
    types: list[IncidentType] = []
    seen: dict[str, int] = {}
    for key, value in root.value:
        name = _value(key)
        if not isinstance(name, str) or not NAME.match(name):
            report.add(line_of(key), f"incident type '{name}' is not a valid name ({NAME_RULE})")
            continue
        if name in seen:
            report.add(line_of(key), f"incident type '{name}' appears twice (also on line "
                                     f"{seen[name]})")
            continue
        seen[name] = line_of(key)
        if value.tag == _TAG + "null":
            value = MappingNode(_TAG + "map", [], key.start_mark, key.end_mark)
        if not isinstance(value, MappingNode):
            report.add(line_of(value), f"incident type '{name}' must be a mapping of fields")
            continue
        found = _incident_type(name, value, path, base, line_of(key))
        report.problems += found[1]
        if found[0] is not None:
            types.append(found[0])
    return types, report.problems


def parse_type(source: str, path: str, base: Path) -> tuple[IncidentType | None, list[Problem]]:
    """types/<name>.yaml: one type, named by its file."""
    report = Report(path)
    name = Path(path).stem
    if not NAME.match(name):
        report.add(1, f"incident type '{name}' (the file's name) is not a valid name "
                      f"({NAME_RULE})")
        return None, report.problems
    root = compose(source, report)
    if root is None:
        return None, report.problems
    return _incident_type(name, root, path, base, 1)


def _incident_type(name: str, node: MappingNode, path: str, base: Path,
                   line: int) -> tuple[IncidentType | None, list[Problem]]:
    report = Report(path)
    fields = Fields(node, report, TYPE_KEYS, line=line)
    template = fields.text("export_template")
    template_path = None
    if template is not None:
        template_path = base / template
        if not template_path.is_file():
            report.add(line_of(fields.nodes["export_template"][1]),
                       f"export_template '{template}' is not a file in {base}")
    postmortem_from = fields.severity("postmortem_from")
    kind = IncidentType(
        name=name, description=fields.text("description") or "",
        severity=fields.severity("severity"), private=fields.boolean("private", False),
        invite=fields.texts("invite", _INVITEE, INVITEE_RULE, item="invitee"),
        runbooks=fields.texts("runbooks", RUNBOOK_ID, RUNBOOK_RULE, item="runbook"),
        export_template=template_path, announce=fields.boolean("announce", True),
        statuspage=fields.boolean("statuspage", True), postmortem_from=postmortem_from,
        path=path, lines={"": line, **fields.lines})
    return (None if report.problems else kind), report.problems
