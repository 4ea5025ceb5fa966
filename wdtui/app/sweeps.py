"""The sweeps' controller: the λ sweep (w), the (lr, λ) grid (g), cancelling one (x), loading its
best (b), and the n_train sweep's screen (d). A sweep trains in its own worker
(:mod:`.sweep_session`) and posts messages that the app's state takes; the Sweep tab
(:class:`.sweep_view.SweepView`) draws them. The single run pauses while a sweep trains.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from textual.worker import Worker

from ..engine.config import parse_lambda_spec
from ..engine.lessons.presets import PRESETS
from ..engine.training.control import Control
from .ladder import LADDER
from .messages import GridSnapshot
from .sweep_session import GRID_LAMBDAS, GRID_LRS, GridSession, SweepSession
from .sweep_view import again
from .widgets.sidebar import Choice, Field

if TYPE_CHECKING:
    from .app import WdtuiApp


def unfinished(snap, cancelled: bool = False) -> str:
    """Said when ``b`` loads the best of a sweep or grid that has not finished: still training
    (its best may change), or cancelled (the best of the epochs it trained)."""
    if snap.finished:
        return ""
    if cancelled:
        return f"; cancelled at epoch {snap.epoch} of {snap.epochs}: the best of what it trained"
    return f"; so far: still training (epoch {snap.epoch} of {snap.epochs}), the best may change"


def lambdas_to_sweep(config) -> list[float]:
    """The λ values of the app's sweep: the preset's own sweep range where it has one (poly:
    1e-18 … 0.1, Bishop's ln λ = −18 inside it), else the ladder of the λ keys (1e-5 … 10);
    λ = 0, the reference, is added by the session."""
    own = (PRESETS[config.preset].sweep or {}).get("lambdas")
    return parse_lambda_spec(own) if own else list(LADDER)


def kind(snap) -> str:
    return "grid" if isinstance(snap, GridSnapshot) else "sweep"


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
        self.state.new_sweep(self.state.next_number(), self.state.config)
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
        lambdas = lambdas_to_sweep(self.state.config)
        config = dataclasses.replace(self.state.config, lam=lambdas[0])
        post = self.app.post_message
        self._start(lambda number, control: SweepSession(number, config, lambdas, post, control),
                    f"λ sweep: {len(lambdas)} copies of {config.preset} ({config.regularizer}) · starting…",
                    grid=False)

    def grid(self) -> None:
        """The (lr, λ) grid, coupled beside decoupled decay, as validation-loss heatmaps."""
        if self.state.config.solver == "exact":  # as wdtui sweep --lrs says it
            self.app.notify("the exact solver has no learning rate: solver gd (sidebar) trains an (lr, λ) grid; "
                            "w sweeps λ exactly", severity="warning")
            return
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
        self.app.notify(f"{kind(self.state.current_sweep())} cancelled")
        self.app.redraw(force=True)

    def best(self) -> None:
        """The best λ of the latest λ sweep, or the best (lr, λ) of the latest grid (in the
        current regularizer's grid if it has one, else the best of all, with its regularizer)."""
        snap = self.state.current_sweep()
        changed = self.state.changed_since_sweep() if snap is not None else []
        if changed:  # its best is the best for the settings it trained, not for these
            self.app.notify(f"not loaded: the run's settings changed since the {kind(snap)} ({', '.join(changed)}); "
                            f"{again(snap, self.state.config)} with these", severity="warning", timeout=8)
            return
        if isinstance(snap, GridSnapshot):
            self._load_grid_best(snap)
            return
        if snap is None or snap.best_lambda is None:
            self.app.notify("no sweep result yet: w runs one", severity="warning")
            return
        if snap.unlearned:  # a choice between guesses is no best λ
            self.app.notify(f"not loaded: {snap.unlearned}", severity="warning", timeout=8)
            return
        self.app.changes.apply("lam", snap.best_lambda)
        self.app.action_show_tab("charts")
        self.app.notify(f"λ = {snap.best_lambda:.4g}, the sweep's best by validation loss (epoch {snap.epoch})"
                        + unfinished(snap, self.cancelled))

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
                   f"loss (epoch {grid.record.epoch})" + unfinished(snap, self.cancelled) + better + (f"; applied from epoch {trained} of this run: r trains "
                                                                   "it from epoch 0, as the grid did" if trained else ""),
                   timeout=10)
