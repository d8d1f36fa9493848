"""Backstage `catalog-info.yaml` → services: a `kind: Component` entity is a service named by
`metadata.name`, with the PagerDuty ids of its annotations.

`pagerduty.com/service-id` is the annotation PagerDuty's Backstage plugin reads. The plugin
has none for escalation policies; `pagerduty.com/escalation-policy-id` is read for the
on-call lookup, in the same namespace so one descriptor holds both."""

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from bot.catalog.model import Problem, Service
from bot.catalog.parse import NAME, NAME_RULE, PAGERDUTY_ID, PAGERDUTY_RULE, Report, line_of

FILE = "catalog-info.yaml"
SERVICE_ID = "pagerduty.com/service-id"
ESCALATION_POLICY_ID = "pagerduty.com/escalation-policy-id"


def parse_backstage(source: str, path: str) -> tuple[list[Service], list[Problem]]:
    """Every Component entity in the file; other kinds (System, API, Group…) are not services."""
    report = Report(path)
    try:
        documents = list(yaml.compose_all(source, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        report.add(mark.line + 1 if mark else 1, f"not valid YAML: {exc.problem or exc}")
        return [], report.problems
    services = []
    for document in documents:
        if not isinstance(document, MappingNode) or _scalar(_get(document, "kind")) != "Component":
            continue
        service = _component(document, path, report)
        if service is not None:
            services.append(service)
    return services, report.problems


def _component(entity: MappingNode, path: str, report: Report) -> Service | None:
    metadata = _get(entity, "metadata")
    name_node = _get(metadata, "name")
    name = _scalar(name_node)
    if name_node is None or not name:
        report.add(line_of(metadata or entity), "a Component without metadata.name")
        return None
    if not NAME.match(name.lower()):
        report.add(line_of(name_node), f"Component '{name}' cannot be a service name "
                                       f"({NAME_RULE})")
        return None
    lines = {"name": line_of(name_node)}
    ids: dict[str, str | None] = {}
    annotations = _get(metadata, "annotations")
    for key, annotation in ((SERVICE_ID, "pagerduty_service_id"),
                            (ESCALATION_POLICY_ID, "escalation_policy")):
        node = _get(annotations, key)
        value = _scalar(node)
        ids[annotation] = None
        if node is None or value is None:
            continue
        if not PAGERDUTY_ID.match(value):
            report.add(line_of(node), f"{key} '{value}' is not valid ({PAGERDUTY_RULE})")
            return None
        ids[annotation] = value
        lines[annotation] = line_of(node)
    return Service(name=name.lower(), escalation_policy=ids["escalation_policy"],
                   pagerduty_service_id=ids["pagerduty_service_id"], path=path, lines=lines)


def _get(node: Node | None, key: str) -> Node | None:
    if not isinstance(node, MappingNode):
        return None
    return next((value for name, value in node.value
                 if isinstance(name, ScalarNode) and name.value == key), None)


def _scalar(node: Node | None) -> str | None:
    return str(node.value).strip() if isinstance(node, ScalarNode) and node.value else None
