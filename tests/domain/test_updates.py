from datetime import UTC, datetime, timedelta

from bot.domain.updates import compose, spoken


def test_an_update_says_when_the_next_one_comes_as_a_time():
    now = datetime(2026, 3, 14, 14, 0, tzinfo=UTC)
    assert compose(impact="EU checkout fails", doing="rolling back", next_in=timedelta(minutes=30),
                   now=now) == ("*Impact:* EU checkout fails *Now:* rolling back "
                                "*Next update:* in 30 min (by 14:30 UTC)")
    late = compose(impact="x", doing="y", next_in=timedelta(hours=11), now=now)
    assert late.endswith("in 11 h (by 2026-03-15 01:00 UTC)")


def test_durations_are_spoken():
    assert spoken(timedelta(hours=1, minutes=30)) == "1 h 30 min"
    assert spoken(timedelta(days=1)) == "1 d"
    assert spoken(timedelta(seconds=45)) == "45 s"
