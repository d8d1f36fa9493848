"""Secrets stay out of the record: text is scanned with detect-secrets' detectors before it
is recorded, and each secret found is replaced by `[redacted: <kind>]`.

The timeline is append-only, hash-chained and committed to git: a password that got in could
never be taken out again, so every edge that takes in text (commands, forms, captured
messages, alerts, runbook check output) calls `redact` first and keeps only what it returns.

Whether to redact is one switch for the whole process (REDACT_SECRETS): the runtime calls
`configure` once at start; until it does, redaction is on. A switch rather than an object
handed around, because the text comes in at edges built in unrelated places (Bolt listeners,
the delivery workspace, the alert webhook, a service running checks), and threading one
boolean through each of their constructors would change them all for nothing they use.

The detectors are built once, here, at import: building them per call would cost more than
the scan.
"""

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from re import Pattern

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.filters.heuristic import (
    is_indirect_reference,
    is_likely_id_string,
    is_not_alphanumeric_string,
    is_potential_uuid,
    is_prefixed_with_dollar_sign,
    is_sequential_string,
    is_templated_secret,
)
from detect_secrets.plugins import keyword
from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector
from detect_secrets.plugins.keyword import KeywordDetector
from prometheus_client import Counter

REDACTIONS = Counter("incident_bot_redactions",
                     "Secrets replaced in text before it was recorded, by kind", ["kind"],
                     registry=None)


class BearerTokenDetector(RegexBasedDetector):
    """`Authorization: Bearer …` as curl -v and HTTP dumps show it: detect-secrets has no
    detector for it. The token must hold a digit, so "bearer authentication" is prose."""

    secret_type = "Bearer Token"
    denylist = (re.compile(r"(?i)\bbearer\s+((?=[\w.~+/-]*\d)[\w.~+/-]{16,}=*)"),)


# Each detector's kind (in `[redacted: <kind>]` and the counter's label) and how the person
# is told about it. A detector a later detect-secrets ships gets a kind from its own name.
KINDS: Mapping[str, tuple[str, str]] = {
    "AWSKeyDetector": ("aws-access-key", "an AWS access key"),
    "SlackDetector": ("slack-token", "a Slack token"),
    "GitHubTokenDetector": ("github-token", "a GitHub token"),
    "GitLabTokenDetector": ("gitlab-token", "a GitLab token"),
    "PrivateKeyDetector": ("private-key", "a private key"),
    "BasicAuthDetector": ("url-credentials", "a password in a URL"),
    "JwtTokenDetector": ("jwt", "a JSON Web Token"),
    "KeywordDetector": ("password", "a value given to a password or key"),
    "BearerTokenDetector": ("bearer-token", "a bearer token"),
    "StripeDetector": ("stripe-key", "a Stripe key"),
    "TwilioKeyDetector": ("twilio-key", "a Twilio key"),
    "SendGridDetector": ("sendgrid-key", "a SendGrid key"),
    "MailchimpDetector": ("mailchimp-key", "a Mailchimp key"),
    "OpenAIDetector": ("openai-key", "an OpenAI key"),
    "DiscordBotTokenDetector": ("discord-token", "a Discord token"),
    "TelegramBotTokenDetector": ("telegram-token", "a Telegram token"),
    "NpmDetector": ("npm-token", "an npm token"),
    "PypiTokenDetector": ("pypi-token", "a PyPI token"),
    "SquareOAuthDetector": ("square-secret", "a Square secret"),
    "AzureStorageKeyDetector": ("azure-storage-key", "an Azure storage key"),
    "ArtifactoryDetector": ("artifactory-credentials", "Artifactory credentials"),
    "CloudantDetector": ("cloudant-credentials", "Cloudant credentials"),
    "IbmCloudIamDetector": ("ibm-cloud-key", "an IBM Cloud key"),
    "IbmCosHmacDetector": ("ibm-cos-key", "an IBM COS key"),
    "SoftlayerDetector": ("softlayer-credentials", "SoftLayer credentials"),
}
# Entropy alone flags commit SHAs, hashes and ids, which incidents are full of; a public IP
# address is a fact of the incident, not a secret.
OFF = frozenset({"Base64HighEntropyString", "HexHighEntropyString", "IPPublicDetector"})

# What people type: a keyword given a value with `=` (DB_PASSWORD=…), or with `:` only when the
# value is quoted — "Password: reset for everyone" is prose.
PROSE_KEYWORDS: Mapping[Pattern[str], int] = {
    **keyword.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP,
    keyword.FOLLOWED_BY_EQUAL_SIGNS_REGEX: 5,
}
# What programs print (a check's output): config-file rules, where `password: x` is a value.
OUTPUT_KEYWORDS: Mapping[Pattern[str], int] = keyword.CONFIG_DENYLIST_REGEX_TO_GROUP

# The detector sees the first line of a key; the whole block goes, up to its END line (or to
# the end of the text, when the paste stopped short of it).
_KEY_BLOCK = re.compile(r"-{4,5} ?BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-{4,5}.*?"
                        r"(?:-{4,5} ?END [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-{4,5}|\Z)"
                        r"|PuTTY-User-Key-File-\d.*?(?:Private-MAC:[ \t]*\S+|\Z)", re.S)


@dataclass(frozen=True)
class Redacted:
    """Text as it may be recorded, and the kinds of secret taken out (in order, each once)."""

    text: str
    kinds: tuple[str, ...] = ()


_TOKEN = re.compile(r"[\w~+/-]")


def _tokens(plugin: RegexBasedDetector, text: str) -> Iterator[str]:
    """The whole token at each place the detector found a secret. Some detectors give only
    part of it (GitHub's its `ghp` prefix, the JWT one leaves off the signature), so each
    of its patterns is matched again for where the part it gave stands, and that is widened
    to the token around it: a dot inside it, and = padding after it, are part of it."""
    found = set(plugin.analyze_string(text))
    if not found:
        return
    for pattern in plugin.denylist:
        for match in pattern.finditer(text):
            groups = [n for n in range(1, (match.re.groups or 0) + 1) if match.group(n)] or [0]
            for n in groups:
                if match.group(n) in found:
                    yield _widened(text, *match.span(n))


def _widened(text: str, start: int, end: int) -> str:
    while start > 0 and (_TOKEN.match(text[start - 1]) or (
            text[start - 1] == "." and start > 1 and _TOKEN.match(text[start - 2]))):
        start -= 1
    while end < len(text) and (_TOKEN.match(text[end]) or (
            text[end] == "." and end + 1 < len(text) and _TOKEN.match(text[end + 1]))):
        end += 1
    while end < len(text) and text[end] == "=":
        end += 1
    return text[start:end]


def _kind_of(plugin: BasePlugin) -> str:
    name = type(plugin).__name__
    if name in KINDS:
        return KINDS[name][0]
    return re.sub(r"[^a-z0-9]+", "-", str(plugin.secret_type).lower()).strip("-")


def _detectors() -> list[BasePlugin]:
    """Every detector detect-secrets ships (those a later version adds too), but the OFF ones."""
    shipped: Iterable[type[BasePlugin]] = get_mapping_from_secret_type_to_class().values()
    return [cls() for cls in shipped if cls.__name__ not in OFF] + [BearerTokenDetector()]


# Every keyword the detector looks for holds one of these; its own regexes (an alternation
# under IGNORECASE) cost 0.1 ms on a line of prose, so a line without any skips them.
_KEYWORD_STEMS = re.compile("key|pass|pwd|secret|contrase")


def _a_variable(secret: str, line: str, plugin: BasePlugin) -> bool:
    """detect-secrets' own heuristics for a keyword's value that is no secret: a template,
    a $VARIABLE, a call, an id, a UUID, ABCDEF…, or no letters at all."""
    return (is_templated_secret(secret) or is_prefixed_with_dollar_sign(secret)
            or is_indirect_reference(line) or is_likely_id_string(secret, line, plugin)
            or is_potential_uuid(secret) or is_sequential_string(secret)
            or is_not_alphanumeric_string(secret))


class Scanner:
    """detect-secrets' detectors, built once.

    detect-secrets scans line by line. Its vendor detectors' patterns never cross a line
    break, so they run once over the whole text (a check's output has thousands of lines);
    the keyword detector's values run to the end of a line, so it reads line by line."""

    def __init__(self, keywords: Mapping[Pattern[str], int]) -> None:
        self.keywords = dict(keywords)
        self.detectors = [(plugin, _kind_of(plugin)) for plugin in _detectors()]

    def secrets(self, text: str) -> Iterator[tuple[str, str]]:
        """(secret, kind) for each secret the text holds."""
        for plugin, kind in self.detectors:
            if isinstance(plugin, KeywordDetector):
                yield from ((secret, kind) for secret in self._keyword_values(plugin, text))
            elif isinstance(plugin, RegexBasedDetector):
                yield from ((token, kind) for token in _tokens(plugin, text))
            else:
                yield from ((secret, kind) for secret in plugin.analyze_string(text))

    def _keyword_values(self, plugin: KeywordDetector, text: str) -> Iterator[str]:
        for line in text.splitlines():
            if not _KEYWORD_STEMS.search(line.casefold()):
                continue
            for secret in plugin.analyze_string(line, denylist_regex_to_group=self.keywords):
                if not _a_variable(secret, line, plugin):
                    yield secret

    def redact(self, text: str) -> Redacted:
        found: dict[str, str] = {}  # secret → kind
        for secret, kind in self.secrets(text):
            found.setdefault(secret, kind)
        if not found:
            return Redacted(text)
        parts, kinds, at = [], [], 0
        for start, end, kind in _spans(text, found):
            parts += [text[at:start], f"[redacted: {kind}]"]
            at = end
            if kind not in kinds:
                kinds.append(kind)
        parts.append(text[at:])
        return Redacted("".join(parts), tuple(kinds))


def _spans(text: str, found: Mapping[str, str]) -> list[tuple[int, int, str]]:
    """Where each secret is, every time it occurs (a private key: its whole block); where
    two overlap, the earlier and then the longer one is taken."""
    spans = []
    key_kind = KINDS["PrivateKeyDetector"][0]
    if key_kind in found.values():
        blocks = [(m.start(), m.end(), key_kind) for m in _KEY_BLOCK.finditer(text)]
        # A key in a shape the block is not known by: all from its first line on goes.
        first = min(text.find(secret) for secret, kind in found.items() if kind == key_kind)
        spans += blocks or [(first, len(text), key_kind)]
    for secret, kind in found.items():
        if kind != key_kind:
            spans += [(start, end, kind) for start, end in _occurrences(secret, text)]
    kept: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(spans, key=lambda s: (s[0], -s[1])):
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, end, kind))
    return kept


def _occurrences(secret: str, text: str) -> list[tuple[int, int]]:
    """Every place the secret stands as a token of its own: a short password is not taken
    out of the middle of other words. Where it only ever stands inside another token, each
    place it appears."""
    places, at = [], text.find(secret)
    while at >= 0:
        places.append((at, at + len(secret)))
        at = text.find(secret, at + len(secret))
    alone = [(start, end) for start, end in places
             if not (start and _TOKEN.match(text[start - 1]))
             and not (end < len(text) and _TOKEN.match(text[end]))]
    return alone or places


PROSE = Scanner(PROSE_KEYWORDS)
OUTPUT = Scanner(OUTPUT_KEYWORDS)
_enabled = True


def configure(*, enabled: bool) -> None:
    """REDACT_SECRETS for this process; the runtime calls it once at start."""
    global _enabled
    _enabled = enabled


def enabled() -> bool:
    return _enabled


def redact(text: str) -> Redacted:
    """What a person wrote (a command, a form, a captured message, an alert), ready to record."""
    return _counted(PROSE.redact(text)) if _enabled else Redacted(text)


def redact_output(text: str) -> Redacted:
    """What a program printed (a runbook check), ready to record: `password: x` counts too."""
    return _counted(OUTPUT.redact(text)) if _enabled else Redacted(text)


def _counted(redacted: Redacted) -> Redacted:
    for kind in redacted.kinds:
        REDACTIONS.labels(kind=kind).inc()
    return redacted


def told(kinds: Iterable[str]) -> str:
    """The sentence that tells a person what was taken out of what they wrote, and why."""
    names = {kind: said for kind, said in KINDS.values()}
    said = [names.get(kind, f"a secret ({kind})") for kind in kinds]
    listed = said[0] if len(said) == 1 else ", ".join(said[:-1]) + " and " + said[-1]
    them = "it if it was" if len(said) == 1 else "them if they were"
    return (f"Redacted before recording: {listed}. Secrets never enter the incident record; "
            f"rotate {them} real.")
