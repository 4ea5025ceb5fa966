"""The run's views: the Charts tab (fit or accuracy and per-class, loss, ‖w‖) and the Weights tab
(a histogram per weight matrix). Each draws from the app's state (:mod:`.state`) and nothing
else: :meth:`show` hands every chart the same (session, snapshot, ghosts), so all legends name the
same runs at the same epoch. Charts are only fed here; building them is the app's budgeted redraw.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical

from ..engine.lessons.presets import PRESETS
from .state import AppState
from .widgets.charts import AccuracyChart, Chart, ClassChart, FitChart, LossChart, NormChart

ZOOMABLE = ("#fit", "#accuracy", "#per-class", "#loss", "#norm")


class RunView(Vertical):
    """The Charts tab. ``z`` shows one chart alone (:meth:`zoom`)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.zoomed = ""  # the chart shown alone (z), or ""

    def compose(self) -> ComposeResult:
        with Horizontal(id="upper"):
            yield FitChart("fit", id="fit")
            yield AccuracyChart("accuracy", id="accuracy")
            yield ClassChart("per-class test accuracy", id="per-class")
        with Horizontal(id="lower"):
            yield LossChart("loss (log)", id="loss")
            yield NormChart("‖w‖₂", id="norm")

    @property
    def charts(self) -> list[Chart]:
        return [self.query_one(FitChart), self.query_one(AccuracyChart), self.query_one(ClassChart),
                self.query_one(LossChart), self.query_one(NormChart)]

    def ready(self, state: AppState) -> None:
        """A session was built: classification shows accuracy charts where the fit would be."""
        self.query_one("#upper").set_class(state.ready.data.fit == "classes", "classes")
        log_epochs = PRESETS[state.config.preset].epochs_axis == "log"  # e.g. grokking: late generalization
        for chart in (self.query_one(AccuracyChart), self.query_one(LossChart), self.query_one(NormChart)):
            chart.x_log = log_epochs

    def show(self, state: AppState) -> None:
        data = (state.ready, state.shown)
        for chart in self.charts:
            chart.update(data)
            chart.ghosts = tuple(state.ghosts)
            chart.ghost_names = tuple(state.ghost_names())

    def zoom(self) -> None:
        """Show one chart alone; each call the next one, then all again."""
        shown = [c for c in ZOOMABLE if self._is_shown(c)]
        order = [*shown, ""]
        self.zoomed = order[(order.index(self.zoomed) + 1) % len(order)] if self.zoomed in order else order[0]
        self.set_class(bool(self.zoomed), "zoomed")
        for chart in ZOOMABLE:
            self.query_one(chart).set_class(chart == self.zoomed, "zoom")
        for row in ("#upper", "#lower"):
            box = self.query_one(row)
            box.set_class(self.zoomed != "" and not any(c.id and f"#{c.id}" == self.zoomed for c in box.children),
                          "unzoomed")

    def _is_shown(self, selector: str) -> bool:
        classes = self.query_one("#upper").has_class("classes")
        return selector in (("#accuracy", "#per-class") if classes else ("#fit",)) + ("#loss", "#norm")
