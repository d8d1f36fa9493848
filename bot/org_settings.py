"""Settings that tie the bot to the organisation's own systems: the service catalog, who is
on call, the tracker that action items become tickets in, and the call link. All optional."""

import re
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, field_validator, model_validator
from pydantic_settings import BaseSettings

from bot.domain.meeting import FIELDS, PLACEHOLDER

TRACKERS = ("github", "jira")
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]{0,19}$")


def _tracker(value: object) -> object:
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    if value.strip().lower() not in TRACKERS:
        raise ValueError(f"`{value}` is not a tracker (use github or jira)")
    return value.strip().lower()


class OrgSettings(BaseSettings):
    # One YAML file per service, and catalog/types.yaml; a folder that does not exist is an
    # empty catalog.
    catalog_dir: Path = Path("catalog")
    # The alert label that names the service an alert is about.
    alert_service_label: str = "service"
    # Who is on call: PagerDuty's REST API (a read-only API key is enough).
    pagerduty_api_token: str | None = None
    pagerduty_api_url: str = "https://api.pagerduty.com"
    # Action items become tickets in one tracker.
    tickets: Annotated[str | None, BeforeValidator(_tracker)] = None
    github_repo: str | None = None
    github_token: str | None = None
    github_api_url: str = "https://api.github.com"
    github_webhook_secret: str | None = None
    jira_url: str | None = None
    jira_project: str | None = None
    jira_token: str | None = None
    # Jira Cloud takes an API token with the account's email (basic auth); without an email
    # the token is sent as a bearer token (Jira Data Center's personal access tokens).
    jira_email: str | None = None
    jira_webhook_secret: str | None = None
    # A call link for every incident, e.g. https://meet.jit.si/{channel}.
    meeting_url: str | None = None

    @field_validator("pagerduty_api_token", "github_repo", "github_token", "github_webhook_secret",
                     "jira_url", "jira_project", "jira_token", "jira_email", "jira_webhook_secret",
                     "meeting_url", mode="before")
    @classmethod
    def _blank_org_setting_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("pagerduty_api_url", "github_api_url", "jira_url")
    @classmethod
    def _http_base(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"`{value}` is not an http(s) URL")
        return value.rstrip("/") if value else value

    @field_validator("github_repo")
    @classmethod
    def _owner_and_name(cls, value: str | None) -> str | None:
        if value is not None and not _REPO.match(value):
            raise ValueError(f"`{value}` is not owner/name")
        return value

    @field_validator("jira_project")
    @classmethod
    def _project_key(cls, value: str | None) -> str | None:
        if value is not None and not _PROJECT_KEY.match(value):
            raise ValueError(f"`{value}` is not a Jira project key (like OPS)")
        return value

    @field_validator("meeting_url")
    @classmethod
    def _meeting_template(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"`{value}` is not an http(s) URL")
        for name in PLACEHOLDER.findall(value):
            if name not in FIELDS:
                raise ValueError(f"`{{{name}}}` is not a field (use {{channel}} or {{incident}})")
        return value

    @model_validator(mode="after")
    def _tracker_settings(self) -> "OrgSettings":
        # A tracker half set up would fail at the first action item, mid-incident.
        needed = {"github": ("github_repo", "github_token"),
                  "jira": ("jira_url", "jira_project", "jira_token")}.get(self.tickets or "", ())
        for name in needed:
            if not getattr(self, name):
                raise ValueError(f"{name.upper()} is not set (TICKETS={self.tickets} is)")
        return self
