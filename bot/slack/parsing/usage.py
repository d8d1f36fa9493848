"""How each command is written, and the error that shows it to someone who wrote it wrong."""

from bot.domain.lifecycle import SETTABLE

USAGE = {
    "declare": "/incident declare <sev1-4|p1-4> <slug> [title…] [--service <name>]… "
               "[--type <type>] [--private] [--drill]   (with --type the severity may be "
               "left out; no arguments: opens a form)",
    "log": "/incident log <text>",
    "service": "/incident service <name>   (ties the incident to a service of the catalog)",
    "oncall": "/incident oncall [service]   (who is on call now; here: for the incident's services)",
    "status": "/incident status <" + "|".join(SETTABLE) + "> [rationale]",
    "severity": "/incident severity <sev1-4|p1-4> <rationale>",
    "commander": "/incident commander @user",
    "role": "/incident role <role> @user   (commander, comms, scribe, ops, or one in ROLES)",
    "handoff": "/incident handoff @next-commander [notes]",
    "invite": "/incident invite @user… | @user-group…",
    "update": "/incident update <text for stakeholders>   (no text: opens a form)",
    "action": "/incident action <text> [@owner] | done <n> | due <n> <YYYY-MM-DD>",
    "rootcause": "/incident rootcause <text>   (sets or replaces it, also after resolve)",
    "resolve": "/incident resolve [root cause]",
    "page": "/incident page <service|@user> [message]   (services: PAGERDUTY_SERVICES)",
    "statuspage": "/incident statuspage <investigating|identified|monitoring|resolved> "
                  "<public text>",
    "runbook": "/incident runbook <RUN-id|name>   (no name: list the runbooks)",
    "access": "/incident access request <what> for <duration> [because <reason>]"
              " | deny <AR-n> [reason] | revoke <AR-n> | list",
    "approve": "/approve [AR-n] [for <duration>]",
    "timeline": "/incident timeline [n]   (the last n events, default 15)",
    "list": "/incident list [--drills]   (open incidents, from any channel)",
    "can": "/incident can <action> [args]   (would the policy let you? e.g. "
           "`can resolve`, `can severity sev3`, `can approve AR-2`)",
    "help": "/incident help",
}


class UsageError(ValueError):
    """Command text that says no request: the problem, then how that command is written
    (every command's usage when it was no command at all)."""

    def __init__(self, problem: str, command: str | None = None) -> None:
        self.problem, self.command = problem, command
        super().__init__(problem)

    def message(self) -> str:
        usage = [USAGE[self.command]] if self.command else list(USAGE.values())
        return f"{self.problem}\nUsage:\n" + "\n".join(f"`{line}`" for line in usage)


def help_text(severities: list[str] | None = None) -> str:
    """Every command, then what each severity means (`criteria_lines`) when given."""
    text = "Incident commands:\n" + "\n".join(f"`{line}`" for line in USAGE.values())
    if severities:
        text += "\n\nSeverity:\n" + "\n".join(f"• {line}" for line in severities)
    return text
