"""The catalog folder: every service and incident type that loads, found by name or alias."""

import difflib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from bot.catalog.backstage import FILE as BACKSTAGE
from bot.catalog.backstage import parse_backstage
from bot.catalog.model import IncidentType, Problem, Service
from bot.catalog.parse import parse_service, parse_type, parse_types

T = TypeVar("T")
TYPES_FILE = "types.yaml"
TYPES_FOLDER = "types"
# Backstage's descriptor: read for its Components, never as a service file.
BACKSTAGE_FILE = BACKSTAGE


@dataclass(frozen=True)
class Contents:
    services: list[Service] = field(default_factory=list)
    types: list[IncidentType] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _read(path: Path, problems: list[Problem]) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:  # removed since the listing: nothing to load or report
        return None
    except UnicodeDecodeError as exc:
        problems.append(Problem(str(path), 1, f"not UTF-8 text: {exc.reason} at byte {exc.start}"))
    except OSError as exc:
        problems.append(Problem(str(path), 1, f"cannot be read: {exc.strerror}"))
    return None


def _yaml_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def read_catalog(directory: Path) -> Contents:
    """Every good service and type in the folder, and the problems of what was left out.
    A folder that does not exist is an empty catalog."""
    problems: list[Problem] = []
    services = _services(directory, problems)
    types = _types(directory, problems)
    return Contents(services, types, sorted(problems, key=lambda p: (p.path, p.line)))


def _services(directory: Path, problems: list[Problem]) -> list[Service]:
    services: list[Service] = []
    owners: dict[str, Service] = {}  # every name and alias: the service that has it
    for path in _yaml_files(directory) if directory.is_dir() else []:
        if path.stem == Path(TYPES_FILE).stem or path.name == BACKSTAGE_FILE:
            continue
        source = _read(path, problems)
        if source is None:
            continue
        service, found = parse_service(source, str(path))
        problems += found
        if service is None:
            continue
        clashes = _clashes(service, owners)
        if clashes:
            problems += clashes
            continue
        owners.update(dict.fromkeys(service.names, service))
        services.append(service)
    for path in sorted(directory.rglob(BACKSTAGE_FILE)) if directory.is_dir() else []:
        source = _read(path, problems)
        if source is None:
            continue
        components, found = parse_backstage(source, str(path))
        problems += found
        for component in components:
            _add_component(component, services, owners, problems)
    return services


def _add_component(component: Service, services: list[Service], owners: dict[str, Service],
                   problems: list[Problem]) -> None:
    """A Backstage Component is a service of its own, or lends its PagerDuty ids to the service
    file of the same name; what the service file says wins."""
    same = owners.get(component.name)
    if same is not None and same.name == component.name:
        merged = replace(same, escalation_policy=same.escalation_policy
                         or component.escalation_policy,
                         pagerduty_service_id=same.pagerduty_service_id
                         or component.pagerduty_service_id)
        services[services.index(same)] = merged
        owners.update(dict.fromkeys(merged.names, merged))
        return
    clashes = _clashes(component, owners)
    if clashes:
        problems += clashes
        return
    owners[component.name] = component
    services.append(component)


def _clashes(service: Service, owners: dict[str, Service]) -> list[Problem]:
    """A name or alias another service already has: the later file is left out."""
    found = []
    for name in service.names:
        other = owners.get(name)
        if other is None:
            continue
        where = f"{other.path}:{other.line('name')}"
        theirs = "the name" if name == other.name else "an alias"
        if name == service.name:
            line = service.line("name")
            message = (f"service '{name}' is already defined in {where}" if name == other.name
                       else f"name '{name}' is already an alias of service '{other.name}' "
                            f"({where})")
        else:
            line = service.lines.get(f"aliases:{name}", service.line("aliases"))
            message = f"alias '{name}' is already {theirs} of service '{other.name}' ({where})"
        found.append(Problem(service.path, line, message))
    return found


def _types(directory: Path, problems: list[Problem]) -> list[IncidentType]:
    types: dict[str, IncidentType] = {}
    files = [directory / TYPES_FILE, directory / "types.yml"]
    folder = directory / TYPES_FOLDER
    if folder.is_dir():
        files += _yaml_files(folder)
    for path in files:
        if not path.is_file():
            continue
        source = _read(path, problems)
        if source is None:
            continue
        if path.parent == folder:
            one, found = parse_type(source, str(path), directory)
            kinds = [one] if one else []
        else:
            kinds, found = parse_types(source, str(path), directory)
        problems += found
        for kind in kinds:
            if kind.name in types:
                other = types[kind.name]
                problems.append(Problem(kind.path, kind.line(""), f"incident type '{kind.name}' "
                                        f"is already defined in {other.path}:{other.line('')}"))
                continue
            types[kind.name] = kind
    return list(types.values())


class Catalog:
    """The services and incident types in force. Handlers hold this one object; a reload
    puts new contents in place with `replace`, never edits them, so all see it at once."""

    def __init__(self, contents: Contents | None = None) -> None:
        self.replace(contents or Contents())

    @classmethod
    def load(cls, directory: Path) -> "Catalog":
        return cls(read_catalog(directory))

    def replace(self, contents: Contents) -> None:
        index: dict[str, Service] = {}
        for service in contents.services:
            index.update(dict.fromkeys((n.lower() for n in service.names), service))
        self._contents, self._index = contents, index

    @property
    def services(self) -> list[Service]:
        return self._contents.services

    @property
    def types(self) -> list[IncidentType]:
        return self._contents.types

    @property
    def problems(self) -> list[Problem]:
        return self._contents.problems

    @property
    def broken(self) -> int:
        """Files with something left out because it does not load."""
        return len({problem.path for problem in self.problems if not problem.warning})

    def components(self) -> dict[str, tuple[str, ...]]:
        """Service name → its Statuspage component ids."""
        return {service.name: service.components for service in self.services}

    def find(self, name_or_alias: str) -> Service | None:
        return self._index.get(name_or_alias.strip().lower())

    def suggest(self, query: str, n: int = 3) -> list[Service]:
        """Services whose name or an alias is close to `query`, for a 'did you mean'."""
        return _closest(query, self._index, n)

    def export_template(self, type_name: str) -> Path | None:
        """The export template of the type of that name, if it has one."""
        kind = self.find_type(type_name)
        return kind.export_template if kind else None

    def find_type(self, name: str) -> IncidentType | None:
        wanted = name.strip().lower()
        return next((kind for kind in self.types if kind.name == wanted), None)

    def suggest_type(self, query: str, n: int = 3) -> list[IncidentType]:
        return _closest(query, {kind.name: kind for kind in self.types}, n)


def _closest(query: str, names: dict[str, T], n: int) -> list[T]:
    wanted = query.strip().lower()
    contained = [name for name in names if wanted and wanted in name]
    close = difflib.get_close_matches(wanted, list(names), n=n * 3, cutoff=0.6)
    picked: list[T] = []
    for name in contained + close:
        if names[name] not in picked:
            picked.append(names[name])
    return picked[:n]
