# A stricter incident policy, to copy and adapt: POLICY_FILE=policy/strict.rego
#
# - The commander decides how an incident ends: only they resolve it, close it or lower its
#   severity (while nobody is commander, the person who declared it). Anyone may raise the
#   severity: escalating must never wait for permission.
# - The public status page speaks for the company: only the commander or whoever holds the
#   `comms` role posts to it.
# - Access requests are decided by APPROVERS only, never by the person who asked.
# - Drills are practice: everything is allowed in them.
# - Everything else (logging, updates, steps, roles, paging…) stays open to anyone: at 3 AM
#   the person who sees the problem acts.
#
# Decisions read `allow` and `reason` of this package. The input is described in README.md
# (Policy); policy/strict_test.rego shows how each rule is tested (`incident-bot policy test
# policy/strict.rego`). One policy per file or folder: default.rego and this one, loaded
# together, would be one policy whose rules clash.
package incident.authz

import rego.v1

default allow := false

allow if input.incident.drill

allow if {
	not commanders_only
	not comms_only
	not approvers_only
}

allow if {
	commanders_only
	leads
}

allow if {
	comms_only
	speaks_publicly
}

allow if {
	approvers_only
	input.user.approver
	not own_request
}

# What only the person leading the incident decides.
commanders_only if input.action in {"resolve", "close"}

commanders_only if {
	input.action == "status"
	input.args.status in {"resolved", "closed"}
}

commanders_only if {
	input.action == "severity"
	input.args.severity > input.incident.severity
}

comms_only if input.action == "statuspage"

approvers_only if input.action in {"approve", "deny", "extend"}

# The commander; while there is none, the person who declared the incident.
leads if input.user.id == input.incident.commander

leads if {
	no_commander
	input.user.id == input.incident.declared_by
}

no_commander if input.incident.commander == null

no_commander if not input.incident.commander

speaks_publicly if leads

speaks_publicly if "comms" in input.user.roles

own_request if input.args.requester == input.user.id

reason := "Only the incident commander (or, while there is none, whoever declared it) may resolve, close or lower the severity. Ask them, or take command first: `/incident commander @you`." if {
	commanders_only
	not leads
}

reason := "Only the incident commander or whoever holds the comms role posts to the public status page: `/incident role comms @someone`." if {
	comms_only
	not speaks_publicly
}

reason := sprintf("Only approvers can %s access requests; you are not one of them.", [input.action]) if {
	approvers_only
	not input.user.approver
}

reason := sprintf("You cannot %s your own request %s; ask another approver.", [input.action, input.args.request]) if {
	approvers_only
	input.user.approver
	own_request
}
