"""Rego policies evaluated in process (regopy, the Rego reference interpreter in C++).

A policy is compiled once into a bundle; each decision sets the input and runs the bundle's
one query, which reads `allow` and `reason` of `data.incident.authz` through comprehensions,
so an undefined rule reads as absent instead of making the whole answer undefined.

The library is careful handling to get right: a failed query returns an output whose text is
an error, and printing a failed output crashes the process, so every output is checked
through `_answer` and never printed; compiling prints its errors to the process's stdout, so
that is silenced while a policy compiles.
"""

import contextlib
import ctypes
import json
import os
import re
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from regopy import Interpreter, RegoError
from regopy import rego_shared as native

PACKAGE = "incident.authz"
QUERY = (f"allow := [x | x := data.{PACKAGE}.allow]; "
         f"reason := [y | y := data.{PACKAGE}.reason]")
# Built-ins whose answer is not the input's alone: a policy calling one is never remembered.
_UNSTABLE = re.compile(r"\b(?:time\.|http\.send|rand\.|uuid\.|opa\.runtime|net\.lookup)")
ANSWERS_KEPT = 4096
_TEST_RULE = re.compile(r"^\s*(test_[A-Za-z0-9_]+)\b", re.MULTILINE)
_PACKAGE_LINE = re.compile(r"^\s*package\s+([A-Za-z0-9_.]+)", re.MULTILINE)
_ERROR_AT = re.compile(r"\(error (\d+):")
_OFFSET = re.compile(r"\|(\d+)\|")
_ERROR_MESSAGE = re.compile(r"\(errormsg (\d+):")
_MISSING_FUNCTION = re.compile(r"Function not found: ([A-Za-z0-9_.]+)")
# The engine cannot replace the whole input document inside a rule body (`with input as
# {...}`); replacing its fields (`with input.user as {...}`) works, and says the same.
_WHOLE_INPUT = "has no field `rego-refhead`"
_TOP_LEVEL = re.compile(r"^[A-Za-z_]", re.MULTILINE)
_RULE_NAME = re.compile(r"^(?:default\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(?::=|=|\bif\b|\{|\bcontains\b)",
                        re.MULTILINE)
_WITH_NAME = re.compile(r"\bwith\s+[A-Za-z0-9_.\[\]\"]+\s+as\s+([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()")
_WITH_WHOLE_INPUT = re.compile(r"\bwith\s+input\s+as\b")
WHOLE_INPUT_HINT = ("this engine cannot replace the whole input with `with input as {…}`; "
                    "replace its fields instead: `with input.action as \"resolve\" "
                    "with input.user as {…}`")


@dataclass(frozen=True)
class Source:
    name: str  # the file as people know it (its path), shown in `file:line: message`
    text: str


class PolicyError(Exception):
    """The policy does not compile or cannot answer; `str()` is `file:line: message`."""


@dataclass(frozen=True)
class TestResult:
    name: str  # data.<package>.test_…
    passed: bool
    error: str = ""  # the engine could not run it


_compiling = threading.Lock()


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    with _compiling:
        sys.stdout.flush()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)


def _field(text: str, match: re.Match[str]) -> str:
    """A length-prefixed field of the engine's error text (`12:dir/x.rego`)."""
    start = match.end()
    return text[start:start + int(match.group(1))]


def _located(error: str, sources: Sequence[Source]) -> str:
    """The engine's error as `file:line: message`."""
    message_at = _ERROR_MESSAGE.search(error)
    lines = error.strip().splitlines()
    message = _field(error, message_at) if message_at else lines[0] if lines else ""
    if not message or "has no field" in message:
        # The engine's own state, not a place in a file: most often rules that clash.
        files = ", ".join(s.name for s in sources)
        message = (f"does not compile ({message or 'no detail from the engine'})"
                   + (f"; are two policies loaded together ({files})? Keep one policy per "
                      "file or folder" if len(sources) > 1 else ""))
    where = _ERROR_AT.search(error)
    if where:
        name = _field(error, where)
        offset = _OFFSET.match(error, where.end() + len(name))
        source = next((s for s in sources if s.name == name), None)
        if source is not None and offset:
            line = source.text.count("\n", 0, int(offset.group(1))) + 1
            return f"{name}:{line}: {message}"
    missing = _MISSING_FUNCTION.search(message)
    if missing:
        for source in sources:
            at = source.text.find(missing.group(1) + "(")
            if at >= 0:
                line = source.text.count("\n", 0, at) + 1
                return f"{source.name}:{line}: {message}"
    return f"{sources[0].name if sources else 'policy'}: {message}"


def _answer(interpreter: Interpreter, output: int | None) -> object:
    """The bindings of a query's output, or PolicyError with the engine's message."""
    if not output:
        raise PolicyError(native.rego_get_error(interpreter._impl))
    try:
        if not native.rego_output_ok(output):
            raise PolicyError(native.rego_get_error(interpreter._impl))
        text = native.rego_output_string(output)
    finally:
        native.rego_free_output(output)
    if text.startswith("(error"):
        raise PolicyError(text)
    try:
        return None if text == "undefined" else json.loads(text)
    except ValueError:
        raise PolicyError(f"the engine gave an answer that is not JSON: {text[:200]}") from None


class RegoPolicy:
    """A compiled policy; `decide` answers in about a quarter of a millisecond."""

    def __init__(self, sources: Sequence[Source], data: dict | None = None) -> None:
        if not sources:
            raise PolicyError("no policy files (*.rego)")
        self.sources = list(sources)
        self._data = data or {}
        self._interpreter = Interpreter()
        try:
            with _silenced():
                if self._data:
                    self._interpreter.add_data(self._data)
                for source in self.sources:
                    self._interpreter.add_module(source.name, source.text)
                self._bundle = self._interpreter.build(QUERY, [])
        except RegoError as error:
            raise PolicyError(_located(str(error), self.sources)) from None
        text = "\n".join(s.text for s in self.sources)
        if not re.search(rf"^\s*package\s+{re.escape(PACKAGE)}\s*$", text, re.MULTILINE):
            raise PolicyError(f"{self.sources[0].name}: no `package {PACKAGE}`: "
                              "decisions are read from data.incident.authz.allow and .reason")
        self._deterministic = not _UNSTABLE.search(_without_comments(text))
        self._answers: dict[str, tuple[bool, str]] = {}
        # What the decisions read of the input: the rest is never worked out for them.
        self.reads = frozenset(word for word in ("groups", "roles", "member")
                               if re.search(rf"\b{word}\b", _without_comments(text)))

    async def evaluate(self, document: dict) -> tuple[bool, str]:
        return self.answer(document)

    def answer(self, document: dict) -> tuple[bool, str]:
        """(allow, reason) for an input document; PolicyError if the policy fails on it.
        A policy answers from its input and its compiled data alone, so the same input gets
        the answer it got before without asking the engine (a busy channel asks the same
        question line after line), unless the policy reads the clock, chance or the network."""
        if not self._deterministic:
            return self._ask(document)
        key = json.dumps(document, sort_keys=True, separators=(",", ":"))
        known = self._answers.get(key)
        if known is None:
            known = self._answers[key] = self._ask(document)
            if len(self._answers) > ANSWERS_KEPT:
                self._answers.pop(next(iter(self._answers)))
        return known

    def _ask(self, document: dict) -> tuple[bool, str]:
        self._interpreter.set_input(document)
        output = native.rego.regoBundleQuery(self._interpreter._impl, self._bundle._impl)
        answer = _answer(self._interpreter, output)
        bindings = _bindings(answer)
        allowed, reasons = bindings.get("allow") or [], bindings.get("reason") or []
        reason = reasons[0] if reasons and isinstance(reasons[0], str) else ""
        return allowed == [True], reason

    def check(self, documents: Sequence[dict]) -> None:
        """Evaluate sample inputs: an error the engine finds only when it runs (a function
        that does not exist) is found at start-up, not at 3 AM."""
        for document in documents:
            try:
                self.answer(document)
            except PolicyError as error:
                raise PolicyError(_located(str(error), self.sources)) from None


def is_test_file(name: str) -> bool:
    """OPA's convention: tests live in *_test.rego, and decisions never load them."""
    return name.endswith("_test.rego")


def run_tests(sources: Sequence[Source], data: dict | None = None) -> list[TestResult]:
    """Every rule named test_* (OPA's convention), each passing when it is true. Tests are
    queried one by one on the modules as written: no bundle is built from them."""
    interpreter = Interpreter()
    try:
        with _silenced():
            if data:
                interpreter.add_data(data)
            for source in sources:
                interpreter.add_module(source.name, source.text)
    except RegoError as error:
        raise PolicyError(_located(str(error), sources)) from None
    results = []
    rules = {m.group(1) for source in sources
             for m in _RULE_NAME.finditer(_without_comments(source.text))}
    for source in sources:
        package = _PACKAGE_LINE.search(source.text)
        if package is None:
            continue
        for name in dict.fromkeys(_TEST_RULE.findall(_without_comments(source.text))):
            ref = f"data.{package.group(1)}.{name}"
            named = _named_value(source, name, rules)
            if named:  # the engine would run it without that value: a pass worth nothing
                results.append(TestResult(ref, False, named))
                continue
            interpreter.set_input({})
            try:
                with _silenced():
                    output = native.rego.regoQuery(interpreter._impl, _c(ref))
                value = _expression(_answer(interpreter, output))
            except PolicyError as error:
                message = _located(str(error), sources)
                if _WHOLE_INPUT in message:
                    message = _whole_input_at(sources)
                results.append(TestResult(ref, False, message))
                continue
            results.append(TestResult(ref, value is True))
    return results


def _named_value(source: Source, test: str, rules: set[str]) -> str:
    """`with input.user as alice`: this engine leaves the field unset when `as` is followed by
    a rule's name instead of a value, and the test would pass or fail on nothing."""
    text = _without_comments(source.text)
    start = re.search(rf"^{re.escape(test)}\b", text, re.MULTILINE)
    if start is None:
        return ""
    following = _TOP_LEVEL.search(text, start.end())
    body = text[start.start():following.start() if following else len(text)]
    found = next((m for m in _WITH_NAME.finditer(body) if m.group(1) in rules), None)
    if found is None:
        return ""
    line = text.count("\n", 0, start.start() + found.start()) + 1
    return (f"{source.name}:{line}: `as {found.group(1)}`: this engine does not read a rule "
            "after `as`; write the value itself (`as {\"id\": \"U0BOB\"}`)")


def _whole_input_at(sources: Sequence[Source]) -> str:
    for source in sources:
        found = _WITH_WHOLE_INPUT.search(_without_comments(source.text))
        if found:
            line = source.text.count("\n", 0, found.start()) + 1
            return f"{source.name}:{line}: {WHOLE_INPUT_HINT}"
    return WHOLE_INPUT_HINT


def _c(text: str) -> ctypes.Array[ctypes.c_char]:
    return ctypes.create_string_buffer(text.encode())


def _bindings(answer: object) -> dict:
    if isinstance(answer, dict):
        found = answer.get("bindings")
        return found if isinstance(found, dict) else {}
    return {}


def _expression(answer: object) -> object:
    if isinstance(answer, dict) and answer.get("expressions"):
        return answer["expressions"][0]
    return None


def _without_comments(text: str) -> str:
    return re.sub(r"#[^\n]*", "", text)
