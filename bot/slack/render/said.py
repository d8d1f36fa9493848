"""The renderer of each kind of line said in Slack, found by the notice's type.

Each renderer is registered for its notice class and typed by it, so mypy checks every
field it reads. Buttons, where a line has them, are registered the same way.
"""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from bot.domain.notices import Notice

Names = Mapping[str, str]
L = TypeVar("L", bound=Notice)
Render = Callable[[L, Names], str]
# The buttons, and the value that names their block.
Buttons = Callable[[L], tuple[str, list[dict]]]

LINES: dict[type[Notice], Callable[[Any, Names], str]] = {}
BUTTONS: dict[type[Notice], Callable[[Any], tuple[str, list[dict]]]] = {}


def line(kind: type[L]) -> Callable[[Render[L]], Render[L]]:
    def register(render: Render[L]) -> Render[L]:
        LINES[kind] = render
        return render
    return register


def buttons(kind: type[L]) -> Callable[[Buttons[L]], Buttons[L]]:
    def register(render: Buttons[L]) -> Buttons[L]:
        BUTTONS[kind] = render
        return render
    return register


def renders(kind: type[Notice]) -> bool:
    return kind in LINES
