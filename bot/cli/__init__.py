"""`incident-bot`: serve | demo | db upgrade | runbooks lint | export | verify | audit access |
stats | list. One module per command group; bot/cli/commands.py wires them together."""

from bot.cli.commands import main

__all__ = ["main"]
