"""``wdtui [options]``: open the app (placeholder until the app lands)."""

from __future__ import annotations

from typing import Sequence

from .main import COMMANDS
from .options import Parser, add_engine_options


def build_parser() -> Parser:
    commands = "\n".join(f"  wdtui {name:<9} {help}" for name, (_, help) in COMMANDS.items())
    import argparse

    parser = Parser(prog="wdtui", formatter_class=argparse.RawDescriptionHelpFormatter,
                    description="Explore weight decay by training small networks live.\n\ncommands:\n" + commands
                    + "\n\n`wdtui COMMAND --help` for each command's options.")
    add_engine_options(parser, lambdas=False)
    return parser


def main(argv: Sequence[str]) -> int:
    build_parser().parse_args(argv)
    print("the app is not built yet; try `wdtui run`")
    return 0
