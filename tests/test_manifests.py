"""Slack's app manifests: manifest.yml (Slack sends requests to a public URL) and
manifest.socket-mode.yml (the bot connects out) make the same app, whichever one an
operator pastes."""

import copy
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
OVER_HTTP = yaml.safe_load((ROOT / "manifest.yml").read_text())
SOCKET_MODE = yaml.safe_load((ROOT / "manifest.socket-mode.yml").read_text())


def scopes(manifest: dict) -> list[str]:
    return manifest["oauth_config"]["scopes"]["bot"]


def commands(manifest: dict) -> list[dict]:
    return [{k: v for k, v in c.items() if k != "url"} for c in manifest["features"]["slash_commands"]]


def events(manifest: dict) -> list[str]:
    return manifest["settings"]["event_subscriptions"]["bot_events"]


def urls(manifest: dict) -> list[str]:
    """Every place Slack would send requests to."""
    settings = manifest["settings"]
    return ([c["url"] for c in manifest["features"]["slash_commands"] if "url" in c]
            + [part["request_url"] for part in (settings["event_subscriptions"],
                                                settings["interactivity"]) if "request_url" in part])


def without_urls(manifest: dict) -> dict:
    app = copy.deepcopy(manifest)
    for command in app["features"]["slash_commands"]:
        command.pop("url", None)
    for part in ("event_subscriptions", "interactivity"):
        app["settings"][part].pop("request_url", None)
    app["settings"].pop("socket_mode_enabled")
    return app


def test_both_manifests_ask_for_the_same_scopes_commands_shortcuts_and_events():
    assert scopes(SOCKET_MODE) == scopes(OVER_HTTP)
    assert commands(SOCKET_MODE) == commands(OVER_HTTP)
    assert SOCKET_MODE["features"]["shortcuts"] == OVER_HTTP["features"]["shortcuts"]
    assert events(SOCKET_MODE) == events(OVER_HTTP)
    assert SOCKET_MODE["settings"]["interactivity"]["is_enabled"] is True


def test_they_differ_only_in_how_slack_reaches_the_bot():
    assert without_urls(SOCKET_MODE) == without_urls(OVER_HTTP)
    assert OVER_HTTP["settings"]["socket_mode_enabled"] is False
    assert SOCKET_MODE["settings"]["socket_mode_enabled"] is True


def test_over_http_every_request_goes_to_slack_events_and_in_socket_mode_nowhere():
    # Four lines to replace with the public URL: the two commands, events and interactivity.
    assert urls(OVER_HTTP) == ["https://incident-bot.example.com/slack/events"] * 4
    assert urls(SOCKET_MODE) == []
