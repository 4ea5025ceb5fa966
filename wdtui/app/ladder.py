"""The λ ladder of the ``]`` and ``[`` keys: 1e-5 … 10, four steps per decade, and 0 below it."""

from __future__ import annotations

LADDER = tuple(10.0 ** (k / 4) for k in range(-20, 5))  # 1e-5, 1.78e-5, 3.16e-5, 5.62e-5, 1e-4 … 10
_TOLERANCE = 1e-9


def lambda_up(lam: float) -> float:
    """The next ladder value above ``lam`` (0 → 1e-5); the top (10) stays."""
    for value in LADDER:
        if value > lam * (1 + _TOLERANCE):
            return value
    return lam if lam >= LADDER[-1] else LADDER[-1]


def lambda_down(lam: float) -> float:
    """The next ladder value below ``lam``; from 1e-5 (or anything smaller) to 0."""
    for value in reversed(LADDER):
        if value < lam * (1 - _TOLERANCE):
            return value
    return 0.0
