"""`python -m bot` and the `incident-bot` command.

Start-up imports a great deal and keeps nearly all of it; collecting garbage meanwhile only
walks it again and again (an eighth of start-up's CPU), so the collector waits until the
imports are done.
"""

import gc


def run() -> None:
    gc.disable()
    try:
        from bot.cli import main
    finally:
        gc.enable()
    main()


if __name__ == "__main__":
    run()
