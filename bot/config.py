"""Settings from the environment or `.env`; a bad value stops start-up with one line."""

from datetime import timedelta
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from bot import shipped
from bot.domain.durations import parse_duration
from bot.domain.policy import Policy


def _duration(value: object) -> object:
    return parse_duration(value) if isinstance(value, str) else value


Duration = Annotated[timedelta, BeforeValidator(_duration)]


def _default_runbooks_dir() -> Path:
    # The operator's own runbooks/ where the bot is started; an installed bot started
    # anywhere else still has the runbooks it ships with.
    local = Path("runbooks")
    return local if local.is_dir() else shipped.runbooks_dir()


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_app_token: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_timeout: Duration = timedelta(seconds=10)
    database_url: str = "sqlite:///incident-bot.db"
    runbooks_dir: Path = Field(default_factory=_default_runbooks_dir)
    export_dir: Path = Path("incidents")
    export_template: Path | None = None
    approvers: Annotated[list[str], NoDecode, BeforeValidator(lambda v: _split_ids(v))] = []
    announce_channel: str | None = None
    access_expiry_warning: Duration = timedelta(minutes=15)
    status_update_interval_sev1: Duration = timedelta(minutes=10)
    status_update_interval_sev2: Duration = timedelta(minutes=30)
    status_update_interval_sev3: Duration = timedelta(hours=1)
    status_update_interval_sev4: Duration = timedelta(hours=4)
    allow_runbook_commands: bool = False
    port: int = Field(default=3000, ge=1, le=65535)

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

    @field_validator("export_template", "announce_channel", "slack_app_token", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    def require_slack(self) -> None:
        """Only talking to Slack needs the secrets; export, verify and stats do not."""
        for name in ("slack_bot_token", "slack_signing_secret"):
            if not getattr(self, name):
                raise ConfigError(f"{name.upper()} is not set")

    def policy(self) -> Policy:
        return Policy(
            approvers=tuple(self.approvers),
            access_expiry_warning=self.access_expiry_warning,
            status_update_intervals={
                n: getattr(self, f"status_update_interval_sev{n}") for n in range(1, 5)},
        )


def _split_ids(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except SettingsError as exc:
        raise ConfigError(str(exc).splitlines()[0]) from None
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "settings"
        if error["type"] == "missing":
            raise ConfigError(f"{name} is not set") from None
        raise ConfigError(f"{name} is malformed: {_reason(error)}") from None


def _reason(error: ErrorDetails) -> str:
    ctx = error.get("ctx") or {}
    if isinstance(ctx.get("error"), ValueError):
        return str(ctx["error"])
    return str(error["msg"])
