"""The explorer: a sidebar of settings, live charts, a status line.

Training runs in a thread worker (:mod:`.session`) that posts messages; this module only reacts to
them and to the user. Redraws are budgeted, because the worker needs the same interpreter lock as
this thread: while training, the app's own thread may use at most ``REDRAW_SHARE`` of the CPU
time (measured with ``time.thread_time``, so building, compositing and message handling all
count). The status line is updated every tick; a chart (the one shown longest) is rebuilt only
when the budget allows. When training is paused or done, everything is drawn at once.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

from rich.console import Group
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Input, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from ..engine.config import Config, ConfigError, make_config, notices, rule_text
from ..engine.control import Control
from ..engine.export import document, write_text
from ..engine.presets import PRESETS
from ..tables import best_line, grid_tables
from .commands import WdtuiCommands
from .ladder import lambda_down, lambda_up
from .ladder import LADDER
from .messages import (GridProgress, GridSnapshot, Progress, SessionFailed, SessionReady, Snapshot,
                       SweepProgress, SweepSnapshot)
from .session import TrainingSession
from .sweep_session import GRID_LAMBDAS, GRID_LRS, GridSession, SweepSession
from .sweep_view import grid_state, sweep_status
from .widgets.charts import (AccuracyChart, Chart, ClassChart, FitChart, HistogramChart, LossChart, NormChart, SweepChart,
                             SweepLossChart, SweepNormChart, SweepPathChart)
from .widgets.sidebar import Choice, Field, FieldCommitted, Sidebar, Toggle
from .widgets.status import StatusLine

REDRAW_INTERVAL = 0.25  # seconds between redraw ticks
REDRAW_SHARE = 0.05  # while training, the app's thread may use at most this share of CPU time
BUDGET_CAP = 0.05  # seconds of CPU the budget may save up (bounds a burst of redraws)
MIN_SIZE = (60, 20)
LIVE_FIELDS = ("lr", "epochs", "regularizer")  # applied between epochs (λ too, held apart); others restart


class WdtuiApp(App[int]):
    CSS_PATH = Path(__file__).parent / "app.tcss"  # absolute: subclasses elsewhere find it too
    TITLE = "wdtui"
    AUTO_FOCUS = None  # keys go to the app until a field is chosen
    COMMANDS = App.COMMANDS | {WdtuiCommands}
    BINDINGS = [
        Binding("space", "toggle", "start/pause"),
        Binding("n", "step", "step"),
        Binding("r", "reset", "reset"),
        Binding("right_square_bracket", "lambda_up", "λ+", key_display="]"),
        Binding("left_square_bracket", "lambda_down", "λ−", key_display="["),
        Binding("c", "compare", "compare"),
        Binding("w", "sweep", "λ sweep"),
        Binding("b", "best", "best λ"),
        Binding("g", "grid", "lr×λ grid"),
        Binding("x", "cancel_sweep", "cancel sweep", show=False),
        Binding("s", "screenshot", "svg"),
        Binding("e", "export", "export"),
        Binding("q", "quit", "quit"),
        Binding("escape", "unfocus", "leave field", show=False),
    ]

    def __init__(self, config: Config, *, compare: bool = False, compare_lam: float = 0.0,
                 autostart: bool = False, snapshot_path: str | None = None, deterministic: bool = False):
        super().__init__()
        self.lam = config.lam
        self.config = config
        self.compare = compare
        self.compare_lam = compare_lam
        self.autostart = autostart or snapshot_path is not None
        self.snapshot_path = snapshot_path
        self.failure: tuple[str, str] | None = None  # snapshot: (config field or "", why) it failed
        self.deterministic = deterministic or snapshot_path is not None
        self.control: Control | None = None
        self.session_number = 0
        self._sessions = 0
        self._notices: set[str] = set()  # the notices about the current settings already shown
        self.session: TrainingSession | None = None
        self.ready: SessionReady | None = None
        self.snapshot: Snapshot | None = None
        self.device = ""
        self.note = ""
        self._budget = 0.0  # seconds of main-thread CPU the charts may still use
        self._clock = (time.perf_counter(), time.thread_time())
        self._worker: Worker | None = None
        self._status: StatusLine | None = None
        self._charts: list[Chart] = []  # every chart, found once per session (a DOM query is slow)
        self.sweep_control: Control | None = None
        self.sweep_number = 0
        self.sweep_snapshot: SweepSnapshot | None = None
        self._sweep_worker: Worker | None = None
        self.grid_snapshot: GridSnapshot | None = None

    # --- layout ------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        devices = ["auto", "cpu"] + ([self.config.device] if self.config.device not in ("auto", "cpu") else [])
        with Horizontal(id="body"):
            yield Sidebar(self.config, self.lam, self.compare, self.compare_lam, devices)
            with TabbedContent(id="tabs", initial="charts"):
                with TabPane("Charts", id="charts"):
                    with Horizontal(id="upper"):
                        yield FitChart("fit", id="fit")
                        yield AccuracyChart("accuracy", id="accuracy")
                        yield ClassChart("per-class test accuracy", id="per-class")
                    with Horizontal(id="lower"):
                        yield LossChart("loss (log)", id="loss")
                        yield NormChart("‖w‖₂", id="norm")
                with TabPane("Weights", id="weights"):
                    yield VerticalScroll(id="histograms")
                with TabPane("Sweep", id="sweep"):
                    yield Static("w trains one copy of the model per λ of the ladder (1e-5 … 10) and λ = 0, "
                                 "over 3 seeds, as one batched model (one seed, one copy after another, for "
                                 "models that do not batch); λ is chosen on a validation set; b then loads the "
                                 "best λ.", id="sweep-status")
                    yield SweepLossChart("loss against λ (log)", id="sweep-loss")
                    with Horizontal(id="sweep-lower"):
                        yield SweepNormChart("‖w‖₂ against λ", id="sweep-norm")
                        yield SweepPathChart("weights against λ", id="sweep-path")
                    with VerticalScroll(id="grid"):
                        yield Static("", id="grid-tables")
        yield Static(f"terminal too small: wdtui needs at least {MIN_SIZE[0]}×{MIN_SIZE[1]}", id="too-small")
        yield StatusLine(id="status")
        yield Footer()

    @property
    def main(self):
        """The app's own screen: queries must not land on the command palette or a toast."""
        return self.screen_stack[0] if self.screen_stack else self.screen

    @property
    def live(self) -> bool:
        """False once the app is closing: late timer ticks and worker messages are dropped."""
        return self.is_running and not self._closing and self.status.is_attached

    @property
    def status(self) -> StatusLine:
        if self._status is None:
            self._status = self.main.query_one(StatusLine)
        return self._status

    def on_mount(self) -> None:
        if self.deterministic:  # snapshots: nothing may depend on time
            for field in self.main.query(Input):
                field.cursor_blink = False
        self._show_rule()
        self._fit_to_size()
        self.start_session(self.autostart)
        self.set_interval(REDRAW_INTERVAL, self.redraw)

    def on_unmount(self) -> None:
        # However the app ends (quit, error, ctrl+c), no training thread may outlive it.
        for control in (self.control, self.sweep_control):
            if control is not None:
                control.cancel()

    def on_resize(self, event: events.Resize) -> None:
        self._fit_to_size(event.size)

    def _fit_to_size(self, size=None) -> None:
        width, height = size or self.size
        self.main.set_class(width < MIN_SIZE[0] or height < MIN_SIZE[1], "too-small")

    # --- sessions ----------------------------------------------------------------------------------

    @property
    def session_config(self) -> Config:
        lam = self.lam if self.config.regularizer != "none" else 0.0
        return dataclasses.replace(self.config, lam=lam)

    def start_session(self, autostart: bool, note: str = "") -> None:
        """A new run from epoch 0 (same seed: same data and initialization)."""
        if self.control is not None:
            self.control.cancel()
        self.session_number = self._new_session_number()
        self.control = Control(paused=not autostart)
        self.ready = None
        self.snapshot = None
        self.note = note
        self.session = TrainingSession(self.session_number, self.session_config, self.compare,
                                       self.post_message, self.control, compare_lam=self.compare_lam)
        self._show_rule()  # the optimizer or the convention may have changed
        self._worker = self._train(self.session)
        self.redraw()

    def _new_session_number(self) -> int:
        """One counter for runs and sweeps, so a message names its session unambiguously."""
        self._sessions += 1
        return self._sessions

    @work(thread=True, exclusive=True, group="training", exit_on_error=False)
    def _train(self, session: TrainingSession) -> None:
        session.run()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        workers = (self._worker, self._sweep_worker)  # a run or a sweep: both must say why they stopped
        if event.worker in workers and event.state == WorkerState.ERROR:
            error = event.worker.error
            self.note = f"training stopped: {type(error).__name__}: {error}"
            if self.snapshot_path:  # headless: nobody will read the notice; end with the reason
                self.failure = ("", f"training failed: {type(error).__name__}: {error}")
                self.exit(return_code=2)
                return
            self.notify(self.note, severity="error", timeout=10)
            self.redraw()

    def on_session_ready(self, message: SessionReady) -> None:
        if message.session != self.session_number or not self.live:
            return
        self.ready = message
        self.snapshot = message.snapshot
        self.device = message.device
        sidebar = self.main.query_one(Sidebar)
        sidebar.show_devices(["auto"] + message.devices, self.config.device)
        sidebar.query_one("#decay-summary", Static).update(message.decay_summary)
        self.main.query_one("#upper").set_class(message.data.fit == "classes", "classes")
        self._mount_histograms(message.snapshot)
        self._feed_charts()
        self.redraw(force=True)

    def on_progress(self, message: Progress) -> None:
        if message.snapshot.session != self.session_number or self.ready is None or not self.live:
            return
        self.snapshot = message.snapshot
        self._feed_charts()
        if message.snapshot.finished:
            self.redraw(force=True)
            if self.snapshot_path:
                self.call_after_refresh(self._save_snapshot_and_exit)

    def on_session_failed(self, message: SessionFailed) -> None:
        if message.session not in (self.session_number, self.sweep_number) or not self.live:
            return
        self.note = f"cannot start: {message.field}: {message.error}"
        self.notify(self.note, severity="error", timeout=10)
        if self.snapshot_path:  # wdtui snapshot prints it as one line naming the flag
            self.failure = (message.field, message.error)
            self.exit(return_code=2)
            return
        self.redraw()

    # --- charts and status ---------------------------------------------------------------------

    def _mount_histograms(self, snapshot: Snapshot) -> None:
        box = self.main.query_one("#histograms", VerticalScroll)
        box.remove_children()
        layers = list((snapshot.records[0].histograms or {}).keys())
        histograms = [HistogramChart(layer, classes="histogram") for layer in layers]
        box.mount_all(histograms)
        self._charts = [self.main.query_one(FitChart), self.main.query_one(AccuracyChart),
                        self.main.query_one(ClassChart), self.main.query_one(LossChart),
                        self.main.query_one(NormChart), *self.main.query(SweepChart),
                        self.main.query_one(SweepPathChart), *histograms]

    def _feed_charts(self) -> None:
        """Hand the latest state to every chart (cheap); building happens at redraw."""
        snap, ready = self.snapshot, self.ready
        for chart in self._charts:
            if isinstance(chart, (SweepChart, SweepPathChart)):
                continue  # fed by the sweep (_feed_sweep), not by the run
            if isinstance(chart, (FitChart, ClassChart)):
                chart.update((ready.data, snap))
            elif isinstance(chart, HistogramChart):
                chart.update(snap)
            else:
                chart.update((ready.results, snap))

    def redraw(self, force: bool = False) -> None:
        """Status every tick; charts within the budget (all of them when not training)."""
        if not self.live:
            return
        self.status.show(self.snapshot, self.lam, self.config.regularizer, self.device,
                                        show_speed=not self.deterministic, note=self.note)
        training = (self.snapshot is not None and self.snapshot.running) or self.sweeping
        now, cpu = time.perf_counter(), time.thread_time()
        (then, cpu_then), self._clock = self._clock, (now, cpu)
        if training:  # only time taken from a running worker counts
            earned = REDRAW_SHARE * (now - then) - (cpu - cpu_then)
            self._budget = max(-BUDGET_CAP, min(self._budget + earned, BUDGET_CAP))
        else:
            self._budget = BUDGET_CAP
        stale = [c for c in self._charts if c.stale and c.data is not None and c.region.area]
        if not stale:
            return
        if force or not training:
            for chart in stale:
                chart.refresh()
        elif self._budget > 0:
            min(stale, key=lambda c: c.built_at).refresh()  # the one shown longest

    def _show_rule(self) -> None:
        """The rule of the chosen regularizer (with its note: decoupled's convention, l1 under
        Adam), and once each, a notice for settings that do not mean what their name suggests."""
        c = self.config
        self.main.query_one("#rule", Static).update(rule_text(c.regularizer, c.optimizer, c.decay_convention))
        current = set(notices(c))
        for notice in sorted(current - self._notices):
            self.notify(notice, severity="warning", timeout=10)
        self._notices = current

    # --- changes from the sidebar ----------------------------------------------------------------

    @on(FieldCommitted)
    def _field_committed(self, message: FieldCommitted) -> None:
        self.apply_change(message.field, message.value)

    @on(Button.Pressed, "#regenerate")
    def action_regenerate(self) -> None:
        """New data (and initialization) from the next seed."""
        seed = self.config.seed + 1
        self.main.query_one("#field-seed", Field).set_value(str(seed))
        self.apply_change("seed", seed)

    def apply_change(self, field: str, value) -> None:
        if field == "preset":
            self.load_preset(value)
            return
        if field == "compare":
            self.compare = value
            self._restart(f"compare {'on' if value else 'off'}: run restarted")
            return
        if field == "lam":
            self.lam = value
            self.main.query_one("#field-lam", Field).set_value(f"{value:.4g}")
            if self.control is not None:
                self.control.set_lambda(self.session_config.lam)
            self._feed_sweep()  # the run's λ is marked on the sweep's charts
            self.redraw()
            return
        try:
            config = self.config.with_changes(**{field: value})
        except ConfigError as error:
            self._field_error(error)
            return
        self.config = config
        if field in LIVE_FIELDS:
            if field == "regularizer":
                self._show_rule()
                self.control.set_regularizer(value)
                self.control.set_lambda(self.session_config.lam)
            elif field == "lr":
                self.control.set_lr(value)
            else:
                self.control.set_epochs(value)
            self.redraw()
        else:
            self._restart(f"{field} changed: run restarted")

    def _field_error(self, error: ConfigError) -> None:
        widget = self.main.query(f"#field-{error.field}")
        if widget and isinstance(widget.first(), Field):
            widget.first(Field).show_error(error.message)
        self.notify(f"{error.field}: {error.message}", severity="error")

    def _restart(self, note: str) -> None:
        running = self.snapshot is not None and self.snapshot.running
        self.start_session(autostart=running, note=note)
        self.notify(note)

    def load_preset(self, name: str) -> None:
        """All of the preset's settings (device kept, and the data paths given at start-up: the
        CIFAR-10 folder, your own data file for the custom preset), a new run."""
        paths = {"data_dir": self.config.data_dir, "data": self.config.data if name == "custom" else None}
        try:
            config = make_config(name, device=self.config.device, **paths)
        except ConfigError as error:
            self.main.query_one("#field-preset", Choice).set_value(self.config.preset)
            self.notify(f"preset {name}: {error.message} (start wdtui with --{error.field.replace('_', '-')})",
                        severity="error", timeout=10)
            return
        self.config = dataclasses.replace(config, lam=config.lam)
        self.lam = config.lam
        self.main.query_one(Sidebar).show_config(self.config, self.lam)
        self._show_rule()
        self.start_session(autostart=False, note=f"preset {name}")

    # --- actions -----------------------------------------------------------------------------------

    def action_toggle(self) -> None:
        if self.control is None:
            return
        if self.snapshot is not None and self.snapshot.finished:
            self.start_session(autostart=True)
        elif self.control.paused:
            self.note = ""
            self.control.resume()
            if self.snapshot is not None:
                self.snapshot = dataclasses.replace(self.snapshot, running=True)
        else:
            self.control.pause()
        self.redraw()

    def action_step(self) -> None:
        if self.snapshot is not None and self.snapshot.finished:
            self.notify("the run is finished: r resets it")
            return
        if self.control is not None:
            self.control.step(1)

    def action_reset(self) -> None:
        self.start_session(autostart=False, note=f"reset (seed {self.config.seed})")

    def action_lambda_up(self) -> None:
        self.apply_change("lam", lambda_up(self.lam))

    def action_lambda_down(self) -> None:
        self.apply_change("lam", lambda_down(self.lam))

    def action_compare(self) -> None:
        self.main.query_one("#field-compare", Toggle).set_value(not self.compare)
        self.apply_change("compare", not self.compare)

    def action_unfocus(self) -> None:
        self.set_focus(None)

    def action_show_tab(self, tab: str) -> None:
        self.main.query_one(TabbedContent).active = tab

    def _output_path(self, suffix: str) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = Path.cwd() / f"wdtui-{self.config.preset}-{stamp}{suffix}"
        n = 1
        while path.exists():
            n += 1
            path = Path.cwd() / f"wdtui-{self.config.preset}-{stamp}-{n}{suffix}"
        return path

    def action_screenshot(self) -> None:
        path = self._output_path(".svg")
        try:
            write_text(path, self.export_screenshot(title=f"wdtui {self.config.preset}"))
        except OSError as error:
            self.notify(f"cannot save the screenshot: {error}", severity="error")
            return
        self.notify(f"saved {path}", title="screenshot")

    def action_export(self) -> None:
        """The run's metrics (the ``wdtui run`` JSON); on the Sweep tab, the sweep's results (the
        ``wdtui sweep --out`` JSON, or the grid's)."""
        if self.main.query_one(TabbedContent).active == "sweep":
            self._export_sweep()
            return
        if self.ready is None or self.snapshot is None:
            self.notify("nothing to export yet", severity="warning")
            return
        results = [r.upto(n) for r, n in zip(self.ready.results, self.snapshot.lengths)]
        doc = document(self.session_config, self.device, results)
        path = self._output_path(".json")
        try:
            write_text(path, json.dumps(doc, indent=1, allow_nan=False) + "\n")
        except OSError as error:
            self.notify(f"cannot export: {error}", severity="error")
            return
        self.notify(f"saved {path}", title="export")

    def _export_sweep(self) -> None:
        snap = self._current_sweep()
        if snap is None or snap.document is None:
            self.notify("no sweep result yet: w runs a λ sweep, g a grid", severity="warning")
            return
        path = self._output_path("-grid.json" if isinstance(snap, GridSnapshot) else "-sweep.json")
        try:
            write_text(path, json.dumps(snap.document, indent=1, allow_nan=False) + "\n")
        except OSError as error:
            self.notify(f"cannot export: {error}", severity="error")
            return
        partial = "" if snap.finished else f" (epoch {snap.epoch} of {snap.epochs}: not finished)"
        self.notify(f"saved {path}{partial}", title="export")

    async def action_quit(self) -> None:
        for control in (self.control, self.sweep_control):
            if control is not None:
                control.cancel()
        self.exit(0)

    # --- the λ sweep -------------------------------------------------------------------------------

    @property
    def sweeping(self) -> bool:
        running = [s for s in (self.sweep_snapshot, self.grid_snapshot)
                   if s is not None and s.session == self.sweep_number]
        return (self.sweep_control is not None and not self.sweep_control.cancelled
                and any(not s.finished for s in running))

    def _start_sweep(self, make_session, status: str, grid: bool) -> None:
        """A new sweep (λ ladder or grid) in the sweep worker; the single run pauses, as both
        would share the CPU."""
        if self.sweep_control is not None:
            self.sweep_control.cancel()
        if self.control is not None:
            self.control.pause()
        self.sweep_number = self._new_session_number()
        self.sweep_control = Control()
        self.sweep_snapshot = self.grid_snapshot = None
        self._show_grid(grid)
        self._sweep_worker = self._run_sweep(make_session(self.sweep_number, self.sweep_control))
        self.main.query_one("#sweep-status", Static).update(status)
        self.action_show_tab("sweep")

    def action_sweep(self) -> None:
        """Train the current model once per λ of the ladder, as one batched model."""
        if self.config.regularizer == "none":
            self.notify("λ has no effect with regularizer none: pick one to sweep", severity="warning")
            return
        config = dataclasses.replace(self.config, lam=LADDER[0])
        self._start_sweep(
            lambda number, control: SweepSession(number, config, list(LADDER), self.post_message, control),
            f"λ sweep: {len(LADDER)} copies of {config.preset} ({config.regularizer}) · starting…", grid=False)

    @work(thread=True, exclusive=True, group="sweep", exit_on_error=False)
    def _run_sweep(self, session: SweepSession) -> None:
        session.run()

    def _current_sweep(self) -> SweepSnapshot | GridSnapshot | None:
        """The latest sweep's snapshot (λ sweep or grid), if it has posted one."""
        for snap in (self.sweep_snapshot, self.grid_snapshot):
            if snap is not None and snap.session == self.sweep_number:
                return snap
        return None

    def _feed_sweep(self) -> None:
        snap = self.sweep_snapshot
        if snap is None:
            return
        for chart in (*self.main.query(SweepChart), self.main.query_one(SweepPathChart)):
            chart.update((snap, self.session_config.lam))

    @property
    def _sweep_cancelled(self) -> bool:
        return self.sweep_control is not None and self.sweep_control.cancelled

    def on_sweep_progress(self, message: SweepProgress) -> None:
        snap = message.snapshot
        if snap.session != self.sweep_number or not self.live:
            return
        self.sweep_snapshot = snap
        self.main.query_one("#sweep-path").display = snap.weights is not None
        self._feed_sweep()
        self._show_sweep_status()
        if snap.finished:
            self.redraw(force=True)

    def _show_sweep_status(self) -> None:
        snap = self._current_sweep()
        if isinstance(snap, SweepSnapshot):
            text = sweep_status(snap, self._sweep_cancelled, show_eta=not self.deterministic)
        elif isinstance(snap, GridSnapshot):
            text = (f"(lr, λ) grid of {snap.preset} · {grid_state(snap, self._sweep_cancelled, not self.deterministic)}"
                    "\nb: use the best (lr, λ) · e: export the grid (JSON)")
        else:
            return
        self.main.query_one("#sweep-status", Static).update(text, layout=False)

    def action_cancel_sweep(self) -> None:
        """Stop the sweep (λ or grid) within a step; its numbers so far stay shown."""
        if not self.sweeping:
            self.notify("no sweep is running", severity="warning")
            return
        self.sweep_control.cancel()
        self._show_sweep_status()
        self.notify("sweep cancelled")
        self.redraw(force=True)

    def action_grid(self) -> None:
        """The (lr, λ) grid, coupled beside decoupled decay, as test-loss heatmaps."""
        config = dataclasses.replace(self.config, lam=0.0)
        self._start_sweep(
            lambda number, control: GridSession(number, config, self.post_message, control),
            f"(lr, λ) grid: {len(GRID_LRS)} × {len(GRID_LAMBDAS)} copies of {config.preset}, "
            f"{config.optimizer}, coupled then decoupled · starting…", grid=True)

    def _show_grid(self, grid: bool) -> None:
        self.main.query_one("#grid").display = grid
        for name in ("#sweep-loss", "#sweep-lower"):
            self.main.query_one(name).display = not grid

    def on_grid_progress(self, message: GridProgress) -> None:
        snap = message.snapshot
        if snap.session != self.sweep_number or not self.live:
            return
        self.grid_snapshot = snap
        parts = [grid_hint(snap.grids, self.config.decay_convention), ""]
        for grid, table in zip(snap.grids, grid_tables(snap.grids)):
            parts += [table, best_line(grid), ""]
        self.main.query_one("#grid-tables", Static).update(Group(*parts))
        self._show_sweep_status()

    def action_best(self) -> None:
        """The best λ of the latest λ sweep, or the best (lr, λ) of the latest grid (in the
        current regularizer's grid if it has one, else the best of all, with its regularizer)."""
        snap = self._current_sweep()
        if isinstance(snap, GridSnapshot):
            self._load_grid_best(snap)
            return
        if snap is None or snap.best_lambda is None:
            self.notify("no sweep result yet: w runs one", severity="warning")
            return
        self.apply_change("lam", snap.best_lambda)
        self.action_show_tab("charts")
        self.notify(f"λ = {snap.best_lambda:.4g}, the sweep's best by validation loss (epoch {snap.epoch})")

    def _load_grid_best(self, snap: GridSnapshot) -> None:
        found = snap.best(self.config.regularizer)
        if found is None:
            self.notify("no grid cell trained without diverging", severity="warning")
            return
        grid, r, l = found
        lr, lam = grid.lrs[r], grid.lambdas[l]
        if grid.regularizer != self.config.regularizer:
            self.main.query_one("#field-regularizer", Choice).set_value(grid.regularizer)
            self.apply_change("regularizer", grid.regularizer)
        self.main.query_one("#field-lr", Field).set_value(f"{lr:g}")
        self.apply_change("lr", lr)
        self.apply_change("lam", lam)
        self.action_show_tab("charts")
        self.notify(f"{grid.regularizer}, lr = {lr:.3g}, λ = {lam:.3g}: the grid's best by validation loss "
                    f"(epoch {grid.record.epoch})")

    def _save_snapshot_and_exit(self, tries: int = 100) -> None:
        # The footer fills in its keys a few refreshes after start-up; a short run can finish
        # before that, and the screen saved would lack them.
        keys = self.main.query("FooterKey")
        if tries and not (keys and all(key.region.width for key in keys)):
            self.set_timer(0.02, lambda: self._save_snapshot_and_exit(tries - 1))
            return
        try:
            write_text(self.snapshot_path, self.export_screenshot(title=f"wdtui {self.config.preset}"))
        except OSError as error:  # e.g. disk full: the temporary file is gone; say which file
            self.failure = ("out", f"cannot write {self.snapshot_path!r}: {error.strerror or error}")
            self.exit(return_code=2)
            return
        self.exit(0)


def grid_hint(grids, decay_convention: str) -> str:
    """What the grids on screen show, read from them (engine/trends.py): per regularizer, how
    the best λ (by validation loss, as the grid chooses) moves with lr. With one seed, a flat
    minimum's best cell moves with noise: the hint says so."""
    from ..engine.trends import best_lambda_trend, describe

    lines = []
    for grid in grids:
        label = f"decoupled ({decay_convention})" if grid.regularizer == "decoupled" else grid.regularizer
        lines.append(describe(label, best_lambda_trend(grid.lrs, grid.lambdas, grid.grid("val_loss"))))
    if grids and grids[0].seeds == 1:
        lines.append("one seed: a flat minimum's best cell moves with noise (wdtui sweep --seeds)")
    return " · ".join(lines)
