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
from decimal import Decimal

DIAGONAL = -0.6  # slope of log best λ against log lr at or below which the good cells lie on a diagonal
FLAT = 0.3  # |slope| at or below which the best λ stays put
MIN_ROWS = 3  # lr rows with a best λ inside the range needed to read a slope (two are any line)
FIT = 0.5  # share of the best λs' variance (R²) a sloped line must explain to be read as a trend
BAND = 1.0  # decades within which the best λs of a level line must lie to "stay put"
SAME = 1e-3  # a row whose cells differ by less than this share of its best is one where λ made no difference
TIE_SE = 2.0  # a cell within this many standard errors (paired over seeds) of its row's best ties with it
SHOWN = "{:.3g}"  # how the grid prints a cell: a row whose cells all print alike also shows no difference


def spelled(values) -> list[str]:
    """A grid's axis (its lrs or its λs) as its table, its hint and its best line all write it:
    3 significant digits (``SHOWN``: the grid tells no more apart), in one notation per axis as
    the charts' log axes: plain where every value is short (0.001 … 0.1), else all as powers
    (1e-5 … 1e0, 3.16e-3), the exponent unpadded."""
    shown = [SHOWN.format(v) for v in values]
    plain = [format(Decimal(s), "f") if math.isfinite(v) else s for v, s in zip(values, shown)]
    if all(len(p) <= 6 for p in plain):
        return plain
    powers = []
    for v, s in zip(values, shown):
        mantissa, _, exponent = f"{float(s):.2e}".partition("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        powers.append(f"{mantissa}e{int(exponent)}" if math.isfinite(v) and v != 0 else s)
    return powers


@dataclass(frozen=True)
class Trend:
    """Per lr (rows), the λ of the lowest test loss (None: every cell diverged) and whether it
    sits at an end of the λ range (the true best may lie beyond it), and whether λ made no
    difference in it (``same``: its cells within ``SAME`` of each other, or all printed alike at
    the grid's 3 significant digits, e.g. a row that did not learn: its "best" is noise), and
    whether its best is ``tied`` (other cells print as its best does: the grid cannot tell which
    of those λ is best, so the row has no one best λ); ``slope`` of log₁₀ best λ against log₁₀
    lr (least squares) over the rows whose best λ is > 0, inside the range, not ``same`` and not
    ``tied`` (None: fewer than ``MIN_ROWS`` such rows); ``kind``: "one seed" for a grid of one
    seed (:func:`read_grid`: no trend is read from it), else diagonal
    (slope ≤ −0.6, best λ ∝ lr^slope), flat (|slope| ≤ 0.3 and every best λ within ``BAND``
    decades), between, unclear (no slope), or scattered: no line describes the points whatever
    their fitted slope — a sloped line that explains less than ``FIT`` of their variance (R²;
    1e-3, 1e-2, 1e-4 over three lrs fits a slope of −1.0 with R² = 0.27), or a level one with
    best λs spread over more than ``BAND`` decades."""

    lrs: tuple[float, ...]
    best: tuple[float | None, ...]
    at_edge: tuple[bool, ...]
    slope: float | None
    kind: str
    same: tuple[bool, ...] = ()
    tied: tuple[tuple[float, ...] | None, ...] = ()  # per row the λs tied for its best (sorted), or None
    lambdas: tuple[float, ...] = ()  # the grid's λs, in order (a tie is a range only where it has no gap)


def read_grid(grid, key: str = "val_loss") -> Trend:
    """What a grid (``sweeps.sweep.GridResult``) shows, by the loss it chooses on. With several
    seeds a cell ties with its row's best where their paired difference (seed by seed) is
    within ``TIE_SE`` standard errors of 0; with one seed no trend is read: a row's best λ moves
    with the seed (sine-overfit, 300 epochs, 8 seeds: lr 0.01's best decoupled λ was 1e-5 for
    two seeds, 1e-4 for two, 1e-3 for two, 0.01 for one and 0.1 for one)."""
    per_seed = grid.per_seed(key) if grid.seeds > 1 else None
    return best_lambda_trend(grid.lrs, grid.lambdas, grid.grid(key), per_seed=per_seed, seeds=grid.seeds)


def best_lambda_trend(lrs: list[float], lambdas: list[float], test_loss: list[list[float]],
                      per_seed: list[list[list[float]]] | None = None, seeds: int | None = None) -> Trend:
    """The trend of the best λ against lr in a grid: ``test_loss[r][l]`` at lr_r, λ_l (NaN for
    a diverged cell), the mean over seeds; ``per_seed`` (two seeds or more) each seed's grid, for
    the paired tie rule; ``seeds`` = 1 says the grid is one seed's (no trend is read)."""
    positive = sorted(v for v in lambdas if v > 0)
    best, edge, same, tied = [], [], [], []
    for r, row in enumerate(test_loss):
        cells = [(v, lam) for v, lam in zip(row, lambdas) if math.isfinite(v)]
        lam = min(cells)[1] if cells else None
        best.append(lam)
        edge.append(lam is not None and (lam == 0 or lam in (positive[0], positive[-1])) if positive else True)
        values = [v for v, _ in cells]
        same.append(len(values) > 1 and (max(values) - min(values) <= SAME * abs(min(values))
                                         or len({SHOWN.format(v) for v in values}) == 1))
        alike = [lam for v, lam in cells if SHOWN.format(v) == SHOWN.format(min(cells)[0])]
        if per_seed is not None and lam is not None:
            alike += [lambdas[l] for l in _paired_ties(r, lambdas.index(lam), per_seed)]
        tied.append(tuple(sorted(set(alike))) if len(set(alike)) > 1 and not same[-1] else None)
    points = [(math.log10(lr), math.log10(lam)) for lr, lam, e, flat, tie in zip(lrs, best, edge, same, tied)
              if lam is not None and lam > 0 and not e and not flat and tie is None]
    slope, r_squared = _fit(points) if len({x for x, _ in points}) >= MIN_ROWS else (None, None)
    if slope is None:
        kind = "unclear"
    elif abs(slope) <= FLAT and max(y for _, y in points) - min(y for _, y in points) > BAND:
        kind = "scattered"
    elif abs(slope) > FLAT and r_squared < FIT:
        kind = "scattered"
    elif slope <= DIAGONAL:
        kind = "diagonal"
    elif abs(slope) <= FLAT:
        kind = "flat"
    else:
        kind = "between"
    if seeds == 1:
        kind = "one seed"
    return Trend(tuple(lrs), tuple(best), tuple(edge), slope, kind, tuple(same), tuple(tied), tuple(lambdas))


def _paired_ties(r: int, b: int, per_seed: list[list[list[float]]]) -> list[int]:
    """The columns of row ``r`` whose paired difference to the best column ``b`` (seed by seed)
    has a mean within ``TIE_SE`` standard errors of 0: over these seeds they are not worse."""
    tied = []
    for l in range(len(per_seed[0][r])):
        d = [grid[r][l] - grid[r][b] for grid in per_seed]
        if l == b or not all(math.isfinite(x) for x in d):
            continue
        mean = sum(d) / len(d)
        se = math.sqrt(sum((x - mean) ** 2 for x in d) / (len(d) - 1) / len(d))
        if mean <= TIE_SE * se:
            tied.append(l)
    return tied


def _fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """The least-squares line through ``points``: its slope, and R² = 1 − Σ residual² / Σ (y − ȳ)²
    (1 where every y is the same)."""
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)
    total = sum((y - my) ** 2 for _, y in points)
    residual = sum((y - my - slope * (x - mx)) ** 2 for x, y in points)
    return slope, 1.0 - residual / total if total > 0 else 1.0


def describe(label: str, trend: Trend) -> str:
    """One line: what this grid shows, e.g. ``decoupled: best λ ∝ lr^-1.0, a diagonal (lr and λ
    entangled) — best λ per lr 0.001: 0.3, lr 0.01: 0.03, …``; lrs and λs written as the
    grid's table writes them (:func:`spelled`)."""
    same = trend.same or (False,) * len(trend.lrs)
    tied = trend.tied or (None,) * len(trend.lrs)

    lr_name = dict(zip(trend.lrs, spelled(trend.lrs)))
    names = dict(zip(trend.lambdas, spelled(trend.lambdas)))
    lam_name = lambda lam: names.get(lam) or spelled([lam])[0]  # noqa: E731

    def cell(lam, edge, flat, tie):
        if lam is None:
            return "—"
        if flat:
            return "="
        if tie is not None:  # a range where the tied λs have no gap, else each of them
            order = sorted(trend.lambdas)
            whole = tuple(order[order.index(tie[0]):order.index(tie[-1]) + 1]) if order else tie
            return (f"{lam_name(tie[0])}…{lam_name(tie[-1])}" if whole == tie else ", ".join(lam_name(t) for t in tie)) + "≈"
        return lam_name(lam) + ("†" if edge and lam > 0 else "")  # nothing lies below λ = 0 (* marks the best cell)

    cells = ", ".join(f"lr {lr_name[lr]}: " + cell(*row) for lr, *row in zip(trend.lrs, trend.best, trend.at_edge, same, tied))
    if trend.kind == "diagonal":
        shape = f"best λ ∝ lr^{trend.slope:.1f}, a diagonal (lr and λ entangled)"
    elif trend.kind == "flat":
        shape = f"best λ stays put across lr (slope {trend.slope:+.1f})"
    elif trend.kind == "between":
        shape = f"best λ moves with lr (slope {trend.slope:+.1f}), neither a diagonal nor flat"
    elif trend.kind == "scattered":
        shape = "no trend readable (the best λ per lr jumps: no line fits it)"
    elif trend.kind == "one seed":
        shape = "no trend read from one seed (a row's best λ moves with the seed: wdtui sweep --seeds 5 reads one)"
    else:
        shape = f"no trend readable (fewer than {MIN_ROWS} lr rows with one best λ inside the range)"
    notes = ["† the smallest or largest λ > 0 tried: the best may lie beyond it" if any(e and lam and not f and t is None
                                             for lam, e, f, t in zip(trend.best, trend.at_edge, same, tied)) else "",
             f"= λ moved the loss by under {SAME:.1%} (or not in 3 digits)" if any(same) else "",
             ("≈ λs tied for best (alike at 3 digits)" if trend.kind == "one seed"
              else "≈ λs tied for best (alike at 3 digits, or within 2 SE paired over seeds)")
             if any(t is not None for t in tied) else ""]
    note = "".join(f"; {n}" for n in notes if n)
    if note and trend.kind != "one seed":  # no slope is read from one seed
        note += " (left out of the slope)"
    return f"{label}: {shape} — best λ per {cells}{note}"


def same_update(optimizer: str, momentum: float, decay_convention: str) -> str | None:
    """Where coupled and decoupled decay are one update, the line that says so beside their
    grids: plain SGD (no momentum) in the torch convention, w − η·(g + λ·w) = w·(1 − η·λ) − η·g,
    so their tables agree (to rounding) — not a sign that decoupling does nothing; with momentum
    or Adam the two differ. None elsewhere."""
    if optimizer == "sgd" and momentum == 0 and decay_convention == "torch":
        return ("plain SGD: coupled and decoupled (torch) are one update, w·(1 − η·λ) − η·g, so their tables "
                "agree; with momentum or Adam they differ")
    return None
