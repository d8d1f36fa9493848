"""deploy/: a team that runs the bot imports the dashboard, loads the alert rules, and starts
it with docker compose or on Kubernetes. The dashboard and the rules name only figures a
running bot exposes, each alert names a runbook that handles it, and every setting the
deploy files name is one the bot reads."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import aiohttp
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Settings
from bot.domain.alerts import alert_slug
from bot.runbooks.library import Library

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
DASHBOARD = DEPLOY / "grafana/incident-bot.json"
ALERTS = DEPLOY / "prometheus/alerts.yml"
COMPOSE = DEPLOY / "docker-compose.yml"
K8S = DEPLOY / "k8s"

ALERT_NAMES = {"IncidentBotDown", "IncidentBotOutboundBacklog", "IncidentBotSlackRefusingCalls",
               "IncidentBotRunbooksBroken", "IncidentBotPolicyDenialsBurst",
               "IncidentBotDatabaseUnreachable", "IncidentBotRunbookStuck"}
SETTINGS = {name.upper() for name in Settings.model_fields}
METRIC = re.compile(r"\bincident_bot_[a-z0-9_]+")
# A selector's label matchers: `name{a="x", b=~"y|z"}` -> a, b.
SELECTOR = re.compile(r"\b(incident_bot_[a-z0-9_]+)\s*\{([^}]*)\}")
MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")
# What Grafana puts in a query before Prometheus sees it.
GRAFANA_VARIABLES = {"$job": "incident-bot", "$window": "30d", "$__range": "1d",
                     "$__rate_interval": "1m", "$__interval": "1m"}


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def dashboard_queries() -> list[str]:
    """Every query of every panel, as Prometheus receives it."""
    queries = []
    for panel in dashboard()["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            queries.append(expr)
    return queries


def alert_rules() -> list[dict]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"]
            for rule in group["rules"]]


def bot_runbooks() -> Library:
    library, problems = Library.load(REPO / "runbooks")
    assert problems == []
    return library


# --- the dashboard ----------------------------------------------------------------------------

def test_the_dashboard_imports_with_a_prometheus_data_source_chosen_at_import():
    board = dashboard()
    assert board["schemaVersion"] >= 39
    assert board["uid"] == "incident-bot"
    (source,) = board["__inputs"]
    assert source["name"] == "DS_PROMETHEUS"
    assert (source["type"], source["pluginId"]) == ("datasource", "prometheus")
    panels = [p for p in board["panels"] if p["type"] != "row"]
    for panel in panels:
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
            assert target["expr"].strip(), panel["title"]
    # Provisioned rather than imported, the same name is a data source variable.
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["DS_PROMETHEUS"]["type"] == "datasource"
    assert set(re.findall(r"\$(\w+)", json.dumps(board))) - {"DS_PROMETHEUS"} <= (
        set(variables) | {"__range", "__rate_interval", "__interval"})


def test_the_dashboard_shows_what_the_team_asked_to_see():
    queries = "\n".join(dashboard_queries())
    titles = " | ".join(p["title"] for p in dashboard()["panels"])
    wanted = {
        "MTTA": "incident_bot_mtta_seconds_bucket", "MTTR": "incident_bot_mttr_seconds_bucket",
        "open by severity": "incident_bot_open_incidents",
        "declared by source": "by (source)",
        "runbook runs by outcome": "incident_bot_runbook_runs_total",
        "step failures": "incident_bot_runbook_step_failures_total",
        "run duration": "incident_bot_runbook_run_duration_seconds_bucket",
        "approved vs requested": 'incident_bot_high_risk_steps_total{job="incident-bot",state="approved"}',
        "policy denials by action": "by (action) (increase(incident_bot_policy_denials_total",
        "live access grants": "incident_bot_access_grants_live",
        "owed calls": "incident_bot_outbox_pending",
        "oldest owed": "incident_bot_outbox_oldest_owed_seconds",
        "given up": "incident_bot_outbox_failed",
        "outbound by outcome": "sum by (system, outcome) (rate(incident_bot_outbound_calls_total",
        "Slack reachable": "incident_bot_slack_reachable",
        "Slack token": "incident_bot_slack_token_ok",
    }
    missing = {what: text for what, text in wanted.items() if text not in queries}
    assert missing == {}
    assert "MTTA" in titles and "MTTR" in titles


def test_panels_do_not_overlap():
    taken: dict[tuple[int, int], str] = {}
    for panel in dashboard()["panels"]:
        box = panel["gridPos"]
        assert box["x"] + box["w"] <= 24, panel["title"]
        for x in range(box["x"], box["x"] + box["w"]):
            for y in range(box["y"], box["y"] + box["h"]):
                assert (x, y) not in taken, f"{panel['title']} covers {taken.get((x, y))}"
                taken[(x, y)] = panel["title"]


# --- the alert rules -----------------------------------------------------------------------------

def test_the_rules_are_the_seven_alerts_each_with_severity_summary_and_description():
    rules = alert_rules()
    assert sorted(rule["alert"] for rule in rules) == sorted(ALERT_NAMES)
    for rule in rules:
        assert rule["expr"].strip()
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"].strip(), rule["alert"]
        assert rule["annotations"]["description"].strip(), rule["alert"]


def test_every_alert_names_a_runbook_that_its_slug_attaches():
    library = bot_runbooks()
    for rule in alert_rules():
        runbook = library.find(rule["labels"]["runbook"])
        assert runbook is not None, f"{rule['alert']}: no runbook {rule['labels']['runbook']}"
        slug = alert_slug(rule["alert"])
        assert runbook.matches(slug), f"{runbook.id} does not match {slug}"
        assert runbook.id in rule["annotations"]["description"]
        assert Path(runbook.path).name in rule["annotations"]["description"]


def test_the_bots_own_runbooks_have_an_owner_a_tested_date_steps_to_verify_and_escalation():
    ours = [r for r in bot_runbooks().runbooks if Path(r.path).name.startswith("incident-bot-")]
    assert len(ours) == len(ALERT_NAMES)
    for runbook in ours:
        assert runbook.owner and runbook.last_tested and runbook.escalation.strip(), runbook.id
        assert runbook.prerequisites.strip(), runbook.id
        assert all(step.verification for step in runbook.steps), runbook.id


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        # CI installs Debian's prometheus package: there these checks must run.
        if os.environ.get("CI"):
            pytest.fail("promtool is not installed (apt-get install prometheus)")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return found


def run_promtool(*args: str, cwd: Path) -> None:
    result = subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_rules_and_the_scrape_config():
    run_promtool("check", "rules", str(ALERTS), cwd=REPO)
    run_promtool("check", "config", str(DEPLOY / "prometheus/prometheus.yml"), cwd=REPO)


def test_each_alert_fires_on_its_story_and_not_on_the_one_beside_it():
    # deploy/prometheus/alerts.test.yml: promtool's unit tests of the rules.
    run_promtool("test", "rules", "alerts.test.yml", cwd=DEPLOY / "prometheus")


def test_promtool_parses_every_dashboard_query(tmp_path):
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{n}", "expr": expr}
        for n, expr in enumerate(dashboard_queries())]}]}
    (tmp_path / "queries.yml").write_text(yaml.safe_dump(rules))
    run_promtool("check", "rules", str(tmp_path / "queries.yml"), cwd=tmp_path)


# --- a running bot exposes every name they use -------------------------------------------------

def exposed(scrape: str) -> dict[str, set[str]]:
    """Each sample name the scrape has or declares (a counter's `_total`, a histogram's
    `_bucket`, `_sum` and `_count`), with the label names its samples carry."""
    names: dict[str, set[str]] = {}
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"],
                "summary": ["", "_sum", "_count"]}
    for family in text_string_to_metric_families(scrape):
        for suffix in suffixes.get(family.type, [""]):
            names.setdefault(family.name + suffix, set())
        for sample in family.samples:
            names.setdefault(sample.name, set()).update(sample.labels)
    return names


async def test_every_metric_the_dashboard_and_the_rules_name_is_on_a_running_bots_metrics(world):
    channel = await world.declare("sev2 checkout-latency Checkout is slow")
    await world.incident("log p99 at 4s since the 14:02 deploy", channel=channel)
    await world.incident("resolve a bad index on orders", channel=channel)
    await world.delivered()
    async with aiohttp.ClientSession() as session, session.get(f"{world.bot.url}/metrics") as got:
        assert got.status == 200
        scrape = exposed(await got.text())

    used = set(METRIC.findall("\n".join(dashboard_queries()))) | set(
        METRIC.findall("\n".join(rule["expr"] for rule in alert_rules())))
    assert sorted(used - set(scrape)) == []
    # A label the queries select on is one the bot's samples carry (where it has samples yet).
    for text in dashboard_queries() + [rule["expr"] for rule in alert_rules()]:
        for name, matchers in SELECTOR.findall(text):
            labels = set(MATCHER.findall(matchers)) - {"job", "instance"}
            if scrape.get(name):
                assert labels <= scrape[name], f"{name}: {labels - scrape[name]}"


# --- docker compose ------------------------------------------------------------------------------

def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def bot_services() -> dict[str, dict]:
    """The services built from the repository's Dockerfile: the bot's replicas."""
    return {name: service for name, service in compose()["services"].items()
            if isinstance(service.get("build"), dict)
            and (COMPOSE.parent / service["build"]["context"]).resolve() == REPO}


def test_compose_runs_two_replicas_of_the_bot_on_postgresql():
    replicas = bot_services()
    assert len(replicas) >= 2
    services = compose()["services"]
    assert services["postgres"]["image"].startswith("postgres:")
    for name, service in replicas.items():
        assert service["build"].get("dockerfile", "Dockerfile") == "Dockerfile"
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://"), name
        assert "@postgres:5432/" in service["environment"]["DATABASE_URL"], name
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy", name


def test_compose_settings_come_from_the_env_file_and_name_only_real_settings():
    for name, service in bot_services().items():
        (env_file,) = [service["env_file"]] if isinstance(service["env_file"], str) else service["env_file"]
        assert (COMPOSE.parent / env_file).resolve() == REPO / ".env", name
        assert sorted(set(service["environment"]) - SETTINGS) == [], name
    assert (REPO / ".env.example").is_file()


def test_compose_healthchecks_and_the_load_balancer_use_healthz_on_the_bots_port():
    replicas = bot_services()
    ports = {service["environment"]["PORT"] for service in replicas.values()}
    (port,) = ports
    for name, service in replicas.items():
        assert f"127.0.0.1:{port}/healthz" in " ".join(service["healthcheck"]["test"]), name
    # One port in front: HAProxy sends requests only to replicas whose /healthz answers.
    balancer = compose()["services"]["incident-bot"]
    assert balancer["image"].startswith("haproxy:")
    assert [p.split(":")[-1] for p in balancer["ports"]] == [port]
    config = (DEPLOY / "haproxy.cfg").read_text()
    assert "http-check send meth GET uri /healthz" in config
    servers = re.findall(r"^\s*server (\S+) (\S+):(\d+) check", config, re.MULTILINE)
    assert sorted((name, host) for name, host, _ in servers) == sorted((n, n) for n in replicas)
    assert {p for _, _, p in servers} == {port}
    assert f"bind :{port}" in config


# --- Kubernetes -----------------------------------------------------------------------------------

def manifests() -> list[dict]:
    return [doc for path in sorted(K8S.glob("*.yaml")) if path.name != "kustomization.yaml"
            for doc in yaml.safe_load_all(path.read_text()) if doc]


def of_kind(kind: str) -> list[dict]:
    return [doc for doc in manifests() if doc["kind"] == kind]


def test_kustomize_applies_every_manifest():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}


def test_k8s_runs_two_replicas_ready_on_healthz_and_alive_on_the_same_port():
    (deployment,) = of_kind("Deployment")
    assert deployment["spec"]["replicas"] >= 2
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    (config,) = of_kind("ConfigMap")
    port = int(config["data"]["PORT"])
    assert [p["containerPort"] for p in container["ports"]] == [port]
    ready = container["readinessProbe"]["httpGet"]
    assert (ready["path"], ready["port"]) == ("/healthz", port)
    # Alive while it takes connections: /healthz's 503 for an absent database must not
    # restart it.
    assert container["livenessProbe"]["tcpSocket"]["port"] == port
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(port)
    (service,) = of_kind("Service")
    (service_port,) = service["spec"]["ports"]
    assert service_port["port"] == port
    assert service_port["targetPort"] in (port, container["ports"][0].get("name"))


def test_k8s_keeps_the_slack_secrets_in_a_secret_and_names_only_real_settings():
    (deployment,) = of_kind("Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    (config,) = of_kind("ConfigMap")
    (secret,) = of_kind("Secret")
    sources = {ref.get("configMapRef", ref.get("secretRef"))["name"] for ref in container["envFrom"]}
    assert sources == {config["metadata"]["name"], secret["metadata"]["name"]}
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "DATABASE_URL"} <= set(secret["stringData"])
    assert not {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"} & set(config["data"])
    named = set(config["data"]) | set(secret["stringData"]) | {
        env["name"] for env in container.get("env", [])}
    assert sorted(named - SETTINGS) == []
