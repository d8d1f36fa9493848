import re

_SEVERITY = re.compile(r"^(?:sev|p)-?([1-4])$", re.IGNORECASE)


def parse_severity(text: str) -> int:
    match = _SEVERITY.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not a severity (use sev1…sev4 or p1…p4)")
    return int(match.group(1))


def severity_label(level: int) -> str:
    return f"SEV{level}"
