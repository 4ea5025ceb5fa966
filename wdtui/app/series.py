"""Series as charts need them: downsampled to what a terminal can show, and safe for log axes."""

from __future__ import annotations

import math
from typing import Sequence


def downsample(xs: Sequence[float], ys: Sequence[float], points: int) -> tuple[list[float], list[float]]:
    """At most ``points`` evenly strided samples, always keeping the last one (the current epoch)."""
    n = min(len(xs), len(ys))
    if n <= points:
        return list(xs[:n]), list(ys[:n])
    stride = math.ceil(n / points)
    index = list(range(0, n, stride))
    if index[-1] != n - 1:
        index.append(n - 1)
    return [xs[i] for i in index], [ys[i] for i in index]


def loggable(xs: Sequence[float], ys: Sequence[float]) -> tuple[list[float], list[float]]:
    """Only the points a log y axis can show: finite and > 0."""
    pairs = [(x, y) for x, y in zip(xs, ys) if y is not None and math.isfinite(y) and y > 0]
    return [x for x, _ in pairs], [y for _, y in pairs]


def finite(xs: Sequence[float], ys: Sequence[float]) -> tuple[list[float], list[float]]:
    pairs = [(x, y) for x, y in zip(xs, ys) if y is not None and math.isfinite(y)]
    return [x for x, _ in pairs], [y for _, y in pairs]
