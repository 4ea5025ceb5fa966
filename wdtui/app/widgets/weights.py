"""The Weights tab: for each weight matrix and conv kernel, named by its layer ("hidden 1 (Linear
1→64)", "output (Linear 64→1)", "conv 1 (…)"), a histogram of its values (the initialization as a
dotted outline over the same bins, "⠿ initial") and a histogram of its gradient at the last step; with a
comparison, the comparison's histograms beside the run's, on the same x range, named by role as on
the Charts tab ("run", "vs l2 λ=0.2").

The engine counts 30 equal bins per tensor (``metrics.HISTOGRAM_BINS``). A layer of 64 weights
spread over 30 bins is mostly noise, so bins are merged here, k adjacent bins at a time (k a
divisor of 30; exact: the merged counts are the counts over the wider bins), down to about
2·√n bins for a tensor of n values and at most one bin per two columns.

Each run's bins span its own range, so beside a comparison the bins have different widths: the
same count in a bin three times narrower is three times as concentrated. There the bars are
densities, count / (n · bin width) (each histogram's area is 1), on one y scale for the run and
its comparison: heights compare as the concentration of the values, exactly, with no rebinning.
Where one run's tallest density is more than ``SHARED_MOST`` times the other's, one scale would
leave the other an empty frame: each keeps its own scale and its label says "own scale". A run
alone keeps counts per bin.
"""

from __future__ import annotations

import math
import re
from typing import Any

from rich.style import Style
from rich.text import Span, Text
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from ...engine.lessons.trends import spelled
from ...engine.training.metrics import Histogram
from ..messages import SessionReady, Snapshot
from ..series import integer_ticks, linear_ticks
from ..state import AppState
from .charts import BASELINE, RUN, Chart, distinct_labels, role

KINDS = ("weights", "gradients")
BLOCK = "█"
MIN_BINS = 6


def merge_factor(bins: int, values: int, columns: int) -> int:
    """The smallest divisor k of ``bins`` such that bins/k ≤ max(MIN_BINS, min(2·√values,
    columns/2)): about 2·√n bins (each holding a few values), never narrower than two columns."""
    target = max(MIN_BINS, min(2 * math.sqrt(max(values, 1)), columns / 2))
    return next(k for k in range(1, bins + 1) if bins % k == 0 and bins / k <= target)


def merged(histogram: Histogram, k: int) -> Histogram:
    """The same counts over bins k times wider (k divides the number of bins)."""
    def add(counts: list[int]) -> list[int]:
        return [sum(counts[i:i + k]) for i in range(0, len(counts), k)]

    return Histogram(histogram.edges[::k], add(histogram.counts),
                     None if histogram.initial is None else add(histogram.initial))


def solid_blocks(text: Text) -> Text:
    """The bars' full blocks as spaces on the bar's colour: the same in a terminal, and no gap
    between rows where a font's █ is shorter than the line (SVG screenshots)."""
    plain = text.plain
    if BLOCK not in plain:
        return text
    spans = list(text.spans)
    for span in text.spans:
        style = Style.parse(span.style) if isinstance(span.style, str) else span.style
        if style.color is None:
            continue
        for run in re.finditer(f"{BLOCK}+", plain[span.start:span.end]):
            spans.append(Span(span.start + run.start(), span.start + run.end(), Style(bgcolor=style.color)))
    return Text(plain.replace(BLOCK, " "), style=text.style, spans=spans, end=text.end, no_wrap=text.no_wrap)


def densities(histogram: Histogram) -> tuple[list[float], list[float] | None]:
    """count / (n · bin width) per bin, of the values and of the initial ones (n: the values
    counted): the share of the values per unit of x, whose area over the bins is 1."""
    n = max(sum(histogram.counts), 1)
    widths = [b - a for a, b in zip(histogram.edges, histogram.edges[1:])]

    def per_unit(counts: list[int]) -> list[float]:
        return [c / (n * w) if w > 0 else 0.0 for c, w in zip(counts, widths)]

    return per_unit(histogram.counts), None if histogram.initial is None else per_unit(histogram.initial)


SHARED_MOST = 10.0  # one y scale while the runs' tallest densities are within this factor


def bars(histogram: Histogram, beside: list[Histogram] | None = None
         ) -> tuple[list[float], list[float] | None, float, bool]:
    """(bar heights, the initial outline, the y axis' top, whether the top is shared) of
    ``histogram``: alone (``beside`` None), its counts and its own tallest; else its densities,
    and the tallest density of any of the histograms ``beside`` it (itself among them) while
    their tallest are within ``SHARED_MOST`` of each other. Beyond that one scale would flatten a
    run to nothing (poly: λ = 0's weights spread over ±5e5, λ = 1.5e-9's over ±2, a density a
    million times lower): each keeps its own, and the label says so."""
    if beside is None:
        return histogram.counts, histogram.initial, max(max(histogram.counts), max(histogram.initial or [0])), False
    heights, initial = densities(histogram)
    tops = [max(max(d), max(i or [0.0])) for d, i in map(densities, beside)]
    own = max(max(heights), max(initial or [0.0]))
    shared = min(tops) > 0 and max(tops) <= SHARED_MOST * min(tops)
    top = max(tops) if shared else own
    return heights, initial, top if top > 0 else 1.0, shared


def histogram_of(record: Any, layer: str, kind: str) -> Histogram | None:
    found = record.histograms if kind == "weights" else record.grad_histograms
    return (found or {}).get(layer)


class HistogramChart(Chart):
    """One run's histogram of one layer's weights or gradients, drawn as bars over equal bins.
    Data: (session, snapshot); the x range is shared with the other runs' charts of the layer."""

    def __init__(self, layer: str, kind: str, run: int, title: str, **kwargs: Any):
        super().__init__(title, **kwargs)
        self.weight_name = layer
        self.kind = kind
        self.run = run

    def draw(self, plt: Any, data: tuple[SessionReady, Snapshot], points: int) -> None:
        ready, snap = data
        records = snap.records
        if len(self.chart_title) > self.size.width - 4:  # narrow: the role says more than the kind
            plt.title(role(ready, self.run) if len(records) > 1 else self.kind)
        if self.run >= len(records):
            return
        histogram = histogram_of(records[self.run], self.weight_name, self.kind)
        if histogram is None:
            if self.kind == "gradients":  # an exact solve (poly, double-descent) takes no step at all
                exact = getattr(self.app, "config", None) is not None and self.app.config.solver == "exact"
                plt.xlabel("an exact solve takes no gradient steps" if exact else "no gradient before the first step")
            return
        shown = [h for h in (histogram_of(r, self.weight_name, self.kind) for r in records) if h is not None]
        lo, hi = min(h.edges[0] for h in shown), max(h.edges[-1] for h in shown)
        n = sum(histogram.counts)
        k = merge_factor(len(histogram.counts), n, max(self.size.width - 12, 12))
        h = merged(histogram, k)
        centers = [(a + b) / 2 for a, b in zip(h.edges, h.edges[1:])]
        color = RUN if self.run == 0 else BASELINE
        density = len(records) > 1  # beside another run: densities on the runs' shared scale
        heights, initial, top, shared = bars(h, [merged(o, k) for o in shown] if density else None)
        if initial is not None:  # beneath the bars: a dot inside a bar would look like a hole in it
            plt.plot(centers, initial, color="gray", marker="braille")
        plt.bar(centers, heights, color=color, width=1.0)
        plt.xlim(lo, hi)
        ticks, _ = linear_ticks(lo, hi, most=4)
        plt.xticks(ticks, distinct_labels(ticks))
        if density:
            plt.ylim(0, top * 1.05)
            yticks, _ = linear_ticks(0, top, most=min(4, self.y_tick_budget))
            plt.yticks(yticks, spelled(yticks))  # 1e6, not 1000000: a gradient's density is large
        else:
            plt.ylim(0, max(top, 1) * 1.05)
            plt.yticks(*integer_ticks(0, max(top, 1), most=min(4, self.y_tick_budget)))
        what = "weight · ⠿ initial" if self.kind == "weights" else "last step's gradient"
        # the longest that fits (plotext drops an x label too long: at 80×24 the dotted outline
        # had lost its key)
        short = "⠿ initial" if self.kind == "weights" else "gradient"
        bins = len(h.counts)
        if density:  # the y axis is a density, not a count: the word stays to the narrowest label
            per = "density" if shared else "density, own scale"
            labels = [f"{what} · {per} · {bins} bins of {n}", f"{short} · {per} · {bins} bins of {n}",
                      f"{what} · {per} · {bins} bins", f"{short} · {per} · {bins} bins",
                      f"{what} · {per}", f"{short} · {per}", per]
        else:
            labels = [f"{what} · {bins} bins of {n}", f"{what} · {bins} bins", what, short]
        plt.xlabel(self.fitted(labels, margin=4))

    def render(self) -> Text:
        return solid_blocks(super().render())


class WeightsView(VerticalScroll):
    """The Weights tab's content, rebuilt for each session (its layers and runs)."""

    DEFAULT_CSS = """
    WeightsView { height: 1fr; }
    WeightsView .layer-name { height: auto; padding: 0 1; text-style: bold; }
    WeightsView .histogram-row { height: 12; }
    WeightsView HistogramChart { width: 1fr; height: 1fr; }
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._charts: list[HistogramChart] = []

    def ready(self, state: AppState) -> list[HistogramChart]:
        """Mount one block per layer of the new session's runs and return its charts (to be fed)."""
        ready = state.ready
        self.remove_children()
        first = ready.snapshot.records[0]
        layers = list((first.histograms or {}).keys())
        runs = len(ready.snapshot.records)
        charts: list[HistogramChart] = []
        blocks = []
        for layer in layers:
            name = Static(ready.layers.get(layer, layer), classes="layer-name page-stop", markup=False)
            if runs == 1:  # weights and gradients side by side
                row = [HistogramChart(layer, kind, 0, kind, classes="histogram") for kind in KINDS]
                charts += row
                blocks.append((name, [row]))
            else:  # a row per kind: the run and its comparison side by side
                rows = [[HistogramChart(layer, kind, i, f"{kind} · {role(ready, i)}", classes="histogram")
                         for i in range(runs)] for kind in KINDS]
                charts += [c for row in rows for c in row]
                blocks.append((name, rows))
        for name, rows in blocks:
            self.mount(name)
            for row in rows:
                self.mount(Horizontal(*row, classes="histogram-row"))
        self._charts = charts
        return charts

    @property
    def charts(self) -> list[Chart]:
        """The session's charts, as made by :meth:`ready` (a DOM query right after mounting may
        not find them yet, and would leave them without data until the next epoch)."""
        return list(self._charts)

    def show(self, state: AppState) -> None:
        for chart in self.charts:
            chart.update((state.ready, state.shown))
