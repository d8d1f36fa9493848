"""The embedded engine as a policy author meets it: a decision, a mistake located by file and
line, and a test that could only pass on nothing reported instead of passed."""

import pytest

from bot.authz.engine import PolicyError, RegoPolicy, Source, run_tests

HEAD = "package incident.authz\nimport rego.v1\n"


def test_a_policy_without_allow_for_an_action_refuses_it():
    policy = RegoPolicy([Source("p.rego", HEAD + 'allow if input.action == "log"\n')])

    assert policy.answer({"action": "log"}) == (True, "")
    assert policy.answer({"action": "resolve"}) == (False, "")  # undefined reads as a no


def test_the_parts_of_the_input_a_policy_reads_are_known():
    grouped = RegoPolicy([Source("p.rego", HEAD + 'allow if "S0ONCALL" in input.user.groups\n')])
    plain = RegoPolicy([Source("p.rego", HEAD + "# roles and groups are not read\nallow := true\n")])

    assert grouped.reads == {"groups"}
    assert plain.reads == frozenset()


def test_a_syntax_error_is_reported_at_its_line():
    with pytest.raises(PolicyError) as error:
        RegoPolicy([Source("team/p.rego", HEAD + "\nallow if {\n  input.user.id = \n}\n")])
    assert str(error.value) == "team/p.rego:5: Invalid assignment operator"


def test_a_test_naming_a_rule_after_as_is_an_error_not_a_pass():
    policy = Source("p.rego", HEAD + 'allow if input.user.id == "U0BOB"\nbob := {"id": "U0BOB"}\n')
    tests = Source("p_test.rego", HEAD + "\ntest_named if {\n\tnot allow with input.user as bob\n}\n"
                                         "test_local if {\n\tu := {\"id\": \"U0BOB\"}\n"
                                         "\tallow with input.user as u\n}\n")

    named, local = run_tests([policy, tests])

    assert not named.passed and named.error.startswith("p_test.rego:5: `as bob`")
    assert local.passed


def test_replacing_the_whole_input_is_pointed_at():
    policy = Source("p.rego", HEAD + 'allow if input.action != "resolve"\n')
    tests = Source("p_test.rego", HEAD + '\ntest_whole if { allow with input as {"action": "log"} }\n')

    [result] = run_tests([policy, tests])

    assert not result.passed
    assert result.error.startswith("p_test.rego:4: this engine cannot replace the whole input")
