"""The n_train sweep's screen (key d): test loss against the number of training examples, one
curve per λ — the double-descent picture (Nakkiran et al. 2020), as ``wdtui sweep --preset
double-descent`` writes it.

Every (seed, n, λ) cell is solved exactly (engine/sweeps/samples.py) in a worker thread, which
posts :class:`SamplesProgress` (latest state wins) and never touches a widget. The screen has
its own keys: x cancels, escape goes back to the app.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from ..engine.config import Config
from ..engine.lessons.presets import PRESETS, n_train_ladder
from .series import linear_ticks, log_ticks, loggable
from .session import POST_INTERVAL
from .sweep_view import duration
from .widgets.charts import Chart

# One colour per λ of the ladder, none of them the run's cyan or the comparison's orange.
CURVE_COLORS = ("red", (230, 210, 60), (100, 140, 255), "green", (225, 80, 225), "white")
DEFAULT_LAMBDAS = (0.0, 0.005, 0.05, 0.5, 5.0)  # when the preset names none


@dataclass(frozen=True)
class SamplesSnapshot:
    """The sweep at one moment: ``done`` of ``total`` experiments (seed × n) solved; the mean
    test loss table [n][λ] and the summary lines once it has finished."""

    n_trains: tuple[int, ...]
    lambdas: tuple[float, ...]
    seeds: int
    d: int
    done: int
    total: int
    test_loss: tuple[tuple[float, ...], ...] | None = None
    summary: tuple[str, ...] = ()
    brief: tuple[str, ...] = ()  # the summary in a line per λ (small screens)
    cancelled: bool = False
    eta: float | None = None  # seconds left, from the pace so far (None: not known yet)

    @property
    def finished(self) -> bool:
        return self.test_loss is not None


class SamplesProgress(Message):
    """The n_train sweep moved on (latest state wins)."""

    def __init__(self, snapshot: SamplesSnapshot):
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SamplesProgress)


def sweep_plan(config: Config) -> tuple[list[int], list[float], int]:
    """(n_trains, lambdas, seeds): the preset's sweep defaults, n around d = ``n_inputs``."""
    own = PRESETS[config.preset].sweep or {}
    lambdas = [float(v) for v in own.get("lambdas", DEFAULT_LAMBDAS)] if "n_trains" in own else list(DEFAULT_LAMBDAS)
    return n_train_ladder(config.n_inputs), lambdas, int(own.get("seeds", 5))


def status_text(snap: SamplesSnapshot, brief: bool = False) -> str:
    """What is solved, its state, then each λ's summary line and the keys; ``brief``: the
    short forms, a line per λ, and no keys line (the footer has them)."""
    head = (f"n_train sweep: {len(snap.n_trains)} n × {len(snap.lambdas)} λ × {snap.seeds} data draws, "
            f"d = {snap.d} inputs, each solved exactly")
    if snap.cancelled:
        state = f"cancelled after {snap.done} of {snap.total} experiments"
    elif snap.finished:
        state = "done: mean test loss over the draws"
    else:
        eta = duration(snap.eta)
        state = f"solving: {snap.done}/{snap.total} experiments{' · ' + eta if eta else ''} · x cancels"
    if brief:
        head = f"n_train sweep: {len(snap.n_trains)} n × {len(snap.lambdas)} λ × {snap.seeds} draws, d = {snap.d}"
        state = "done: means over the draws" if snap.finished and not snap.cancelled else state
        return "\n".join([f"{head} · {state}", *snap.brief])
    return "\n".join([f"{head} · {state}", *snap.summary, "escape: back"])


def status_rows(text: str, width: int) -> int:
    """The rows ``text`` takes wrapped at ``width`` columns (the status' padding taken off)."""
    return sum(max(1, math.ceil(len(line) / max(width - 2, 1))) for line in text.split("\n"))


class SamplesChart(Chart):
    """Mean test loss against n_train (log y), one curve per λ; n = d marked."""

    def draw(self, plt: Any, snap: SamplesSnapshot, points: int) -> None:
        if snap.test_loss is None:
            return
        shown: list[float] = []
        for j, lam in enumerate(snap.lambdas):
            xs, ys = loggable(snap.n_trains, [row[j] for row in snap.test_loss])
            if xs:
                plt.plot(xs, ys, color=CURVE_COLORS[j % len(CURVE_COLORS)], marker="braille",
                         label=self.series_label(f"λ={lam:.3g}"))
                shown += ys
        if not shown:
            return
        lo, hi = snap.n_trains[0], snap.n_trains[-1]
        plt.xticks(*linear_ticks(lo, hi, most=6, whole=True))
        plt.yscale("log")
        plt.yticks(*log_ticks(min(shown), max(shown), most=self.y_tick_budget))
        if lo <= snap.d <= hi:
            plt.vline(snap.d, "gray")
        plt.xlabel(f"n_train · grey: n = d = {snap.d}")


class SamplesScreen(Screen):
    """The n_train sweep of ``config`` (the exact solver; see :func:`sweep_plan`). The run's keys
    are off while it is shown (they would act on the run hidden behind it): its footer offers
    back, cancel, help and quit."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "back"),
        Binding("x", "cancel", "cancel"),
    ]
    HIDES_RUN_KEYS = True
    DEFAULT_CSS = """
    SamplesScreen #samples-status { height: auto; padding: 0 1; }
    SamplesScreen SamplesChart { height: 1fr; }
    """

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        self.n_trains, self.lambdas, self.seeds = sweep_plan(config)
        self.cancelled = False
        self.snapshot = SamplesSnapshot(tuple(self.n_trains), tuple(self.lambdas), self.seeds, config.n_inputs,
                                        0, len(self.n_trains) * self.seeds)

    def compose(self) -> ComposeResult:
        yield Static(self._status(), id="samples-status", markup=False)
        yield SamplesChart("test loss against n_train, one curve per λ (exact solutions)", id="samples-chart")
        yield Footer()

    def on_mount(self) -> None:
        self._solve()

    def _status(self) -> str:
        """The status in full, or brief where the full text would take more than a third of the
        screen's rows (80×24: 13 rows, leaving the chart 4 rows and every λ on one of them)."""
        width, height = self.app.size
        text = status_text(self.snapshot)
        return status_text(self.snapshot, brief=True) if status_rows(text, width) > height // 3 else text

    def on_resize(self) -> None:
        self.query_one("#samples-status", Static).update(self._status())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """x (cancel) only while solving: the footer then drops it."""
        if action == "cancel":
            return not (self.snapshot.finished or self.snapshot.cancelled)
        return True

    def action_cancel(self) -> None:
        self.cancelled = True

    @work(thread=True, exclusive=True, group="samples", exit_on_error=False)
    def _solve(self) -> None:
        from ..engine.sweeps.samples import sample_sweep

        base = self.snapshot
        solved, posted, started = [0], [0.0], time.perf_counter()

        def progress(done: int, total: int) -> None:
            solved[0] = done
            now = time.perf_counter()
            if now - posted[0] >= POST_INTERVAL:  # the count, a few times a second
                posted[0] = now
                eta = (now - started) * (total - done) / done if done and not self.app.deterministic else None
                self.post_message(SamplesProgress(SamplesSnapshot(
                    base.n_trains, base.lambdas, base.seeds, base.d, done, total, eta=eta)))

        result = sample_sweep(self.config, self.n_trains, self.lambdas, self.seeds,
                              stop=lambda: self.cancelled, progress=progress)
        if result is None:
            final = SamplesSnapshot(base.n_trains, base.lambdas, base.seeds, base.d, solved[0], base.total,
                                    cancelled=True)
        else:
            table = tuple(tuple(v if math.isfinite(v) else math.nan for v in row) for row in result.table())
            final = SamplesSnapshot(base.n_trains, base.lambdas, base.seeds, base.d, base.total, base.total,
                                    test_loss=table, summary=tuple(result.summary()),
                                    brief=tuple(result.brief_summary()))
        self.post_message(SamplesProgress(final))

    def on_samples_progress(self, message: SamplesProgress) -> None:
        if self.snapshot.finished or self.snapshot.cancelled:
            return
        self.snapshot = message.snapshot
        self.query_one("#samples-status", Static).update(self._status())
        if self.snapshot.finished:
            self.query_one(SamplesChart).update(self.snapshot)
        if self.snapshot.finished or self.snapshot.cancelled:
            self.refresh_bindings()  # x cancel leaves the footer
