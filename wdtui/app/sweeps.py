"""The sweeps' controller: the λ sweep (w), the (lr, λ) grid (g), cancelling one (x), loading its
best (b), and the n_train sweep's screen (d). A sweep trains in its own worker
(:mod:`.sweep_session`) and posts messages that the app's state takes; the Sweep tab
(:class:`.sweep_view.SweepView`) draws them. The single run pauses while a sweep trains.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from textual.worker import Worker

from ..engine.training.control import Control
from .ladder import LADDER
from .messages import GridSnapshot
from .sweep_session import GRID_LAMBDAS, GRID_LRS, GridSession, SweepSession
from .widgets.sidebar import Choice, Field

if TYPE_CHECKING:
    from .app import WdtuiApp


def unfinished(snap) -> str:
    """Said when ``b`` loads the best of a sweep or grid still training: its best may change."""
    if snap.finished:
        return ""
    return f"; so far: still training (epoch {snap.epoch} of {snap.epochs}), the best may change"


class SweepController:
    def __init__(self, app: WdtuiApp):
        self.app = app
        self.state = app.state
        self.control: Control | None = None
        self.worker: Worker | None = None

    @property
    def running(self) -> bool:
        state = self.state
        running = [s for s in (state.sweep_snapshot, state.grid_snapshot)
                   if s is not None and s.session == state.sweep_number]
        return self.control is not None and not self.control.cancelled and any(not s.finished for s in running)

    @property
    def cancelled(self) -> bool:
        return self.control is not None and self.control.cancelled

    def show(self) -> None:
        app = self.app
        app.sweep_view.show(self.state, self.cancelled, show_eta=not app.deterministic)

    def _start(self, make_session, status: str, grid: bool) -> None:
        """A new sweep (λ ladder or grid) in the sweep worker; the single run pauses, as both
        would share the CPU."""
        app = self.app
        if self.control is not None:
            self.control.cancel()
        if app.runs.control is not None:
            app.runs.control.pause()
        self.state.new_sweep(self.state.next_number())
        self.control = Control()
        session = make_session(self.state.sweep_number, self.control)
        self.worker = app.run_worker(session.run, group="sweep", thread=True, exclusive=True, exit_on_error=False)
        app.sweep_view.starting(status, grid)
        app.action_show_tab("sweep")

    def sweep(self) -> None:
        """Train the current model once per λ of the ladder, as one batched model."""
        if self.state.config.regularizer == "none":
            self.app.notify("λ has no effect with regularizer none: pick one to sweep", severity="warning")
            return
        config = dataclasses.replace(self.state.config, lam=LADDER[0])
        post = self.app.post_message
        self._start(lambda number, control: SweepSession(number, config, list(LADDER), post, control),
                    f"λ sweep: {len(LADDER)} copies of {config.preset} ({config.regularizer}) · starting…",
                    grid=False)

    def grid(self) -> None:
        """The (lr, λ) grid, coupled beside decoupled decay, as test-loss heatmaps."""
        config = dataclasses.replace(self.state.config, lam=0.0)
        post = self.app.post_message
        self._start(lambda number, control: GridSession(number, config, post, control),
                    f"(lr, λ) grid: {len(GRID_LRS)} × {len(GRID_LAMBDAS)} copies of {config.preset}, "
                    f"{config.optimizer}, coupled then decoupled · starting…", grid=True)

    def samples(self) -> None:
        """The n_train sweep's screen (samples_view.py): test loss against n, one curve per λ."""
        from .samples_view import SamplesScreen

        if self.state.config.solver != "exact":
            self.app.notify("the n_train sweep solves every cell exactly: use the double-descent preset, or "
                            "--solver exact with a linear model", severity="warning")
            return
        self.app.push_screen(SamplesScreen(self.state.config))

    def progress(self, message) -> None:
        """A sweep's or a grid's progress message."""
        if not self.app.live or not self.state.accept(message):
            return  # the next frame shows it (app.redraw)
        if message.snapshot.finished or self.cancelled:
            # the last one, or one posted before x was taken: shown at once, so "cancelled at
            # epoch N" and the charts name the epoch the state holds
            self.app.redraw(force=True)

    def cancel(self) -> None:
        """Stop the sweep (λ or grid) within a step; its numbers so far stay shown."""
        if not self.running:
            self.app.notify("no sweep is running", severity="warning")
            return
        self.control.cancel()
        self.show()
        self.app.notify("grid cancelled" if isinstance(self.state.current_sweep(), GridSnapshot) else "sweep cancelled")
        self.app.redraw(force=True)

    def best(self) -> None:
        """The best λ of the latest λ sweep, or the best (lr, λ) of the latest grid (in the
        current regularizer's grid if it has one, else the best of all, with its regularizer)."""
        snap = self.state.current_sweep()
        if isinstance(snap, GridSnapshot):
            self._load_grid_best(snap)
            return
        if snap is None or snap.best_lambda is None:
            self.app.notify("no sweep result yet: w runs one", severity="warning")
            return
        self.app.changes.apply("lam", snap.best_lambda)
        self.app.action_show_tab("charts")
        self.app.notify(f"λ = {snap.best_lambda:.4g}, the sweep's best by validation loss (epoch {snap.epoch})"
                        + unfinished(snap))

    def _load_grid_best(self, snap: GridSnapshot) -> None:
        app = self.app
        found = snap.best(self.state.config.regularizer)
        if found is None:
            app.notify("no grid cell trained without diverging", severity="warning")
            return
        grid, r, l = found
        lr, lam = grid.lrs[r], grid.lambdas[l]
        if grid.regularizer != self.state.config.regularizer:
            app.main.query_one("#field-regularizer", Choice).set_value(grid.regularizer)
            app.changes.apply("regularizer", grid.regularizer)
        app.main.query_one("#field-lr", Field).set_value(f"{lr:g}")
        app.changes.apply("lr", lr)
        app.changes.apply("lam", lam)
        app.action_show_tab("charts")
        trained = self.state.snapshot.records[0].epoch if self.state.snapshot is not None else 0
        # the run's regularizer's grid is the one loaded: said by name, and where the other grid
        # did better, that too (b had said "the grid's best" of the worse one)
        other = snap.best(None)
        better = ""
        if other is not None and other[0] is not grid:
            low, own = other[0].grid("val_loss")[other[1]][other[2]], grid.grid("val_loss")[r][l]
            if low < own:
                better = (f"; {other[0].regularizer}'s grid did better (val {low:.4g} against {own:.4g}): "
                          f"regularizer {other[0].regularizer}, then b, loads it")
        app.notify(f"{grid.regularizer}, lr = {lr:.3g}, λ = {lam:.3g}: the {grid.regularizer} grid's best by validation "
                   f"loss (epoch {grid.record.epoch})" + unfinished(snap) + better + (f"; applied from epoch {trained} of this run: r trains "
                                                                   "it from epoch 0, as the grid did" if trained else ""),
                   timeout=10)
