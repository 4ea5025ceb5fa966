"""The explorer: a sidebar of settings, live charts, status lines, and a help screen (? or F1).

Training runs in a thread worker (:mod:`.session`) that posts messages; this module only reacts to
them and to the user. Redraws are budgeted, because the worker needs the same interpreter lock as
this thread: while training, the app's own thread may use at most ``REDRAW_SHARE`` of the CPU
time (measured with ``time.thread_time``, so building, compositing and message handling all
count). The status lines are updated every tick; a chart (the one shown longest) is rebuilt only
when the budget allows. When training is paused or done, everything is drawn at once.

One state, one truth: the run's setting is ``config`` (λ is ``config.lam``), the comparison's is
``comparison``; what the screen says about training comes from the latest snapshot, and every
legend and the status name the runs by the session's labels ("run", "vs l2 λ=0.2").
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
import time
from pathlib import Path

from rich.console import Group
from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from ..engine.config import Config, ConfigError, make_config, notices, rule_text
from ..engine.export import document, write_text
from ..engine.lessons.presets import Run
from ..engine.training.control import Control
from ..tables import best_line, grid_tables
from .commands import WdtuiCommands
from .ladder import LADDER, lambda_down, lambda_up
from .messages import (
    ExportDone,
    GridProgress,
    GridSnapshot,
    Progress,
    SessionFailed,
    SessionReady,
    Snapshot,
    SweepProgress,
    SweepSnapshot,
)
from .screens.help import HelpScreen
from .session import TrainingSession, preset_comparison, setting_label
from .sweep_session import GRID_LAMBDAS, GRID_LRS, GridSession, SweepSession
from .sweep_view import grid_state, sweep_status
from .widgets.charts import (
    AccuracyChart,
    Chart,
    ClassChart,
    FitChart,
    HistogramChart,
    LossChart,
    NormChart,
    SweepChart,
    SweepLossChart,
    SweepNormChart,
    SweepPathChart,
)
from .widgets.sidebar import Choice, Field, FieldCommitted, Sidebar, Toggle, shorten, text
from .widgets.status import StatusLine

REDRAW_INTERVAL = 0.25  # seconds between redraw ticks
REDRAW_SHARE = 0.05  # while training, the app's thread may use at most this share of CPU time
BUDGET_CAP = 0.05  # seconds of CPU the budget may save up (bounds a burst of redraws)
MIN_SIZE = (60, 20)
LIVE_FIELDS = ("lr", "epochs", "regularizer")  # applied between epochs (λ too, held apart); others restart
FIELD_NAMES = {"lambda": "lam"}  # a ConfigError's field → the sidebar field that holds it
EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)  # kill, an SSH disconnect: leave the terminal clean
TABS = ("charts", "weights", "sweep")
ZOOMABLE = ("#fit", "#accuracy", "#per-class", "#loss", "#norm")


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
        Binding("w", "sweep", "λ sweep", show=False),
        Binding("b", "best", "best λ", show=False),
        Binding("g", "grid", "lr×λ grid", show=False),
        Binding("d", "samples", "n_train sweep", show=False),
        Binding("s", "screenshot", "svg", show=False),
        Binding("e", "export", "export", show=False),
        Binding("x", "cancel_sweep", "cancel sweep", show=False),
        Binding("1", "show_tab('charts')", "charts", show=False),
        Binding("2", "show_tab('weights')", "weights", show=False),
        Binding("3", "show_tab('sweep')", "sweep", show=False),
        Binding("ctrl+b", "toggle_sidebar", "sidebar", show=False),
        Binding("z", "zoom", "zoom chart", show=False),
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
            config, self.comparison = preset_comparison(config)
        else:
            self.comparison = Run(config.regularizer, compare_lam, config.dropout)
        self.config = config
        self._lam_kept = config.lam  # λ to return to when a regularizer follows `none`
        self.compare = True if compare is None else compare
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
        self._zoomed = ""  # the chart shown alone (z), or ""
        self.sweep_control: Control | None = None
        self.sweep_number = 0
        self.sweep_snapshot: SweepSnapshot | None = None
        self._sweep_worker: Worker | None = None
        self.grid_snapshot: GridSnapshot | None = None

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
            yield Sidebar(self.config, self.lam, self.compare, setting_label(self.comparison), devices)
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
        yield Footer(compact=True)

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
        for control in (self.control, self.sweep_control):
            if control is not None:
                control.cancel()
        self.exit(128 + number, return_code=128 + number)

    def on_unmount(self) -> None:
        # However the app ends (quit, error, ctrl+c), no training thread may outlive it.
        for control in (self.control, self.sweep_control):
            if control is not None:
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

    def start_session(self, autostart: bool, note: str = "") -> None:
        """A new run from epoch 0 (same seed: same data and initialization)."""
        if self.control is not None:
            self.control.cancel()
        self.session_number = self._new_session_number()
        self.control = Control(paused=not autostart)
        self.ready = None
        self.snapshot = None
        self.note = note
        self.session = TrainingSession(self.session_number, self.config,
                                       self.comparison if self.compare else None,
                                       self.post_message, self.control)
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
        sidebar.query_one("#decay-summary", Static).update(Text(message.decay_summary))
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
        """Hand the latest state to every chart (cheap); building happens at redraw. Every chart
        gets the same (session, snapshot) pair: the same names, the same epoch."""
        snap, ready = self.snapshot, self.ready
        for chart in self._charts:
            if isinstance(chart, (SweepChart, SweepPathChart)):
                continue  # fed by the sweep (_feed_sweep), not by the run
            if isinstance(chart, HistogramChart):
                chart.update(snap)
            elif not isinstance(chart, SweepChart):
                chart.update((ready, snap))

    def redraw(self, force: bool = False) -> None:
        """Status every tick; charts within the budget (all of them when not training)."""
        if not self.live:
            return
        hint = "" if self.compare else f"c: compare with {setting_label(self.comparison)}"
        self.status.show(self.snapshot, self.ready, lam=self.lam, regularizer=self.config.regularizer,
                         device=self.device, show_speed=not self.deterministic, note=self.note, hint=hint)
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
        if field == "compare":
            self.compare = value
            self._restart(f"compare {'on' if value else 'off'}: run restarted from epoch 0")
            return
        if field == "lam" and self.config.regularizer == "none":
            self._show_field("lam")
            self.notify("λ has no effect with regularizer none: pick a regularizer first", severity="warning")
            return
        changes = {field: value}
        if field == "regularizer":  # λ means nothing to none; it comes back with a regularizer
            if value == "none":
                self._lam_kept = self.config.lam
            changes["lam"] = 0.0 if value == "none" else self._lam_kept
        try:
            config = self.config.with_changes(**changes)
        except ConfigError as error:
            self._field_error(field, error)
            return
        finished = self.snapshot is not None and self.snapshot.finished
        self.config = config
        if field == "lam":
            self._lam_kept = value
            self._show_field("lam")
            self.control.set_lambda(self.lam)
            self._feed_sweep()  # the run's λ is marked on the sweep's charts
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
            self._restart(f"{field} changed: run restarted from epoch 0")
            return
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

    def _restart(self, note: str) -> None:
        running = self.snapshot is not None and self.snapshot.running
        self.start_session(autostart=running, note=note)
        self.notify(note)

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
        self.config, self.comparison = preset_comparison(config)
        self._lam_kept = self.config.lam
        self.compare = True
        sidebar = self.main.query_one(Sidebar)
        sidebar.show_config(self.config, self.lam)
        sidebar.show_comparison(True, setting_label(self.comparison))
        self._show_rule()
        self._show_field("lam")
        self.start_session(autostart=False, note=f"preset {name}")

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
        self.start_session(autostart=False, note=f"reset (seed {self.config.seed})")

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
        shown = [c for c in ZOOMABLE if self._is_shown_chart(c)]
        order = [*shown, ""]
        self._zoomed = order[(order.index(self._zoomed) + 1) % len(order)] if self._zoomed in order else order[0]
        charts = self.main.query_one("#charts")
        charts.set_class(bool(self._zoomed), "zoomed")
        for chart in ZOOMABLE:
            self.main.query_one(chart).set_class(chart == self._zoomed, "zoom")
        for row in ("#upper", "#lower"):
            box = self.main.query_one(row)
            box.set_class(self._zoomed != "" and not any(c.id and f"#{c.id}" == self._zoomed for c in box.children),
                          "unzoomed")
        self.redraw(force=True)

    def _is_shown_chart(self, selector: str) -> bool:
        classes = self.main.query_one("#upper").has_class("classes")
        return selector in (("#accuracy", "#per-class") if classes else ("#fit",)) + ("#loss", "#norm")

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
            write_text(path, json.dumps(doc, indent=1, allow_nan=False) + "\n")
        except (OSError, ValueError) as error:
            self.post_message(ExportDone(path, f"{error}"))
            return
        self.post_message(ExportDone(path, None))

    def on_export_done(self, message: ExportDone) -> None:
        if message.error is not None:
            self.notify(f"cannot export: {message.error}", severity="error")
        else:
            self.notify(f"saved {message.path}", title="export")

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
    from ..engine.lessons.trends import best_lambda_trend, describe

    lines = []
    for grid in grids:
        label = f"decoupled ({decay_convention})" if grid.regularizer == "decoupled" else grid.regularizer
        lines.append(describe(label, best_lambda_trend(grid.lrs, grid.lambdas, grid.grid("val_loss"))))
    if grids and grids[0].seeds == 1:
        lines.append("one seed: a flat minimum's best cell moves with noise (wdtui sweep --seeds)")
    return " · ".join(lines)
