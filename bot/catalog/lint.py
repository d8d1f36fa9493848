"""`catalog lint`: what keeps a file out, what a file names that is not there, and warnings on
services and types that load."""

from collections.abc import Collection
from pathlib import Path

from bot.catalog.library import Catalog
from bot.catalog.model import IncidentType, Problem, Service


def references(catalog: Catalog, *, runbook_ids: Collection[str] | None = None,
               pagerduty_services: Collection[str] | None = None) -> list[Problem]:
    """Runbooks and PagerDuty services the catalog names that do not exist. None: not checked.
    These leave the service or type loaded (the rest of it still helps an incident); lint
    fails on them."""
    found = []
    entries: list[Service | IncidentType] = [*catalog.services, *catalog.types]
    for entry in entries:
        if runbook_ids is not None:
            found += [Problem(entry.path, entry.line(f"runbooks:{runbook}"),
                              f"runbook {runbook} is not in the runbooks folder (RUNBOOKS_DIR)")
                      for runbook in entry.runbooks if runbook not in runbook_ids]
    known = {name.lower() for name in pagerduty_services or ()}
    for service in catalog.services:
        if pagerduty_services is not None and service.pagerduty_service is not None \
                and service.pagerduty_service.lower() not in known:
            choice = f"use one of {', '.join(sorted(known))}" if known else "it sets none"
            found.append(Problem(service.path, service.line("pagerduty_service"),
                                 f"pagerduty_service '{service.pagerduty_service}' is not in "
                                 f"PAGERDUTY_SERVICES ({choice})"))
    return found


def service_warnings(service: Service) -> list[Problem]:
    """What a service that loads still lacks for an incident on it to go well."""
    found = []

    def warn(key: str, message: str) -> None:
        found.append(Problem(service.path, service.line(key), message, warning=True))

    if service.owner_group is None:
        warn("owner_group", "no owner_group: nobody from the owning team is invited")
    if not service.runbooks:
        warn("runbooks", "no runbooks: its incidents start without one")
    if service.tier == 1 and service.escalation_policy is None:
        warn("tier", "a tier-1 service without an escalation_policy: nobody on call is invited")
    return found


def type_warnings(kind: IncidentType) -> list[Problem]:
    found = []

    def warn(key: str, message: str) -> None:
        found.append(Problem(kind.path, kind.line(key), message, warning=True))

    if not kind.description:
        warn("", f"incident type '{kind.name}' has no description: people pick it by its name "
                 "alone")
    if kind.private and kind.announce:
        warn("private", f"incident type '{kind.name}' is private but announced: add "
                        "'announce: false' to keep its channel out of ANNOUNCE_CHANNEL")
    return found


def lint(directory: Path, *, runbook_ids: Collection[str] | None = None,
         pagerduty_services: Collection[str] | None = None) -> tuple[Catalog, list[Problem]]:
    """The folder as `serve` loads it, and every problem and warning in file and line order."""
    catalog = Catalog.load(directory)
    found = [*catalog.problems,
             *references(catalog, runbook_ids=runbook_ids, pagerduty_services=pagerduty_services),
             *(w for service in catalog.services for w in service_warnings(service)),
             *(w for kind in catalog.types for w in type_warnings(kind))]
    return catalog, sorted(found, key=lambda problem: (problem.path, problem.line))
