"""Which policy applies: POLICY_FILE (a .rego file or a folder of them), else the shipped
default. Tests (*_test.rego) sit beside the policy they test and never take part in
decisions."""

from collections.abc import Sequence
from pathlib import Path

from bot import shipped
from bot.authz.engine import PolicyError, RegoPolicy, Source, is_test_file, run_tests
from bot.authz.engine import TestResult as RegoTestResult
from bot.domain.authz import Action

DEFAULT = "default.rego"


def sources(path: Path, *, tests: bool) -> list[Source]:
    """The policy files at `path` (a file, or every .rego under a folder), read; with
    `tests`, the *_test.rego files too, and a file's own tests beside it (x.rego and
    x_test.rego go together, whichever is named)."""
    files = sorted(path.rglob("*.rego")) if path.is_dir() else [path]
    if tests and not path.is_dir():
        stem = path.name.removesuffix(".rego").removesuffix("_test")
        files = [f for f in (path.with_name(f"{stem}.rego"), path.with_name(f"{stem}_test.rego"))
                 if f.is_file()]
    found = [Source(str(f), f.read_text(encoding="utf-8")) for f in files
             if tests or not is_test_file(f.name)]
    if not found:
        raise PolicyError(f"{path}: no policy files (*.rego)")
    return found


def default_policy_file() -> Path:
    return shipped.policy_dir() / DEFAULT


def settings_data(approvers: Sequence[str]) -> dict:
    """What policies read from settings: `data.settings.approvers` (APPROVERS)."""
    return {"settings": {"approvers": list(approvers)}}


def compile_policy(path: Path | None, approvers: list[str]) -> RegoPolicy:
    """The policy in force, compiled and tried on a sample of every action; PolicyError
    (`file:line: message`) when it would fail."""
    policy = RegoPolicy(sources(path or default_policy_file(), tests=False),
                        data=settings_data(approvers))
    policy.check([sample(action) for action in Action])
    return policy


def test_policy(path: Path, approvers: Sequence[str] = ()) -> list[RegoTestResult]:
    return run_tests(sources(path, tests=True), data=settings_data(approvers))


def sample(action: Action) -> dict:
    """An input of the shape every decision gets, to find what fails only when run."""
    user = {"id": "U0SAMPLE", "groups": [], "roles": [], "approver": False, "member": True}
    incident = {"id": "INC-1", "severity": 2, "status": "mitigating", "private": False,
                "drill": False, "commander": "U0SAMPLE", "declared_by": "U0SAMPLE"}
    document: dict = {"action": str(action), "user": user, "args": {}}
    if action not in (Action.DECLARE, Action.LIST):
        document["incident"] = incident
    return document
