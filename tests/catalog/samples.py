"""A service and the incident types as a team writes them, every field filled in."""

CHECKOUT = """\
name: checkout
aliases: [payments-web, cart]
owner_group: S0CHECKOUT
escalation_policy: PABC123
pagerduty_service: checkout
components: [cmp_checkout]
runbooks: [RUN-004]
tier: 1
"""

TYPES = """\
security:
  description: Suspected breach or leaked credential.
  severity: sev2
  private: true
  announce: false
  statuspage: false
  invite: [S0SECURITY, U0CISO]
  runbooks: [RUN-008]
  postmortem_from: sev4
outage:
  description: Customers cannot use the product.
  severity: p1
  postmortem_from: sev2
"""


def service(name: str, *aliases: str, runbooks: str = "RUN-004") -> str:
    listed = f"aliases: [{', '.join(aliases)}]\n" if aliases else ""
    return (f"name: {name}\n{listed}owner_group: S0TEAM\nescalation_policy: PABC123\n"
            f"runbooks: [{runbooks}]\ntier: 2\n")
