"""Incident channel names that Slack accepts: lowercase `a-z0-9-_`, at most 80 characters."""

import re

MAX_LENGTH = 80
_INVALID = re.compile(r"[^a-z0-9_-]+")


def normalize_slug(text: str) -> str:
    """Lowercase, anything Slack refuses becomes '-', no leading/trailing or doubled dashes."""
    slug = _INVALID.sub("-", text.strip().lower())
    return re.sub(r"-{2,}", "-", slug).strip("-_")


def channel_name(number: int, slug: str, attempt: int = 1, *, drill: bool = False) -> str:
    """`inc-<n>-<slug>` (`drill-<n>-<slug>` for a drill, so nobody mistakes it for a real
    outage); the id always survives, only the slug is cut to fit.

    Attempts after the first add `-2`, `-3`… for when the name is taken.
    """
    prefix = f"{'drill' if drill else 'inc'}-{number}-"
    suffix = "" if attempt == 1 else f"-{attempt}"
    room = MAX_LENGTH - len(prefix) - len(suffix)
    return prefix + slug[:room].rstrip("-_") + suffix
