"""The λ ladder of the ``]`` and ``[`` keys: 1e-5 … 10, four steps per decade, and 0 below it,
with a preset's own λ as one more rung where it is off the ladder (sparse's 0.2, poly's 1.5e-9):
the keys pass through it, so a learner who steps away can step back to the lesson's λ."""

from __future__ import annotations

LADDER = tuple(10.0 ** (k / 4) for k in range(-20, 5))  # 1e-5, 1.78e-5, 3.16e-5, 5.62e-5, 1e-4 … 10
_TOLERANCE = 1e-9


def _rungs(own: float | None) -> list[float]:
    return sorted({*LADDER, own}) if own is not None and 0 < own < LADDER[-1] else list(LADDER)


def lambda_up(lam: float, own: float | None = None) -> float:
    """The next rung above ``lam`` (0 → the lowest), ``own`` (the preset's λ) among the rungs;
    the top (10) stays."""
    rungs = _rungs(own)
    for value in rungs:
        if value > lam * (1 + _TOLERANCE):
            return value
    return lam if lam >= rungs[-1] else rungs[-1]


def lambda_down(lam: float, own: float | None = None) -> float:
    """The next rung below ``lam``, ``own`` among the rungs; from the lowest (or anything
    smaller) to 0."""
    for value in reversed(_rungs(own)):
        if value < lam * (1 - _TOLERANCE):
            return value
    return 0.0
