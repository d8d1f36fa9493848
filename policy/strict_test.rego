# Tests of policy/strict.rego: `incident-bot policy test policy/strict.rego`.
# Each test sets the input's fields with literal values (`with input.user as {…}`): the
# bot's engine takes neither `with input as {…}` for the whole document nor a rule's name
# after `as`.
package incident.authz

import rego.v1

test_the_commander_resolves if {
	allow with input.action as "resolve" with input.user as {"id": "U0ALICE", "roles": ["commander"], "approver": false} with input.incident as {"severity": 2, "drill": false, "commander": "U0ALICE", "declared_by": "U0BOB"}
}

test_someone_else_does_not_resolve_and_is_told_why if {
	not allow with input.action as "resolve" with input.user as {"id": "U0BOB", "roles": [], "approver": false} with input.incident as {"severity": 2, "drill": false, "commander": "U0ALICE", "declared_by": "U0BOB"}
	contains(reason, "commander") with input.action as "resolve" with input.user as {"id": "U0BOB", "roles": [], "approver": false}
		with input.incident as {"severity": 2, "drill": false, "commander": "U0ALICE", "declared_by": "U0BOB"}
}

test_status_closed_is_closing if {
	not allow with input.action as "status" with input.args as {"status": "closed"}
		with input.user as {"id": "U0BOB", "roles": [], "approver": false} with input.incident as {"severity": 2, "drill": false, "commander": "U0ALICE", "declared_by": "U0BOB"}
}

test_other_statuses_are_anyones if {
	allow with input.action as "status" with input.args as {"status": "monitoring"}
		with input.user as {"id": "U0BOB", "roles": [], "approver": false} with input.incident as {"severity": 2, "drill": false, "commander": "U0ALICE", "declared_by": "U0BOB"}
}

test_the_declarer_leads_while_nobody_commands if {
	allow with input.action as "close" with input.user as {"id": "U0BOB", "roles": [], "approver": false} with input.incident as {"severity": 2, "drill": false, "commander": null, "declared_by": "U0BOB"}
}

test_anyone_raises_severity if {
	allow with input.action as "severity" with input.args as {"severity": 1}
		with input.user as {"id": "U0BOB", "roles": [], "approver": false} with input.incident as {"severity": 2, "drill": false, "commander": "U0ALICE", "declared_by": "U0BOB"}
}

test_only_the_commander_lowers_severity if {
	not allow with input.action as "severity" with input.args as {"severity": 3}
		with input.user as {"id": "U0BOB", "roles": [], "approver": false} with input.incident as {"severity": 2, "drill": false, "commander": "U0ALICE", "declared_by": "U0BOB"}
	allow with input.action as "severity" with input.args as {"severity": 3}
		with input.user as {"id": "U0ALICE", "roles": ["commander"], "approver": false} with input.incident as {"severity": 2, "drill": false, "commander": "U0ALICE", "declared_by": "U0BOB"}
}

test_comms_posts_to_statuspage if {
	allow with input.action as "statuspage" with input.user as {"id": "U0CAROL", "roles": ["comms"], "approver": false}
		with input.incident as {"severity": 2, "drill": false, "commander": "U0ALICE", "declared_by": "U0BOB"}
}

test_others_do_not_post_to_statuspage if {
	not allow with input.action as "statuspage" with input.user as {"id": "U0BOB", "roles": [], "approver": false}
		with input.incident as {"severity": 2, "drill": false, "commander": "U0ALICE", "declared_by": "U0BOB"}
}

test_approvers_approve_others_requests if {
	allow with input.action as "approve" with input.args as {"request": "AR-1", "requester": "U0BOB"}
		with input.user as {"id": "U0DAVE", "roles": [], "approver": true} with input.incident as {"severity": 2, "drill": false, "commander": "U0ALICE", "declared_by": "U0BOB"}
}

test_nobody_approves_their_own_request if {
	not allow with input.action as "approve" with input.args as {"request": "AR-1", "requester": "U0DAVE"}
		with input.user as {"id": "U0DAVE", "roles": [], "approver": true} with input.incident as {"severity": 2, "drill": false, "commander": "U0ALICE", "declared_by": "U0BOB"}
}

test_only_approvers_approve if {
	not allow with input.action as "approve" with input.args as {"request": "AR-1", "requester": "U0ALICE"}
		with input.user as {"id": "U0BOB", "roles": [], "approver": false} with input.incident as {"severity": 2, "drill": false, "commander": "U0ALICE", "declared_by": "U0BOB"}
}

test_drills_allow_everything if {
	allow with input.action as "resolve" with input.user as {"id": "U0BOB", "roles": [], "approver": false} with input.incident as {"severity": 2, "drill": true, "commander": "U0ALICE", "declared_by": "U0ALICE"}
	allow with input.action as "statuspage" with input.user as {"id": "U0BOB", "roles": [], "approver": false} with input.incident as {"severity": 2, "drill": true, "commander": "U0ALICE", "declared_by": "U0ALICE"}
}

test_everyone_logs_and_declares if {
	allow with input.action as "log" with input.user as {"id": "U0BOB", "roles": [], "approver": false} with input.incident as {"severity": 2, "drill": false, "commander": "U0ALICE", "declared_by": "U0BOB"}
	allow with input.action as "declare" with input.user as {"id": "U0BOB", "roles": [], "approver": false} with input.args as {"severity": 1}
}
