"""Paging systems the bot talks to, each an adapter at the edge like bot/slack/."""
