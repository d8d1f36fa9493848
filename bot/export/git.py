"""Postmortem drafts in git: each export committed in the work tree that holds it, and pushed.

The `git` CLI, run as a child process with a time limit, never in a request: an owed
commit is delivered like any outbound call, retried until git takes it. Committing a
draft that is already committed is no change and no error, so a retry is harmless.
"""

import asyncio
import contextlib
import os
import re
import signal
import subprocess
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.outbound.metrics import ERROR, OK, REFUSED, RETRY, OutboundCalls

SYSTEM = "git"
TIMEOUT = timedelta(seconds=30)
# Used only where the repository names nobody: commits need an author.
IDENTITY = ("-c", "user.name=incident-bot", "-c", "user.email=incident-bot@localhost")
# A push that wants a password fails at once rather than waiting for a terminal.
ENV = {"GIT_TERMINAL_PROMPT": "0"}
# A remote that was not reached, as git says it: worth another try, not a refusal.
UNREACHABLE = re.compile(r"unable to access|could not resolve|connection (refused|timed out)|"
                         r"network is unreachable|operation timed out", re.IGNORECASE)


class GitFailed(Exception):
    """git refused, could not run, or took too long; the message says which, in one line, and
    `outcome` counts it (bot/outbound/metrics.py)."""

    def __init__(self, reason: str, outcome: str = REFUSED) -> None:
        super().__init__(reason)
        self.outcome = outcome


@dataclass
class Ran:
    code: int
    out: str


class ExportGit:
    def __init__(self, *, push: bool, timeout: timedelta = TIMEOUT,
                 calls: OutboundCalls | None = None) -> None:
        self.push = push
        self.timeout = timeout
        # committed, pushed, failed: read by /metrics.
        self.counts: Counter[str] = Counter()
        self.calls = calls or OutboundCalls()
        # git holds the work tree's index lock while it runs: one command at a time here.
        self._turn = asyncio.Lock()

    async def commit(self, path: Path, message: str) -> None:
        """Commit this file alone, then push when asked. Raises GitFailed."""
        async with self._turn:
            try:
                await self._commit(path, message)
            except GitFailed:
                self.counts["failed"] += 1
                raise

    async def _commit(self, path: Path, message: str) -> None:
        async with self._counted("commit"):
            await self._add_and_commit(path, message)
        if self.push:
            async with self._counted("push"):
                await self._push(path.parent)

    @contextlib.asynccontextmanager
    async def _counted(self, step: str) -> AsyncIterator[None]:
        try:
            yield
        except GitFailed as failed:
            self.calls.add(SYSTEM, step, failed.outcome)
            raise
        except Exception:
            self.calls.add(SYSTEM, step, ERROR)
            raise
        self.calls.add(SYSTEM, step, OK)

    async def _add_and_commit(self, path: Path, message: str) -> None:
        folder, name = path.parent, path.name
        await self._git(folder, "add", "--", name)
        # Exit status 1: the file differs from its last commit; 0: nothing to commit.
        staged = await self._git(folder, "diff", "--cached", "--quiet", "--", name, ok=(0, 1))
        if staged.code:
            named = (await self._git(folder, "config", "user.email", ok=(0, 1))).code == 0
            await self._git(folder, "commit", "--quiet", "-m", message, "--", name,
                            config=() if named else IDENTITY)
            self.counts["committed"] += 1

    async def _push(self, folder: Path) -> None:
        # Pushed every time, not only after a commit: a commit whose push failed goes out
        # with the next try.
        upstream = await self._git(folder, "rev-parse", "--abbrev-ref", "@{upstream}", ok=(0, 128))
        pushed = await self._git(folder, "push", "--porcelain",
                                 *(() if upstream.code == 0 else ("origin", "HEAD")))
        # Porcelain flags a ref that moved with " ", "+" or "*"; "=" is up to date already.
        if any(line[:1] in " +*" and "\t" in line for line in pushed.out.splitlines()):
            self.counts["pushed"] += 1

    async def _git(self, folder: Path, *args: str, ok: tuple[int, ...] = (0,),
                   config: tuple[str, ...] = ()) -> Ran:
        try:
            process = await asyncio.create_subprocess_exec(
                "git", *config, *args, cwd=folder, env=os.environ | ENV,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                start_new_session=True)  # its own process group: a timeout ends ssh too
        except OSError as exc:
            raise GitFailed(f"git {args[0]} could not run in {folder}: {exc.strerror or exc}",
                            ERROR) from None
        try:
            out, err = await asyncio.wait_for(process.communicate(), self.timeout.total_seconds())
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            raise GitFailed(f"git {args[0]} took longer than {self.timeout.total_seconds():g}s",
                            RETRY) from None
        if process.returncode not in ok:
            said = [line.strip() for line in err.decode(errors="replace").splitlines()
                    if line.strip()]
            # git says what went wrong first, then hints at fixes.
            reason = next((line for line in said if line.startswith(("fatal:", "error:"))),
                          said[-1] if said else f"exit status {process.returncode}")
            raise GitFailed(f"git {args[0]}: {reason[:300]}",
                            RETRY if UNREACHABLE.search(reason) else REFUSED)
        return Ran(process.returncode or 0, out.decode(errors="replace"))


def start_up_problem(export_dir: Path, *, push: bool) -> str | None:
    """Why EXPORT_GIT cannot work with this EXPORT_DIR, in one line; None when it can."""
    folder = export_dir.resolve()
    while not folder.is_dir():  # not written yet: the folder that will hold it decides
        folder = folder.parent

    def run(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=folder, env=os.environ | ENV,
                              capture_output=True, text=True, timeout=TIMEOUT.total_seconds(),
                              check=False).stdout.strip()

    try:
        if run("rev-parse", "--is-inside-work-tree") != "true":
            return f"EXPORT_GIT is set, but EXPORT_DIR ({export_dir}) is not inside a git work tree"
        if push and not run("remote"):
            return (f"EXPORT_GIT_PUSH is set, but the git repository holding EXPORT_DIR "
                    f"({export_dir}) has no remote")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"EXPORT_GIT is set, but git does not run: {exc}"
    return None
