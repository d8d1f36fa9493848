"""`policy lint | check | test`: an operator's tools for a policy before it is deployed, on
the same engine the bot decides with."""

import re
import sys
from pathlib import Path

import click

from bot.authz.engine import PolicyError
from bot.authz.judge import PolicyJudge
from bot.authz.policy_files import compile_policy, default_policy_file, test_policy
from bot.cli.running import fail, settings, with_store
from bot.domain.authz import Action, Arg
from bot.services import authz
from bot.storage.store import Store

_INCIDENT = re.compile(r"^INC-(\d+)$", re.IGNORECASE)
_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


@click.group()
def policy() -> None:
    """Write, try and test the incident policy (Rego)."""


def _path(path: str | None) -> Path | None:
    """The policy named on the command line, else POLICY_FILE, else None (the default)."""
    if path is not None:
        if not Path(path).exists():
            fail(f"{path} does not exist")
        return Path(path)
    return settings().policy_file


@policy.command("lint")
@click.argument("path", required=False)
def lint(path: str | None) -> None:
    """Compile the policy (PATH, else POLICY_FILE, else the shipped default) as `serve`
    would; every problem as file:line: message, exit 1."""
    chosen = _path(path)
    try:
        compile_policy(chosen, settings().approvers)
    except PolicyError as error:
        click.echo(str(error))
        sys.exit(1)
    click.echo(f"{chosen or default_policy_file()}: ok")


@policy.command("test")
@click.argument("path")
def run_tests(path: str) -> None:
    """Run every rule named test_* in the .rego files at PATH (OPA's convention): each one
    passes when it is true. Exit 1 when any fails."""
    if not Path(path).exists():
        fail(f"{path} does not exist")
    try:
        results = test_policy(Path(path), settings().approvers)
    except PolicyError as error:
        click.echo(str(error))
        sys.exit(1)
    for result in results:
        verdict = "PASS" if result.passed else "ERROR" if result.error else "FAIL"
        click.echo(f"{verdict} {result.name}" + (f": {result.error}" if result.error else ""))
    failed = sum(not r.passed for r in results)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed or not results:
        sys.exit(1)


@policy.command("check")
@click.option("--user", "user_id", required=True, help="Slack user id, e.g. U0BOB")
@click.option("--action", "action_name", required=True, help="resolve, severity, approve, …")
@click.option("--incident", "incident_ref", help="INC-<n>: decide about this incident")
@click.option("--arg", "pairs", multiple=True, help="key=value, e.g. --arg severity=3")
@click.option("--group", "groups", multiple=True, help="a Slack user group id the user is in")
@click.option("--policy", "path", help="a .rego file or folder (default: POLICY_FILE)")
def check(user_id: str, action_name: str, incident_ref: str | None, pairs: tuple[str, ...],
          groups: tuple[str, ...], path: str | None) -> None:
    """The decision the policy gives USER for ACTION, with the incident as the database
    holds it: exit 0 allowed, 1 denied."""
    if not _USER.match(user_id):
        fail(f"`{user_id}` is not a Slack user id (U…)")
    try:
        action = Action(action_name.lower())
    except ValueError:
        fail(f"`{action_name}` is not an action: " + ", ".join(a.value for a in Action))
    incident_id = _incident_id(incident_ref)
    args = dict(_arg(pair) for pair in pairs)
    config = settings()
    try:
        compiled = compile_policy(_path(path), config.approvers)
    except PolicyError as error:
        fail(str(error))

    async def member_of(_: str) -> list[str]:
        return list(groups)

    judge = PolicyJudge(compiled, approvers=config.approvers, groups_of=member_of)

    async def decide(store: Store) -> None:
        decision, incident = await authz.simulate(store, judge=judge, user_id=user_id,
                                                  action=action, args=args,
                                                  incident_id=incident_id)
        about = f" on {incident.ref}" if incident else ""
        if decision.allow:
            click.echo(f"allowed: {user_id} may {action}{about}")
            return
        click.echo(f"denied: {user_id} may not {action}{about}: {decision.reason}")
        sys.exit(1)

    with_store(decide)


def _incident_id(ref: str | None) -> int | None:
    if ref is None:
        return None
    found = _INCIDENT.match(ref.strip())
    if not found:
        fail(f"`{ref}` is not an incident id (INC-<n>)")
    return int(found.group(1))


def _arg(pair: str) -> tuple[str, Arg]:
    key, sep, value = pair.partition("=")
    if not sep or not key:
        fail(f"`{pair}` is not key=value")
    if value.isdigit():
        return key, int(value)
    return key, {"true": True, "false": False}.get(value.lower(), value)


