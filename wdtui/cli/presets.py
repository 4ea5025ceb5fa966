"""``wdtui presets``: the presets as a table — the experiment each comes from, its data, model,
training and the runs it compares — written from the presets' own configs (``--markdown``: the
same table as the README shows it; a test keeps the README equal to it). In a terminal narrower
than ``TABLE_WIDTH`` columns, a block per preset instead (six columns would fold words)."""

from __future__ import annotations

import shutil
import sys
import textwrap
from typing import Sequence

from ..engine.config import Config
from ..engine.describe import data_text, model_text, runs_text, training_text
from ..engine.lessons.presets import PRESETS
from .options import Parser

COLUMNS = ("preset", "experiment", "data", "model", "training", "compared")


def rows() -> list[tuple[str, ...]]:
    """One row per preset, from the values in its config."""
    out = []
    for preset in PRESETS.values():
        cfg = Config(preset=preset.name, **preset.config)  # unchecked: cifar10/custom need a path
        per_run = all(run.dropout is not None for run in preset.runs)  # dropout's: 0.5 and 0, each its own
        out.append((preset.name, preset.source, data_text(cfg), model_text(cfg, per_run), training_text(cfg),
                    runs_text(preset.runs)))
    return out


TABLE_WIDTH = 140  # narrower, six columns fold words ("experimen / t"): a block per preset instead


def table():
    """The presets as one rich table, a row each (terminals of ``TABLE_WIDTH`` and more)."""
    from rich import box
    from rich.table import Table

    out = Table(box=box.SIMPLE_HEAD, show_lines=True)
    for i, column in enumerate(COLUMNS):  # a preset's name whole (it is what --preset takes)
        out.add_column(column, overflow="fold", no_wrap=i == 0, min_width=max(map(len, PRESETS)) if i == 0 else None)
    for row in rows():
        out.add_row(*row)
    return out


def blocks(width: int) -> str:
    """The presets for a narrower terminal: per preset its name and experiment, then one
    labelled line each for data, model, training and the runs compared, wrapped between words
    at ``width``."""
    label = max(map(len, COLUMNS[2:])) + 2
    out = []
    for name, source, *cells in rows():
        out += textwrap.wrap(f"{name} — {source}", width=width, subsequent_indent="  ", break_long_words=False,
                             break_on_hyphens=False)
        for column, text in zip(COLUMNS[2:], cells):
            out += textwrap.wrap(text, width=width, initial_indent=f"  {column:<{label}}",
                                 subsequent_indent=" " * (label + 2), break_long_words=False, break_on_hyphens=False)
        out.append("")
    return "\n".join(out).rstrip("\n")


def markdown() -> str:
    """The table in Markdown, as the README has it."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows():
        lines.append("| " + " | ".join([f"`{row[0]}`", *map(cell, row[1:])]) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    parser = Parser(prog="wdtui presets", description="List the presets: the experiment each comes "
                    "from, its data, model, training and the runs it compares.")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (as in the README)")
    parser.add_argument("--verbose", action="store_true",
                        help="also each preset's guide: what to look for and what the numbers show")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown())
    else:
        from rich.console import Console

        console = Console()
        if not console.is_terminal:  # piped: no terminal width to respect
            console.width = 160
        if console.width >= TABLE_WIDTH:
            console.print(table())
        else:
            print(blocks(console.width))
    # the guides wrapped to the terminal (at 80 columns a fixed 96 had split "0.030–0.035")
    width = min(96, shutil.get_terminal_size((98, 24)).columns - 2) if sys.stdout.isatty() else 96
    if args.verbose:
        for preset in PRESETS.values():
            print(f"\n{preset.name}")
            for line in textwrap.wrap(preset.guide, width=width, break_long_words=False, break_on_hyphens=False):
                print("  " + line)
    return 0
