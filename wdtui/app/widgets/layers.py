"""The Layers tab: each weight matrix's ‖w‖ and angular update against epoch, the scale-invariant
layers marked, and the rotational-equilibrium prediction where one holds.

A layer is marked scale-invariant (``⟂``) by the engine's rule (``models.scale_invariant``): a
Linear (or Conv2d) directly followed by a LayerNorm, with no path around the normalization, so
the model computes the same function for c·(W, b), c > 0. For such a layer decay does not make
the function simpler; it sets how far each step turns it (van Laarhoven 2017; Kosson et al.
2023). The prediction (``lessons.equilibrium``) is per optimizer step, so it is drawn beside the
angle per step: the records' per-step RMS angle in mini-batch runs, their angle per epoch when an
epoch is one step.
"""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ...engine.config import Config
from ...engine.lessons.equilibrium import angular_update, steps_per_epoch
from ..messages import SessionReady, Snapshot
from ..series import downsample, integer_ticks, log_ticks, loggable
from ..state import AppState
from .charts import Chart, role, round_yticks, shown_marks

# one color per layer; the run's layers drawn as lines, its comparison's (the same layers) as dots
LAYER_COLORS = ("cyan", "orange", "green", "magenta", "blue", "red", "yellow", "white")
INVARIANT_MARK = "⟂"
RUN_MARKERS = ("braille", "dot")  # the run, its comparison


def layer_runs(ready: SessionReady, snap: Snapshot) -> list[tuple[int, str, str]]:
    """(index, marker, name) of the runs whose layers are drawn, the comparison first (beneath
    the run): the run as lines, its comparison as dots, each layer in its own colour."""
    runs = [(i, RUN_MARKERS[i], role(ready, i)) for i in range(min(len(ready.results), len(snap.lengths), 2))]
    return runs[::-1]


def name_runs(plt: Any, runs: list[tuple[int, str, str]]) -> None:
    """The legend's first entries: which marker is which run (the colours are the layers)."""
    if len(runs) > 1:
        for _, marker, name in runs[::-1]:
            plt.entry(name, None, marker)


def layer_label(name: str, invariant: tuple[str, ...], layers: dict[str, str] | None = None) -> str:
    """A layer by its reader's name, as the Weights tab names it (``hidden 1``; ``layers`` maps the
    tensor's name, e.g. ``1.weight``, to ``hidden 1 (Linear 64→64) …``), with ``⟂`` when it is
    scale-invariant: ``hidden 1 ⟂``."""
    label = (layers or {}).get(name, name).split(" (")[0]
    return f"{label} {INVARIANT_MARK}" if name in invariant else label


def angle_series(ready: SessionReady, n: int, index: int = 0) -> tuple[dict[str, Any], str]:
    """Run ``index``'s angles to draw and what they are: the RMS angle per step of its
    scale-invariant layers when it trains in mini-batches (other layers are not measured per
    step), else the angle between consecutive epochs of every weight matrix (per step when an
    epoch is one step)."""
    result = ready.results[index]
    if result.step_angular_update:
        return {k: v[:n] for k, v in result.step_angular_update.items()}, "RMS angle per step"
    schedule = result.measured_epochs or {}
    every = schedule.get("then_every", 1)
    # a run measured sparsely (digits: every 6th epoch after the 10th) records the angle between
    # its measured epochs: said so, or the climb at epoch 10 reads as the layers turning faster
    label = ("angle per epoch" if every == 1 else
             f"angle between measured epochs (each to {schedule.get('every_epoch_to')}, then every {ordinal(every)})")
    return {k: v[:n] for k, v in result.angular_update.items()}, label


REST_COLOR = "gray"


def ordinal(n: int) -> str:
    """2nd, 3rd, 6th, 11th, 21st (grokking measures every 3rd epoch, digits every 6th)."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rest_norm(result, matrices: list[str], n: int) -> tuple[list[float], str, str] | None:
    """The decayed tensors that are not weight matrices, as one series ("biases", or with
    LayerNorm gains "biases+gains"): ‖·‖₂ of them together, √Σ‖bᵢ‖², per epoch. They are part
    of ‖w‖ where all parameters are decayed: sine's hidden bias holds most of it (7.5 of 9.2 at
    λ = 0), quadratic's last LayerNorm gain and bias more than half of ‖w‖²; drawn, not left out
    of the per-layer picture."""
    others = [name for name in result.layer_norms if name not in matrices]
    if not others:
        return None
    values = [math.sqrt(sum(result.layer_norms[name][k] ** 2 for name in others)) for k in range(n)]
    # 12 characters at most: a legend cut at 80×24 had left "biases & …" of the largest curve
    label = "biases" if all(name.endswith(".bias") for name in others) else "biases+gains"
    return values, REST_COLOR, label


class LayerNormChart(Chart):
    legend_in_order = True  # layers in the model's order (orange is a layer here, not the comparison)

    """‖w‖₂ of each weight matrix of the run, and of its other decayed tensors together (biases,
    LayerNorm gains: :func:`rest_norm`), against epoch (log y: the layers differ by decades)."""

    def draw(self, plt: Any, data: tuple[SessionReady, Snapshot], points: int) -> None:
        ready, snap = data
        invariant = ready.data.scale_invariant
        runs = layer_runs(ready, snap)
        name_runs(plt, runs)
        shown: list[float] = []
        epochs: list[int] = []
        for i, marker, _ in runs:
            result, n = ready.results[i], snap.lengths[i]
            epochs = result.history["epoch"][:n]
            names = [name for name in result.layer_norms if name in result.angular_update]  # matrices
            series = [(result.layer_norms[name][:n], color, layer_label(name, invariant, ready.layers))
                      for name, color in zip(names, LAYER_COLORS)]
            rest = rest_norm(result, names, n)
            if rest is not None:
                series.append(rest)
            for values, color, name in series:
                xs, ys = loggable(*downsample(epochs, values, points))
                if xs:
                    label = name if i == 0 else None
                    plt.plot(xs, ys, color=color, marker=marker, label=label and self.series_label(label))
                    shown += ys
        if shown:
            plt.xticks(*integer_ticks(min(epochs), max(epochs)))
            plt.yscale("log")
            plt.yticks(*log_ticks(min(shown), max(shown)))
        key = f"   {INVARIANT_MARK} scale-invariant: Linear → LayerNorm" if invariant else ""
        marks = with_marks(plt, ready, snap, bool(shown), "")  # the changes' count, and their lines drawn
        # the key where it fits (plotext drops an x label too long for the chart); the tab's note says it too
        plt.xlabel(self.fitted(["epoch" + key + marks, "epoch" + marks]))


def with_marks(plt: Any, ready: SessionReady, snap: Snapshot, drawn: bool, label: str) -> str:
    """The run's setting changes marked as on the Charts tab (a dotted line after the last epoch
    of the old setting), and ``label`` with how many there are."""
    marks = shown_marks(ready, snap) if drawn else []
    for mark in marks:
        plt.vline(mark.epoch - 1, "gray")
    return label + (f"  ┆ {len(marks)} change{'s' if len(marks) > 1 else ''}" if marks else "")


class AngleChart(Chart):
    """The run's angular update per layer, with the equilibrium prediction arccos(1 − η·λ) ≈
    √(2ηλ) as a gray line where it holds (see ``lessons.equilibrium``)."""

    legend_in_order = True

    def draw(self, plt: Any, data: tuple[SessionReady, Snapshot, Config], points: int) -> None:
        ready, snap, config = data
        result = ready.results[0]
        invariant = ready.data.scale_invariant
        runs = layer_runs(ready, snap)
        name_runs(plt, runs)
        shown: list[float] = []
        for i, marker, _ in runs:
            n = snap.lengths[i]
            epochs = ready.results[i].history["epoch"][:n]
            series, what = angle_series(ready, n, i)
            for (name, values), color in zip(series.items(), LAYER_COLORS):
                xs, ys = loggable(*downsample(epochs, values, points))
                if xs:
                    label = layer_label(name, invariant, ready.layers) if i == 0 else None
                    plt.plot(xs, ys, color=color, marker=marker, label=label and self.series_label(label))
                    shown += ys
        n = snap.lengths[0]
        epochs = result.history["epoch"][:n]
        record = snap.records[0]
        per_step = bool(result.step_angular_update) or steps_per_epoch(config) == 1
        predicted = angular_update(config, record.lam, record.lr) if per_step and invariant else None
        # the caption in full where it fits, else briefer (plotext drops an x label too long for
        # the chart: at 80×24 the prediction line had no words at all)
        notes = (["an exact solve takes no steps: no angle to draw", "exact solve: no steps"] if config.solver == "exact"
                 else ["no scale-invariant layer: nothing to predict", "nothing to predict (no ⟂ layer)"] if not invariant
                 else ["no prediction for this optimizer/regularizer", "no prediction (optimizer/regularizer)"]
                 if per_step else ["prediction is per step"])
        if predicted is not None and shown:
            plt.hline(predicted, "gray")
            shown.append(predicted)
            whose = " (the run's)" if len(runs) > 1 else ""
            notes = [f"── predicted arccos(1−s) = {predicted:.3g} rad{whose}", f"── predicted {predicted:.3g} rad{whose}",
                     f"── predicted {predicted:.3g} rad"]
        if shown:
            plt.xticks(*integer_ticks(min(epochs), max(epochs)))
            lo, hi = min(shown), max(shown)
            if hi / lo > 10:
                plt.yscale("log")
                plt.yticks(*log_ticks(lo, hi))
            else:
                round_yticks(plt, shown)
        titles = [f"{self.chart_title}: {what}", what]
        schedule = result.measured_epochs or {}
        if schedule.get("then_every", 1) > 1:  # at 80×24 the title was cut before what explains epoch 10's kink
            titles.append(f"angle (rad), measured every {ordinal(schedule['then_every'])} epoch after "
                          f"{schedule['every_epoch_to']}")
        plt.title(self.fitted(titles, margin=2))
        marks = with_marks(plt, ready, snap, bool(shown), "")  # the changes' count, and their lines drawn
        plt.xlabel(self.fitted([f"epoch   {note}{marks}" for note in notes] + [notes[-1] + marks]))


FULL_NOTE_ROWS = 30  # the tab's height from which the note is told in full
BOTH_ROWS = 26  # the tab's height from which its two charts share it (at 80×24 the ‖w‖ chart had one plot row)
CHART_NAMES = ("‖w‖ per layer", "angular update")


class LayersView(Vertical):
    """The tab's content: a line saying what is marked and why, then the two charts — together
    where the tab has the rows, else one at a time (z: the other)."""

    DEFAULT_CSS = """
    LayersView { height: 1fr; }
    LayersView > #layers-note { height: auto; padding: 0 1; color: $text-muted; }
    LayersView > Chart { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(Text(""), id="layers-note")
        yield LayerNormChart("‖w‖₂ per layer (log)", id="layer-norms")
        yield AngleChart("angular update (rad)", id="layer-angles")

    @property
    def charts(self) -> list[Chart]:
        return [self.query_one(LayerNormChart), self.query_one(AngleChart)]

    zoomed = -1  # the view asked for with z: -1 both charts, 0 the ‖w‖ chart alone, 1 the angle chart alone

    @property
    def views(self) -> tuple[int, ...]:
        """What z cycles through: each chart alone, then both where the tab has the rows for them."""
        return (-1, 0, 1) if self.size.height >= BOTH_ROWS else (0, 1)

    @property
    def shown(self) -> int:
        """The view on screen: the one asked for, or on a short tab the ‖w‖ chart alone for both."""
        return self.zoomed if self.zoomed in self.views else self.views[0]

    def zoom(self) -> None:
        """z: the ‖w‖ chart alone (the note hidden), then the angle chart alone, then both; on a
        short tab (80×24) one chart or the other."""
        views = self.views
        self.zoomed = views[(views.index(self.shown) + 1) % len(views)]
        self._show()

    def _show(self) -> None:
        shown = self.shown
        for i, chart in enumerate(self.charts):
            chart.display = shown in (-1, i)
        self._show_note()

    def ready(self, state: AppState) -> None:
        """The note for this session's model: which layers are scale-invariant."""
        invariant = state.ready.data.scale_invariant
        if invariant:
            named = ", ".join(layer_label(name, (), state.ready.layers) for name in invariant)
            text = (f"{INVARIANT_MARK} {named}: scale-invariant (a Linear straight into a "
                    "LayerNorm: c·(W, b) computes the same function), so λ sets how far each step turns "
                    "them, not how simple they are.")
        else:
            text = "No scale-invariant layer in this model (no Linear straight into a LayerNorm)."
        labels = state.ready.labels
        whose = (f"The run's layers as lines, its comparison's ({labels[1]}) as dots, a colour per layer. "
                 if len(labels) > 1 else "The run's layers. ")
        runs = f"run: lines, {labels[1]}: dots" if len(labels) > 1 else "the run's layers"
        marked = f"{INVARIANT_MARK} {named}: scale-invariant" if invariant else "no scale-invariant layer"
        self._notes = (whose + text, f"{runs} · {marked}", marked)
        self._show_note()

    _notes = ("", "", "")  # the note in full; in one phrase (short tabs); its marks alone (the charts take turns: their legends name the runs)

    def on_resize(self) -> None:
        self._show()

    def _show_note(self) -> None:
        """The note in full where the tab has the rows, else in one phrase (at 80×24 the full
        note left the charts no row to plot in), with which chart z shows next where the charts
        take turns; none while z shows a chart alone on a tall tab."""
        full, short, marked = self._notes
        tall = len(self.views) == 3
        note = self.query_one("#layers-note", Static)
        note.display = not tall or self.shown == -1
        if tall:
            note.update(Text(full if self.size.height >= FULL_NOTE_ROWS else short))
        else:
            note.update(Text(f"{marked} · z: {CHART_NAMES[1 - self.shown]}"))

    def show(self, state: AppState) -> None:
        self.query_one(LayerNormChart).update((state.ready, state.shown))
        # the prediction needs the run's optimizer setting: the state's config, drawn at the same moment
        self.query_one(AngleChart).update((state.ready, state.shown, state.config))
