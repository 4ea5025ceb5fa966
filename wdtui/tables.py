"""Rich tables shown by both faces (the CLI prints them, the app displays them). Imports neither
torch nor textual."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Sequence

from rich import box
from rich.table import Table

from .engine.lessons.trends import SHOWN, spelled  # a cell as printed: the hint's "prints alike" is this format


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


CELL = 5  # a cell's columns: its colour fills them all (".1" had been a 2-column block beside ".0918")


def cell(value: float) -> str:
    """A grid cell: its 3 significant digits (``SHOWN``) in the shorter of two forms, so that a
    6-λ grid fits beside the app's sidebar at 80 columns: plain with no leading zero (.0902,
    .14, .00951, 10800), or a power with its exponent unpadded (1.2e-5, 1.23e7); 5 characters
    for most losses, 6 below 0.01 (``.00951``: ``9.51e-3`` is 7), 7 for a 3-digit loss below 0.001.
    Two cells print alike exactly when their ``SHOWN`` forms do (a plain form has no ``e``)."""
    if not math.isfinite(value):
        return "div"
    shown = SHOWN.format(value)
    plain = format(Decimal(shown), "f")
    plain = plain[1:] if plain.startswith("0.") else plain.replace("-0.", "-.", 1)
    mantissa, _, exponent = f"{float(shown):.2e}".partition("e")
    power = f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    return plain if len(plain) <= len(power) or value == 0 else power


def grid_tables(grids: Sequence, key: str = "val_loss", colour: bool = True) -> list[Table]:
    """One heatmap per regularizer of the final loss over (lr, λ) (the validation loss, on which
    the best cell is chosen), coloured by rank over both grids so that they compare; the best
    cell of each underlined — and, without ``colour`` (output piped to a file), marked ``*``
    instead, with no colour named. Cells have three significant digits (:func:`cell`); lr and λ
    are written as the hint and the best line write them (``spelled``)."""
    scale = rank_scale([v for g in grids for row in g.grid(key) for v in row])
    name = key.replace("_loss", "").replace("val", "validation")
    tables = []
    for grid in grids:
        best, lrs = grid.best, spelled(grid.lrs)
        title = f"{grid.regularizer}: {name} loss, epoch {grid.record.epoch}"
        table = Table(title=title, min_width=len(title),  # a narrow grid's title on one line
                      caption="green: lowest (rank) · underlined: best" if colour else "*: best",
                      box=box.SIMPLE_HEAD, show_edge=False, padding=0, pad_edge=False,
                      title_justify="left", caption_justify="left")
        table.add_column("lr\\λ", justify="right", no_wrap=True, min_width=CELL)
        for lam in spelled(grid.lambdas):  # 5 characters a cell: never shrunk to "0.…"
            table.add_column(lam, justify="right", no_wrap=True, min_width=CELL)
        for r, row in enumerate(grid.grid(key)):
            cells = [f"[{_heat(scale.get(v))}{' bold underline' if best == (r, l) else ''}]"
                     f"{cell(v).rjust(CELL) if colour else cell(v)}{'' if colour or best != (r, l) else '*'}[/]"
                     for l, v in enumerate(row)]
            table.add_row(lrs[r], *cells)
        tables.append(table)
    return tables


def best_line(grid) -> str:
    """The grid's best cell by validation loss, how many other cells the table prints alike (at
    its 3 digits the table cannot tell them from the best: which one wins is within noise), and
    where the best λ is > 0 and the grid has λ = 0, that lr's validation loss without decay."""
    if grid.best is None:
        return f"{grid.regularizer}: every cell diverged"
    r, l = grid.best
    val = grid.grid("val_loss")
    alike = sum(SHOWN.format(v) == SHOWN.format(val[r][l]) for row in val for v in row if math.isfinite(v)) - 1
    tie = f"; {alike} other cell{'s' if alike > 1 else ''} print{'' if alike > 1 else 's'} alike" if alike else ""
    zero = ""
    if grid.lambdas[l] > 0 and 0.0 in grid.lambdas and math.isfinite(val[r][grid.lambdas.index(0.0)]):
        # the reference: what decay gained over none at that lr (one seed: not a test, a number)
        zero = f"; λ 0 at that lr: val {number(val[r][grid.lambdas.index(0.0)])}"
    return (f"{grid.regularizer}: best lr {spelled(grid.lrs)[r]}, λ {spelled(grid.lambdas)[l]} by validation loss "
            f"(val {number(val[r][l])}, test {number(grid.grid('test_loss')[r][l])}{tie}{zero})")
