"""The ``wdtui`` command: the app by default, or a subcommand.

Each subcommand has its own parser and imports torch (or textual) only once it runs, so that
``wdtui --help`` and ``wdtui <command> --help`` answer at once, even over a slow SSH link.
"""

from __future__ import annotations

import importlib
import sys
from typing import Sequence

COMMANDS = {
    "run": ("wdtui.cli.run", "train headless, one run per λ; summary table, JSON/CSV output"),
    "presets": ("wdtui.cli.presets", "list the presets and the experiment each comes from"),
    "sweep": ("wdtui.cli.sweep", "train one copy per λ as one batched model: the test-loss U-curve"),
    "snapshot": ("wdtui.cli.snapshot", "train in the app without a screen, save the final screen as SVG"),
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        module = importlib.import_module(COMMANDS[argv[0]][0])
        return module.main(argv[1:])
    from . import app_command

    return app_command.main(argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
