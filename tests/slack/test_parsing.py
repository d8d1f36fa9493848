import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.lifecycle import Status
from bot.slack import parsing
from bot.slack.render.text import escape


@pytest.mark.parametrize(("text", "expected"), [
    ("declare sev1 db-outage Primary DB down", parsing.Declare(1, "db-outage", "Primary DB down")),
    ("declare P2 DB.Outage", parsing.Declare(2, "db-outage", "")),
    ("declare", parsing.Declare()),
    ("declare sev1 leak Keys in logs --private",
     parsing.Declare(1, "leak", "Keys in logs", private=True)),
    ("declare --private sev2 leak", parsing.Declare(2, "leak", "", private=True)),
    ("declare --private", parsing.Declare(private=True)),
    ("declare sev2 leak --privateer", parsing.Declare(2, "leak", "--privateer")),
    ("update", parsing.Update("")),
    ("log pool at 100%", parsing.Log("pool at 100%")),
    ("status monitoring", parsing.SetStatus(Status.MONITORING, "")),
    ("status mitigating errors are back", parsing.SetStatus(Status.MITIGATING, "errors are back")),
    ("severity sev2 impact contained", parsing.SetSeverity(2, "impact contained")),
    ("commander <@U12|bob>", parsing.Commander("U12", "bob")),
    ("commander <@U12>", parsing.Commander("U12", "")),
    ("update ETA 20 minutes", parsing.Update("ETA 20 minutes")),
    ("action add an alert <@U2|bob>", parsing.Action("add an alert", "U2", "bob")),
    ("action add an alert", parsing.Action("add an alert", None, "")),
    ("resolve leaked connections", parsing.Resolve("leaked connections")),
    ("resolve", parsing.Resolve("")),
    ("help", parsing.Help()),
    ("", parsing.Help()),
])
def test_commands_as_typed(text, expected):
    assert parsing.parse(text) == expected


@pytest.mark.parametrize(("text", "problem", "usage"), [
    ("declare sev9 x", "not a severity", "/incident declare"),
    ("declare sev1", "slug", "/incident declare"),
    ("declare sev1 ---", "no letters or digits", "/incident declare"),
    ("log", "what to log", "/incident log <text>"),
    ("status sideways", "not a status", "/incident status"),
    ("severity sev2", "needs a rationale", "/incident severity"),
    ("commander bob", "@mention", "/incident commander @user"),
    ("action <@U1|bob>", "what needs doing", "/incident action"),
    ("frobnicate now", "Unknown subcommand", "/incident help"),
])
def test_wrong_usage_explains_itself(text, problem, usage):
    with pytest.raises(parsing.UsageError) as caught:
        parsing.parse(text)
    assert problem in caught.value.message()
    assert usage in caught.value.message()


@given(st.text(max_size=200))
def test_any_text_parses_or_explains_itself(text):
    try:
        parsing.parse(text)
    except parsing.UsageError as error:
        assert error.message().strip()


@given(st.text(max_size=200))
def test_escaped_text_never_holds_a_slack_control_sequence(text):
    assert "<" not in escape(text) and ">" not in escape(text)
