"""The app's one state. The worker's messages and the user's changes update it; every view (the
run's charts, the weights, the sweep, the status lines, the help screen) draws from it, so what
the screen says comes from one place by construction. No widgets here.

What it holds: the run's setting (``config``; λ is ``config.lam``) and its comparison's
(``comparison``, shown when ``compare``), the latest messages of the current training session
(``ready``, ``snapshot``), the pinned runs (``ghosts``), and the latest sweep's snapshot. A message
from an older session (a run restarted, a sweep replaced) is refused by :meth:`AppState.accept`.

The screen is one frame: ``shown`` is the snapshot that every chart, legend and the status lines
describe (the app takes the latest ``snapshot`` as its next frame when the redraw budget allows,
:meth:`.app.WdtuiApp.redraw`); ``snapshot`` is the worker's latest, which the controls act on.

What is shown is what the views get: ``ready`` and ``shown`` hold the comparison only while it
is shown. Turning compare off while the session trains it hides it (``hidden``) and nothing
restarts: the pair trains on, and compare on shows it again, at the same epoch as the run. The
session's own messages, with every run it trains, are ``session_ready`` and ``frame``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

from ..engine.config import CONFIG_FIELDS, Config, ConfigError
from ..engine.lessons.presets import PRESETS, Run, comparison_config, trains_alike
from ..engine.settings import NONE_WORDS
from .messages import (
    BuildProgress,
    EpochProgress,
    GridProgress,
    GridSnapshot,
    Progress,
    SessionReady,
    Snapshot,
    SweepProgress,
    SweepSnapshot,
)

GHOST_KEYS = ("train_loss", "test_loss", "weight_norm", "train_accuracy", "test_accuracy")
MAX_GHOSTS = 4  # pinned runs shown at once (the oldest goes first); more would be unreadable
# What a loss is a loss of: the data (the preset's source, a file, a folder, the inputs), the task
# and the loss. A pinned run belongs to its problem and is shown only beside runs of the same
# problem: on another, its curves would be of another quantity (sine's squared error beside the
# digits' cross-entropy). What a pin is there to compare stays out: the setting (λ, regularizer,
# optimizer, lr, dropout, epochs, batch), the model (width, depth, …), the training set's size,
# the noise and the seed; so do presets of one source (sine and sine-overfit, digits and dropout).
PROBLEM_FIELDS = ("data", "data_dir", "n_inputs", "modulus", "task", "loss", "test_fraction")


def problem_of(config: Config) -> tuple:
    """The problem a run of ``config`` solves: its preset's data source and ``PROBLEM_FIELDS``."""
    return (PRESETS[config.preset].data, *(getattr(config, name) for name in PROBLEM_FIELDS))


@dataclass(frozen=True)
class Ghost:
    """A pinned run: a copy of its histories up to the epoch shown when it was pinned, named by
    its settings, drawn dimmed on the time charts beside the live runs."""

    number: int  # 1 for the first pinned in this app, then 2, …: its name stays when others go
    label: str  # e.g. "l2 λ=0.01 lr=0.05 sgd": its setting when pinned, "(changed)" if it changed
    history: dict  # "epoch" and GHOST_KEYS (compact arrays), as long as the run was then
    problem: tuple = ()  # problem_of its config: shown only beside runs of the same problem
    preset: str = ""  # its preset, to say where a pin put away belongs
    setting: tuple[str, ...] = ()  # its data and model where a pin may differ from the run (setting_of)

    @property
    def epochs(self) -> int:
        return len(self.history.get("epoch", []))

    @property
    def name(self) -> str:
        """Its whole name: ``pin 1: l2 λ=0.01 lr=0.05 sgd``."""
        return f"pin {self.number}: {self.label}"

    def name_beside(self, run_label: str, run_setting: tuple[str, ...] = ()) -> str:
        """Its name in a legend beside the run labelled ``run_label`` (:func:`pin_label`) with
        the data and model ``run_setting`` (:func:`setting_of`): what differs from it, ``pin 1
        λ=0.01`` (a legend cut the whole name to ``pin 1: coup…``, and two pins could not be told
        apart), ``pin 1 n_train=20 noise=0.3 λ=1e-05 lr=0.003`` (a sine-overfit pin beside a sine
        run: its higher test loss is of other data, not of its λ); ``pin 1 (same setting)`` when
        nothing does."""
        # the data and model first: a narrow legend cuts from the end, and they are what makes a
        # pin's loss another quantity
        differs = [part for part in self.setting if part not in run_setting]
        differs += [part for part in self.label.split(" ") if part not in run_label.split(" ")]
        return f"pin {self.number} " + (" ".join(differs) if differs else "(same setting)")


def snapshot_alone(snapshot: Snapshot) -> Snapshot:
    """``snapshot`` with the run's record only (its comparison hidden)."""
    return replace(snapshot, records=snapshot.records[:1], lengths=snapshot.lengths[:1])


def ready_alone(ready: SessionReady) -> SessionReady:
    """``ready`` with the run only: its result, label and marks (its comparison hidden)."""
    return SessionReady(ready.session, ready.data, ready.results[:1], ready.device, ready.devices,
                        ready.decay_summary, snapshot_alone(ready.snapshot), labels=ready.labels[:1],
                        marks=ready.marks[:1], layers=ready.layers)


PIN_SETTING = ("n_train", "noise", "seed", "model", "width", "depth", "activation", "norm", "batch_size")


def setting_of(config: Config) -> tuple[str, ...]:
    """The data and model a pinned run may differ in from the run beside it (its problem is the
    same, ``problem_of``): ``("n_train=20", "noise=0.3", …)``, as the sidebar names them."""
    return tuple(f"{name}={'full' if value is None else format(value, 'g') if isinstance(value, float) else value}"
                 for name in PIN_SETTING for value in [getattr(config, name)])


def pin_label(record, optimizer: str, dropout: float) -> str:
    """A pinned run named by what it trained with at its last epoch:
    ``l2 λ=0.01 lr=0.05 sgd``, ``none λ=0 p=0.5 lr=0.001 adam`` (what is cut first when a legend
    is narrow comes last)."""
    p = f" p={dropout:g}" if dropout else ""
    return f"{record.regularizer} λ={record.lam:.3g}{p} lr={record.lr:.3g} {optimizer}"


@dataclass
class AppState:
    config: Config
    comparison: Run
    compare: bool = True
    lam_kept: float = 0.0  # λ to return to when a regularizer follows `none`
    session_number: int = 0
    session_ready: SessionReady | None = None  # the session's, with every run it trains (``ready``: those shown)
    snapshot: Snapshot | None = None  # the worker's latest
    frame: Snapshot | None = None  # the frame on screen, every run (``shown``: the runs shown)
    trained_comparison: Run | None = None  # the comparison the session trains (None: the run alone)
    device: str = ""
    note: str = ""
    within: EpochProgress | None = None  # how far the epoch being trained is (long epochs)
    building: BuildProgress | None = None  # how far the session's build is, until it is ready
    pinned: list[Ghost] = field(default_factory=list)  # every pinned run, of any problem
    pins: int = 0  # runs pinned so far (numbers the ghosts)
    sweep_number: int = 0
    numbers: int = 0  # sessions and sweeps numbered so far
    sweep_snapshot: SweepSnapshot | None = None
    grid_snapshot: GridSnapshot | None = None
    swept: Config | None = None  # the run's settings when the latest sweep or grid started

    @property
    def lam(self) -> float:
        """λ asked for (the run trains with it from the next epoch; 0 with regularizer none)."""
        return self.config.lam

    # --- what is shown: the comparison only while compare is on ---------------------------------

    @property
    def hidden(self) -> bool:
        """The session trains a comparison that is not shown (compare turned off: no restart)."""
        return not self.compare and self.trained_comparison is not None

    def shows_trained(self) -> bool:
        """Whether compare on can show the comparison the session trains (the one set now)
        without a restart."""
        return self.trained_comparison is not None and self.trained_comparison == self.comparison

    _alone: dict = field(default_factory=dict, repr=False, compare=False)  # (kind, id) → the run alone

    def _run_alone(self, kind: str, whole, alone):
        if whole is None or not self.hidden or len(whole.records if kind == "frame" else whole.results) < 2:
            return whole
        key = (kind, id(whole))
        if key not in self._alone:
            self._alone = {k: v for k, v in self._alone.items() if k[0] != kind}
            self._alone[key] = (whole, alone(whole))  # the whole kept: its id is not reused meanwhile
        return self._alone[key][1]

    @property
    def ready(self) -> SessionReady | None:
        """The session as shown: its runs, labels and marks without the comparison while hidden."""
        return self._run_alone("ready", self.session_ready, ready_alone)

    @ready.setter
    def ready(self, value: SessionReady | None) -> None:
        self.session_ready = value

    @property
    def shown(self) -> Snapshot | None:
        """The frame on screen as shown: without the comparison's record while hidden."""
        return self._run_alone("frame", self.frame, snapshot_alone)

    @shown.setter
    def shown(self, value: Snapshot | None) -> None:
        self.frame = value

    # (config, comparison, whether they train alike): asked every tick, worked out once per setting
    _alike: tuple = field(default=(None, None, False), repr=False, compare=False)

    def trained_alike(self) -> bool:
        """Whether the run and its comparison shown are one training drawn twice ("run none"
        beside "vs coupled λ=0"): they train alike now, and the run trained so from epoch 0 —
        no setting changed on it, none pending (a run taken to λ = 0 after 30,000 epochs at
        λ > 0 steps like its comparison but did not train like it)."""
        ready, shown = self.ready, self.shown
        if ready is None or shown is None or len(shown.records) < 2 or (ready.marks and ready.marks[0]):
            return False
        run = shown.records[0]
        if run.epoch and (run.lam, run.regularizer, run.lr) != (self.config.lam, self.config.regularizer, self.config.lr):
            return False  # a change pending
        return self._trains_alike()

    def _trains_alike(self) -> bool:
        """Whether the run (with the setting asked for) and its comparison train the same."""
        config, comparison, alike = self._alike
        if (config, comparison) != (self.config, self.comparison):
            try:
                alike = trains_alike(self.config, comparison_config(self.config, self.comparison))
            except ConfigError:
                alike = False
            self._alike = (self.config, self.comparison, alike)
        return alike

    @property
    def ghosts(self) -> list[Ghost]:
        """The pinned runs shown: those of the current problem (the others are put away until
        their problem is back: a preset chosen again, ctrl+z)."""
        problem = problem_of(self.config)
        return [g for g in self.pinned if g.problem == problem]

    def ghost_names(self) -> list[str]:
        """The shown pins' legend names: what differs from the run as it is shown now."""
        if self.shown is None or self.ready is None:
            return [g.name for g in self.ghosts]
        run = pin_label(self.shown.records[0], self.config.optimizer, self.ready.results[0].dropout)
        return [g.name_beside(run, setting_of(self.config)) for g in self.ghosts]

    def put_away(self, before: Config) -> list[Ghost]:
        """The pinned runs shown with ``before`` that the current setting does not show."""
        if problem_of(before) == problem_of(self.config):
            return []
        return [g for g in self.pinned if g.problem == problem_of(before)]

    # --- the worker's messages -----------------------------------------------------------------

    def accept(self, message) -> bool:
        """Take a worker's message into the state; False if it belongs to an older session (or
        a Progress arrives before its session's SessionReady) and was dropped."""
        if isinstance(message, SessionReady):
            if message.session != self.session_number:
                return False
            self.ready, self.snapshot, self.device = message, message.snapshot, message.device
            return True
        if isinstance(message, Progress):
            if message.snapshot.session != self.session_number or self.ready is None:
                return False
            self.snapshot = message.snapshot
            return True
        if isinstance(message, BuildProgress):
            if message.session != self.session_number or self.ready is not None:
                return False
            self.building = message
            return True
        if isinstance(message, EpochProgress):
            if message.session != self.session_number or self.ready is None:
                return False
            self.within = message
            return True
        if isinstance(message, SweepProgress):
            if message.snapshot.session != self.sweep_number:
                return False
            self.sweep_snapshot = message.snapshot
            return True
        if isinstance(message, GridProgress):
            if message.snapshot.session != self.sweep_number:
                return False
            self.grid_snapshot = message.snapshot
            return True
        raise TypeError(f"not a worker message: {type(message).__name__}")

    def take_frame(self) -> bool:
        """The worker's latest snapshot becomes the frame on screen; False if it already was."""
        if self.frame is self.snapshot:
            return False
        self.frame = self.snapshot
        return True

    def next_number(self) -> int:
        """One counter for runs and sweeps, so a message names its session unambiguously."""
        self.numbers += 1
        return self.numbers

    def new_session(self, number: int, note: str = "") -> None:
        """A new training session: nothing of the old one is shown (ghosts stay)."""
        self.session_number = number
        self.ready = self.snapshot = self.shown = self.within = self.building = None
        self.note = note

    def new_sweep(self, number: int, config: Config | None = None) -> None:
        self.sweep_number = number
        self.sweep_snapshot = self.grid_snapshot = None
        self.swept = config

    def changed_since_sweep(self) -> list[str]:
        """What of the run's settings changed since the latest sweep or grid started (``"lr 0.01
        → 0.1"``), among those its best depends on: every setting but λ (what a sweep varies),
        the grid's lr and regularizer (it trains both regularizers over its lrs), and the
        device and thread count (the same numbers). Its best λ (or cell) is the best for the
        settings it trained, not for others: ``b`` is refused when this is not empty."""
        if self.swept is None:
            return []
        free = {"lam", "device", "threads"}
        if isinstance(self.current_sweep(), GridSnapshot):
            free |= {"lr", "regularizer"}
        if self.swept.preset != self.config.preset:  # another problem: the preset says it all
            return [f"preset {self.swept.preset} → {self.config.preset}"]

        def shown(name: str, value) -> str:
            if value is None:
                return NONE_WORDS.get(name, "none")
            if isinstance(value, tuple):
                return ",".join(format(v, "g") for v in value)
            return format(value, "g") if isinstance(value, float) else str(value)

        changed = [f"{name} {shown(name, getattr(self.swept, name))} → {shown(name, getattr(self.config, name))}"
                   for name in CONFIG_FIELDS
                   if name not in free and getattr(self.swept, name) != getattr(self.config, name)]
        return changed

    def epoch_share(self) -> tuple[int, float] | None:
        """(epoch, share done) of the epoch being trained, when it is the one right after the
        epoch on screen and the run is training (a long epoch: CIFAR-10's take seconds); else
        None (short epochs: the frame is epochs behind the worker, and a second epoch would only
        confuse the first)."""
        w, snap, shown = self.within, self.snapshot, self.shown
        if w is None or snap is None or shown is None or not snap.running or w.epoch != shown.records[0].epoch + 1:
            return None
        return w.epoch, w.share

    def current_sweep(self) -> SweepSnapshot | GridSnapshot | None:
        """The latest sweep's snapshot (λ sweep or grid), if it has posted one."""
        for snap in (self.sweep_snapshot, self.grid_snapshot):
            if snap is not None and snap.session == self.sweep_number:
                return snap
        return None

    # --- a run kept for undo ----------------------------------------------------------------------

    RUN_FIELDS: ClassVar[tuple[str, ...]] = (
        "config", "comparison", "compare", "lam_kept", "session_number", "session_ready", "snapshot", "device",
        "note", "trained_comparison")

    def keep(self) -> dict:
        """The run's part of the state (settings, session, what it shows), to bring back later."""
        return {name: getattr(self, name) for name in self.RUN_FIELDS}

    def restore(self, kept: dict) -> None:
        for name, value in kept.items():
            setattr(self, name, value)
        self.shown = None  # the next frame shows it

    @staticmethod
    def trained(kept: dict) -> int:
        """Epochs the kept run had trained (0: nothing would be lost)."""
        snapshot = kept["snapshot"]
        return snapshot.records[0].epoch if snapshot is not None else 0

    # --- pinned runs ---------------------------------------------------------------------------

    def pin(self) -> Ghost | None:
        """Pin the run as shown now (its histories up to the frame's length) as a ghost; None
        when there is nothing trained to pin. Beyond ``MAX_GHOSTS`` the oldest is dropped."""
        shown = self.shown
        if self.ready is None or shown is None or not shown.lengths or not shown.lengths[0]:
            return None
        n = shown.lengths[0]
        result = self.ready.results[0]
        record = shown.records[0]
        label = pin_label(record, self.config.optimizer, result.dropout)
        marks = self.ready.marks[0] if self.ready.marks else []
        last = result.history["epoch"][n - 1]  # the epoch shown (the history may skip epochs)
        if any(m.epoch <= last for m in list(marks)):  # trained with other settings before: say so
            label += " (changed)"
        history = {key: result.history[key][:n] for key in ("epoch", *GHOST_KEYS) if key in result.history}
        self.pins += 1
        ghost = Ghost(self.pins, label, history, problem_of(self.config), self.config.preset, setting_of(self.config))
        self.pinned.append(ghost)
        for old in self.ghosts[:-MAX_GHOSTS]:
            self.pinned.remove(old)
        return ghost

    def unpin(self) -> Ghost | None:
        """Drop the latest pinned run shown; None when none is shown."""
        shown = self.ghosts
        if not shown:
            return None
        self.pinned.remove(shown[-1])
        return shown[-1]
