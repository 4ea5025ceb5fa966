"""Series as charts need them: downsampled to what a terminal can show, and safe for log axes."""

from __future__ import annotations

import math
from typing import Sequence

from wdtui.engine.lessons.trends import spelled


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


def log_ticks(lo: float, hi: float, most: int = 6) -> tuple[list[float], list[str]]:
    """Ticks for a log axis over [lo, hi] (both > 0), at most ``most``: 1-2-5 steps where they
    fit, else powers of ten; compact labels (``1e-06``, ``0.01``, ``100``)."""
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    inside = lambda ticks: [t for t in ticks if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]  # noqa: E731
    ticks = inside([m * 10.0**e for e in range(first, last + 1) for m in (1, 2, 5)])
    if len(ticks) < 3:
        ticks = inside([m * 10.0**e for e in range(first, last + 1) for m in range(1, 10)])
        ticks = ticks[:: math.ceil(len(ticks) / most)] if ticks else ticks
    if len(ticks) > most:
        decades = inside([10.0**e for e in range(first, last + 1)])
        step = max(1, math.ceil(len(decades) / most))
        ticks = decades[::step] if len(decades) >= 2 else ticks[:: math.ceil(len(ticks) / most)]
    ticks = ticks or [lo]
    return ticks, log_labels(ticks)


def log_labels(ticks: Sequence[float]) -> list[str]:
    """A log axis' tick labels as the grid writes its axes (:func:`~wdtui.engine.lessons.trends.spelled`):
    3 significant digits, in one notation per axis: plain where every one is short (``0.0001``,
    ``0.01``, ``1``, ``10000``), else all as powers (``1e-6``, ``1e-2``, ``1e0``, ``2e5``); a
    mix (``1e4`` beside ``1000``) read as two scales. A lone tick at the data's low end reads
    as its value (``31.6``), never rounded to one digit (``3e1``)."""
    return spelled(ticks)


def linear_ticks(lo: float, hi: float, most: int = 5, whole: bool = False) -> tuple[list[float], list[str]]:
    """Round ticks on a 1-2-5 step inside [lo, hi], at most ``most`` + 1, and at least two where
    a finer step finds them (0.33…0.49: 0.35 0.4 0.45, not a lone 0.4); ``whole`` keeps the step
    a whole number (epochs, counts)."""
    ticks, labels = _linear_ticks(lo, hi, most, whole)
    finer = most
    while len(ticks) < 2 and hi > lo and finer < 4 * most and not whole:
        finer *= 2
        ticks, labels = _linear_ticks(lo, hi, finer, whole)
    return ticks, labels


def _linear_ticks(lo: float, hi: float, most: int, whole: bool) -> tuple[list[float], list[str]]:
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    raw = span / most
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))
    if whole:
        step = max(1.0, round(step))
    first = math.ceil(lo / step - 1e-9)
    ticks = [k * step for k in range(first, math.floor(hi / step + 1e-9) + 1)] or [lo]
    return ticks, [f"{t:.6g}" if not whole else str(int(round(t))) for t in ticks]


def integer_ticks(lo: float, hi: float, most: int = 5) -> tuple[list[float], list[str]]:
    """Whole-number ticks (epochs, counts)."""
    return linear_ticks(lo, hi, most, whole=True)
