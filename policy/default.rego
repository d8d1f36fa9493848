# The default incident policy: what applies when POLICY_FILE is not set.
#
# It allows what the bot allowed before policies existed: anyone in the workspace may act on
# any incident, and access requests are decided only by APPROVERS (input.user.approver),
# never by the person who asked. The bot itself still refuses what no policy may allow
# (an approval of one's own request, an unknown status): a policy narrows, never widens.
#
# Decisions read `allow` and `reason` of this package; see policy/strict.rego for a policy
# that narrows who may resolve, close, lower severity and post to the public status page.
package incident.authz

import rego.v1

default allow := false

# Deciding someone's access request.
decisions := {"approve", "deny", "extend"}

allow if not input.action in decisions

allow if {
	input.action in decisions
	input.user.approver
	not own_request
}

own_request if input.args.requester == input.user.id

# Worded as the bot words these refusals itself.
reason := sprintf("Only approvers can %s access requests; you are not one of them.", [input.action]) if {
	input.action in decisions
	not input.user.approver
}

reason := sprintf("You cannot %s your own request %s; ask another approver.", [input.action, input.args.request]) if {
	input.action in decisions
	input.user.approver
	own_request
}
