"""The explorer: a sidebar of settings, live charts, status lines, and a help screen (? or F1).

Training runs in a thread worker (:mod:`.session`) that posts messages; this module only reacts to
them and to the user. Redraws are budgeted, because the worker needs the same interpreter lock as
this thread: while training, the app's own thread may use at most ``REDRAW_SHARE`` of the CPU
time (measured with ``time.thread_time``, so building, compositing and message handling all
count). The status lines are updated every tick; a chart (the one shown longest) is rebuilt only
when the budget allows. When training is paused or done, everything is drawn at once.

One state, one truth: this module is the composition root. It composes the views — the run's
charts (:class:`.run_view.RunView`), the weights (:class:`.widgets.weights.WeightsView`), the sweep
(:class:`.sweep_view.SweepView`), the status lines and the help screen — over one
:class:`.state.AppState`, which the worker's messages and the user's changes update; each view
draws from that state only. The run's setting is ``state.config`` (λ is ``config.lam``), the
comparison's ``state.comparison``; every legend and the status name the runs by the session's
labels ("run", "vs l2 λ=0.2").
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
import time
from pathlib import Path

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Footer, Input, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from ..engine.config import Config, ConfigError, make_config, notices, rule_text
from ..engine.export import document, write_text
from ..engine.lessons.presets import Run
from ..engine.training.control import Control
from .board import DEFAULT_ROOT
from .commands import WdtuiCommands
from .delivery import deliver_files, export_files, save_text
from .ladder import LADDER, lambda_down, lambda_up
from .messages import (
    EpochProgress,
    ExportDone,
    GridProgress,
    GridSnapshot,
    Progress,
    SessionFailed,
    SessionReady,
    SweepProgress,
)
from .run_view import RunView
from .screens.help import HelpScreen
from .session import TrainingSession, preset_comparison, setting_label
from .state import AppState
from .sweep_session import GRID_LAMBDAS, GRID_LRS, GridSession, SweepSession
from .sweep_view import SweepView
from .widgets.charts import Chart
from .widgets.layers import LayersView
from .widgets.sidebar import Choice, Field, FieldCommitted, Sidebar, Toggle, shorten, text
from .widgets.status import StatusLine
from .widgets.weights import WeightsView

REDRAW_INTERVAL = 0.25  # seconds between redraw ticks
REDRAW_SHARE = 0.05  # while training, the app's thread may use at most this share of CPU time
BUDGET_CAP = 0.05  # seconds of CPU the budget may save up (bounds a burst of redraws)
MIN_SIZE = (60, 20)
UNDO_MOST_NUMBERS = 20_000_000  # a replaced run is kept for ctrl+z only if its data holds at most this many
LIVE_FIELDS = ("lr", "epochs", "regularizer")  # applied between epochs (λ too, held apart); others restart
FIELD_NAMES = {"lambda": "lam"}  # a ConfigError's field → the sidebar field that holds it
EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)  # kill, an SSH disconnect: leave the terminal clean
TABS = ("charts", "weights", "sweep", "layers")


def _state_field(name: str, doc: str = "") -> property:
    """An attribute of the app that is the state's (``app.snapshot`` is ``app.state.snapshot``)."""
    return property(lambda self: getattr(self.state, name), lambda self, value: setattr(self.state, name, value),
                    doc=doc or f"``state.{name}``")


class WdtuiApp(App[int]):
    CSS_PATH = Path(__file__).parent / "app.tcss"  # absolute: subclasses elsewhere find it too
    TITLE = "wdtui"
    AUTO_FOCUS = None  # keys go to the app until a field is chosen
    COMMANDS = App.COMMANDS | {WdtuiCommands}
    # The footer shows what fits in 80 columns; every key is in the help screen (?) and ctrl+p.
    BINDINGS = [
        Binding("space", "toggle", "start/pause"),
        Binding("n", "step", "step", show=False),
        Binding("r", "reset", "reset", show=False),
        Binding("right_square_bracket", "lambda_up", "λ+", key_display="]"),
        Binding("left_square_bracket", "lambda_down", "λ−", key_display="["),
        Binding("l", "focus_lambda", "λ field", show=False),
        Binding("c", "compare", "compare"),
        Binding("p", "pin", "pin run", show=False),
        Binding("u", "unpin", "unpin", show=False),
        Binding("w", "sweep", "λ sweep", show=False),
        Binding("b", "best", "best λ", show=False),
        Binding("g", "grid", "lr×λ grid", show=False),
        Binding("d", "samples", "n_train sweep", show=False),
        Binding("s", "screenshot", "svg", show=False),
        Binding("e", "export", "export", show=False),
        Binding("t", "tensorboard", "tensorboard", show=False),
        Binding("x", "cancel_sweep", "cancel sweep", show=False),
        Binding("1", "show_tab('charts')", "charts", show=False),
        Binding("2", "show_tab('weights')", "weights", show=False),
        Binding("3", "show_tab('sweep')", "sweep", show=False),
        Binding("4", "show_tab('layers')", "layers", show=False),
        Binding("ctrl+b", "toggle_sidebar", "sidebar", show=False),
        Binding("z", "zoom", "zoom chart", show=False),
        Binding("ctrl+z", "undo", "undo restart", show=False),
        Binding("question_mark", "help", "help", key_display="?"),
        Binding("f1", "help", "help", show=False),
        Binding("q", "quit", "quit"),
        Binding("escape", "unfocus", "leave field"),  # shown only while a field has the keys
    ]

    def __init__(self, config: Config, *, compare: bool | None = None, compare_lam: float | None = None,
                 autostart: bool = False, snapshot_path: str | None = None, deterministic: bool = False):
        """``compare`` None: on (a preset is a comparison). The comparison is the preset's other
        run (:func:`.session.preset_comparison`), or with ``compare_lam`` the run at that λ."""
        super().__init__()
        if compare_lam is None:
            config, comparison = preset_comparison(config)
        else:
            comparison = Run(config.regularizer, compare_lam, config.dropout)
        self.state = AppState(config, comparison, compare=True if compare is None else compare, lam_kept=config.lam)
        self.autostart = autostart or snapshot_path is not None
        self.snapshot_path = snapshot_path
        self.failure: tuple[str, str] | None = None  # snapshot: (config field or "", why) it failed
        self.deterministic = deterministic or snapshot_path is not None
        self.control: Control | None = None
        self._sessions = 0
        self._notices: set[str] = set()  # the notices about the current settings already shown
        self.session: TrainingSession | None = None
        self._budget = 0.0  # seconds of main-thread CPU the charts may still use
        self._clock = (time.perf_counter(), time.thread_time())
        self._worker: Worker | None = None
        self._status: StatusLine | None = None
        self._charts: list[Chart] = []  # every chart, found once per session (a DOM query is slow)
        self.sweep_control: Control | None = None
        self._sweep_worker: Worker | None = None
        # the run a restart replaced, paused: (state.keep(), control, session, worker); ctrl+z
        self._undo: tuple | None = None
        self.board_root: str | None = None  # TensorBoard event files of the runs (t), or None
        self._board_dir: str | None = None  # where t writes them

    config = _state_field("config", "The run's setting (λ is ``config.lam``).")
    comparison = _state_field("comparison", "The comparison run's setting.")
    compare = _state_field("compare", "Whether the comparison trains beside the run.")
    ready = _state_field("ready")
    snapshot = _state_field("snapshot")
    device = _state_field("device")
    note = _state_field("note")
    session_number = _state_field("session_number")
    sweep_number = _state_field("sweep_number")
    sweep_snapshot = _state_field("sweep_snapshot")
    grid_snapshot = _state_field("grid_snapshot")

    @property
    def lam(self) -> float:
        """λ asked for (the run trains with it from the next epoch; 0 with regularizer none)."""
        return self.config.lam

    def notify(self, message: str, *, markup: bool = False, **kwargs) -> None:
        """Notices repeat what the user typed and file names: text, never Rich markup."""
        super().notify(message, markup=markup, **kwargs)

    # --- layout ------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        devices = ["auto", "cpu"] + ([self.config.device] if self.config.device not in ("auto", "cpu") else [])
        with Horizontal(id="body"):
            yield Sidebar(self.config, self.lam, self.compare, setting_label(self.comparison), devices,
                          run=self.comparison)
            with TabbedContent(id="tabs", initial="charts"):
                with TabPane("Charts", id="charts"):
                    yield RunView(id="run-view")
                with TabPane("Weights", id="weights"):
                    yield WeightsView(id="histograms")
                with TabPane("Sweep", id="sweep"):
                    yield SweepView(id="sweep-view")
                with TabPane("Layers", id="layers"):
                    yield LayersView()
        yield Static(f"terminal too small: wdtui needs at least {MIN_SIZE[0]}×{MIN_SIZE[1]}", id="too-small")
        yield StatusLine(id="status")
        yield Footer(compact=True)

    @property
    def run_view(self) -> RunView:
        return self.main.query_one(RunView)

    @property
    def weights_view(self) -> WeightsView:
        return self.main.query_one(WeightsView)

    @property
    def sweep_view(self) -> SweepView:
        return self.main.query_one(SweepView)

    @property
    def layers_view(self) -> LayersView:
        return self.main.query_one(LayersView)

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
        self._catch_exit_signals()
        self.start_session(self.autostart)
        self.set_interval(REDRAW_INTERVAL, self.redraw)

    def _catch_exit_signals(self) -> None:
        """SIGTERM and SIGHUP end the app as q does, so the terminal is restored (main screen,
        cursor, no mouse tracking) and the training threads stop. Textual leaves both signals
        to Python, whose default ends the process at once, leaving the terminal unusable."""
        loop = asyncio.get_running_loop()
        for number in EXIT_SIGNALS:
            try:
                loop.add_signal_handler(number, self._exit_on_signal, number)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread (tests)
                pass

    def _exit_on_signal(self, number: int) -> None:
        for control in self._controls():
            control.cancel()
        self.exit(128 + number, return_code=128 + number)

    def on_unmount(self) -> None:
        # However the app ends (quit, error, ctrl+c), no training thread may outlive it.
        for control in self._controls():
            control.cancel()
        try:
            loop = asyncio.get_running_loop()
            for number in EXIT_SIGNALS:
                loop.remove_signal_handler(number)
        except (NotImplementedError, RuntimeError, ValueError):
            pass

    def on_resize(self, event: events.Resize) -> None:
        self._fit_to_size(event.size)

    def _fit_to_size(self, size=None) -> None:
        width, height = size or self.size
        self.main.set_class(width < MIN_SIZE[0] or height < MIN_SIZE[1], "too-small")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape ("leave field") is offered in the footer only while a field has the keys."""
        if action == "unfocus":
            return isinstance(self.focused, Input)
        return True

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.refresh_bindings()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self.refresh_bindings()

    # --- sessions ----------------------------------------------------------------------------------

    @property
    def session_config(self) -> Config:
        return self.config

    def start_session(self, autostart: bool, note: str = "", kept: dict | None = None) -> None:
        """A new run from epoch 0 (same seed: same data and initialization). ``kept``: the state
        of the run this one replaces, as it was before the change (``state.keep()``); if it had
        trained, it is paused and kept, and ctrl+z brings it back (one level); the note says so."""
        if self.control is not None:
            trained = AppState.trained(kept) if kept is not None else 0
            self._drop_undo()
            if trained and self.session is not None and self.session.data_size() <= UNDO_MOST_NUMBERS:
                self.control.pause()
                self._undo = (kept, self.control, self.session, self._worker)
                note += f" · epoch {trained} run kept: ctrl+z brings it back"
            else:
                self.control.cancel()
                if trained:
                    note += f" · epoch {trained} run discarded (its data is too large to keep twice)"
        self.state.new_session(self._new_session_number(), note)
        self.control = Control(paused=not autostart)
        self.session = TrainingSession(self.session_number, self.config,
                                       self.comparison if self.compare else None,
                                       self.post_message, self.control)
        self.session.boards.root = self.board_root
        self._show_rule()  # the optimizer or the convention may have changed
        self._worker = self._train(self.session)
        self.redraw()

    def _new_session_number(self) -> int:
        """One counter for runs and sweeps, so a message names its session unambiguously."""
        self._sessions += 1
        return self._sessions

    def _controls(self) -> list[Control]:
        """Every training thread's control: the run, the run kept for undo, the sweep."""
        kept = self._undo[1] if self._undo is not None else None
        return [c for c in (self.control, kept, self.sweep_control) if c is not None]

    def _drop_undo(self) -> None:
        if self._undo is not None:
            self._undo[1].cancel()
            self._undo = None

    def action_undo(self) -> None:
        """Bring back the run the last restart replaced (paused where it was), with its settings;
        the run started by that restart is dropped."""
        if self._undo is None:
            self.notify("nothing to undo: ctrl+z brings back a run that a reset or a restart replaced",
                        severity="warning")
            return
        (kept, control, session, worker), self._undo = self._undo, None
        if self.control is not None:
            self.control.cancel()
        self.state.restore(kept)
        self.state.note = f"undone: back to epoch {AppState.trained(kept)} (space goes on)"
        self.control, self.session, self._worker = control, session, worker
        if self.snapshot is not None:
            self.snapshot = dataclasses.replace(self.snapshot, running=False)
        sidebar = self.main.query_one(Sidebar)
        sidebar.show_config(self.config, self.lam)
        sidebar.show_comparison(self.compare, setting_label(self.comparison), self.comparison)
        self._show_rule()
        self._show_field("lam")
        if self.ready is not None:
            self._views_ready()
        self.notify(self.note)
        self.redraw(force=True)

    @work(thread=True, group="training", exit_on_error=False)
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
        if not self.live or not self.state.accept(message):
            return
        sidebar = self.main.query_one(Sidebar)
        sidebar.show_devices(["auto"] + message.devices, self.config.device)
        sidebar.query_one("#decay-summary", Static).update(Text(message.decay_summary))
        self._views_ready()
        self.redraw(force=True)

    def on_progress(self, message: Progress) -> None:
        if not self.live or not self.state.accept(message):
            return
        self._show_run()
        if message.snapshot.finished:
            self.redraw(force=True)
            if self.snapshot_path:
                self.call_after_refresh(self._save_snapshot_and_exit)

    def on_epoch_progress(self, message: EpochProgress) -> None:
        if self.live and self.state.accept(message):
            self.redraw()  # the status line only: charts change with epochs

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

    def _views_ready(self) -> None:
        """A session was built (or brought back): each view sets itself up for its model."""
        self.run_view.ready(self.state)
        self.layers_view.ready(self.state)
        histograms = self.weights_view.ready(self.state)
        self._charts = [*self.run_view.charts, *self.sweep_view.charts, *histograms, *self.layers_view.charts]
        self._show_run()

    def _show_run(self) -> None:
        """Hand the state to the run's views (cheap); building happens at redraw."""
        if self.state.ready is None:
            return
        self.run_view.show(self.state)
        self.weights_view.show(self.state)
        self.layers_view.show(self.state)

    def redraw(self, force: bool = False) -> None:
        """Status every tick; charts within the budget (all of them when not training)."""
        if not self.live:
            return
        hint = "" if self.compare else f"c: compare with {setting_label(self.comparison)}"
        self.status.show(self.snapshot, self.ready, lam=self.lam, regularizer=self.config.regularizer,
                         device=self.device, show_speed=not self.deterministic, note=self.note, hint=hint,
                         pinned=len(self.state.ghosts), within=self.state.epoch_share())
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
        self.main.query_one("#rule", Static).update(Text(rule_text(c.regularizer, c.optimizer, c.decay_convention)))
        # the convention means something to decoupled only: a field shows only what is in use
        self.main.query_one("#field-decay_convention").display = c.regularizer == "decoupled"
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
        """A setting the user changed. λ, lr, the regularizer and the epoch count apply from the
        next epoch (the charts mark where); anything else restarts the run, and the note says so."""
        if field == "preset":
            self.load_preset(value)
            return
        kept = self.state.keep()  # before the change: what ctrl+z brings back if it restarts
        if field == "compare":
            self.compare = value
            self.main.query_one(Sidebar).show_comparison(value, setting_label(self.comparison))
            self._restart(f"compare {'on' if value else 'off'}: run restarted from epoch 0", kept)
            return
        if field.startswith("compare_"):
            self._change_comparison(field.removeprefix("compare_"), value, kept)
            return
        if field == "lam" and self.config.regularizer == "none":
            self._show_field("lam")
            self.notify("λ has no effect with regularizer none: pick a regularizer first", severity="warning")
            return
        changes = {field: value}
        if field == "regularizer":  # λ means nothing to none; it comes back with a regularizer
            if value == "none":
                self.state.lam_kept = self.config.lam
            changes["lam"] = 0.0 if value == "none" else self.state.lam_kept
        try:
            config = self.config.with_changes(**changes)
        except ConfigError as error:
            self._field_error(field, error)
            return
        finished = self.snapshot is not None and self.snapshot.finished
        self.config = config
        if field == "lam":
            self.state.lam_kept = value
            self._show_field("lam")
            self.control.set_lambda(self.lam)
            self._show_sweep()  # the run's λ is marked on the sweep's charts
        elif field in LIVE_FIELDS:
            if field == "regularizer":
                self._show_rule()
                self._show_field("lam")
                self.control.set_regularizer(value)
                self.control.set_lambda(self.lam)
            elif field == "lr":
                self.control.set_lr(value)
            else:
                self.control.set_epochs(value)
                self._continue_if_more(finished)
        else:
            self._restart(f"{field} changed: run restarted from epoch 0", kept)
            return
        self.redraw()

    def _change_comparison(self, key: str, value, kept: dict) -> None:
        """One setting of the comparison run (regularizer, lam, dropout, optimizer) changed: both
        runs start again from epoch 0, as they must share their first epoch. An optimizer equal
        to the run's is stored as None (it follows the run's); λ is 0 with regularizer none."""
        if key == "optimizer" and value == self.config.optimizer:
            value = None
        run = self.comparison._replace(**{key: value})
        if run.regularizer == "none":
            run = run._replace(lam=0.0)
        if run == self.comparison:
            return
        self.comparison = run
        self.main.query_one(Sidebar).show_comparison(self.compare, setting_label(run), run)
        if self.compare:
            self._restart(f"comparison now {setting_label(run)}: both runs restarted from epoch 0", kept)
        else:
            self.notify(f"comparison now {setting_label(run)} (c shows it)")
            self.redraw()

    def _continue_if_more(self, finished: bool) -> None:
        """Epochs raised after the run finished: it goes on from where it stopped."""
        if finished and self.snapshot is not None and self.config.epochs > self.snapshot.records[0].epoch \
                and not self.snapshot.diverged:
            self.note = f"epochs {self.config.epochs}: continuing from epoch {self.snapshot.records[0].epoch}"
            self.control.resume()
            self.snapshot = dataclasses.replace(self.snapshot, running=True, finished=False)

    def _show_field(self, field: str) -> None:
        """Put the value in use back into a field (after the app changed or refused it)."""
        widget = self.main.query_one(f"#field-{field}", Field)
        if field == "lam":
            widget.set_value(f"{self.lam:.4g}")
            widget.input.disabled = self.config.regularizer == "none"
        else:
            widget.set_value(text(getattr(self.config, field), "all" if field == "n_train" else "full"))

    def _field_error(self, field: str, error: ConfigError) -> None:
        """A value the engine refused: the field shows the value in use again, marked with why
        the other was not applied; the error goes to the field it names, when there is one."""
        name = FIELD_NAMES.get(error.field, error.field)
        for which in dict.fromkeys((field, name)):
            widget = self.main.query(f"#field-{which}")
            if not widget:
                continue
            first = widget.first()
            if isinstance(first, Field):
                refused = first.input.value
                self._show_field(which)
                first.show_error(f"not applied: {shorten(refused)!r}: {error.message}"
                                 if which == field else error.message)
            elif isinstance(first, Choice):
                first.set_value(getattr(self.config, which))
        self.notify(f"{field} not applied: {error.field}: {error.message}", severity="error")

    def _restart(self, note: str, kept: dict | None = None) -> None:
        running = self.snapshot is not None and self.snapshot.running
        self.start_session(autostart=running, note=note, kept=kept)
        self.notify(self.note)

    def load_preset(self, name: str) -> None:
        """All of the preset's settings (device kept, and the data paths given at start-up: the
        CIFAR-10 folder, your own data file for the custom preset), its comparison, a new run."""
        paths = {"data_dir": self.config.data_dir, "data": self.config.data if name == "custom" else None}
        try:
            config = make_config(name, device=self.config.device, **paths)
        except ConfigError as error:
            self.main.query_one("#field-preset", Choice).set_value(self.config.preset)
            self.notify(f"preset {name}: {error.message} (start wdtui with --{error.field.replace('_', '-')})",
                        severity="error", timeout=10)
            return
        kept = self.state.keep()
        self.config, self.comparison = preset_comparison(config)
        self.state.lam_kept = self.config.lam
        self.compare = True
        sidebar = self.main.query_one(Sidebar)
        sidebar.show_config(self.config, self.lam)
        sidebar.show_comparison(True, setting_label(self.comparison), self.comparison)
        self._show_rule()
        self._show_field("lam")
        self.start_session(autostart=False, note=f"preset {name}", kept=kept)

    # --- actions -----------------------------------------------------------------------------------

    def action_toggle(self) -> None:
        if self.control is None:
            return
        snap = self.snapshot
        if snap is not None and snap.finished:
            # nothing is thrown away silently: a finished run restarts only with r
            if snap.diverged:
                self.notify("the run diverged: r starts it again from epoch 0", severity="warning")
            else:
                self.notify(f"the run is finished (epoch {snap.records[0].epoch}/{snap.epochs}): raise epochs "
                            "to continue it, or r to start again from epoch 0", severity="warning")
            return
        if self.control.paused:
            self.note = ""
            self.control.resume()
            if snap is not None:
                self.snapshot = dataclasses.replace(snap, running=True)
        else:
            self.control.pause()
        self.redraw()

    def action_step(self) -> None:
        if self.snapshot is not None and self.snapshot.finished:
            self.notify("the run is finished: raise epochs to continue it, or r to start again")
            return
        if self.control is not None:
            self.control.step(1)

    def action_reset(self) -> None:
        self.start_session(autostart=False, note=f"reset (seed {self.config.seed})", kept=self.state.keep())
        self.notify(self.note)

    def action_lambda_up(self) -> None:
        self.apply_change("lam", lambda_up(self.lam))

    def action_lambda_down(self) -> None:
        self.apply_change("lam", lambda_down(self.lam))

    def action_focus_lambda(self) -> None:
        """The control everyone looks for: straight to the λ field."""
        if self.config.regularizer == "none":
            self.notify("λ has no effect with regularizer none: pick a regularizer first", severity="warning")
            return
        self.main.query_one(Sidebar).display = True
        field = self.main.query_one("#input-lam", Input)
        field.focus()
        field.select_all()

    def action_compare(self) -> None:
        self.main.query_one("#field-compare", Toggle).set_value(not self.compare)
        self.apply_change("compare", not self.compare)

    def action_pin(self) -> None:
        """Pin the run as shown now: a dimmed copy on the time charts that stays through resets,
        λ and preset changes, to compare three or more runs."""
        ghost = self.state.pin()
        if ghost is None:
            self.notify("nothing to pin yet: train a few epochs first", severity="warning")
            return
        self.notify(f"pinned {ghost.name} (epoch {ghost.epochs}); u unpins the latest")
        self._show_run()
        self.redraw(force=True)

    def action_unpin(self) -> None:
        ghost = self.state.unpin()
        if ghost is None:
            self.notify("no pinned run: p pins the run as shown", severity="warning")
            return
        self.notify(f"unpinned {ghost.name}")
        self._show_run()
        self.redraw(force=True)

    def action_unfocus(self) -> None:
        self.set_focus(None)

    def action_show_tab(self, tab: str) -> None:
        self.main.query_one(TabbedContent).active = tab

    def action_toggle_sidebar(self) -> None:
        sidebar = self.main.query_one(Sidebar)
        sidebar.display = not sidebar.display
        if not sidebar.display and self.focused is not None and sidebar in self.focused.ancestors:
            self.set_focus(None)

    def action_zoom(self) -> None:
        """Show one chart of the Charts tab alone; each press the next one, then all again."""
        self.action_show_tab("charts")
        self.run_view.zoom()
        self.redraw(force=True)

    def action_samples(self) -> None:
        """The n_train sweep's screen (samples_view.py): test loss against n, one curve per λ."""
        from .samples_view import SamplesScreen

        if self.config.solver != "exact":
            self.notify("the n_train sweep solves every cell exactly: use the double-descent preset, or "
                        "--solver exact with a linear model", severity="warning")
            return
        self.push_screen(SamplesScreen(self.config))

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen(self.config, self.comparison if self.compare else None))

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
            done = save_text(self, path, self.export_screenshot(title=f"wdtui {self.config.preset}"))
        except OSError as error:
            self.notify(f"cannot save the screenshot: {error}", severity="error")
            return
        self.notify(done, title="screenshot")

    def action_tensorboard(self) -> None:
        """TensorBoard event files of the runs on/off (see ``board.SessionBoards``)."""
        self._board_dir = self.board_root or self._board_dir or DEFAULT_ROOT
        self.board_root = None if self.board_root else self._board_dir
        if self.session is not None:
            self.session.boards.root = self.board_root
        self.notify(f"writing event files under {self.board_root}/ (tensorboard --logdir {self.board_root})"
                    if self.board_root else "stopped writing event files", title="tensorboard")

    def action_export(self) -> None:
        """The run's metrics (the ``wdtui run`` JSON); on the Sweep tab, the sweep's results (the
        ``wdtui sweep --out`` JSON, or the grid's)."""
        if self.main.query_one(TabbedContent).active == "sweep":
            self._export_sweep()
            return
        # The metrics as JSON, written by a thread worker: a long history takes seconds to encode,
        # and the screen must not freeze meanwhile. The histories are cut here, on this thread, at
        # the lengths on screen (a consistent view of lists the training thread keeps growing).
        if self.ready is None or self.snapshot is None:
            self.notify("nothing to export yet", severity="warning")
            return
        results = [r.upto(n) for r, n in zip(self.ready.results, self.snapshot.lengths)]
        self.notify("exporting…", title="export", timeout=2)
        self._export(self.config, self.device, results, self._output_path(".json"))

    @work(thread=True, group="export", exit_on_error=False)
    def _export(self, config: Config, device: str, results: list, path: Path) -> None:
        try:
            doc = document(config, device, results)
            files = export_files(path, json.dumps(doc, indent=1, allow_nan=False) + "\n", config, self.compare)
            if self.is_web:
                self.call_from_thread(deliver_files, self, files)
            else:
                for target, text in files:
                    write_text(target, text)
        except (OSError, ValueError) as error:
            self.post_message(ExportDone(path, f"{error}"))
            return
        self.post_message(ExportDone(path, None))

    def on_export_done(self, message: ExportDone) -> None:
        if message.error is not None:
            self.notify(f"cannot export: {message.error}", severity="error")
        else:
            where = "sent to the browser" if self.is_web else f"saved {message.path}"
            self.notify(f"{where}, with its settings ({message.path.with_suffix('.toml').name})", title="export")

    def _export_sweep(self) -> None:
        snap = self.state.current_sweep()
        if snap is None or snap.document is None:
            self.notify("no sweep result yet: w runs a λ sweep, g a grid", severity="warning")
            return
        path = self._output_path("-grid.json" if isinstance(snap, GridSnapshot) else "-sweep.json")
        try:
            done = save_text(self, path, json.dumps(snap.document, indent=1, allow_nan=False) + "\n")
        except OSError as error:
            self.notify(f"cannot export: {error}", severity="error")
            return
        partial = "" if snap.finished else f" (epoch {snap.epoch} of {snap.epochs}: not finished)"
        self.notify(f"{done}{partial}", title="export")

    async def action_quit(self) -> None:
        for control in self._controls():
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
        self.state.new_sweep(self._new_session_number())
        self.sweep_control = Control()
        self._sweep_worker = self._run_sweep(make_session(self.sweep_number, self.sweep_control))
        self.sweep_view.starting(status, grid)
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

    def _show_sweep(self) -> None:
        self.sweep_view.show(self.state, self._sweep_cancelled, show_eta=not self.deterministic)

    @property
    def _sweep_cancelled(self) -> bool:
        return self.sweep_control is not None and self.sweep_control.cancelled

    def on_sweep_progress(self, message: SweepProgress) -> None:
        if not self.live or not self.state.accept(message):
            return
        self._show_sweep()
        if message.snapshot.finished:
            self.redraw(force=True)

    def action_cancel_sweep(self) -> None:
        """Stop the sweep (λ or grid) within a step; its numbers so far stay shown."""
        if not self.sweeping:
            self.notify("no sweep is running", severity="warning")
            return
        self.sweep_control.cancel()
        self._show_sweep()
        self.notify("sweep cancelled")
        self.redraw(force=True)

    def action_grid(self) -> None:
        """The (lr, λ) grid, coupled beside decoupled decay, as test-loss heatmaps."""
        config = dataclasses.replace(self.config, lam=0.0)
        self._start_sweep(
            lambda number, control: GridSession(number, config, self.post_message, control),
            f"(lr, λ) grid: {len(GRID_LRS)} × {len(GRID_LAMBDAS)} copies of {config.preset}, "
            f"{config.optimizer}, coupled then decoupled · starting…", grid=True)

    def on_grid_progress(self, message: GridProgress) -> None:
        if not self.live or not self.state.accept(message):
            return
        self._show_sweep()

    def action_best(self) -> None:
        """The best λ of the latest λ sweep, or the best (lr, λ) of the latest grid (in the
        current regularizer's grid if it has one, else the best of all, with its regularizer)."""
        snap = self.state.current_sweep()
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

