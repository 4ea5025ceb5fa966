"""``wdtui presets``: one line per preset, with the experiment it comes from."""

from __future__ import annotations

from typing import Sequence

from ..engine.presets import PRESETS
from .options import Parser


def main(argv: Sequence[str]) -> int:
    Parser(prog="wdtui presets", description="List the presets, one line each.").parse_args(argv)
    width = max(len(name) for name in PRESETS)
    for preset in PRESETS.values():
        compared = ", ".join(run.label() for run in preset.runs)
        print(f"{preset.name:<{width}}  {preset.title}  [{compared}]  — from {preset.source}")
    return 0
