"""``wdtui presets``: one line per preset, with the experiment it comes from."""

from __future__ import annotations

import textwrap
from typing import Sequence

from ..engine.presets import PRESETS
from .options import Parser


def main(argv: Sequence[str]) -> int:
    parser = Parser(prog="wdtui presets", description="List the presets, one line each.")
    parser.add_argument("--verbose", action="store_true",
                        help="also each preset's guide: what to look for and what the numbers show")
    args = parser.parse_args(argv)
    width = max(len(name) for name in PRESETS)
    for preset in PRESETS.values():
        compared = ", ".join(run.label() for run in preset.runs)
        print(f"{preset.name:<{width}}  {preset.title}  [{compared}]  — from {preset.source}")
        if args.verbose:
            for line in textwrap.wrap(preset.guide, width=96):
                print(" " * (width + 2) + line)
            print()
    return 0
