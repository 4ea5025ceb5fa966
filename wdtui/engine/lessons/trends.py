"""What an (lr, λ) grid shows: how the best λ moves with the learning rate.

Loshchilov & Hutter (ICLR 2019, Fig. 2) draw test error over (lr, λ) and read the shape of the
good region: a diagonal (best λ ∝ 1/lr: the two are entangled) or a band that stays at one λ
(separable). Which convention of decoupled decay gives which shape is a measured fact, not a
rule: with torch's AdamW (shrink η·λ per step) the product η·λ is what matters, so the best λ
moves like 1/lr; with the paper's (shrink λ per step) it need not. This module reads the shape
from a grid of test losses, so a hint can say only what the grid in front of the user shows.
No torch here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DIAGONAL = -0.6  # slope of log best λ against log lr at or below which the good cells lie on a diagonal
FLAT = 0.3  # |slope| at or below which the best λ stays put
MIN_ROWS = 3  # lr rows with a best λ inside the range needed to read a slope (two are any line)
SAME = 1e-3  # a row whose cells differ by less than this share of its best is one where λ made no difference
SHOWN = "{:.3g}"  # how the grid prints a cell: a row whose cells all print alike also shows no difference


@dataclass(frozen=True)
class Trend:
    """Per lr (rows), the λ of the lowest test loss (None: every cell diverged) and whether it
    sits at an end of the λ range (the true best may lie beyond it), and whether λ made no
    difference in it (``same``: its cells within ``SAME`` of each other, or all printed alike at
    the grid's 3 significant digits, e.g. a row that did not learn: its "best" is noise); ``slope``
    of log₁₀ best λ against log₁₀ lr (least squares) over the rows whose best λ is > 0, inside the
    range and not ``same`` (None: fewer than ``MIN_ROWS`` such rows); ``kind``: diagonal
    (slope ≤ −0.6, best λ ∝ lr^slope), flat (|slope| ≤ 0.3), between, unclear (no slope), or
    scattered: the best λ goes up and down as lr grows, so no line describes it whatever its
    fitted slope (1e-3, 1e-2, 1e-4 over three lrs fits a slope of −1.0, yet is no diagonal)."""

    lrs: tuple[float, ...]
    best: tuple[float | None, ...]
    at_edge: tuple[bool, ...]
    slope: float | None
    kind: str
    same: tuple[bool, ...] = ()


def best_lambda_trend(lrs: list[float], lambdas: list[float], test_loss: list[list[float]]) -> Trend:
    """The trend of the best λ against lr in a grid: ``test_loss[r][l]`` at lr_r, λ_l (NaN for
    a diverged cell)."""
    positive = sorted(v for v in lambdas if v > 0)
    best, edge, same = [], [], []
    for row in test_loss:
        cells = [(v, lam) for v, lam in zip(row, lambdas) if math.isfinite(v)]
        lam = min(cells)[1] if cells else None
        best.append(lam)
        edge.append(lam is not None and (lam == 0 or lam in (positive[0], positive[-1])) if positive else True)
        values = [v for v, _ in cells]
        same.append(len(values) > 1 and (max(values) - min(values) <= SAME * abs(min(values))
                                         or len({SHOWN.format(v) for v in values}) == 1))
    points = [(math.log10(lr), math.log10(lam)) for lr, lam, e, flat in zip(lrs, best, edge, same)
              if lam is not None and lam > 0 and not e and not flat]
    slope = None
    if len({x for x, _ in points}) >= MIN_ROWS:
        mx = sum(x for x, _ in points) / len(points)
        my = sum(y for _, y in points) / len(points)
        slope = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)
    ys = [y for _, y in sorted(points)]
    rises, falls = (any(b > a for a, b in zip(ys, ys[1:])), any(b < a for a, b in zip(ys, ys[1:])))
    if slope is None:
        kind = "unclear"
    elif rises and falls:
        kind = "scattered"
    elif slope <= DIAGONAL:
        kind = "diagonal"
    elif abs(slope) <= FLAT:
        kind = "flat"
    else:
        kind = "between"
    return Trend(tuple(lrs), tuple(best), tuple(edge), slope, kind, tuple(same))


def describe(label: str, trend: Trend) -> str:
    """One line: what this grid shows, e.g. ``decoupled: best λ ∝ lr^-1.0 (a diagonal) — 1e-3:
    0.3, 1e-2: 0.03, …``."""
    same = trend.same or (False,) * len(trend.lrs)
    cells = ", ".join(
        f"lr {lr:g}: " + ("—" if lam is None else "=" if flat else f"{lam:.3g}" + ("*" if e else ""))
        for lr, lam, e, flat in zip(trend.lrs, trend.best, trend.at_edge, same))
    if trend.kind == "diagonal":
        shape = f"best λ ∝ lr^{trend.slope:.1f}, a diagonal (lr and λ entangled)"
    elif trend.kind == "flat":
        shape = f"best λ stays put across lr (slope {trend.slope:+.1f})"
    elif trend.kind == "between":
        shape = f"best λ moves with lr (slope {trend.slope:+.1f}), neither a diagonal nor flat"
    elif trend.kind == "scattered":
        shape = "no trend readable (the best λ goes up and down as lr grows)"
    else:
        shape = f"no trend readable (fewer than {MIN_ROWS} lr rows with a best λ inside the range)"
    notes = ["* at the λ range's end" if any(e and not f for e, f in zip(trend.at_edge, same)) else "",
             "= λ made no difference" if any(same) else ""]
    note = "".join(f"; {n}" for n in notes if n)
    if note:
        note += " (left out of the slope)"
    return f"{label}: {shape} — best λ per {cells}{note}"
