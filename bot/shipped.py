"""Folders the bot reads at run time and ships with itself.

A source checkout keeps `migrations/`, `runbooks/` and `policy/` at the repository's top level;
a wheel carries them inside the package as `bot/migrations`, `bot/runbooks/shipped` and
`bot/authz/shipped`
(mapped in pyproject.toml). Both places are found from this file, never from the
current directory, so an installed bot works from any folder and an editable install
reads the checkout.
"""

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def _find(in_package: str, in_checkout: str, marker: str | None = None) -> Path:
    for candidate in (PACKAGE / in_package, PACKAGE.parent / in_checkout):
        if (candidate / marker).is_file() if marker else candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"{in_package}/ is missing from the installed bot package at {PACKAGE}")


def migrations_dir() -> Path:
    """The Alembic scripts (env.py, versions/)."""
    return _find("migrations", "migrations", marker="env.py")


def runbooks_dir() -> Path:
    """The runbooks that come with the bot (RUN-001 …)."""
    return _find("runbooks/shipped", "runbooks")


def policy_dir() -> Path:
    """The policies that come with the bot: default.rego (what applies with no POLICY_FILE),
    strict.rego, and their tests."""
    return _find("authz/shipped", "policy")
