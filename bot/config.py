"""Settings from the environment or `.env`; a bad value stops start-up with one line."""

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from bot import shipped
from bot.domain.alerts import DEFAULT_SEVERITY_MAP, parse_severity_map
from bot.domain.durations import parse_duration
from bot.domain.policy import Policy
from bot.domain.roles import all_roles, check_role_name
from bot.logs import FORMATS, LEVELS
from bot.org_settings import OrgSettings


def _duration(value: object) -> object:
    return parse_duration(value) if isinstance(value, str) else value


Duration = Annotated[timedelta, BeforeValidator(_duration)]


def _one_of(choices: tuple[str, ...], what: str, case: Callable[[str], str]) -> BeforeValidator:
    def check(value: object) -> object:
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        if case(value.strip()) not in choices:
            raise ValueError(f"`{value}` is not a {what} (use {', '.join(choices[:-1])} "
                             f"or {choices[-1]})")
        return case(value.strip())
    return BeforeValidator(check)


# The rules' defaults are written once, in the domain's Policy; the settings start from them.
_RULES = Policy()


def _default_runbooks_dir() -> Path:
    # The operator's own runbooks/ where the bot is started; an installed bot started
    # anywhere else still has the runbooks it ships with.
    local = Path("runbooks")
    return local if local.is_dir() else shipped.runbooks_dir()


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it."""


class Settings(OrgSettings, BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # The bot's own lines from this level (unset: WARNING, INFO for serve); json: one a line.
    log_level: Annotated[str | None, _one_of(LEVELS, "log level", str.upper)] = None
    log_format: Annotated[str | None, _one_of(FORMATS, "log format", str.lower)] = None
    # Spans to this OTLP/HTTP collector (its base URL), with the `otel` extra installed.
    otel_exporter_otlp_endpoint: str | None = None
    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_app_token: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_timeout: Duration = timedelta(seconds=10)
    database_url: str = "sqlite:///incident-bot.db"
    runbooks_dir: Path = Field(default_factory=_default_runbooks_dir)
    export_dir: Path = Path("incidents")
    export_template: Path | None = None
    export_debounce: Duration = _RULES.export_debounce
    postmortem_due: Duration = _RULES.postmortem_due
    # Each export committed in the git work tree holding EXPORT_DIR, and pushed.
    export_git: bool = False
    export_git_push: bool = False
    approvers: Annotated[list[str], NoDecode, BeforeValidator(lambda v: _split_ids(v))] = []
    announce_channel: str | None = None
    access_expiry_warning: Duration = _RULES.access_expiry_warning
    status_update_interval_sev1: Duration = _RULES.status_update_intervals[1]
    status_update_interval_sev2: Duration = _RULES.status_update_intervals[2]
    status_update_interval_sev3: Duration = _RULES.status_update_intervals[3]
    status_update_interval_sev4: Duration = _RULES.status_update_intervals[4]
    allow_runbook_commands: bool = False
    # A runbook last tested longer ago than this is flagged in Slack and by `runbooks lint`.
    runbook_stale_after: Duration = _RULES.runbook_stale_after
    roles: Annotated[list[str], NoDecode, BeforeValidator(lambda v: _split_ids(v))] = []
    invite_sev1: Annotated[list[str], NoDecode, BeforeValidator(lambda v: _split_ids(v))] = []
    invite_sev2: Annotated[list[str], NoDecode, BeforeValidator(lambda v: _split_ids(v))] = []
    invite_sev3: Annotated[list[str], NoDecode, BeforeValidator(lambda v: _split_ids(v))] = []
    invite_sev4: Annotated[list[str], NoDecode, BeforeValidator(lambda v: _split_ids(v))] = []
    port: int = Field(default=3000, ge=1, le=65535)
    # Reaching people.
    ack_deadline_sev1: Duration = _RULES.ack_deadlines[1]
    ack_deadline_sev2: Duration = _RULES.ack_deadlines[2]
    ack_deadline_sev3: Duration = _RULES.ack_deadlines[3]
    ack_deadline_sev4: Duration = _RULES.ack_deadlines[4]
    escalate_after_sev1: Duration = _RULES.escalate_after[1]
    escalate_after_sev2: Duration = _RULES.escalate_after[2]
    # Unset: a SEV3 or SEV4 still open is never taken to EXEC_CHANNEL.
    escalate_after_sev3: Duration | None = None
    escalate_after_sev4: Duration | None = None
    escalation_users: Annotated[list[str], NoDecode, BeforeValidator(lambda v: _split_ids(v))] = []
    exec_channel: str | None = None
    pagerduty_routing_key: str | None = None
    pagerduty_services: Annotated[dict[str, str], NoDecode,
                                  BeforeValidator(lambda v: _split_services(v))] = {}
    pagerduty_events_url: str = "https://events.pagerduty.com/v2/enqueue"
    # Statuspage (opt-in): both the page and its API key, or neither.
    statuspage_page_id: str | None = None
    statuspage_api_key: str | None = None
    statuspage_api_url: str = "https://api.statuspage.io/v1"
    # Alerts in: the bearer token Alertmanager (or Grafana) sends; unset, the route refuses.
    alert_webhook_token: str | None = None
    # Who may do what: a .rego file or a folder of them (unset: the shipped default policy),
    # or decisions from a running OPA server instead.
    policy_file: Path | None = None
    opa_url: str | None = None
    opa_token: str | None = None  # OPA started with --authentication=token
    opa_timeout: Duration = timedelta(seconds=2)
    # How long a read of Slack user groups serves policy decisions.
    groups_cache: Duration = timedelta(minutes=5)
    # User text is scanned for secrets before it enters the record.
    redact_secrets: bool = True
    alert_severity_map: Annotated[dict[str, int], NoDecode,
                                  BeforeValidator(lambda v: _severity_map(v))] = Field(
        default_factory=lambda: parse_severity_map(DEFAULT_SEVERITY_MAP))

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _driver(cls, value: str) -> str:
        # Operators write the URLs they know: SQLite runs on the stdlib driver, Postgres on psycopg 3.
        if value.startswith("sqlite+aiosqlite:///"):
            return "sqlite:///" + value.removeprefix("sqlite+aiosqlite:///")
        if value.startswith(("postgresql://", "postgres://")):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @field_validator("export_template", "announce_channel", "slack_app_token", "exec_channel",
                     "pagerduty_routing_key", "statuspage_page_id", "statuspage_api_key",
                     "alert_webhook_token", "policy_file", "opa_url", "opa_token",
                     "otel_exporter_otlp_endpoint", "escalate_after_sev3", "escalate_after_sev4",
                     mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("roles")
    @classmethod
    def _role_names(cls, value: list[str]) -> list[str]:
        return [check_role_name(name) for name in value]

    @field_validator("invite_sev1", "invite_sev2", "invite_sev3", "invite_sev4")
    @classmethod
    def _people_or_groups(cls, value: list[str]) -> list[str]:
        for ref in value:
            if not _PERSON_OR_GROUP.match(ref):
                raise ValueError(f"`{ref}` is not a Slack user id (U…) or user group id (S…)")
        return value

    @field_validator("pagerduty_routing_key")
    @classmethod
    def _integration_key(cls, value: str | None) -> str | None:
        if value is not None:
            _check_routing_key(value)
        return value

    @field_validator("pagerduty_services")
    @classmethod
    def _service_keys(cls, value: dict[str, str]) -> dict[str, str]:
        for name, key in value.items():
            _check_routing_key(key, f" (service {name})")
        return value

    @field_validator("policy_file")
    @classmethod
    def _policy_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.exists():
            raise ValueError(f"{value} does not exist")
        return value

    @field_validator("opa_url", "otel_exporter_otlp_endpoint")
    @classmethod
    def _http_base_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"`{value}` is not an http(s) URL")
        return value.rstrip("/") if value else value

    @field_validator("statuspage_api_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _statuspage_pair(self) -> "Settings":
        # One without the other would fail only at the first public update, mid-incident.
        if self.statuspage_page_id and not self.statuspage_api_key:
            raise ValueError("STATUSPAGE_API_KEY is not set (STATUSPAGE_PAGE_ID is)")
        if self.statuspage_api_key and not self.statuspage_page_id:
            raise ValueError("STATUSPAGE_PAGE_ID is not set (STATUSPAGE_API_KEY is)")
        return self

    @model_validator(mode="after")
    def _git_push_needs_git(self) -> "Settings":
        if self.export_git_push and not self.export_git:
            raise ValueError("EXPORT_GIT_PUSH is set, but EXPORT_GIT is not")
        return self

    @property
    def statuspage(self) -> bool:
        return bool(self.statuspage_page_id and self.statuspage_api_key)

    def require_slack(self) -> None:
        """Only talking to Slack needs the secrets; export, verify and stats do not. In Socket
        Mode (SLACK_APP_TOKEN) Slack's requests come over the bot's own WebSocket, unsigned:
        no signing secret is needed (without one, requests over HTTP are refused)."""
        needed = ["slack_bot_token"] + ([] if self.slack_app_token else ["slack_signing_secret"])
        for name in needed:
            if not getattr(self, name):
                raise ConfigError(f"{name.upper()} is not set")

    def policy(self) -> Policy:
        return Policy(
            approvers=tuple(self.approvers),
            access_expiry_warning=self.access_expiry_warning,
            status_update_intervals={
                n: getattr(self, f"status_update_interval_sev{n}") for n in range(1, 5)},
            roles=all_roles(self.roles),
            invite_on_declare={n: tuple(getattr(self, f"invite_sev{n}")) for n in range(1, 5)},
            ack_deadlines={n: getattr(self, f"ack_deadline_sev{n}") for n in range(1, 5)},
            escalate_after={n: after for n in range(1, 5)
                            if (after := getattr(self, f"escalate_after_sev{n}")) is not None},
            escalation_users=tuple(self.escalation_users),
            page_on_escalation=self.pagerduty_routing_key is not None,
            paging_services=tuple(self.pagerduty_services),
            tell_executives=self.exec_channel is not None,
            statuspage=self.statuspage,
            runbook_stale_after=self.runbook_stale_after,
            postmortem_due=self.postmortem_due,
            export_debounce=self.export_debounce,
        )


_PERSON_OR_GROUP = re.compile(r"^[UWS][A-Z0-9]{2,}$")


def _split_ids(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _severity_map(value: object) -> object:
    return parse_severity_map(value) if isinstance(value, str) else value


def _split_services(value: object) -> object:
    """`name=routing_key,…` → {name: routing_key}; names are matched in any case."""
    if not isinstance(value, str):
        return value
    services: dict[str, str] = {}
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        name, sep, key = (s.strip() for s in part.partition("="))
        if not sep or not name or not key or " " in name:
            raise ValueError(f"`{part}` is not name=routing_key")
        if name.lower() in services:
            raise ValueError(f"service `{name}` is named twice")
        services[name.lower()] = key
    return services


# An Events API v2 integration key: 32 characters, as PagerDuty shows it on the integration.
_ROUTING_KEY = re.compile(r"^[A-Za-z0-9]{32}$")


def _check_routing_key(key: str, where: str = "") -> None:
    if not _ROUTING_KEY.match(key):
        raise ValueError(f"a PagerDuty routing key is the 32-character integration key of an "
                         f"Events API v2 integration{where}")


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # checked by pydantic, not mypy
    except SettingsError as exc:
        raise ConfigError(str(exc).splitlines()[0]) from None
    except ValidationError as exc:
        error = exc.errors()[0]
        if not error["loc"]:  # a rule across settings: its message names them
            raise ConfigError(_reason(error)) from None
        name = str(error["loc"][0]).upper() if error["loc"] else "settings"
        if error["type"] == "missing":
            raise ConfigError(f"{name} is not set") from None
        raise ConfigError(f"{name} is malformed: {_reason(error)}") from None


def _reason(error: ErrorDetails) -> str:
    ctx = error.get("ctx") or {}
    if isinstance(ctx.get("error"), ValueError):
        return str(ctx["error"])
    return str(error["msg"])
