"""Running a check a runbook declares: bounded in time and size, secrets masked.

Only the runbook file decides what runs; nothing typed in Slack reaches a shell.
"""

import asyncio
import contextlib
import os
import signal
import string
from dataclasses import dataclass

import aiohttp

from bot.redaction import redact_output
from bot.runbooks.format import Check

SHOWN_LIMIT = 3000
KEPT_LIMIT = 64_000
# Output cut at the limit ends at the last whole token, so no part of a secret is left
# where the detector would not know it for one.
_TOKEN_CHARS = string.ascii_letters + string.digits + "_~+/=.-"


@dataclass(frozen=True)
class CheckResult:
    output: str  # what is kept (redacted, at most KEPT_LIMIT)
    ok: bool
    note: str = ""  # timed out, refused, exit code…

    @property
    def shown(self) -> str:
        if len(self.output) <= SHOWN_LIMIT:
            return self.output
        return self.output[:SHOWN_LIMIT] + f"\n… ({len(self.output) - SHOWN_LIMIT} more characters)"


def _kept(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if len(text) > KEPT_LIMIT:
        text = text[:KEPT_LIMIT].rstrip(_TOKEN_CHARS) + "\n… (output cut)"
    return redact_output(text).text


async def run_check(check: Check, *, allow_commands: bool) -> CheckResult:
    if check.http:
        return await _http(check, check.http)
    if not allow_commands:
        return CheckResult("", False, "shell checks are off (ALLOW_RUNBOOK_COMMANDS is not true)")
    assert check.run is not None, f"check {check.name} has neither run: nor http:"
    return await _shell(check, check.run)


async def _shell(check: Check, command: str) -> CheckResult:
    process = await asyncio.create_subprocess_shell(
        command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        start_new_session=True)
    try:
        out, _ = await asyncio.wait_for(process.communicate(), check.timeout.total_seconds())
    except TimeoutError:
        # The whole group: a shell's children would otherwise keep running and hold the pipe.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        return CheckResult("", False, f"timed out after {check.timeout.total_seconds():g}s")
    code = process.returncode
    return CheckResult(_kept(out), code == 0, "" if code == 0 else f"exit code {code}")


async def _http(check: Check, url: str) -> CheckResult:
    timeout = aiohttp.ClientTimeout(total=check.timeout.total_seconds())
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, \
                session.get(url, allow_redirects=False) as response:
            body = await response.content.read(KEPT_LIMIT + 1)
            ok = response.status < 400
            return CheckResult(_kept(body), ok, f"HTTP {response.status}")
    except TimeoutError:
        return CheckResult("", False, f"timed out after {check.timeout.total_seconds():g}s")
    except aiohttp.ClientError as exc:
        return CheckResult("", False, f"request failed: {exc}")
