""".env.example: an operator copying it finds every setting there is, each with the default
the bot really has, and nothing the bot does not read."""

import re
from pathlib import Path

import pytest

from bot.config import Settings

EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"
# `NAME=value`, or `# NAME=value` for a setting left at its default.
ASSIGNMENT = re.compile(r"^(#\s?)?([A-Z][A-Z0-9_]*)=(.*)$")


def assignments() -> list[tuple[str, str, bool]]:
    """(name, value, commented) for each setting the file names, in its order."""
    found = []
    for line in EXAMPLE.read_text().splitlines():
        match = ASSIGNMENT.match(line)
        if match:
            found.append((match[2], match[3], match[1] is not None))
    return found


@pytest.fixture
def no_settings_around(monkeypatch, tmp_path):
    """A folder with no .env, an environment with none of the bot's settings, and a
    runbooks/ folder, so that RUNBOOKS_DIR's default reads as `runbooks`."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runbooks").mkdir()


def test_every_setting_is_in_the_example_once_and_nothing_else():
    names = [name for name, _, _ in assignments()]
    settings = [name.upper() for name in Settings.model_fields]
    assert sorted(set(names) - set(settings)) == [], "in .env.example, not in bot/config.py"
    assert sorted(set(settings) - set(names)) == [], "in bot/config.py, missing from .env.example"
    assert len(names) == len(set(names)), "a setting named twice"


def test_each_value_written_in_the_example_is_the_settings_default(no_settings_around):
    defaults = Settings()
    for name, value, commented in assignments():
        if not commented:
            continue  # the ones to fill in (the Slack secrets) have no useful default
        field = name.lower()
        written = Settings(**{field: value})  # type: ignore[arg-type]  # from the environment, as text
        assert getattr(written, field) == getattr(defaults, field), f"{name}={value}"


def test_the_settings_to_fill_in_are_the_ones_serve_requires(no_settings_around):
    to_fill = [name for name, value, commented in assignments() if not commented]
    assert to_fill == ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]


def test_the_example_copied_as_it_is_loads(no_settings_around, tmp_path):
    (tmp_path / ".env").write_text(EXAMPLE.read_text())
    assert Settings() == Settings(_env_file=None)  # type: ignore[call-arg]  # pydantic-settings' own argument
