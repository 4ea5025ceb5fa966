"""The Sweep tab: the λ sweep's charts (loss, ‖w‖ and, for linear models, the weights against λ)
or the (lr, λ) grid's tables, and what it says in words — the sweep's state (epoch, ETA, how to
cancel) and its verdict, the same lines ``wdtui sweep`` prints. :class:`SweepView` draws from the
app's state (:mod:`.state`); the text is plain functions of a snapshot."""

from __future__ import annotations

import math

from rich.console import Group
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from ..tables import best_line, grid_tables
from .messages import GridSnapshot, SweepSnapshot
from .state import AppState
from .widgets import page
from .widgets.charts import Chart, SweepChart, SweepLossChart, SweepNormChart, SweepPathChart

GRID_SECTIONS = 2  # the grid trains coupled, then decoupled decay: a table each
ALL_CHARTS_ROWS = 30  # the tab's height from which the λ sweep's text and all its charts share it

INTRO = ("w trains one copy of the model per λ of the ladder (1e-5 … 10) and λ = 0, over 3 seeds, as one "
         "batched model (one seed, one copy after another, for models that do not batch); λ is chosen on a "
         "validation set; b then loads the best λ.")


def duration(seconds: float | None) -> str:
    """``ETA 45 s``, ``ETA 3 min 5 s``, ``ETA 2 h 4 min``; empty when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return ""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"ETA {seconds} s"
    if seconds < 3600:
        return f"ETA {seconds // 60} min {seconds % 60} s"
    return f"ETA {seconds // 3600} h {seconds % 3600 // 60} min"


def _state(snap, cancelled: bool, show_eta: bool) -> str:
    if snap.finished:
        return "done"
    if cancelled:
        return f"cancelled: the numbers are epoch {snap.epoch}'s"  # one line: the keys line stays in the box
    eta = duration(snap.eta_s) if show_eta else ""
    return " · ".join(part for part in (f"epoch {snap.epoch}/{snap.epochs}", eta, "x cancels") if part)


def changed_line(changed: list[str], again: str) -> str:
    """Said under a sweep or grid whose run's settings changed since it started (``b`` is off)."""
    return f"of other settings than the run's now ({', '.join(changed)}): b is off, {again} with these"


def again(snap, config) -> str:
    """What trains ``snap``'s kind again for ``config``: w (a λ sweep); g (a grid), or under the
    exact solver, which has no lr to grid, w's λ sweep."""
    if isinstance(snap, SweepSnapshot):
        return "w sweeps"
    return "w sweeps λ exactly (no lr to grid)" if config.solver == "exact" else "g trains a grid"


def sweep_status(snap: SweepSnapshot, cancelled: bool = False, show_eta: bool = True,
                 changed: list[str] | None = None) -> str:
    """The λ sweep's lines: what is trained, its state, the keys, the verdict; ``changed``: the
    run's settings that changed since it started (:meth:`AppState.changed_since_sweep`)."""
    seeds = f"{snap.seeds} seed{'s' if snap.seeds > 1 else ''}"
    head = f"λ sweep, {snap.regularizer}: {len(snap.lambdas)} λ × {seeds} · {_state(snap, cancelled, show_eta)}"
    # one row at 80×24 beside the sidebar: what each key does in the fewest words
    usable = snap.best_index is not None and not changed and not snap.unlearned  # as b refuses
    keys = ("b: use the best λ · " if usable else "") + "z: each chart · e: export"
    # the keys before the verdict; while it trains the verdict is the epoch's, and can still change
    verdict = list(snap.verdict) if snap.finished or cancelled else [f"so far: {line}" for line in snap.verdict]
    stale = [changed_line(changed, again(snap, None))] if changed else []
    return "\n".join([head, keys, *stale, *verdict])


def grid_state(snap: GridSnapshot, cancelled: bool = False, show_eta: bool = True) -> str:
    """The grid's state: which regularizer trains, its epoch, ETA, or done/cancelled."""
    if snap.finished:
        return "done"
    if cancelled:
        return f"cancelled while training {snap.training}, epoch {snap.epoch}"
    eta = duration(snap.eta_s) if show_eta else ""
    return " · ".join(part for part in (f"training {snap.training}: epoch {snap.epoch}/{snap.epochs}", eta,
                                         "x cancels") if part)


class SweepView(Vertical):
    """The Sweep tab's widgets, drawn from the app's state: the λ sweep's charts, or the grid."""

    def compose(self) -> ComposeResult:
        yield Static(INTRO, id="sweep-status")
        yield SweepLossChart("loss against λ (log)", id="sweep-loss")
        with Horizontal(id="sweep-lower"):
            yield SweepNormChart("‖w‖₂ against λ", id="sweep-norm")
            yield SweepPathChart("weights against λ", id="sweep-path")
        with VerticalScroll(id="grid"):  # a section per convention's table, then the hint: pgdn stops at each
            for i in range(GRID_SECTIONS):
                yield Static("", id=f"grid-{i}", classes="grid-section page-stop")
            yield Static("", id="grid-hint", classes="grid-section page-stop", markup=False)

    @property
    def charts(self) -> list[Chart]:
        return [*self.query(SweepChart), self.query_one(SweepPathChart)]

    zoomed = -1  # z: the λ sweep's chart shown alone (0 loss, 1 ‖w‖, 2 the path), -1: all of them with the text
    _grid = False  # the grid's tables shown, not the λ sweep's charts
    _path = False  # the λ sweep has a regularization path (a linear model's weights against λ)

    def starting(self, text: str, grid: bool) -> None:
        """A new sweep: the grid's tables or the λ sweep's charts, and what is starting."""
        self._grid, self._path, self.zoomed = grid, False, -1
        self._layout()
        self._set_status(text)

    @property
    def views(self) -> tuple[int, ...]:
        """What z cycles through: -1 the text with the charts (on a short tab, with the loss chart
        only: at 80×24 three charts had one plot row each), then each chart alone."""
        alone = (1, 2) if self._path else (1,)
        return (-1, 0, *alone) if self.size.height >= ALL_CHARTS_ROWS else (-1, *alone)

    def _layout(self) -> None:
        """What is displayed: the grid's tables, or the λ sweep's text and charts — all (a short
        tab: the loss chart), or the one z chose alone."""
        z = self.zoomed if self.zoomed in self.views else -1
        charts, tall = not self._grid, self.size.height >= ALL_CHARTS_ROWS
        self.query_one("#grid").display = self._grid
        status = self.query_one("#sweep-status")
        status.display = z == -1
        self._fit_status()
        self.query_one("#sweep-loss").display = charts and z in (-1, 0)
        self.query_one("#sweep-lower").display = charts and (z in (1, 2) or (z == -1 and tall))
        self.query_one("#sweep-norm").display = z in (-1, 1)
        self.query_one("#sweep-path").display = self._path and z in (-1, 2)

    def on_resize(self) -> None:
        self._layout()

    _status_text = INTRO

    def _set_status(self, text: str) -> None:
        """The text above the charts, the box fitted to it (a layout only when its rows change)."""
        self._status_text = text
        self.query_one("#sweep-status", Static).update(text, layout=False)
        self._fit_status()

    def _fit_status(self) -> None:
        """The text box as tall as its lines wrapped to its width: at 80×24 beside the sidebar
        the best λ's line takes two rows, and a box of five had cut the verdict under it ("no λ
        beats λ = 0", the sweep's conclusion on sine)."""
        status = self.query_one("#sweep-status", Static)
        width = self.size.width - status.styles.gutter.width
        rows = Content(self._status_text).get_height(status.styles, width) if width > 0 else 5
        if status.styles.height is None or status.styles.height.value != rows:
            status.styles.height = rows

    def show(self, state: AppState, cancelled: bool, show_eta: bool) -> None:
        """The latest sweep as the state holds it; the run's λ marked on the λ charts."""
        snap = state.current_sweep()
        if isinstance(snap, SweepSnapshot):
            if self._path != (snap.weights is not None):
                self._path = snap.weights is not None
                self._layout()
            for chart in self.charts:
                chart.update((snap, state.lam))
            text = sweep_status(snap, cancelled, show_eta, state.changed_since_sweep())
        elif isinstance(snap, GridSnapshot):
            # the tables first (what the grid is), each with its best cell, then what they show in words
            tables = grid_tables(snap.grids)
            for i in range(GRID_SECTIONS):
                section = self.query_one(f"#grid-{i}", Static)
                section.display = i < len(tables)
                if section.display:
                    section.update(Group(tables[i], best_line(snap.grids[i])))
            self.query_one("#grid-hint", Static).update(grid_hint(snap.grids, state.swept or state.config))
            changed = state.changed_since_sweep()
            self._grid_keys = (f"(lr, λ) grid of {snap.preset} · {grid_state(snap, cancelled, show_eta)}\n"
                               + (changed_line(changed, again(snap, state.config)) + " · e: export the grid (JSON)"
                                  if changed
                                  else "b: use the best (lr, λ) · e: export the grid (JSON)"))
            text = self._grid_keys + self._scroll_hint()
            self.call_after_refresh(self._update_scroll_hint)  # the tables' height is known once laid out
        else:
            return
        self._set_status(text)

    _grid_keys = ""

    def _scroll_hint(self) -> str:
        """" · pgdn: more" while the grid's tables go on below the view, " · pgup: back" once
        scrolled to their end, nothing when they fit."""
        grid = self.query_one("#grid", VerticalScroll)
        if not grid.display or grid.max_scroll_y <= 0:
            return ""
        return " · pgdn: more" if grid.scroll_y < grid.max_scroll_y else " · pgup: back"

    def _update_scroll_hint(self) -> None:
        if self._grid_keys and self.query_one("#grid").display:
            self._set_status(self._grid_keys + self._scroll_hint())

    def scroll_grid(self, pages: int) -> bool:
        """Page the grid's tables (pgdn +1, pgup −1); False when no grid is shown."""
        grid = self.query_one("#grid", VerticalScroll)
        if not grid.display:
            return False
        page(grid, pages)
        return True

    def zoom(self) -> bool:
        """z on the Sweep tab: the λ sweep's loss chart alone (its text and the other charts
        hidden: at 80×24 they left the U-curve one row), then the ‖w‖ chart alone, then the
        weights' path (linear models), then all again; on a short tab the text with the loss
        chart takes the place of both "all" and the loss alone. False with no λ sweep shown."""
        if self._grid:
            return False
        views = self.views
        z = self.zoomed if self.zoomed in views else -1
        self.zoomed = views[(views.index(z) + 1) % len(views)]
        self._layout()
        return True

    def on_mount(self) -> None:
        # keys, wheel or scrollbar: the hint follows where the tables are
        self.watch(self.query_one("#grid"), "scroll_y", lambda _: self._update_scroll_hint(), init=False)


def grid_hint(grids, config) -> str:
    """What the grids on screen show, read from them (engine/trends.py): per regularizer, how
    the best λ (by validation loss, as the grid chooses) moves with lr. The app's grid has one
    seed, from which no trend is read (a row's best λ moves with the seed): the hint lists each
    row's best and says how to read a trend."""
    from ..engine.lessons.trends import describe, read_grid, same_update

    lines = []
    for grid in grids:
        label = f"decoupled ({config.decay_convention})" if grid.regularizer == "decoupled" else grid.regularizer
        lines.append(describe(label, read_grid(grid)))
    same = same_update(config.optimizer, config.momentum, config.decay_convention)
    if same and len(grids) > 1:
        lines.append(same)
    return " · ".join(lines)
