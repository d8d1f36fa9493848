"""A message for something recorded, found by the kind of its notice."""

# Each of these registers the renderers of its lines when imported.
from bot.slack.render import direct, follow_up, handoff, lines
from bot.slack.render.said import render as message

__all__ = ["direct", "follow_up", "handoff", "lines", "message"]
