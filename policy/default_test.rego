# Tests of policy/default.rego: `incident-bot policy test policy/default.rego`.
package incident.authz

import rego.v1

test_anyone_acts_on_any_incident if {
	every action in ["declare", "log", "status", "resolve", "close", "severity", "statuspage",
		"page", "invite", "role", "timeline", "list"] {
		allow with input.action as action with input.user as {"id": "U0BOB", "approver": false}
			with input.incident as {"severity": 2, "drill": false, "commander": "U0ALICE", "declared_by": "U0ALICE"}
	}
}

test_approvers_decide_requests if {
	allow with input.action as "approve" with input.args as {"request": "AR-1", "requester": "U0BOB"}
		with input.user as {"id": "U0DAVE", "approver": true} with input.incident as {"severity": 2, "drill": false, "commander": "U0ALICE", "declared_by": "U0ALICE"}
}

test_others_do_not_and_hear_why if {
	not allow with input.action as "deny" with input.args as {"request": "AR-1", "requester": "U0ALICE"}
		with input.user as {"id": "U0BOB", "approver": false} with input.incident as {"severity": 2, "drill": false, "commander": "U0ALICE", "declared_by": "U0ALICE"}
	reason == "Only approvers can deny access requests; you are not one of them."
		with input.action as "deny" with input.args as {"request": "AR-1", "requester": "U0ALICE"}
		with input.user as {"id": "U0BOB", "approver": false} with input.incident as {"severity": 2, "drill": false, "commander": "U0ALICE", "declared_by": "U0ALICE"}
}

test_nobody_decides_their_own_request if {
	not allow with input.action as "extend" with input.args as {"request": "AR-1", "requester": "U0DAVE"}
		with input.user as {"id": "U0DAVE", "approver": true} with input.incident as {"severity": 2, "drill": false, "commander": "U0ALICE", "declared_by": "U0ALICE"}
}
