"""Every Web API method the stand-in answers, by Slack's name; any other is `unknown_method`."""

from bot.standin.slack_api import auth, chat, conversations, files, people, pins_reactions, views
from bot.standin.slack_api.workspace import Method

METHODS: dict[str, Method] = {
    **auth.METHODS, **conversations.METHODS, **chat.METHODS, **pins_reactions.METHODS,
    **people.METHODS, **views.METHODS, **files.METHODS,
}
