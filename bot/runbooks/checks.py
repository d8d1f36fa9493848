"""Running a check a runbook declares: bounded in time and size, secrets masked.

Only the runbook file decides what runs; nothing typed in Slack reaches a shell.
"""

import asyncio
import contextlib
import os
import re
import signal
from dataclasses import dataclass

import aiohttp

from bot.runbooks.format import Check

SHOWN_LIMIT = 3000
KEPT_LIMIT = 64_000
_SECRETS = [
    # Bearer first: in "Authorization: Bearer x" the secret is x, not the word Bearer.
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"), "Bearer [redacted]"),
    (re.compile(r"(?i)\b(password|passwd|secret|token|api[_-]?key)(\s*[=:]\s*)(\S+)"),
     r"\1\2[redacted]"),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{8,}"), "[redacted slack token]"),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "[redacted aws key]"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
     "[redacted private key]"),
]


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


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def _kept(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if len(text) > KEPT_LIMIT:
        text = text[:KEPT_LIMIT] + "\n… (output cut)"
    return redact(text)


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
