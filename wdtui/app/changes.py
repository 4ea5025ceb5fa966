"""The settings' controller: a change from the sidebar, a key (``]``, ``[``, ``c``) or a sweep's
best goes through :meth:`SettingsController.apply`, which validates it with the engine, puts it
into the app's state and tells the run how it applies: λ, lr, the regularizer and the epoch count
between epochs (the charts mark where), anything else by a restart that the note names (and
ctrl+z undoes). The sidebar always shows the value in use, or why a value was not applied.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Input, Static

from ..engine.config import ConfigError, make_config, notices, rule_text
from ..engine.lessons.presets import comparison_config
from .session import preset_comparison, setting_label
from .widgets.sidebar import Choice, Field, Sidebar, field_text, shorten

if TYPE_CHECKING:
    from .app import WdtuiApp

HIDDEN_HINT = "comparison hidden (it trains beside the run): c shows it ({})"  # the status' words while it is hidden
LIVE_FIELDS = ("lr", "epochs", "regularizer")  # applied between epochs (λ too, held apart); others restart


class SettingsController:
    def __init__(self, app: WdtuiApp):
        self.app = app
        self.state = app.state
        self._notices: set[str] = set()  # the notices about the current settings already shown

    @property
    def sidebar(self) -> Sidebar:
        return self.app.main.query_one(Sidebar)

    @property
    def runs(self):
        return self.app.runs

    def apply(self, field: str, value) -> None:
        """A setting the user changed. λ, lr, the regularizer and the epoch count apply from the
        next epoch (the charts mark where); anything else restarts the run, and the note says so."""
        state, app = self.state, self.app
        if field == "preset":
            self.load_preset(value)
            return
        kept = state.keep()  # before the change: what ctrl+z brings back if it restarts
        if field == "compare":
            state.compare = value
            self.sidebar.show_comparison(value, setting_label(state.comparison))
            if state.shows_trained():  # the pair trains on: c hides or shows, nothing restarts
                # hidden, the status' hint says so (the one wording while it lasts); shown, the note
                said = HIDDEN_HINT.format(setting_label(state.comparison))
                state.note = "" if not value else f"comparison shown: {setting_label(state.comparison)}"
                if state.session_ready is not None:
                    app.views_ready()
                app.notify(state.note or said)
                app.redraw(force=True)
                return
            self.runs.restart(f"compare {'on' if value else 'off'}: run restarted"
                              + (" beside it (float32: not bit for bit the run alone)"
                                 if value and state.config.dtype == "float32" else ""), kept)
            return
        if field.startswith("compare_"):
            self._change_comparison(field.removeprefix("compare_"), value, kept)
            return
        if field == "lam" and state.config.regularizer == "none":
            self.show_field("lam")
            app.notify("λ has no effect with regularizer none: pick a regularizer first", severity="warning")
            return
        changes = {field: value}
        if field == "regularizer":  # λ means nothing to none; it comes back with a regularizer
            if value == "none":
                state.lam_kept = state.config.lam
            changes["lam"] = 0.0 if value == "none" else state.lam_kept
        try:
            config = state.config.with_changes(**changes)
        except ConfigError as error:
            self.field_error(field, error)
            return
        try:  # the comparison trains the same model: e.g. depth 0 leaves its dropout p nothing to drop
            if state.compare or state.hidden:
                comparison_config(config, state.comparison)
        except ConfigError as error:
            self.field_error(field, ConfigError(field, f"the comparison ({setting_label(state.comparison)}) "
                                                       f"could not train: {error.message}"))
            return
        reached = max((r.epoch for r in state.snapshot.records), default=0) if state.snapshot is not None else 0
        if field == "epochs":  # a live change builds nothing: the histories it grows are checked here
            from ..engine.experiment import history_estimate

            try:
                history_estimate(config).check()
            except ConfigError as error:
                self.field_error(field, error)
                return
        finished = state.snapshot is not None and state.snapshot.finished
        state.config = config
        control = self.runs.control
        if field == "lam":
            state.lam_kept = value
            self.show_field("lam")
            control.set_lambda(state.lam)  # the sweep's charts mark it from the next frame
        elif field in LIVE_FIELDS:
            if field == "regularizer":
                self.show_rule()
                self.show_field("lam")
                control.set_regularizer(value)
                control.set_lambda(state.lam)
            elif field == "lr":
                control.set_lr(value)
            else:
                control.set_epochs(value)  # the trainers keep at least the epochs trained
                snap = state.snapshot
                if snap is not None and not finished:  # the total the worker now trains to, at once
                    state.snapshot = dataclasses.replace(snap, epochs=max(value, reached))
                if value < reached:  # the epochs trained stay trained ("epoch 9606/2000 done" had said otherwise)
                    app.notify(f"epochs {value}: fewer than the run has trained; it ends where it is "
                               f"(its last epoch stays trained and shown); r trains {value} from epoch 0")
                self.runs.continue_if_more(finished)
        else:
            self.runs.restart(f"{field} changed: run restarted", kept)
            return
        if finished and field in ("lam", "lr", "regularizer"):  # said at once, whatever the status has room for
            name, value = {"lam": ("λ", f"{state.lam:.4g}")}.get(field, (field, str(getattr(config, field))))
            last = state.snapshot.records[0] if state.snapshot is not None else None
            trained = last is not None and (last.lam, last.lr, last.regularizer) == (state.lam, config.lr,
                                                                                   config.regularizer)
            app.notify(f"{name} → {value}: what the finished run trained with; nothing is pending" if trained else
                       f"{name} → {value}: the run is finished; it trains with it if epochs are raised")
        app.redraw()

    def lambda_step(self, lam: float, at_end: str) -> None:
        """] and [: the next λ of the ladder; at its end, say so instead of doing nothing."""
        if lam == self.state.lam and self.state.config.regularizer != "none":
            self.app.notify(at_end, severity="warning")
            return
        self.apply("lam", lam)

    def focus_lambda(self) -> None:
        """l: the control everyone looks for, straight to the λ field."""
        if self.state.config.regularizer == "none":
            self.app.notify("λ has no effect with regularizer none: pick a regularizer first", severity="warning")
            return
        self.sidebar.display = True
        field = self.app.main.query_one("#input-lam", Input)
        self.app.set_focus(field)  # at once (Widget.focus waits a tick): the next key typed goes to it
        field.select_all()

    def _change_comparison(self, key: str, value, kept: dict) -> None:
        """One setting of the comparison run (regularizer, lam, dropout, optimizer) changed: both
        runs start again from epoch 0, as they must share their first epoch. An optimizer equal
        to the run's is stored as None (it follows the run's); λ is 0 with regularizer none."""
        state = self.state
        if key == "optimizer" and value == state.config.optimizer:
            value = None
        run = state.comparison._replace(**{key: value})
        if run.regularizer == "none":
            run = run._replace(lam=0.0)
        if run == state.comparison:
            return
        try:  # the comparison trains the run's model with its own setting: refused before it restarts anything
            comparison_config(state.config, run)
        except ConfigError as error:
            self.sidebar.show_comparison(state.compare, setting_label(state.comparison), state.comparison)
            widget = self.app.main.query_one(f"#field-compare_{key}")
            if isinstance(widget, Field):
                widget.show_error(f"not applied: {shorten(str(value))!r}: {error.message}")
            self.app.notify(f"comparison not changed: {error.field}: {error.message}", severity="error")
            return
        state.comparison = run
        self.sidebar.show_comparison(state.compare, setting_label(run), run)
        if state.compare:
            self.runs.restart(f"comparison now {setting_label(run)}: both runs restarted", kept)
        else:  # not shown: it trains (from epoch 0, beside a restarted run) once c shows it
            self.app.notify(f"comparison now {setting_label(run)} (c trains it: both runs restart)")
            self.app.redraw()

    def load_preset(self, name: str) -> None:
        """All of the preset's settings (device kept, and the data paths given at start-up: the
        CIFAR-10 folder, your own data file for the custom preset), its comparison, a new run."""
        state = self.state
        config = state.config
        paths = {"data_dir": config.data_dir, "data": config.data if name == "custom" else None}
        try:
            config = make_config(name, device=config.device, **paths)
        except ConfigError as error:
            self.app.main.query_one("#field-preset", Choice).set_value(state.config.preset)
            said = error.message if error.message.startswith(f"preset {name} ") else f"preset {name}: {error.message}"
            self.app.notify(f"{said} (start wdtui with --{error.field.replace('_', '-')})",
                            severity="error", timeout=10)
            return
        kept = state.keep()
        state.config, state.comparison = preset_comparison(config)
        state.lam_kept = state.config.lam
        state.compare = True
        self.show_settings()
        self.runs.start(autostart=False, note=f"preset {name}", kept=kept)

    def regenerate(self) -> None:
        """New data (and initialization) from the next seed."""
        seed = self.state.config.seed + 1
        self.app.main.query_one("#field-seed", Field).set_value(str(seed))
        self.apply("seed", seed)

    # --- what the sidebar shows --------------------------------------------------------------------

    def show_settings(self) -> None:
        """Every field from the state (after a preset or an undo replaced the settings)."""
        state = self.state
        self.sidebar.show_config(state.config, state.lam)
        self.sidebar.show_comparison(state.compare, setting_label(state.comparison), state.comparison)
        self.show_rule()
        self.show_field("lam")

    def show_rule(self) -> None:
        """The rule of the chosen regularizer (with its note: decoupled's convention, l1 under
        Adam), and once each, a notice for settings that do not mean what their name suggests."""
        c = self.state.config
        main = self.app.main
        main.query_one("#rule", Static).update(Text(rule_text(c.regularizer, c.optimizer, c.decay_convention, c.solver)))
        # the convention means something to decoupled only: a field shows only what is in use
        main.query_one("#field-decay_convention").display = c.regularizer == "decoupled"
        self.sidebar.show_in_use(c)
        self.show_decay_summary()
        current = set(notices(c))
        for notice in sorted(current - self._notices):
            self.app.notify(notice, severity="warning", timeout=10)
        self._notices = current

    def show_decay_summary(self) -> None:
        """What decay acts on (the session's count of tensors and parameters); with regularizer
        none, that nothing is decayed now (a regularizer chosen later acts on those)."""
        ready = self.state.ready
        summary = ready.decay_summary if ready is not None else ""
        if summary and self.state.config.regularizer == "none":
            summary = f"nothing is decayed (regularizer none); a regularizer would act on: {summary}"
        self.app.main.query_one("#decay-summary", Static).update(Text(summary))

    def show_field(self, field: str) -> None:
        """Put the value in use back into a field (after the app changed or refused it)."""
        widget = self.app.main.query_one(f"#field-{field}", Field)
        config = self.state.config
        if field == "lam":
            widget.set_value(f"{config.lam:.4g}")
            widget.input.disabled = config.regularizer == "none"
        else:
            widget.set_value(field_text(config, field))

    def field_error(self, field: str, error: ConfigError) -> None:
        """A value the engine refused: the field shows the value in use again, marked with why
        the other was not applied; the error goes to the field it names, when there is one."""
        name = error.config_field
        for which in dict.fromkeys((field, name)):
            widget = self.app.main.query(f"#field-{which}")
            if not widget:
                continue
            first = widget.first()
            if isinstance(first, Field):
                refused = first.input.value
                self.show_field(which)
                first.show_error(f"not applied: {shorten(refused)!r}: {error.message}"
                                 if which == field else error.message)
            elif isinstance(first, Choice):
                first.set_value(getattr(self.state.config, which))
        named = "" if error.field in (field, name) else f"{error.field}: "  # "epochs not applied: epochs: …" said it twice
        self.app.notify(f"{field} not applied: {named}{error.message}", severity="error")
