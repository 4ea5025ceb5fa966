"""The run's controller: its training sessions and what the run keys do to them — start, pause,
one step, reset, a restart that keeps the replaced run for ctrl+z, and pins (ghosts). It owns the
training thread's :class:`Control`, the :class:`.session.TrainingSession` and its worker; what it
shows goes through the app's one :class:`.state.AppState`. No widget is drawn here.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from textual.worker import Worker, WorkerState

from ..engine.training.control import Control
from .messages import Progress, SessionFailed, SessionReady
from .session import TrainingSession
from .state import AppState
from .widgets.sidebar import Sidebar

if TYPE_CHECKING:
    from .app import WdtuiApp

UNDO_MOST_NUMBERS = 20_000_000  # a replaced run is kept for ctrl+z only if its data holds at most this many


@dataclasses.dataclass
class KeptRun:
    """The run a restart replaced, paused where it was: ctrl+z brings it back (one level)."""

    state: dict  # AppState.keep() before the change
    control: Control
    session: TrainingSession
    worker: Worker | None


class RunController:
    def __init__(self, app: WdtuiApp):
        self.app = app
        self.state: AppState = app.state
        self.control: Control | None = None
        self.session: TrainingSession | None = None
        self.worker: Worker | None = None
        self.kept: KeptRun | None = None  # ctrl+z
        self._continuing = ""  # the note of a finished run continued (epochs raised), until it ends

    # --- sessions ----------------------------------------------------------------------------------

    def start(self, autostart: bool, note: str = "", kept: dict | None = None) -> None:
        """A new run from epoch 0 (same seed: same data and initialization). ``kept``: the state
        of the run this one replaces, as it was before the change (``state.keep()``); if it had
        trained, it is paused and kept, and ctrl+z brings it back (one level); the note says so."""
        if self.control is not None:
            trained = AppState.trained(kept) if kept is not None else 0
            if not trained:  # nothing of this run to keep: a run kept before stays kept (c c)
                self.control.cancel()
                if self.kept is not None:
                    note += f" · ctrl+z still goes back to epoch {AppState.trained(self.kept.state)}"
            elif self.session is not None and self.session.data_size() <= UNDO_MOST_NUMBERS:
                note += self.drop_kept()
                self.control.pause()
                self.kept = KeptRun(kept, self.control, self.session, self.worker)
                note += f" · ctrl+z goes back to epoch {trained}"
            else:
                note += self.drop_kept()
                self.control.cancel()
                note += f" · epoch {trained} not kept (too large to keep twice)"
        state = self.state
        away = state.put_away(kept["config"]) if kept is not None else []
        if away:  # another problem: its losses are of another quantity
            back = ("ctrl+z brings them back" if self.kept is not None else
                    f"{away[0].preset} with its settings brings them back")
            note += f" · {len(away)} pinned put away: another problem ({back})"
        # the comparison trains when shown, and goes on training hidden through a reset or a
        # restart (c then shows it, no restart); a run started alone stays alone
        paired = state.compare or state.hidden
        state.new_session(state.next_number(), note)
        state.trained_comparison = state.comparison if paired else None
        self.control = Control(paused=not autostart)
        self.session = TrainingSession(state.session_number, state.config, state.trained_comparison,
                                       self.app.post_message, self.control)
        self.session.boards.root = self.app.board_root
        self.app.changes.show_rule()  # the optimizer or the convention may have changed
        self.worker = self.app.run_worker(self.session.run, group="training", thread=True, exit_on_error=False)
        self.app.redraw()

    def restart(self, note: str, kept: dict | None = None) -> None:
        """Start again from epoch 0, training if the run was training; the note says so."""
        running = self.state.snapshot is not None and self.state.snapshot.running
        self.start(autostart=running, note=note, kept=kept)
        self.app.notify(self.state.note)

    def controls(self) -> list[Control]:
        """Every training thread's control: the run, the run kept for undo, the sweep."""
        kept = self.kept.control if self.kept is not None else None
        return [c for c in (self.control, kept, self.app.sweeps.control) if c is not None]

    def cancel_all(self) -> None:
        for control in self.controls():
            control.cancel()

    def drop_kept(self) -> str:
        """Let the run kept for undo go (one level); the note's words for it, "" if none was kept."""
        if self.kept is None:
            return ""
        self.kept.control.cancel()
        dropped, self.kept = AppState.trained(self.kept.state), None
        return f" · the epoch {dropped} run kept before is dropped" if dropped else ""

    def undo(self) -> None:
        """Bring back the run the last restart replaced (paused where it was), with its settings;
        the run started by that restart is dropped."""
        app = self.app
        if self.kept is None:
            app.notify("nothing to undo: ctrl+z brings back a run that a reset or a restart replaced",
                       severity="warning")
            return
        kept, self.kept = self.kept, None
        if self.control is not None:
            self.control.cancel()
        self.state.restore(kept.state)
        snapshot = kept.state["snapshot"]
        finished = snapshot is not None and snapshot.finished
        self.state.note = (f"undone: back to epoch {AppState.trained(kept.state)} "
                           + ("(done: raise epochs to go on)" if finished else "(space goes on)"))
        self.control, self.session, self.worker = kept.control, kept.session, kept.worker
        if self.state.snapshot is not None:
            self.state.snapshot = dataclasses.replace(self.state.snapshot, running=False)
        app.changes.show_settings()
        if self.state.ready is not None:
            app.views_ready()
        app.notify(self.state.note)
        app.redraw(force=True)

    # --- the session's messages --------------------------------------------------------------------

    def ready(self, message: SessionReady) -> None:
        """The session was built: the sidebar names its devices and decay, the views set up."""
        app = self.app
        if not app.live or not self.state.accept(message):
            return
        sidebar = app.main.query_one(Sidebar)
        sidebar.show_devices(["auto"] + message.devices, self.state.config.device)
        app.changes.show_decay_summary()
        app.views_ready()
        app.redraw(force=True)

    def progress(self, message: Progress) -> None:
        app = self.app
        if not app.live or not self.state.accept(message):
            return
        if message.snapshot.finished or not message.snapshot.running:  # the end, a step: at once
            app.redraw(force=True)
        if message.snapshot.finished:
            if self.state.note == self._continuing:  # it has continued: said, and done
                self.state.note = ""
            if app.snapshot_path:
                app.call_after_refresh(app.exports.save_snapshot_and_exit, app.snapshot_path)

    def failed(self, message: SessionFailed) -> None:
        """The run or a sweep could not start (a setting the engine refused at build)."""
        app, state = self.app, self.state
        if message.session not in (state.session_number, state.sweep_number) or not app.live:
            return
        state.note = f"cannot start: {message.field}: {message.error}"
        state.building = None  # nothing is being built any more: the status must not say so
        app.notify(state.note, severity="error", timeout=10)
        if app.snapshot_path:  # wdtui snapshot prints it as one line naming the flag
            app.failure = (message.field, message.error)
            app.exit(return_code=2)
            return
        app.redraw()

    def worker_changed(self, event: Worker.StateChanged) -> None:
        """A run's or a sweep's worker raised: both must say why they stopped."""
        app = self.app
        if event.worker in (self.worker, app.sweeps.worker) and event.state == WorkerState.ERROR:
            error = event.worker.error
            self.state.note = f"training stopped: {type(error).__name__}: {error}"
            if app.snapshot_path:  # headless: nobody will read the notice; end with the reason
                app.failure = ("", f"training failed: {type(error).__name__}: {error}")
                app.exit(return_code=2)
                return
            app.notify(self.state.note, severity="error", timeout=10)
            app.redraw()

    # --- the run keys ------------------------------------------------------------------------------

    def toggle(self) -> None:
        """Space: start or pause; a finished run is never restarted silently."""
        if self.control is None:
            return
        snap = self.state.snapshot
        if snap is not None and snap.finished:
            if snap.records[0].diverged:  # the run's own (a diverged comparison stops alone)
                self.app.notify("the run diverged: r starts it again from epoch 0", severity="warning")
            else:
                self.app.notify(f"the run is finished (epoch {snap.records[0].epoch}/{snap.epochs}): raise "
                                "epochs to continue it, or r to start again from epoch 0", severity="warning")
            return
        if self.control.paused:
            self.state.note = ""
            self.control.resume()
            if snap is not None:
                self.state.snapshot = dataclasses.replace(snap, running=True)
        else:
            self.control.pause()
        self.app.redraw(force=True)  # what the key did shows at once

    def step(self) -> None:
        if self.state.snapshot is not None and self.state.snapshot.finished:
            self.app.notify("the run is finished: raise epochs to continue it, or r to start again")
            return
        if self.control is not None:
            self.control.step(1)

    def reset(self) -> None:
        self.start(autostart=False, note=f"reset (seed {self.state.config.seed})", kept=self.state.keep())
        self.app.notify(self.state.note)

    def continue_if_more(self, finished: bool) -> None:
        """Epochs raised after the run finished: it goes on from where it stopped."""
        snap = self.state.snapshot
        if (finished and snap is not None and self.state.config.epochs > snap.records[0].epoch
                and not snap.records[0].diverged):  # a diverged comparison stays stopped; the run goes on
            self.state.note = self._continuing = (f"epochs {self.state.config.epochs}: continuing from epoch "
                                                  f"{snap.records[0].epoch}")
            self.control.resume()
            # until the worker's first epoch of the continuation: the new total, and no speed
            # (the last one was of epochs before the stop)
            records = tuple(dataclasses.replace(r, epochs_per_s=0.0) for r in snap.records)
            self.state.snapshot = dataclasses.replace(snap, records=records, running=True, finished=False,
                                                      epochs=self.state.config.epochs)

    # --- pinned runs -------------------------------------------------------------------------------

    def pin(self) -> None:
        """Pin the run as shown now: a dimmed copy on the time charts that stays through resets
        and λ changes, to compare three or more runs; shown only beside runs of its problem
        (``state.problem_of``)."""
        ghost = self.state.pin()
        if ghost is None:
            self.app.notify("nothing to pin yet: train a few epochs first", severity="warning")
            return
        self.app.notify(f"pinned {ghost.name} (epoch {ghost.epochs}); u unpins the latest")
        self.app.show_run()
        self.app.redraw(force=True)

    def unpin(self) -> None:
        ghost = self.state.unpin()
        if ghost is None:
            self.app.notify("no pinned run: p pins the run as shown", severity="warning")
            return
        self.app.notify(f"unpinned {ghost.name}")
        self.app.show_run()
        self.app.redraw(force=True)
