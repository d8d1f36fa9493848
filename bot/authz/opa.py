"""Decisions from a running OPA server through its Data API (`OPA_URL`).

Each decision is `POST {OPA_URL}/v1/data/incident/authz` with `{"input": <document>}`; OPA
answers `{"result": {"allow": …, "reason": …}}`, or `{}` when the package is not loaded
(an undefined document). Anything short of a 200 with a JSON object is a PolicyError naming
the server and what went wrong, so the caller denies saying why (fails closed). There are
no retries: a person is waiting on the decision, and the timeout is the whole budget.
"""

import json
import os
from typing import Any

import aiohttp

from bot.authz.engine import PACKAGE, PolicyError

DATA_PATH = "/v1/data/" + PACKAGE.replace(".", "/")
# The document `check` asks about at start-up: a read-only action by nobody in particular.
PROBE = {"action": "list",
         "user": {"id": "", "groups": [], "roles": [], "approver": False, "member": False}}
_MESSAGE_LIMIT = 200


class OpaPolicy:
    """A policy held by an OPA server; `evaluate` answers within `timeout` seconds or fails."""

    # The policy text is out of sight, so every part of the input is worked out for it.
    reads = frozenset({"groups", "roles", "member"})

    def __init__(self, url: str, timeout: float, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._session: aiohttp.ClientSession | None = None

    async def evaluate(self, document: dict) -> tuple[bool, str]:
        """(allow, reason) for an input document; PolicyError when OPA cannot answer."""
        answer = await self._ask(document)
        result = answer.get("result")
        if not isinstance(result, dict):
            return False, ""  # undefined (the package is not loaded): nothing allows
        reason = result.get("reason")
        return result.get("allow") is True, reason if isinstance(reason, str) else ""

    async def check(self, document: dict | None = None) -> str | None:
        """What stops decisions being made, in a sentence, or None. Start-up goes on either
        way: while OPA cannot answer, every decision denies saying why."""
        try:
            answer = await self._ask(PROBE if document is None else document)
        except PolicyError as error:
            return str(error)
        if "result" not in answer:
            return (f"OPA at {self.url}: data.{PACKAGE} is undefined there "
                    f"(is the policy with `package {PACKAGE}` loaded?)")
        return None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _ask(self, document: dict) -> dict[str, Any]:
        where = f"OPA at {self.url}"
        try:
            if self._session is None or self._session.closed:
                self._session = aiohttp.ClientSession()
            async with self._session.post(
                    self.url + DATA_PATH, json={"input": document}, headers=self._headers,
                    timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                status = response.status
                raw = await response.read()
        except TimeoutError:
            raise PolicyError(f"{where}: no answer within {self.timeout:g}s") from None
        except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError) as error:
            raise PolicyError(f"{where}: not a URL it can call ({_one_line(str(error))})") from None
        except aiohttp.ClientConnectorError as error:
            raise PolicyError(f"{where}: cannot connect ({_reason(error.os_error)})") from None
        except aiohttp.ClientError as error:
            raise PolicyError(f"{where}: {_one_line(str(error)) or type(error).__name__}") from None
        except Exception as error:  # a decision fails closed, whatever went wrong
            raise PolicyError(f"{where}: {type(error).__name__}: {_one_line(str(error))}") from None
        if status != 200:
            raise PolicyError(f"{where}: answered HTTP {status}{_opa_error(raw)}")
        try:
            answer = json.loads(raw)
        except ValueError:
            raise PolicyError(f"{where}: the answer is not JSON: {_one_line(_text(raw))!r}") from None
        if not isinstance(answer, dict):
            raise PolicyError(f"{where}: the answer is not a JSON object")
        return answer


def _reason(error: OSError) -> str:
    """`Connection refused`, `Name or service not known`: the system's words, without the
    address the message already names."""
    if error.errno is not None and error.errno > 0:
        return os.strerror(error.errno)
    return _one_line(error.strerror or str(error)) or type(error).__name__


def _opa_error(raw: bytes) -> str:
    """OPA's error body (`{"code": …, "message": …}`) as `: code: message`, else the text."""
    try:
        body = json.loads(raw)
    except ValueError:
        text = _one_line(_text(raw))
        return f": {text}" if text else ""
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        code = body.get("code")
        return f": {code}: {_one_line(body['message'])}" if isinstance(code, str) else \
            f": {_one_line(body['message'])}"
    return ""


def _text(raw: bytes) -> str:
    return raw.decode(errors="replace")


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MESSAGE_LIMIT else line[:_MESSAGE_LIMIT - 1] + "…"
