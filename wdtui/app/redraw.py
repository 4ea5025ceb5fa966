"""The redraw budget. The training worker needs the same interpreter lock as the app's thread, so
while training the app's own thread may use at most ``REDRAW_SHARE`` of the CPU time (measured
with ``time.thread_time``: building, compositing and message handling all count). The status
lines are updated every tick; a chart (the one shown longest) is rebuilt only when the budget
allows. When nothing trains, every stale chart is drawn at once.
"""

from __future__ import annotations

import time

REDRAW_INTERVAL = 0.25  # seconds between redraw ticks
REDRAW_SHARE = 0.05  # while training, the app's thread may use at most this share of CPU time
BUDGET_CAP = 0.05  # seconds of CPU the budget may save up (bounds a burst of redraws)


class RedrawBudget:
    def __init__(self) -> None:
        self.left = 0.0  # seconds of main-thread CPU the charts may still use
        self._clock = (time.perf_counter(), time.thread_time())

    def due(self, charts: list, training: bool, force: bool = False) -> list:
        """The charts to rebuild now, of ``charts`` (each with ``stale``, ``data``, ``region``
        and ``built_at``): all stale shown ones when forced or not training, else at most one —
        the one shown longest — while the budget is positive. Call once per tick: the budget
        earns ``REDRAW_SHARE`` of the wall time since the last call, less the CPU time spent."""
        now, cpu = time.perf_counter(), time.thread_time()
        (then, cpu_then), self._clock = self._clock, (now, cpu)
        if training:  # only time taken from a running worker counts
            earned = REDRAW_SHARE * (now - then) - (cpu - cpu_then)
            self.left = max(-BUDGET_CAP, min(self.left + earned, BUDGET_CAP))
        else:
            self.left = BUDGET_CAP
        stale = [c for c in charts if c.stale and c.data is not None and c.region.area]
        if force or not training:
            return stale
        return [min(stale, key=lambda c: c.built_at)] if stale and self.left > 0 else []
