"""Files the app saves (a screenshot, an export, its settings, TensorBoard event files): written
beside the user in a terminal; in a browser (``wdtui serve``) delivered to the browser as a
download through Textual's ``deliver_text``: the user's file belongs on the user's machine, not on
the server."""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App

from ..engine.config import Config
from ..engine.export import document, write_text
from ..engine.settings import app_settings, settings_text
from .board import DEFAULT_ROOT
from .messages import ExportDone, GridSnapshot

if TYPE_CHECKING:
    from .app import WdtuiApp


def save_text(app: App, path: Path, text: str) -> str:
    """Save ``text`` as ``path`` (atomically) or, in a browser, download it as ``path.name``.
    Returns what to tell the user; OSError when it cannot be written. Call on the app's thread."""
    if app.is_web:
        app.deliver_text(io.StringIO(text), save_filename=path.name, open_method="download")
        return f"downloading {path.name}"
    write_text(path, text)
    return f"saved {path}"


def export_files(path: Path, text: str, config: Config, compare: bool, comparison=None,
                 notes: tuple[str, ...] = ()) -> list[tuple[Path, str]]:
    """An export: the metrics (``path``, JSON) and beside it the settings that reproduce the run
    (the same name, ``.toml``: ``wdtui --config`` opens it), with ``notes`` in its header."""
    settings = {**app_settings(config, compare, comparison), "notes": list(notes)}
    return [(path, text), (path.with_suffix(".toml"), settings_text(settings))]


def exported_setting(config: Config, record, marks: list) -> tuple[Config, tuple[str, ...], str]:
    """The settings file of an export whose run's last epoch is ``record``: the run's λ, lr and
    regularizer as that epoch trained them and at least its epochs (a setting typed since, not
    yet trained, is not in it: the third item names it, for the toast), and as notes the changes
    made while it trained (``marks``: a replay trains the file's settings from epoch 0)."""
    if record.epoch == 0:  # nothing trained yet: the settings are the ones it will train
        return config, (), ""
    # and the epochs it trained where epochs were lowered below them since (the run ended there)
    trained = config.with_changes(regularizer=record.regularizer, lam=record.lam, lr=record.lr,
                                  epochs=max(config.epochs, record.epoch))
    pending = [f"{name} {now:.4g}" if isinstance(now, float) else f"{name} {now}"
               for name, now, then in (("regularizer", config.regularizer, record.regularizer),
                                       ("λ", config.lam, record.lam), ("lr", config.lr, record.lr)) if now != then]
    changed = [f"{m.text} at epoch {m.epoch}" for m in marks if m.epoch <= record.epoch]
    notes = (f"changed while it trained: {', '.join(changed)}; this file trains the last of them from epoch 0",
             ) if changed else ()
    return trained, notes, ", ".join(pending)


def deliver_files(app: App, files: list[tuple[Path, str]]) -> None:
    """In a browser: each file downloaded (call on the app's thread)."""
    for path, text in files:
        save_text(app, path, text)


def output_path(preset: str, suffix: str) -> Path:
    """A new file beside the user: ``wdtui-<preset>-<time><suffix>`` (``-2``, … if it exists)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = Path.cwd() / f"wdtui-{preset}-{stamp}{suffix}"
    n = 1
    while path.exists():
        n += 1
        path = Path.cwd() / f"wdtui-{preset}-{stamp}-{n}{suffix}"
    return path


class ExportController:
    """What the app saves: a screenshot (s), the run's metrics (e; on the Sweep tab the sweep's
    results), TensorBoard event files (t), and ``wdtui snapshot``'s screen. Reads the app's state;
    a long export is encoded by a thread worker so the screen does not freeze."""

    def __init__(self, app: WdtuiApp):
        self.app = app
        self.state = app.state
        self.board_root: str | None = None  # TensorBoard event files of the runs (t), or None
        self._board_dir: str | None = None  # where t writes them

    def _path(self, suffix: str) -> Path:
        return output_path(self.state.config.preset, suffix)

    def screenshot(self) -> None:
        app = self.app
        try:
            done = save_text(app, self._path(".svg"), app.export_screenshot(title=f"wdtui {self.state.config.preset}"))
        except OSError as error:
            app.notify(f"cannot save the screenshot: {error}", severity="error")
            return
        app.notify(done, title="screenshot")

    def tensorboard(self) -> None:
        """TensorBoard event files of the runs on/off (see ``board.SessionBoards``)."""
        self._board_dir = self.board_root or self._board_dir or DEFAULT_ROOT
        self.board_root = None if self.board_root else self._board_dir
        if self.app.runs.session is not None:
            self.app.runs.session.boards.root = self.board_root
        self.app.notify(f"writing event files under {self.board_root}/ (tensorboard --logdir {self.board_root})"
                        if self.board_root else "stopped writing event files", title="tensorboard")

    def export(self, tab: str) -> None:
        """The run's metrics (the ``wdtui run`` JSON); on the Sweep tab, the sweep's results (the
        ``wdtui sweep --out`` JSON, or the grid's)."""
        if tab == "sweep":
            self._export_sweep()
            return
        # The metrics as JSON, written by a thread worker: a long history takes seconds to encode,
        # and the screen must not freeze meanwhile. The histories are cut here, on this thread, at
        # the lengths on screen (a consistent view of lists the training thread keeps growing).
        state = self.state
        if state.ready is None or state.snapshot is None:
            self.app.notify("nothing to export yet", severity="warning")
            return
        results = [r.upto(n) for r, n in zip(state.ready.results, state.snapshot.lengths)]
        self.app.notify("exporting…", title="export", timeout=2)
        # the JSON's config holds the sizes as read ("all" of digits' test set is 1,497), as
        # wdtui run's does; the settings file keeps them as asked for
        data = state.ready.data
        sizes = {"n_train": state.config.n_train or data.n_train, "n_test": state.config.n_test or data.n_test}
        # a hidden comparison trains: the settings say so (replayed alone, a float32 run is not this one)
        # the settings file holds what the exported epochs trained, not a λ typed since
        trained, notes, self._pending = exported_setting(state.config, state.snapshot.records[0],
                                                         list(state.ready.marks[0]) if state.ready.marks else [])
        self._hidden = state.hidden  # the JSON holds the run alone, the settings its hidden comparison too
        job = functools.partial(self._write, trained, state.device, results, self._path(".json"),
                                state.compare or state.hidden,
                                state.comparison, tuple(state.ready.labels), sizes, notes)
        self.app.run_worker(job, group="export", thread=True, exit_on_error=False)

    _pending = ""  # a setting typed since the exported epochs, not in the export's settings file
    _hidden = False  # the comparison was hidden (c): the JSON holds the run alone

    def _write(self, config: Config, device: str, results: list, path: Path, compare: bool, comparison,
               labels: tuple[str, ...] = (), sizes: dict | None = None, notes: tuple[str, ...] = ()) -> None:
        """On the export worker's thread: encode, write (or send to the browser), report."""
        app = self.app
        try:
            doc = app_document(dataclasses.replace(config, **(sizes or {})), device, results, labels, comparison)
            files = export_files(path, json.dumps(doc, indent=1, allow_nan=False) + "\n", config, compare, comparison,
                                 notes)
            if app.is_web:
                app.call_from_thread(deliver_files, app, files)
            else:
                for target, text in files:
                    write_text(target, text)
        except (OSError, ValueError) as error:
            app.post_message(ExportDone(path, f"{error}"))
            return
        app.post_message(ExportDone(path, None))

    def done(self, message: ExportDone) -> None:
        if message.error is not None:
            self.app.notify(f"cannot export: {message.error}", severity="error")
        else:
            where = "sent to the browser" if self.app.is_web else f"saved {message.path}"
            pending = f"; {self._pending} is not trained yet, not in it" if self._pending else ""
            hidden = "; with the hidden comparison, which trains beside it" if self._hidden else ""
            self.app.notify(f"{where} (+ .toml: its settings{pending}{hidden})", title="export")

    def _export_sweep(self) -> None:
        snap = self.state.current_sweep()
        if snap is None or snap.document is None:
            self.app.notify("no sweep result yet: w runs a λ sweep, g a grid", severity="warning")
            return
        path = self._path("-grid.json" if isinstance(snap, GridSnapshot) else "-sweep.json")
        try:
            done = save_text(self.app, path, json.dumps(snap.document, indent=1, allow_nan=False) + "\n")
        except OSError as error:
            self.app.notify(f"cannot export: {error}", severity="error")
            return
        partial = "" if snap.finished else f" (epoch {snap.epoch} of {snap.epochs}: not finished)"
        self.app.notify(f"{done}{partial}", title="export")

    def save_snapshot_and_exit(self, path: str, tries: int = 100) -> None:
        """``wdtui snapshot``: the screen as SVG at ``path``, then the app ends (2 if it cannot
        be written, with the reason in ``app.failure``)."""
        app = self.app
        # The footer fills in its keys a few refreshes after start-up; a short run can finish
        # before that, and the screen saved would lack them.
        keys = app.main.query("FooterKey")
        if tries and not (keys and all(key.region.width for key in keys)):
            app.set_timer(0.02, lambda: self.save_snapshot_and_exit(path, tries - 1))
            return
        try:
            write_text(path, app.export_screenshot(title=f"wdtui {self.state.config.preset}"))
        except OSError as error:  # e.g. disk full: the temporary file is gone; say which file
            app.failure = ("out", f"cannot write {path!r}: {error.strerror or error}")
            app.exit(return_code=2)
            return
        app.exit(0)


def app_document(config: Config, device: str, results: list, labels: tuple[str, ...], comparison) -> dict:
    """The app's export: ``wdtui run``'s document, each run also with its ``role`` ("run", then
    "comparison"), its ``label`` (the name the status line and the legends give it) and its
    ``optimizer`` (a comparison may train with another)."""
    doc = document(config, device, results)
    for i, run in enumerate(doc["runs"]):
        run["role"] = "run" if i == 0 else "comparison"
        run["label"] = labels[i] if i < len(labels) else run["role"]
        run["optimizer"] = (comparison.optimizer if i and comparison is not None else None) or config.optimizer
    return doc
