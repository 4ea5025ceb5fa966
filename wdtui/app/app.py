"""The explorer: a sidebar of settings, live charts, status lines, and a help screen (? or F1).

Training runs in a thread worker (:mod:`.session`) that posts messages; this module only reacts to
them and to the user. Redraws are budgeted (:mod:`.redraw`): the status lines every tick, the
charts as the worker's share of the CPU allows.

One state, one truth: this module is the composition root. It composes the views — the run's
charts (:class:`.run_view.RunView`), the weights (:class:`.widgets.weights.WeightsView`), the sweep
(:class:`.sweep_view.SweepView`), the status lines and the help screen — and the controllers —
the run's sessions, undo and pins (:class:`.runs.RunController`), the settings
(:class:`.changes.SettingsController`), the sweeps (:class:`.sweeps.SweepController`), what is
saved (:class:`.delivery.ExportController`) — over one :class:`.state.AppState`, which the
worker's messages and the user's changes update; each view draws from that state only. Keys and
messages arrive here and are handed to the part that owns them. The run's setting is ``state.config`` (λ is ``config.lam``), the
comparison's ``state.comparison``; every legend and the status name the runs by the session's
labels ("run", "vs l2 λ=0.2").
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from textual import events, on
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Static, TabbedContent, TabPane
from textual.widgets._toast import Toast
from textual.worker import Worker

from ..engine.config import Config
from ..engine.lessons.presets import PRESETS, Run
from .changes import HIDDEN_HINT, SettingsController
from .commands import WdtuiCommands
from .delivery import ExportController
from .keys import KEYS
from .ladder import lambda_down, lambda_up
from .messages import (
    BuildProgress,
    EpochProgress,
    ExportDone,
    GridProgress,
    Progress,
    SessionFailed,
    SessionReady,
    SweepProgress,
)
from .redraw import REDRAW_INTERVAL, RedrawBudget
from .run_view import RunView
from .runs import RunController
from .screens.help import HelpScreen
from .session import preset_comparison, setting_label
from .state import AppState
from .sweep_view import SweepView
from .sweeps import SweepController
from .widgets import page
from .widgets.charts import Chart
from .widgets.footer import KeysFooter
from .widgets.layers import LayersView
from .widgets.sidebar import FieldCommitted, Retyped, Sidebar, Toggle
from .widgets.status import StatusLine
from .widgets.weights import WeightsView

MIN_SIZE = (80, 24)  # the smallest size every screen is laid out for: at 60×20 names and numbers were cut
EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)  # kill, an SSH disconnect: leave the terminal clean
TABS = ("charts", "weights", "sweep", "layers")
RUN_ACTIONS = {key.action.split("(")[0] for key in KEYS} - {"quit", "help"}  # the app's keys that act on the run


def _state_field(name: str, doc: str = "") -> property:
    """An attribute of the app that is the state's (``app.snapshot`` is ``app.state.snapshot``)."""
    return property(lambda self: getattr(self.state, name), lambda self, value: setattr(self.state, name, value),
                    doc=doc or f"``state.{name}``")


class WdtuiApp(App[int]):
    CSS_PATH = Path(__file__).parent / "app.tcss"  # absolute: subclasses elsewhere find it too
    TITLE = "wdtui"
    AUTO_FOCUS = None  # keys go to the app until a field is chosen
    COMMANDS = App.COMMANDS | {WdtuiCommands}
    BINDINGS = KEYS  # the footer shows what fits in 80 columns; every key is in the help (?) and ctrl+p

    def __init__(self, config: Config, *, compare: bool | None = None, compare_lam: float | None = None,
                 comparison: Run | None = None, autostart: bool = False, snapshot_path: str | None = None,
                 deterministic: bool = False):
        """``compare`` None: on (a preset is a comparison). The comparison is the preset's other
        run (:func:`.session.preset_comparison`), or ``comparison`` (``--compare-…`` flags), or
        with ``compare_lam`` the run at that λ."""
        super().__init__()
        if compare_lam is not None:
            comparison = Run(config.regularizer, compare_lam, config.dropout)
        elif comparison is None:
            config, comparison = preset_comparison(config)
        self.state = AppState(config, comparison, compare=True if compare is None else compare, lam_kept=config.lam)
        self.autostart = autostart or snapshot_path is not None
        self.snapshot_path = snapshot_path
        self.failure: tuple[str, str] | None = None  # snapshot: (config field or "", why) it failed
        self.deterministic = deterministic or snapshot_path is not None
        self.budget = RedrawBudget()
        self._status: StatusLine | None = None
        self._charts: list[Chart] = []  # every chart, found once per session (a DOM query is slow)
        self.runs = RunController(self)
        self.changes = SettingsController(self)
        self.sweeps = SweepController(self)
        self.exports = ExportController(self)

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

    _last_notice: tuple[tuple, float] = ((), 0.0)

    def notify(self, message: str, *, markup: bool = False, **kwargs) -> None:
        """Notices repeat what the user typed and file names: text, never Rich markup. One is
        shown at a time, the latest (they sit over the tab bar and the charts' title rows, and
        three stacked had covered the fit chart's legend at 80×24; what must stay, a restart or
        an error, is also on the status line). A notice identical to the one on screen (``]``
        pressed twice under regularizer none) leaves it as it is."""
        key = (message, kwargs.get("title", ""), kwargs.get("severity", "information"))
        now = time.monotonic()
        shown_for = kwargs.get("timeout") or self.NOTIFICATION_TIMEOUT
        if self._last_notice[0] == key and now - self._last_notice[1] < shown_for:
            return
        self._last_notice = (key, now)
        self.call_later(self.clear_notifications)  # in the queue's order: a notice is added by a message
        super().notify(message, markup=markup, **kwargs)
        self.call_after_refresh(self._prune_toasts)

    def _prune_toasts(self) -> None:
        """Toasts of notices already cleared: Textual's rack removes those it has mounted when
        a new notice comes, but one still being mounted then (two keys in one tick: u c)
        stays beside the new one until its timeout."""
        for toast in self.screen.query(Toast):
            if toast._notification not in self._notifications and toast.parent is not None:
                toast.parent.remove()

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
        yield KeysFooter(compact=True)

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
        self.changes.show_rule()
        self._fit_to_size()
        self._catch_exit_signals()
        self.runs.start(self.autostart)
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
        self.runs.cancel_all()
        self.exit(128 + number, return_code=128 + number)

    def on_unmount(self) -> None:
        # However the app ends (quit, error, ctrl+c), no training thread may outlive it.
        self.runs.cancel_all()
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
        """Escape ("leave field") is offered in the footer only while a sidebar widget has the
        keys (an input, a choice, a checkbox, a button: space would act on it, not on training);
        a screen over the run hides the run's keys."""
        if action == "unfocus":
            return self.focused is not None and any(isinstance(n, Sidebar) for n in self.focused.ancestors)
        if action == "focus_lambda":  # a priority key: an "l" typed into a field, or over a screen, is not it
            return self.screen is self.main and not isinstance(self.focused, Input)
        if action in ("focus_next", "focus_previous"):  # priority keys: over a screen, its own tab
            return self.screen is self.main
        # a screen over the run (the n_train sweep's) keeps only help and quit of the app's keys
        return not (getattr(self.screen, "HIDES_RUN_KEYS", False) and action in RUN_ACTIONS)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if self.screen_stack:  # not once the app is closing (a focus change still queued then)
            self.refresh_bindings()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if self.screen_stack:
            self.refresh_bindings()

    # --- the controllers' parts, as the app's attributes (tests and the CLI read them) -----------

    control = property(lambda self: self.runs.control, doc="The run's training control.")
    session = property(lambda self: self.runs.session, doc="The run's training session.")
    _worker = property(lambda self: self.runs.worker)
    _undo = property(lambda self: self.runs.kept, doc="The run ctrl+z brings back, or None.")
    _sweep_worker = property(lambda self: self.sweeps.worker)
    sweeping = property(lambda self: self.sweeps.running, doc="A sweep is training.")
    board_root = property(lambda self: self.exports.board_root, doc="Where t writes event files, or None.")

    def apply_change(self, field: str, value) -> None:
        self.changes.apply(field, value)

    def load_preset(self, name: str) -> None:
        self.changes.load_preset(name)

    # --- the worker's messages ---------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.runs.worker_changed(event)

    def on_session_ready(self, message: SessionReady) -> None:
        self.runs.ready(message)

    def on_progress(self, message: Progress) -> None:
        self.runs.progress(message)

    def on_epoch_progress(self, message: EpochProgress) -> None:
        if self.live and self.state.accept(message):
            self.redraw()  # the status line only: charts change with epochs

    def on_build_progress(self, message: BuildProgress) -> None:
        if self.live and self.state.accept(message):
            self.redraw()

    def on_session_failed(self, message: SessionFailed) -> None:
        self.runs.failed(message)

    @on(SweepProgress)
    @on(GridProgress)
    def _sweep_progress(self, message: SweepProgress | GridProgress) -> None:
        self.sweeps.progress(message)

    def on_export_done(self, message: ExportDone) -> None:
        self.exports.done(message)

    @on(Retyped)
    def _retyped(self, message: Retyped) -> None:
        """A key typed right behind an Enter: the app's, in the order typed."""
        self.post_message(events.Key(message.key, message.character))

    @on(FieldCommitted)
    def _field_committed(self, message: FieldCommitted) -> None:
        self.changes.apply(message.field, message.value)

    @on(Button.Pressed, "#regenerate")
    def action_regenerate(self) -> None:
        self.changes.regenerate()

    # --- charts and status ---------------------------------------------------------------------

    def views_ready(self) -> None:
        """A session was built (or brought back): each view sets itself up for its model."""
        self.run_view.ready(self.state)
        self.layers_view.ready(self.state)
        histograms = self.weights_view.ready(self.state)
        self._charts = [*self.run_view.charts, *self.sweep_view.charts, *histograms, *self.layers_view.charts]
        self.show_run()

    def show_run(self) -> None:
        """Hand the frame (``state.shown``) to the run's views (cheap); building happens at redraw."""
        if self.state.ready is None or self.state.shown is None:
            return
        self.run_view.show(self.state)
        self.weights_view.show(self.state)
        self.layers_view.show(self.state)

    def redraw(self, force: bool = False) -> None:
        """The status lines every tick; a new frame when the budget allows (at once when forced
        or when nothing trains): the latest snapshot and sweep handed to the views and every
        chart they change built, so the charts, legends and status lines describe one epoch."""
        if not self.live:
            return
        training = (self.snapshot is not None and self.snapshot.running) or self.sweeps.running
        if self.budget.due(training, force):
            self._frame()
        hint = ("" if self.compare else HIDDEN_HINT.format(setting_label(self.comparison))
                if self.state.shows_trained() else f"c: compare with {setting_label(self.comparison)} (restarts the run)")
        note = self.note
        if self.compare and self.state.trained_alike():  # "run none" beside "vs coupled λ=0": one training twice
            note = " · ".join(part for part in (note, "same training as the run") if part)
        self.status.show(self.state.shown, self.ready, lam=self.lam, regularizer=self.config.regularizer,
                         device=self.device, show_speed=not self.deterministic, note=note, hint=hint,
                         pinned=len(self.state.ghosts), within=self.state.epoch_share(),
                         building=self.state.building.text if self.state.building is not None else "",
                         lr=self.config.lr)

    _sweep_shown: tuple = (None, None, None)  # the frame's sweep snapshot, the run's λ it marks, its settings

    def _frame(self) -> None:
        """The next frame: what changed since the last one handed to its views, then every chart
        shown whose data changed (or whose pins, λ or size did) rebuilt, all in this tick."""
        state = self.state
        if state.take_frame():
            self.show_run()
        # the run's λ is marked on the sweep's charts, and its settings tell whether b may load the best
        sweep = (state.current_sweep(), state.lam, state.config)
        if sweep[0] is not self._sweep_shown[0] or sweep[1] != self._sweep_shown[1] or sweep[2] is not self._sweep_shown[2]:
            self._sweep_shown = sweep
            self.sweeps.show()
        for chart in self._charts:
            if chart.stale and chart.data is not None and chart.region.area:
                chart.refresh()

    # --- keys: each handed to the part that owns it ------------------------------------------------

    def action_toggle(self) -> None:
        self.runs.toggle()

    def action_step(self) -> None:
        self.runs.step()

    def action_reset(self) -> None:
        self.runs.reset()

    def action_undo(self) -> None:
        self.runs.undo()

    def action_pin(self) -> None:
        self.runs.pin()

    def action_unpin(self) -> None:
        self.runs.unpin()

    @property
    def _preset_lam(self) -> float:
        """The preset's own λ: a rung of the λ keys' ladder (sparse's 0.2 is off the ladder)."""
        return PRESETS[self.config.preset].config["lam"]

    def action_lambda_up(self) -> None:
        self.changes.lambda_step(lambda_up(self.lam, self._preset_lam), f"λ is at the ladder's top ({self.lam:g}): "
                                 "type a larger one in the λ field (l)")

    def action_lambda_down(self) -> None:
        self.changes.lambda_step(lambda_down(self.lam, self._preset_lam), "λ is 0, the ladder's bottom")

    def action_compare(self) -> None:
        self.main.query_one("#field-compare", Toggle).set_value(not self.compare)
        self.changes.apply("compare", not self.compare)

    def action_sweep(self) -> None:
        self.sweeps.sweep()

    def action_grid(self) -> None:
        self.sweeps.grid()

    def action_samples(self) -> None:
        self.sweeps.samples()

    def action_cancel_sweep(self) -> None:
        self.sweeps.cancel()

    def action_best(self) -> None:
        self.sweeps.best()

    def action_screenshot(self) -> None:
        self.exports.screenshot()

    def action_export(self) -> None:
        self.exports.export(self.main.query_one(TabbedContent).active)

    def action_tensorboard(self) -> None:
        self.exports.tensorboard()

    def action_focus_lambda(self) -> None:
        self.changes.focus_lambda()

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
        """Show one chart of the Charts tab alone; each press the next one, then all again. On
        the Sweep tab (a λ sweep shown) and the Layers tab, their own charts the same way."""
        tab = self.main.query_one(TabbedContent).active
        if tab == "layers":
            self.layers_view.zoom()
        elif not (tab == "sweep" and self.sweep_view.zoom()):  # elsewhere: the Charts tab's
            self.action_show_tab("charts")
            self.run_view.zoom()
        self.redraw(force=True)

    def action_page(self, pages: int) -> None:
        """pgdn / pgup: page what the active tab scrolls (the grid's tables, the histograms)."""
        tab = self.main.query_one(TabbedContent).active
        if tab == "sweep":
            self.sweep_view.scroll_grid(pages)
        elif tab == "weights":
            page(self.weights_view, pages)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        shown, config, trained = self.state.shown, self.config, ""
        if shown is not None and shown.records[0].epoch:
            run = shown.records[0]
            if (run.regularizer, run.lam, run.lr) != (config.regularizer, config.lam, config.lr):
                trained = f"{run.regularizer} λ={run.lam:.4g} lr={run.lr:.4g}"
        self.push_screen(HelpScreen(config, self.comparison if self.compare else None, trained))

    async def action_quit(self) -> None:
        self.runs.cancel_all()
        self.exit(0)
