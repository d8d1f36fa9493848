"""A local stand-in of the Slack Web API that keeps Slack's rules.

Runs on 127.0.0.1 and answers the methods the bot uses with Slack's shapes and
error codes, validates Block Kit, and can be told to fail the way Slack does
(429 with Retry-After, 5xx, hanging). It records every call, so tests can ask
what Slack was asked and what it would show.

The rooms: `workspace` (what Slack holds), one module per method family
(`conversations`, `chat`, `pins_reactions`, `people`, `views`, `files`, `auth`),
`scopes`, `faults`, `socket_mode`, and `server`, which puts them behind HTTP.
"""

from bot.standin.slack_api.chat import MESSAGE_BLOCKS_LIMIT
from bot.standin.slack_api.conversations import CHANNEL_NAME
from bot.standin.slack_api.records import Call, Channel, Message, SlackError, UploadedFile
from bot.standin.slack_api.scopes import SCOPES
from bot.standin.slack_api.server import FakeSlackAPI
from bot.standin.slack_api.workspace import PERMALINK_BASE, PINGS

__all__ = ["CHANNEL_NAME", "MESSAGE_BLOCKS_LIMIT", "PERMALINK_BASE", "PINGS", "SCOPES", "Call",
           "Channel", "FakeSlackAPI", "Message", "SlackError", "UploadedFile"]
