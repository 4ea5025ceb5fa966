"""The redraw budget. The training worker needs the same interpreter lock as the app's thread, so
while training the app's own thread may use at most ``REDRAW_SHARE`` of the CPU time (measured
with ``time.thread_time``: building, compositing and message handling all count). The screen
changes by frames: a frame hands the worker's latest snapshot to every view and rebuilds every
chart shown whose data changed, in one tick, so the charts, legends and status lines always
describe the same epoch. While training a frame is taken only when the budget is positive (a
frame of three charts costs 40–100 ms: about one a second on sine at 120×40), and at least every
``FRAME_WAIT_MAX``; when nothing trains, at once.
The status lines are rebuilt every tick from the frame (what the user asked for since shows as
pending at once).
"""

from __future__ import annotations

import time

REDRAW_INTERVAL = 0.25  # seconds between redraw ticks
REDRAW_SHARE = 0.05  # while training, the app's thread may use at most this share of CPU time
BUDGET_CAP = 0.05  # seconds of CPU the budget may save up (bounds a burst of redraws)
FRAME_WAIT_MAX = 2.0  # seconds: a frame at least this often, whatever the budget says


class RedrawBudget:
    def __init__(self) -> None:
        self.left = 0.0  # seconds of main-thread CPU the charts may still use
        self._clock = (time.perf_counter(), time.thread_time())
        self._framed = 0.0  # when the last frame was allowed (perf_counter)

    def due(self, training: bool, force: bool = False) -> bool:
        """Whether the next frame may be drawn now: always when forced or when nothing trains,
        else while the budget is positive, and at the latest ``FRAME_WAIT_MAX`` after the last
        (the app's own message handling can use the whole share on a loaded machine). Call once
        per tick: the budget earns ``REDRAW_SHARE`` of the wall time since the last call, less
        the CPU time the app's thread spent."""
        now, cpu = time.perf_counter(), time.thread_time()
        (then, cpu_then), self._clock = self._clock, (now, cpu)
        if training:  # only time taken from a running worker counts
            earned = REDRAW_SHARE * (now - then) - (cpu - cpu_then)
            self.left = max(-BUDGET_CAP, min(self.left + earned, BUDGET_CAP))
        else:
            self.left = BUDGET_CAP
        due = force or not training or self.left > 0 or now - self._framed >= FRAME_WAIT_MAX
        if due:
            self._framed = now
        return due
