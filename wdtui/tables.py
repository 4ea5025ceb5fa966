"""Rich tables shown by both faces (the CLI prints them, the app displays them). Imports neither
torch nor textual."""

from __future__ import annotations

import math
from typing import Sequence

from rich import box
from rich.table import Table

from .engine.lessons.trends import SHOWN  # a cell as printed: the hint's "prints alike" is this format


def number(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else str(value)


def _heat(t: float | None) -> str:
    """A background from green (t = 0, the lowest) to red (t = 1, the highest); grey: diverged."""
    if t is None:
        return "on grey23"
    return f"on rgb({int(40 + 160 * t)},{int(40 + 160 * (1 - t))},60)"


def rank_scale(values: Sequence[float]) -> dict[float, float]:
    """Each finite value's rank among the distinct finite values, scaled to 0…1. A rank scale
    shows every difference: on a value scale one large loss (a cell near divergence) makes all
    the small ones one colour."""
    distinct = sorted({v for v in values if math.isfinite(v)})
    top = max(len(distinct) - 1, 1)
    return {v: i / top for i, v in enumerate(distinct)}


def short(value: float) -> str:
    """A λ or lr in at most 6 characters: 0, 1e-4, 3e-3, 3.2e-4."""
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.1e}".split("e")
    mantissa = mantissa[:-2] if mantissa.endswith(".0") else mantissa
    return f"{mantissa}e{int(exponent)}"


def grid_tables(grids: Sequence, key: str = "val_loss", colour: bool = True) -> list[Table]:
    """One heatmap per regularizer of the final loss over (lr, λ) (the validation loss, on which
    the best cell is chosen), coloured by rank over both grids so that they compare; the best
    cell of each underlined — and, without ``colour`` (output piped to a file), marked ``*``
    instead, with no colour named. Numbers have three significant digits (fits 80 columns)."""
    scale = rank_scale([v for g in grids for row in g.grid(key) for v in row])
    name = key.replace("_loss", "").replace("val", "validation")
    tables = []
    for grid in grids:
        best = grid.best
        table = Table(title=f"{grid.regularizer}: {name} loss, epoch {grid.record.epoch}",
                      caption="rows lr, columns λ; " + ("green = lowest (by rank), best underlined" if colour else "* = best"), box=box.SIMPLE_HEAD,
                      padding=0, pad_edge=False, title_justify="left", caption_justify="left")
        table.add_column("lr\\λ", justify="right", no_wrap=True, min_width=5)
        for lam in grid.lambdas:  # 5 characters a number: never shrunk to "0.…"
            table.add_column(short(lam), justify="right", no_wrap=True, min_width=5)
        for r, row in enumerate(grid.grid(key)):
            cells = [f"[{_heat(scale.get(v))}{' bold underline' if best == (r, l) else ''}]"
                     f"{SHOWN.format(v) if math.isfinite(v) else 'div'}{'' if colour or best != (r, l) else '*'}[/]"
                     for l, v in enumerate(row)]
            table.add_row(short(grid.lrs[r]), *cells)
        tables.append(table)
    return tables


def best_line(grid) -> str:
    """The grid's best cell by validation loss, and how many other cells the table prints alike
    (at its 3 digits the table cannot tell them from the best: which one wins is within noise)."""
    if grid.best is None:
        return f"{grid.regularizer}: every cell diverged"
    r, l = grid.best
    val = grid.grid("val_loss")
    alike = sum(SHOWN.format(v) == SHOWN.format(val[r][l]) for row in val for v in row if math.isfinite(v)) - 1
    tie = f"; {alike} other cell{'s' if alike > 1 else ''} print{'' if alike > 1 else 's'} alike" if alike else ""
    return (f"{grid.regularizer}: best lr {grid.lrs[r]:.3g}, λ {grid.lambdas[l]:.3g} by validation loss "
            f"(val {number(val[r][l])}, test {number(grid.grid('test_loss')[r][l])}{tie})")
