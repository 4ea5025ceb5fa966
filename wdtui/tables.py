"""Rich tables shown by both faces (the CLI prints them, the app displays them). Imports neither
torch nor textual."""

from __future__ import annotations

import math
from typing import Sequence

from rich import box
from rich.table import Table


def number(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else str(value)


def _heat(value: float, low: float, high: float) -> str:
    """A background from green (low test loss) to red (high), on a log scale."""
    if not math.isfinite(value) or value <= 0:
        return "on grey23"
    t = 0.0 if high <= low else (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))
    t = min(max(t, 0.0), 1.0)
    return f"on rgb({int(40 + 160 * t)},{int(40 + 160 * (1 - t))},60)"


def grid_tables(grids: Sequence, colour: bool = True) -> list[Table]:
    """One heatmap per regularizer of the final test loss over (lr, λ), on one colour scale so
    the grids compare; the best cell of each marked ``*`` (and underlined). Without ``colour``
    (output piped to a file) the title does not speak of colours."""
    values = [v for g in grids for row in g.grid("test_loss") for v in row if math.isfinite(v) and v > 0]
    low, high = (min(values), max(values)) if values else (1.0, 1.0)
    tables = []
    for grid in grids:
        best = grid.best
        table = Table(title=f"{grid.regularizer}: test loss at epoch {grid.record.epoch}",
                      caption=f"rows lr, columns λ; {'green = low, ' if colour else ''}* = best",
                      box=box.SIMPLE_HEAD)
        table.add_column("lr \\ λ", justify="right")
        for lam in grid.lambdas:
            table.add_column(f"{lam:.3g}", justify="right")
        for r, row in enumerate(grid.grid("test_loss")):
            cells = [f"[{_heat(v, low, high)} bold underline]{number(v)}*[/]" if best == (r, l)
                     else f"[{_heat(v, low, high)}]{number(v)}[/]" for l, v in enumerate(row)]
            table.add_row(f"{grid.lrs[r]:.3g}", *cells)
        tables.append(table)
    return tables


def best_line(grid) -> str:
    if grid.best is None:
        return f"{grid.regularizer}: every cell diverged"
    r, l = grid.best
    return (f"{grid.regularizer}: best lr {grid.lrs[r]:.3g}, λ {grid.lambdas[l]:.3g} "
            f"(test loss {number(grid.grid('test_loss')[r][l])})")
