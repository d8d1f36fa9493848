"""The catalog format: what teams write about their services and incident types, and every
mistake named with its file and line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.catalog.library import Catalog, read_catalog
from bot.catalog.lint import lint
from bot.catalog.parse import parse_service, parse_types
from tests.catalog.samples import CHECKOUT, TYPES, service
from tests.runbooks.samples import GOOD as GOOD_RUNBOOK

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_RUNBOOKS = {"RUN-004", "RUN-008"}
KEY = "0123456789abcdef0123456789abcdef"  # a routing key as PagerDuty shows it


def problems_of(text: str) -> list[str]:
    return [str(p) for p in parse_service(text, "svc.yaml")[1]]


def type_problems_of(text: str, base: Path = Path(".")) -> list[str]:
    return [str(p) for p in parse_types(text, "types.yaml", base)[1]]


def test_a_service_file_is_read_whole():
    checkout, problems = parse_service(CHECKOUT, "checkout.yaml")
    assert problems == []
    assert (checkout.name, checkout.aliases, checkout.owner_group, checkout.escalation_policy,
            checkout.pagerduty_service, checkout.components, checkout.runbooks, checkout.tier) == (
        "checkout", ("payments-web", "cart"), "S0CHECKOUT", "PABC123", "checkout",
        ("cmp_checkout",), ("RUN-004",), 1)
    assert checkout.names == ("checkout", "payments-web", "cart")
    assert (checkout.line("tier"), checkout.line("runbooks:RUN-004")) == (8, 7)


def test_only_a_name_is_needed():
    search, problems = parse_service("name: search\n", "search.yaml")
    assert problems == []
    assert (search.aliases, search.owner_group, search.runbooks, search.tier) == ((), None, (), None)


@pytest.mark.parametrize(("broken", "expected"), [
    (CHECKOUT.replace("name: checkout\n", ""), ["svc.yaml:1: 'name' is missing"]),
    (CHECKOUT.replace("name: checkout", "name:"), ["svc.yaml:1: 'name' is missing"]),
    (CHECKOUT.replace("name: checkout", "name: Checkout"),
     ["svc.yaml:1: name 'Checkout' is not valid (lowercase letters, digits and '-', like "
      "payments-api)"]),
    (CHECKOUT.replace("name: checkout", "name: [checkout]"),
     ["svc.yaml:1: 'name' must be text (lowercase letters, digits and '-', like payments-api)"]),
    (CHECKOUT.replace("aliases: [payments-web, cart]", "aliases: payments-web"),
     ["svc.yaml:2: 'aliases' must be a list, like [payments-api]"]),
    (CHECKOUT.replace("aliases: [payments-web, cart]", "aliases:\n  - payments-web\n  - Cart_2"),
     ["svc.yaml:4: alias 'Cart_2' is not valid (lowercase letters, digits and '-', like "
      "payments-api)"]),
    (CHECKOUT.replace("aliases: [payments-web, cart]", "aliases: [cart, cart]"),
     ["svc.yaml:2: alias 'cart' is listed twice"]),
    (CHECKOUT.replace("aliases: [payments-web, cart]", "aliases: [checkout]"),
     ["svc.yaml:2: alias 'checkout' is the service's own name"]),
    (CHECKOUT.replace("owner_group: S0CHECKOUT", "owner_group: checkout-team"),
     ["svc.yaml:3: owner_group 'checkout-team' is not valid (a Slack user group id, like "
      "S0CHECKOUT)"]),
    (CHECKOUT.replace("escalation_policy: PABC123", "escalation_policy: pabc-123"),
     ["svc.yaml:4: escalation_policy 'pabc-123' is not valid (a PagerDuty id of uppercase "
      "letters and digits, like PABC123)"]),
    (CHECKOUT.replace("pagerduty_service: checkout", "pagerduty_service: 7"),
     ["svc.yaml:5: 'pagerduty_service' must be text"]),
    (CHECKOUT.replace("components: [cmp_checkout]", "components: [cmp checkout]"),
     ["svc.yaml:6: component 'cmp checkout' is not valid (a Statuspage component id, like "
      "cmp_checkout)"]),
    (CHECKOUT.replace("runbooks: [RUN-004]", "runbooks: [RUN-004, app-down]"),
     ["svc.yaml:7: runbook 'app-down' is not valid (a runbook id, like RUN-004)"]),
    (CHECKOUT.replace("tier: 1", "tier: 5"), ["svc.yaml:8: 'tier' must be a whole number from 1 to 4"]),
    (CHECKOUT.replace("tier: 1", "tier: one"),
     ["svc.yaml:8: 'tier' must be a whole number from 1 to 4"]),
    (CHECKOUT.replace("tier: 1", "tier: true"),
     ["svc.yaml:8: 'tier' must be a whole number from 1 to 4"]),
    (CHECKOUT.replace("owner_group:", "owner:"),
     ["svc.yaml:3: unknown key 'owner' (did you mean 'owner_group'?)"]),
    (CHECKOUT + "team: payments\n",
     ["svc.yaml:9: unknown key 'team' (use name, aliases, owner_group, escalation_policy, "
      "pagerduty_service, components, runbooks, tier)"]),
    (CHECKOUT + "tier: 2\n", ["svc.yaml:9: 'tier' appears twice (also on line 8)"]),
    (CHECKOUT.replace("components: [cmp_checkout]", "components: [cmp_checkout"),
     ["svc.yaml:7: not valid YAML: expected ',' or ']', but got ':'"]),
    ("", ["svc.yaml:1: the file is empty"]),
    ("- checkout\n", ["svc.yaml:1: the file must be a mapping of keys to values"]),
])
def test_each_mistake_is_named_at_its_line(broken, expected):
    assert problems_of(broken) == expected


def test_a_service_with_a_mistake_is_left_out():
    assert parse_service(CHECKOUT.replace("tier: 1", "tier: 9"), "svc.yaml")[0] is None


def test_incident_types_are_read_with_their_defaults():
    kinds, problems = parse_types(TYPES + "degraded:\n", "types.yaml", Path("."))
    assert problems == []
    security, outage, degraded = kinds
    assert (security.severity, security.private, security.announce, security.statuspage,
            security.invite, security.runbooks, security.postmortem_from) == (
        2, True, False, False, ("S0SECURITY", "U0CISO"), ("RUN-008",), 4)
    assert (outage.severity, outage.private, outage.announce, outage.statuspage) == (1, False, True, True)
    assert [outage.needs_postmortem(level) for level in (1, 2, 3, 4)] == [True, True, False, False]
    assert all(security.needs_postmortem(level) for level in (1, 2, 3, 4))
    assert degraded.needs_postmortem(1) is None and degraded.severity is None


@pytest.mark.parametrize(("broken", "expected"), [
    (TYPES.replace("severity: sev2", "severity: sev5"),
     ["types.yaml:3: 'severity' must be a severity from sev1 to sev4 (or p1 to p4)"]),
    (TYPES.replace("severity: sev2", "severity: 2"),
     ["types.yaml:3: 'severity' must be a severity from sev1 to sev4 (or p1 to p4)"]),
    (TYPES.replace("private: true", "private: yes please"),
     ["types.yaml:4: 'private' must be true or false"]),
    (TYPES.replace("statuspage: false", "statuspage: 0"),
     ["types.yaml:6: 'statuspage' must be true or false"]),
    (TYPES.replace("[S0SECURITY, U0CISO]", "[S0SECURITY, '@ciso']"),
     ["types.yaml:7: invitee '@ciso' is not valid (a Slack user (U…) or user group (S…) id, "
      "like U0LEAD)"]),
    (TYPES.replace("runbooks: [RUN-008]", "runbooks: [RUN-8a]"),
     ["types.yaml:8: runbook 'RUN-8a' is not valid (a runbook id, like RUN-004)"]),
    (TYPES.replace("postmortem_from: sev4", "postmortem_from: always"),
     ["types.yaml:9: 'postmortem_from' must be a severity from sev1 to sev4 (or p1 to p4)"]),
    (TYPES.replace("  announce: false", "  anounce: false"),
     ["types.yaml:5: unknown key 'anounce' (did you mean 'announce'?)"]),
    (TYPES.replace("security:", "Security:"),
     ["types.yaml:1: incident type 'Security' is not a valid name (lowercase letters, digits "
      "and '-', like payments-api)"]),
    (TYPES + "outage:\n  severity: sev2\n",
     ["types.yaml:14: incident type 'outage' appears twice (also on line 10)"]),
    (TYPES + "degraded: sev3\n", ["types.yaml:14: incident type 'degraded' must be a mapping of fields"]),
    (TYPES.replace("  private: true", "  export_template: templates/security.md.j2"),
     ["types.yaml:4: export_template 'templates/security.md.j2' is not a file in ."]),
])
def test_each_type_mistake_is_named_at_its_line(broken, expected):
    assert type_problems_of(broken) == expected


def test_a_broken_type_is_left_out_and_the_others_kept():
    kinds, problems = parse_types(TYPES.replace("severity: p1", "severity: p9"), "types.yaml",
                                  Path("."))
    assert [kind.name for kind in kinds] == ["security"]
    assert len(problems) == 1


def test_an_export_template_is_found_beside_the_catalog(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "security.md.j2").write_text("{{ incident.title }}\n")
    text = TYPES.replace("  private: true", "  export_template: templates/security.md.j2")
    kinds, problems = parse_types(text, "types.yaml", tmp_path)
    assert problems == []
    assert kinds[0].export_template == tmp_path / "templates" / "security.md.j2"


def write(folder: Path, **files: str) -> Path:
    for name, text in files.items():
        path = folder / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def test_services_are_found_by_name_or_alias_in_any_case(tmp_path):
    write(tmp_path, **{"checkout.yaml": CHECKOUT, "search.yaml": service("search", "search-api")})
    catalog = Catalog.load(tmp_path)
    assert [s.name for s in catalog.services] == ["checkout", "search"]
    assert catalog.find("Payments-Web").name == "checkout"
    assert catalog.find(" SEARCH ").name == "search"
    assert catalog.find("payments") is None
    assert [s.name for s in catalog.suggest("payments")] == ["checkout"]
    assert [s.name for s in catalog.suggest("serch")] == ["search"]
    assert catalog.suggest("zzz") == []


def test_a_broken_file_is_left_out_and_the_others_load(tmp_path):
    write(tmp_path, **{"checkout.yaml": CHECKOUT.replace("tier: 1", "tier: 0"),
                       "search.yaml": service("search"), "binary.yaml": "",
                       "notes.txt": "not a service"})
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfename: x\n")
    catalog = Catalog.load(tmp_path)
    assert [s.name for s in catalog.services] == ["search"]
    assert catalog.broken == 2
    assert [str(p) for p in catalog.problems] == [
        f"{tmp_path / 'binary.yaml'}:1: not UTF-8 text: invalid start byte at byte 0",
        f"{tmp_path / 'checkout.yaml'}:8: 'tier' must be a whole number from 1 to 4"]


def test_a_name_or_alias_taken_by_another_file_leaves_the_later_file_out(tmp_path):
    write(tmp_path, **{
        "a-checkout.yaml": CHECKOUT,
        "b-checkout-copy.yaml": service("checkout"),
        "c-cart.yaml": service("cart-api", "basket", "cart"),
        "d-web.yaml": service("payments-web"),
        "e-search.yaml": service("search", "search-api")})
    contents = read_catalog(tmp_path)
    first = f"{tmp_path / 'a-checkout.yaml'}:1"
    assert [s.name for s in contents.services] == ["checkout", "search"]
    assert [str(p) for p in contents.problems] == [
        f"{tmp_path / 'b-checkout-copy.yaml'}:1: service 'checkout' is already defined in {first}",
        f"{tmp_path / 'c-cart.yaml'}:2: alias 'cart' is already an alias of service 'checkout' "
        f"({first})",
        f"{tmp_path / 'd-web.yaml'}:1: name 'payments-web' is already an alias of service "
        f"'checkout' ({first})"]


def test_an_alias_that_is_another_services_name_is_named_at_its_line(tmp_path):
    write(tmp_path, **{"a-checkout.yaml": CHECKOUT,
                       "b-orders.yaml": "name: orders\naliases:\n  - order-api\n  - checkout\n"})
    assert [str(p) for p in read_catalog(tmp_path).problems] == [
        f"{tmp_path / 'b-orders.yaml'}:4: alias 'checkout' is already the name of service "
        f"'checkout' ({tmp_path / 'a-checkout.yaml'}:1)"]


def test_lint_names_runbooks_and_pagerduty_services_that_do_not_exist(tmp_path):
    write(tmp_path, **{
        "checkout.yaml": CHECKOUT.replace("[RUN-004]", "[RUN-004, RUN-099]"),
        "types.yaml": TYPES.replace("[RUN-008]", "\n    - RUN-008\n    - RUN-098")})
    catalog, found = lint(tmp_path, runbook_ids=SHIPPED_RUNBOOKS, pagerduty_services=["Payments"])
    assert [str(p) for p in found] == [
        f"{tmp_path / 'checkout.yaml'}:5: pagerduty_service 'checkout' is not in "
        "PAGERDUTY_SERVICES (use one of payments)",
        f"{tmp_path / 'checkout.yaml'}:7: runbook RUN-099 is not in the runbooks folder "
        "(RUNBOOKS_DIR)",
        f"{tmp_path / 'types.yaml'}:10: runbook RUN-098 is not in the runbooks folder "
        "(RUNBOOKS_DIR)"]
    # Still loaded: an incident on checkout is better off with its owners and RUN-004.
    assert catalog.find("checkout").runbooks == ("RUN-004", "RUN-099")
    assert catalog.broken == 0


def test_pagerduty_names_are_checked_only_against_a_list_and_in_any_case(tmp_path):
    write(tmp_path, **{"checkout.yaml": CHECKOUT})
    assert lint(tmp_path, runbook_ids=SHIPPED_RUNBOOKS)[1] == []
    assert lint(tmp_path, runbook_ids=SHIPPED_RUNBOOKS, pagerduty_services=["CHECKOUT"])[1] == []


def test_lint_warns_of_what_a_service_or_type_lacks(tmp_path):
    write(tmp_path, **{
        "checkout.yaml": "# the storefront\nname: checkout\ntier: 1\n",
        "search.yaml": "name: search\nowner_group: S0SEARCH\nrunbooks: [RUN-004]\n",
        "types.yaml": "leak:\n  severity: sev2\n  private: true\n"})
    found = [str(p) for p in lint(tmp_path, runbook_ids=SHIPPED_RUNBOOKS)[1]]
    checkout, types = tmp_path / "checkout.yaml", tmp_path / "types.yaml"
    assert found == [
        f"{checkout}:2: warning: no owner_group: nobody from the owning team is invited",
        f"{checkout}:2: warning: no runbooks: its incidents start without one",
        f"{checkout}:3: warning: a tier-1 service without an escalation_policy: nobody on call "
        "is invited",
        f"{types}:1: warning: incident type 'leak' has no description: people pick it by its "
        "name alone",
        f"{types}:3: warning: incident type 'leak' is private but announced: add "
        "'announce: false' to keep its channel out of ANNOUNCE_CHANNEL"]


def test_types_may_each_have_their_own_file(tmp_path):
    write(tmp_path, **{"types.yaml": TYPES,
                       "types__degraded.yaml": "description: Slow.\nseverity: sev3\n",
                       "types__outage.yaml": "description: Down.\n",
                       "types__Bad_Name.yaml": "description: Nope.\n"})
    catalog = Catalog.load(tmp_path)
    assert [kind.name for kind in catalog.types] == ["security", "outage", "degraded"]
    assert catalog.find_type("Degraded").severity == 3
    assert [k.name for k in catalog.suggest_type("outge")] == ["outage"]
    assert [str(p) for p in catalog.problems] == [
        f"{tmp_path / 'types' / 'Bad_Name.yaml'}:1: incident type 'Bad_Name' (the file's name) "
        "is not a valid name (lowercase letters, digits and '-', like payments-api)",
        f"{tmp_path / 'types' / 'outage.yaml'}:1: incident type 'outage' is already defined in "
        f"{tmp_path / 'types.yaml'}:10"]


def test_a_missing_folder_is_an_empty_catalog(tmp_path):
    catalog = Catalog.load(tmp_path / "nowhere")
    assert (catalog.services, catalog.types, catalog.broken) == ([], [], 0)


def run_lint(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("DATABASE", "PAGERDUTY", "CATALOG", "RUNBOOKS"))}
    return subprocess.run([sys.executable, "-m", "bot", "catalog", "lint", *args],
                          env={**environment, "PYTHONPATH": str(ROOT), **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=60, check=False)


def test_the_example_catalog_lints_clean_against_the_shipped_runbooks():
    result = run_lint("--strict", PAGERDUTY_SERVICES=f"checkout={KEY},payments={KEY},storage={KEY}")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "catalog: 4 services, 5 incident types, no problems\n"


def test_lint_command_exits_1_with_file_line_messages(tmp_path):
    write(tmp_path, **{"checkout.yaml": CHECKOUT.replace("RUN-004", "RUN-404"),
                       "search.yaml": service("search", "Search!")})
    result = run_lint(str(tmp_path))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{tmp_path / 'checkout.yaml'}:7: runbook RUN-404 is not in the runbooks folder "
        "(RUNBOOKS_DIR)",
        f"{tmp_path / 'search.yaml'}:2: alias 'Search!' is not valid (lowercase letters, digits "
        "and '-', like payments-api)"]


def test_lint_reads_catalog_runbooks_and_pagerduty_settings_and_no_database(tmp_path):
    catalog, runbooks = tmp_path / "services", tmp_path / "runbooks"
    write(catalog, **{"checkout.yaml": CHECKOUT.replace("RUN-004", "RUN-042")})
    runbooks.mkdir()
    (runbooks / "cache.md").write_text(GOOD_RUNBOOK)
    database = tmp_path / "never" / "bot.db"
    result = run_lint(cwd=tmp_path, CATALOG_DIR=str(catalog), RUNBOOKS_DIR=str(runbooks),
                      PAGERDUTY_SERVICES=f"checkout={KEY}", DATABASE_URL=f"sqlite:///{database}")
    assert (result.returncode, result.stdout) == (
        0, f"{catalog}: 1 service, 0 incident types, no problems\n")
    assert not database.parent.exists()
    result = run_lint(cwd=tmp_path, CATALOG_DIR=str(catalog), RUNBOOKS_DIR=str(runbooks),
                      PAGERDUTY_SERVICES=f"db={KEY}")
    assert result.returncode == 1
    assert "pagerduty_service 'checkout' is not in PAGERDUTY_SERVICES (use one of db)" in result.stdout


def test_warnings_alone_exit_0_unless_strict(tmp_path):
    write(tmp_path, **{"search.yaml": "name: search\n"})
    relaxed, strict = run_lint(str(tmp_path)), run_lint(str(tmp_path), "--strict")
    lines = [f"{tmp_path / 'search.yaml'}:1: warning: no owner_group: nobody from the owning "
             "team is invited",
             f"{tmp_path / 'search.yaml'}:1: warning: no runbooks: its incidents start without one"]
    assert relaxed.returncode == 0
    assert relaxed.stdout.splitlines() == [
        *lines, f"{tmp_path}: 1 service, 0 incident types, no problems, 2 warnings"]
    assert strict.returncode == 1
    assert strict.stdout.splitlines() == lines


def test_a_catalog_folder_that_is_not_there_is_one_line(tmp_path):
    result = run_lint(cwd=tmp_path, CATALOG_DIR=str(tmp_path / "nope"))
    assert (result.returncode, result.stdout) == (1, f"{tmp_path / 'nope'}: no such folder "
                                                     "(CATALOG_DIR)\n")
