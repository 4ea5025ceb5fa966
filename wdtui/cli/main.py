"""The ``wdtui`` command: the app by default, or a subcommand.

Each subcommand has its own parser and imports torch (or textual) only once it runs, so that
``wdtui --help`` and ``wdtui <command> --help`` answer at once, even over a slow SSH link.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from typing import Sequence

COMMANDS = {
    "run": ("wdtui.cli.run", "train headless, one run per λ; summary table, JSON/CSV output"),
    "presets": ("wdtui.cli.presets", "list the presets and the experiment each comes from"),
    "sweep": ("wdtui.cli.sweep", "train one copy per λ as one batched model: the test-loss U-curve"),
    "snapshot": ("wdtui.cli.snapshot", "train in the app without a screen, save the final screen as SVG"),
    "serve": ("wdtui.cli.serve", "the app in a web browser (textual-serve); localhost unless --host"),
}


HEADLESS = ("run", "sweep", "presets")  # commands without a screen: signals end them here


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised where the command is, so that ``finally`` blocks and the atomic
    writes' cleanup run (no temporary file is left behind) before the one-line exit."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, frame: object) -> None:
    raise Terminated(signum)


def run_headless(name: str, argv: list[str]) -> int:
    """A headless command: Ctrl-C ends it with one line and exit status 130, SIGTERM/SIGHUP with
    one line and 128 + the signal's number; no traceback, no temporary file left."""
    previous = {}
    for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None:
            try:
                previous[signum] = signal.signal(signum, _terminate)
            except ValueError:  # not the main thread (called from a test's thread): leave them
                pass
    try:
        module = importlib.import_module(COMMANDS[name][0])
        return module.main(argv)
    except KeyboardInterrupt:
        sys.stderr.write(f"\nwdtui {name}: interrupted (Ctrl-C); nothing was written\n")
        return 130
    except Terminated as stop:
        sys.stderr.write(f"\nwdtui {name}: stopped by {signal.Signals(stop.signum).name}; nothing was written\n")
        return 128 + stop.signum
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except BrokenPipeError:  # `wdtui presets --verbose | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 128 + signal.SIGPIPE


def _main(argv: list[str]) -> int:
    if argv and argv[0] in HEADLESS:
        return run_headless(argv[0], argv[1:])
    if argv and argv[0] in COMMANDS:
        module = importlib.import_module(COMMANDS[argv[0]][0])
        return module.main(argv[1:])
    from . import app_command

    return app_command.main(argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
