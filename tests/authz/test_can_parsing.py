"""`/incident can …` as people write it: the action, then its arguments as the action's own
command takes them, or as key=value."""

import pytest

from bot.domain.authz import Action
from bot.slack.parsing import Can, UsageError, parse


@pytest.mark.parametrize(("text", "asked"), [
    ("can resolve", Can(Action.RESOLVE)),
    ("can severity sev3", Can(Action.SEVERITY, (("severity", 3),))),
    ("can status closed", Can(Action.STATUS, (("status", "closed"),))),
    ("can role comms", Can(Action.ROLE, (("role", "comms"),))),
    ("can approve AR-2", Can(Action.APPROVE, (("request", "AR-2"),))),
    ("can step risk=high status=done", Can(Action.STEP, (("risk", "high"), ("status", "done")))),
    ("can page checkout", Can(Action.PAGE, (("service", "checkout"),))),
])
def test_a_question_reads_as_its_command_would(text, asked):
    assert parse(text) == asked


@pytest.mark.parametrize(("text", "problem"), [
    ("can", "Say which action to ask about."),
    ("can reboot", "`reboot` is not an action the policy decides."),
    ("can log loudly", "`loudly`: write arguments as key=value"),
])
def test_a_question_it_cannot_read_says_how_to_write_it(text, problem):
    with pytest.raises(UsageError) as refused:
        parse(text)
    assert refused.value.message().startswith(problem)
    assert "/incident can <action> [args]" in refused.value.message()
