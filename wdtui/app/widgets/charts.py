"""The charts: plotext plots that re-plot their data at every build.

Why re-plot: plotext turns log-scale data into log10 in place when it builds, so building the same
plot twice (a resize, a theme change) takes the log of the log and fails. Each chart therefore
keeps its own data and draws it from scratch in ``render``. Built text is cached until the data or
the size changes; ``built_at`` tells the app which chart has been shown longest.
Series are downsampled to about the chart's width; log axes drop values ≤ 0 and NaN/inf.
Legends sit in the title row, outside the plot, so they never cover data (plotext would draw them
over the plot's upper left corner).
"""

from __future__ import annotations

import bisect
import math
import time
from typing import Any

import numpy
from plotext._dict import color_codes
from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual_plotext import PlotextPlot

from ..messages import SessionReady, Snapshot, SweepSnapshot
from ..series import downsample, finite, integer_ticks, linear_ticks, log_ticks, loggable

RUN, BASELINE = "cyan", "orange"  # the run and the comparison run, in every chart
# pinned runs (ghosts), dimmed: greys with a tint each, so two of them can be told apart
FEW_POINTS = 30  # a fit chart's training points drawn over the curves (●) when at most this many
GHOSTS = ((150, 150, 150), (125, 125, 190), (190, 150, 110), (120, 170, 120))
LEGEND_GLYPHS = {"dot": "•", "x": "x", "●": "●", "×": "×", "braille": "━", "-": "╌", "bar": "█"}  # plotext marker → legend


class Chart(PlotextPlot):
    DEFAULT_CSS = """
    Chart { height: 1fr; min-height: 5; }
    """
    ghosts: tuple = ()  # pinned runs (``state.Ghost``) drawn dimmed by the time charts
    ghost_names: tuple = ()  # their legend names (what differs from the run), else their whole names
    legend_in_order = False  # True: the legend in the order drawn (else the run before its comparison)
    runs_on_status = False  # True: the run and its comparison are named on the status line, in these colours

    def __init__(self, title: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.chart_title = title
        self.data: Any = None
        self.version = 0
        self.built_at = 0.0  # when it was last built (perf_counter)
        self._cache: tuple[Any, Text] | None = None

    def update(self, data: Any) -> None:
        """New data; drawn at the next refresh."""
        self.data = data
        self.version += 1

    @property
    def stale(self) -> bool:
        return self._cache is None or self._cache[0][0] != self.version

    def draw(self, plt: Any, data: Any, points: int) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def y_tick_budget(self) -> int:
        """Y tick labels that fit without two landing on one row: plotext keeps one of two
        colliding labels, and which one depends on Python's string hashing (different in every
        process), so a crowded axis made screens differ from run to run."""
        return max(2, (self.size.height - 6) // 2)

    def fitted(self, labels: list[str], margin: int = 8) -> str:
        """:func:`first_fitting` in the chart's width less ``margin`` (its frame and y labels)."""
        return first_fitting(labels, self.size.width - margin)

    def series_label(self, label: str) -> str | None:
        """A series' legend entry (shown in the title row, outside the plot)."""
        return label

    def render(self) -> Text:
        key = (self.version, self.size, self.app.theme)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        plt = self.plt
        plt.clear_figure()
        plt.title(self.chart_title)
        axes = _Axes(plt, self.chart_title)
        try:
            legend, own_row, own_rows = None, False, 0
            if self.data is not None:
                # about one point per two columns: plotext draws lines between points, and its
                # cost grows with their number, not with what the eye can tell apart
                self.draw(axes, self.data, max(16, self.size.width // 2))
                shown = axes.legend
                if shown:
                    legend, own_row = legend_rows(axes.title_text, shown, self.size.width, self.legend_in_order)
                    own_rows = len(legend) if own_row else 0
                if own_rows and self.runs_on_status and self.size.height < SHORT_CHART_ROWS:
                    # a short chart (80×24) whose legend would take rows of the plot: the status
                    # line below names the run and its comparison in these colours; pins stay
                    shown = [entry for entry in shown if entry[1] not in (RUN, BASELINE)]
                    if shown:
                        legend, own_row = legend_rows(axes.title_text, shown, self.size.width, self.legend_in_order)
                    else:  # the title alone, written here: plotext drops one it finds long
                        legend, own_row = [], True
                    own_rows = len(legend) if own_row else 0
                axes.set_ticks(self.size.width, self.size.height - own_rows)
            text = self._build(self.size.height - own_rows) if own_rows else super().render()
            if axes.caption is not None:  # a caption that says which series cannot be seen: as built
                hidden = unseen(text, axes.legend)
                if axes.caption(hidden) != axes.caption(axes.hidden):
                    plt.xlabel(axes.caption(hidden))
                    text = self._build(self.size.height - own_rows)
            if legend is not None:
                text = with_legend(text, legend, own_row, axes.title_text)
        except Exception as error:  # a degenerate series must never take the app down
            text = Text(f"{self.chart_title}: cannot draw this data ({type(error).__name__}: {error})", style="dim")
        self.built_at = time.perf_counter()
        self._cache = (key, text)
        return text


    def _build(self, height: int) -> Text:
        """The plot built ``height`` rows high (PlotextPlot.render builds it as high as the
        widget): the rows left are for a legend of its own."""
        self._plot.plotsize(self.size.width, height)
        self._plot._set_size(self.size.width, height)
        self._plot.theme(self._get_plotext_theme_name(self.app.theme))
        return Text.from_ansi(self._plot.build())


TICK_ROWS_APART = 2  # y tick labels at least this many rows apart (estimated), so none collide
MIN_ROWS_APART = 1.25  # two labels on a short chart: apart by a row and the estimate's error
FRAME_ROWS = 5  # rows of a chart that are not its plot: title, frame, x ticks, x label
SHORT_CHART_ROWS = 11  # a run chart this short leaves the runs' names to the status line rather than give them plot rows
FRAME_COLUMNS = 14  # columns of a chart that are not its plot, at most: y tick labels and frame


class _Axes:
    """What a chart's ``draw`` does with plotext, passed through, with the values, limits,
    scales and ticks of both axes noted, so that :meth:`Chart.render` can set the ticks last,
    spaced so that no two labels land on one row (y) or run into each other (x). (Colliding
    labels: plotext keeps one, and which one depends on Python's per-process string hashing,
    so screens differed between runs.)"""

    def __init__(self, plt: Any, title: str = ""):
        self._plt = plt
        self.title_text = title
        self.legend: list[tuple[str, Any, str]] = []  # (label, colour, marker), drawn by with_legend
        self.ys: list[float] = []
        self.xs: list[float] = []
        self.limits: tuple[float, float] | None = None
        self.x_limits: tuple[float, float] | None = None
        self.log = False
        self.x_log = False
        self.ticks: tuple[list[float], list[str] | None] | None = None
        self.x_ticks: tuple[list[float], list[str] | None] | None = None
        # an x label that names the series hidden under others: ``caption(hidden)`` is the label
        # for those names, ``hidden`` the names it was drawn with (checked against the built plot)
        self.caption: Any = None
        self.hidden: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._plt, name)

    @staticmethod
    def _numbers(values: Any) -> list[float]:
        return [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)]

    def _note(self, args: tuple, floor: tuple[float, ...] = ()) -> None:
        if len(args) >= 2:
            self.xs += self._numbers(args[0])
            self.ys += self._numbers([*floor, *args[1]])

    def _label(self, kwargs: dict, marker: str) -> dict:
        """The series' legend entry, kept here instead of handed to plotext."""
        label = kwargs.pop("label", None)
        if label:
            self.legend.append((label, kwargs.get("color"), kwargs.get("marker", marker)))
        return kwargs

    def entry(self, label: str | None, color: Any, marker: str) -> None:
        """A legend entry of its own (a series named before it has points)."""
        if label:
            self.legend.append((label, color, marker))

    def title(self, text: str) -> None:
        self.title_text = text
        self._plt.title(text)

    def plot(self, *args: Any, **kwargs: Any) -> None:
        self._note(args)
        self._plt.plot(*args, **self._label(kwargs, "braille"))

    def scatter(self, *args: Any, **kwargs: Any) -> None:
        self._note(args)
        self._plt.scatter(*args, **self._label(kwargs, "dot"))

    def bar(self, *args: Any, **kwargs: Any) -> None:
        self._note(args, (0.0,))
        self._plt.bar(*args, **self._label(kwargs, "bar"))

    def xlim(self, lo: float, hi: float) -> None:
        self.x_limits = (lo, hi)
        self._plt.xlim(lo, hi)

    def xscale(self, scale: str) -> None:
        self.x_log = scale == "log"
        self._plt.xscale(scale)

    def xticks(self, ticks: Any, labels: Any = None) -> None:
        self.x_ticks = (list(ticks), None if labels is None else list(labels))

    def ylim(self, lo: float, hi: float) -> None:
        self.limits = (lo, hi)
        self._plt.ylim(lo, hi)

    def yscale(self, scale: str) -> None:
        self.log = scale == "log"
        self._plt.yscale(scale)

    def yticks(self, ticks: Any, labels: Any = None) -> None:
        self.ticks = (list(ticks), None if labels is None else list(labels))

    def set_ticks(self, width: int, height: int) -> None:
        """The noted ticks, each kept only if it is far enough from the last one kept: y labels
        ``TICK_ROWS_APART`` rows apart, x labels a space apart (positions estimated from the
        chart's size, on the safe side). A y axis left with one label keeps its first and last
        ticks instead where they are ``MIN_ROWS_APART`` rows apart (a 4-row chart then reads)."""
        if self.ticks is not None:
            rows = max(height - FRAME_ROWS, 2) - 1
            kept = _spaced(*self.ticks, self.limits, self.ys, self.log, rows, lambda label: TICK_ROWS_APART)
            if len(kept[0]) < 2 <= len(self.ticks[0]):  # a short chart: at least its end ticks, if
                ends = [0, len(self.ticks[0]) - 1]  # on rows of their own (a row's estimate's error apart)
                pair = ([self.ticks[0][i] for i in ends],
                        None if self.ticks[1] is None else [self.ticks[1][i] for i in ends])
                wide = _spaced(*pair, self.limits, self.ys, self.log, rows, lambda label: MIN_ROWS_APART)
                kept = wide if len(wide[0]) == 2 else kept
            self._plt.yticks(*kept)
        if self.x_ticks is not None:
            # the frame's columns: the y labels as kept (and the frame's), else at most FRAME_COLUMNS
            y_labels = self.ticks[1] if self.ticks is not None and self.ticks[1] else None
            frame = min(FRAME_COLUMNS, max(map(len, y_labels)) + 4) if y_labels else FRAME_COLUMNS
            columns = max(width - frame, 2) - 1
            kept = _spaced(*self.x_ticks, self.x_limits, self.xs, self.x_log, columns, lambda label: len(label) + 1)
            self._plt.xticks(*kept)


def unseen(text: Text, legend: list[tuple[str, Any, str]]) -> list[str]:
    """The legend's series of which not one cell shows inside the plot's frame of ``text`` (a
    built chart): drawn under others on every point. Read from the plot as built, so a caption
    that names them is true (a guess from positions was wrong where columns were estimated)."""
    rows = text.split("\n", allow_blank=True)
    top = next((i for i, row in enumerate(rows) if "┌" in row.plain), 0)
    bottom = next((i for i, row in enumerate(rows) if "└" in row.plain), len(rows))
    shown = {span.style.color for row in rows[top + 1:bottom] for span in row.spans
             if not isinstance(span.style, str) and row.plain[span.start:span.end].strip()}
    return [label for label, color, _ in legend if legend_style(color).color not in shown]


def _spaced(ticks: list[float], labels: list[str] | None, limits: tuple[float, float] | None,
            values: list[float], log: bool, cells: int, room: Any) -> tuple[list[float], list[str] | None]:
    """The ticks (and labels) whose positions on an axis of ``cells`` cells, spanning ``limits``
    or else the values drawn, are at least ``room(label)`` cells from the previous one kept."""
    names = labels or [f"{t:g}" for t in ticks]
    lo, hi = limits or ((min(values), max(values)) if values else (min(ticks), max(ticks)))
    scale = (lambda v: math.log10(v) if v > 0 else -math.inf) if log else (lambda v: v)  # noqa: E731
    span = scale(hi) - scale(lo)
    kept, last, need = [], None, 0
    for i, tick in enumerate(ticks):
        where = (scale(tick) - scale(lo)) / span * cells if span > 0 and math.isfinite(scale(tick)) else 0.0
        if last is None or abs(where - last) >= max(need, room(names[i])):
            kept.append(i)
            last, need = where, room(names[i])
    return [ticks[i] for i in kept], None if labels is None else [labels[i] for i in kept]


def legend_style(color: Any) -> Style:
    """The Rich style of a plotext colour: a name (``cyan``, ``orange+``) or an RGB tuple."""
    if isinstance(color, tuple):
        return Style(color=Color.from_rgb(*color))
    if isinstance(color, str) and color in color_codes:
        return Style(color=Color.from_ansi(color_codes[color]))
    return Style()


def shortened(label: str, cut: int) -> str:
    """``label`` in at most ``cut`` characters, cut between its words ("pin 1 …"), never inside
    one: "pin 1 λ=0.0…" read as λ = 0 for a pin at λ = 0.005623. A first word too long is cut."""
    if len(label) <= cut:
        return label
    words = label.split(" ")
    kept = next((words[:n] for n in range(len(words) - 1, 0, -1) if len(" ".join(words[:n])) + 2 <= cut), None)
    return " ".join(kept) + " …" if kept else label[:cut - 1] + "…"


def legend_rows(title: str, entries: list[tuple[str, Any, str]], width: int,
                in_order: bool = False) -> tuple[list[Text], bool]:
    """The legend, outside the plot: each series' marker in its colour (━ a line), then its name,
    always the name the status line gives it (names mean one thing: never a shorter one that only
    the legend uses). The first of these that fits, leaving a blank cell at each side (so that the
    legends of charts side by side do not run together): in the title row after the title; in a
    row of its own below the title (True); the same with one space between entries; two or more
    pins as one entry (``2 pins``: their names are in the status' count); no space after the
    markers (``━run ━vs l2 λ=0``, as a narrow title writes ``⠿train •test``); in two rows; and
    only then names cut (to 24, then 12 characters), the row at the chart's width if it must be."""
    room = width - 2

    def line(head: str, shown: list, cut: int | None, gap: str = "  ", after: str = " ") -> Text:
        out = Text(head + ("  " if head else ""))
        for i, (label, color, marker) in enumerate(shown):
            glyph = LEGEND_GLYPHS.get(marker, "■")
            # spaces only at the end of a run of one style: rsvg (the PNGs of SVG screenshots)
            # misplaces a run's leading space, and "━ run" showed as "━run"
            out.append(gap if i else "")
            out.append(glyph + (" " if glyph.isascii() else after), style=legend_style(color))  # "xvs" misreads
            out.append(label if cut is None else shortened(label, cut))
        return out

    def together(shown: list) -> list:
        pins = [entry for entry in shown if entry[0].startswith("pin ")]
        if len(pins) < 2:
            return shown
        return [(f"{len(pins)} pins", pins[0][1], pins[0][2])] + [e for e in shown if e not in pins]

    def two_rows(shown: list, cut: int | None) -> list[Text] | None:
        """The entries split where both rows fit, the first row as full as it can be."""
        for split in range(len(shown) - 1, 0, -1):
            rows = [line("", shown[:split], cut, " ", ""), line("", shown[split:], cut, " ", "")]
            if all(row.cell_len <= room for row in rows):
                return rows
        return None

    # the run before its comparison, though the comparison is drawn first (beneath the run)
    entries = entries if in_order else sorted(entries, key=lambda entry: entry[1] == BASELINE)
    grouped = together(entries)
    for candidate, own_row in ((line(title, entries, None), False), (line("", entries, None), True),
                               (line("", entries, None, " "), True), (line("", grouped, None, " "), True),
                               (line("", grouped, None, " ", ""), True)):
        if candidate.cell_len <= room:
            return [candidate], own_row
    for cut in (None, 24, 12):
        rows = two_rows(grouped, cut)
        if rows is not None:
            return rows, True
    for cut in (24, 12):
        candidate = line("", grouped, cut, " ", "")
        if candidate.cell_len <= room:
            return [candidate], True
    candidate.truncate(width)
    return [candidate], True


def with_legend(text: Text, legend: list[Text], own_row: bool, title: str = "") -> Text:
    """``text`` (a built chart) with ``legend`` (one row or more) centred in its title row (the
    first), or in rows of their own inserted below the title (then the title row is written here
    too: plotext leaves out a title it finds too long, even one that fits)."""
    rows = text.split("\n", allow_blank=True)
    title_row = rows[0]
    width = title_row.cell_len
    lit = [span for span in title_row.spans if title_row.plain[span.start:span.end].strip()]
    base = (lit or title_row.spans or [None])[0]
    base_style = Style() if base is None else (Style.parse(base.style) if isinstance(base.style, str) else base.style)
    pad = Style(bgcolor=base_style.bgcolor)

    def centred(content: Text) -> Text:
        content = content.copy()
        content.truncate(width)
        content.stylize_before(base_style)  # the theme's text and background colours beneath
        # the padding in a style of its own (the background only), as plotext's own title row
        # has it: an SVG screenshot then places the text exactly (rsvg misplaces leading spaces)
        left = (width - content.cell_len) // 2
        return Text(" " * left, style=pad) + content + Text(" " * (width - left - content.cell_len), style=pad)

    if own_row:
        return Text("\n").join([centred(Text(title)), *map(centred, legend), *rows[1:]])
    return Text("\n").join([*map(centred, legend), *rows[1:]])


def role(ready: SessionReady, i: int) -> str:
    """Run ``i``'s name in legends: its role ("run"), or the comparison's fixed setting. Never the
    latest λ: a curve trained at several λ is not relabelled by the newest."""
    return ready.labels[i] if i < len(ready.labels) else f"run {i + 1}"


def chained(marks) -> str:
    """Changes in few words: a run of changes of one setting, each from where the last left it,
    as one chain (``λ 0.01→0.0178 @4000 →0.0316 @8531``); others as they are (``@`` the
    boundary: the last epoch trained with the old setting)."""
    parts: list[str] = []
    last: tuple[str, str] | None = None  # (setting, value) the previous change left
    for mark in marks:
        name, _, change = mark.text.rpartition(" ")
        old, arrow, new = change.partition("→")
        if arrow and "," not in mark.text and last == (name, old):
            parts[-1] += f" →{new} @{mark.epoch - 1}"
        else:
            parts.append(f"{mark.text} @{mark.epoch - 1}")
        last = (name, new) if arrow and "," not in mark.text else None
    return " · ".join(parts)


def shown_marks(ready: SessionReady, snap: Snapshot) -> list:
    """The run's setting changes up to the last epoch this snapshot shows: its record's, or its
    history's last where that is later. (That epoch, not the history's length: with a measure
    schedule the history keeps fewer records than epochs, and the changes of a long run's later
    epochs went unmarked.)"""
    marks = ready.marks[0] if ready.marks else []
    n = snap.lengths[0] if snap.lengths else 0
    last = max(ready.results[0].history["epoch"][n - 1] if n else 0, snap.records[0].epoch if snap.records else 0)
    return [m for m in list(marks) if m.epoch <= last]


def round_yticks(plt: Any, values: list[float]) -> None:
    """Round tick values on a linear y axis (1-2-5 steps, short labels); values spanning more
    than three decades (a run that blew up) go on a log axis, so they cannot squeeze the plot."""
    lo, hi = min(values), max(values)
    if lo > 0 and hi / lo > 1e3:
        plt.yscale("log")
        plt.yticks(*log_ticks(lo, hi))
        return
    ticks, _ = linear_ticks(lo, hi, most=4)
    plt.yticks(ticks, distinct_labels(ticks))


def round_axes(plt: Any, x_range: tuple[float, float], ys: list[float],
               whole_x: bool = False) -> tuple[float, float]:
    """Round ticks on both axes of a scatter (1-2-5 steps; whole numbers on x with ``whole_x``),
    the y axis padded around ``ys``: a tick is at its value's own row (0 on the row of the zeros)
    instead of plotext's own ticks at fractions of the span (-0.33 on the row of the zeros).
    Returns the y limits."""
    finite_ys = [y for y in ys if math.isfinite(y)] or [0.0]
    lo, hi = min(finite_ys), max(finite_ys)
    pad = 0.1 * (hi - lo) or max(abs(hi), 1.0) * 0.1
    plt.ylim(lo - pad, hi + pad)
    ticks, _ = linear_ticks(lo - pad, hi + pad, most=4)
    plt.yticks(ticks, distinct_labels(ticks))
    x_lo, x_hi = x_range
    x_ticks, x_labels = integer_ticks(x_lo, x_hi) if whole_x else linear_ticks(x_lo, x_hi, most=4)
    plt.xticks(x_ticks, x_labels if whole_x else distinct_labels(x_ticks))
    return lo - pad, hi + pad


def hidden_series(drawn: list[tuple], limits: tuple[float, float], rows: int, columns: int = 0) -> list[str]:
    """The names of the series (``(name, xs, ys)`` dotted, ``(name, xs, ys, True)`` a line; in
    the order drawn, later ones on top) whose every point has a dot of a series drawn later in
    its column (of ``columns``; 0: one per x) within a quarter of a row (of ``rows`` spanning
    ``limits``): on screen they cannot be seen, though the legend names them (d2l: the true
    weights, all 0.01, under the learned ones; the ridge weights, within 0.08 of the run's). A
    line is checked at every column it crosses (its braille between two points shows wherever
    no dot lies over it), and covers nothing (its braille dots do not fill a cell)."""
    lo, hi = limits
    near = 0.25 * (hi - lo) / max(rows - 1, 1)
    xs_all = [x for _, xs, *_ in drawn for x in xs]
    x_lo, x_hi = (min(xs_all), max(xs_all)) if xs_all else (0.0, 0.0)
    column = (lambda x: x) if not columns or x_hi == x_lo else (  # noqa: E731
        lambda x: round((x - x_lo) / (x_hi - x_lo) * (columns - 1)))
    dots = [[] if rest and rest[0] else [(column(x), y) for x, y in zip(xs, ys) if math.isfinite(y)]
            for _, xs, ys, *rest in drawn]
    hidden = []
    for i, (name, xs, ys, *rest) in enumerate(drawn):
        above: dict = {}
        for c, y in (p for later in dots[i + 1:] for p in later):
            above.setdefault(c, []).append(y)
        points = dots[i]
        if rest and rest[0]:  # a line: where it crosses each column
            line = [(x, y) for x, y in zip(xs, ys) if math.isfinite(y)]
            if len(line) >= 2:
                x0, x1 = line[0][0], line[-1][0]
                if columns and x_hi != x_lo:  # each column's x, inside the line's span
                    at = [min(max(x_lo + c / (columns - 1) * (x_hi - x_lo), x0), x1)
                          for c in range(column(x0), column(x1) + 1)]
                else:
                    at = [float(c) for c in range(math.ceil(x0), math.floor(x1) + 1)]
                points = [(column(x), float(numpy.interp(x, *zip(*line)))) for x in at]
        if points and all(any(abs(y - v) <= near for v in above.get(c, ())) for c, y in points):
            hidden.append(name)
    return hidden


def distinct_labels(ticks: list[float]) -> list[str]:
    """Short tick labels with as many digits as it takes to tell them apart (3 to 8)."""
    for digits in range(3, 9):
        labels = [f"{t:.{digits}g}" for t in ticks]
        if len(set(labels)) == len(labels):
            return labels
    return labels


RIDGE = "magenta"  # the closed-form ridge weights on the fit chart


def ridge_gap(weights: Any, ridge: list[float]) -> float | None:
    """max_i |w_i − w_ridge,i| over the weights that are finite: how far the run is from the
    ridge solution it converges to (None if no weight is finite)."""
    gaps = [abs(w - r) for w, r in zip(weights, ridge) if math.isfinite(w) and math.isfinite(r)]
    return max(gaps) if gaps else None


def first_fitting(labels: list[str], room: int) -> str:
    """The first of ``labels`` (longest first) in at most ``room`` characters, else the last:
    plotext drops an x label too long for the chart, so a caption is told more briefly rather
    than lost."""
    return next((label for label in labels if len(label) <= room), labels[-1])


def weights_caption(hidden: list[str], gap: float | None, ridge: bool, room: int) -> str:
    """The x label of the learned-against-true weights chart, the longest that fits in ``room``:
    which series are hidden under the dots drawn over them (the legend names them, the chart
    cannot show them), and the run's distance from the ridge solution, max |w_run − w_ridge|
    (``gap``): the number that says how close the run is to the solution drawn beneath it."""
    base = "input i: learned wᵢ vs true wᵢ" + (" and the converged ridge wᵢ" if ridge else "")
    names = " and ".join(hidden)
    where = f"{names} under the dots drawn over {'them' if len(hidden) > 1 else 'it'}" if hidden else ""
    near = "" if gap is None else f"{gap:.2g}"
    candidates = [
        " · ".join(p for p in (base, where, near and f"max |w_run − w_ridge| = {near}") if p),
        " · ".join(p for p in ("input i", where, near and f"max |w_run − w_ridge| = {near}") if p),
        " · ".join(p for p in ("input i", hidden and f"{names} under the dots",
                               near and f"|w_run − w_ridge| ≤ {near}") if p),
        " · ".join(p for p in (hidden and f"{names} under the dots", near and f"|run − ridge| ≤ {near}") if p),
        f"{names} under the dots",
        f"{', '.join(hidden)} hidden",
    ]
    if not hidden:  # nothing to explain: the distance only where it fits beside the whole label
        candidates = [candidates[0], base, "input i"]
    return first_fitting(candidates, room)


class FitChart(Chart):
    """1-D presets: data, true function and the model's curve(s). Linear presets: learned against
    true weights. Others: prediction against target."""

    runs_on_status = True

    def draw(self, plt: Any, data: tuple[SessionReady, Snapshot], points: int) -> None:
        ready, snap = data
        view = ready.data
        names = [role(ready, i) for i in range(len(snap.records))]
        runs = list(zip(snap.records, (RUN, BASELINE), names))[::-1]  # the run is drawn last, on top
        if view.fit == "curve":
            xs = [row[0] for row in view.x_train]
            # many points under the curves (over them they would hide the curves); a few over
            # them: poly's 10 points vanished under its curves, and the lesson is which curve
            # passes through them
            few = len(xs) <= FEW_POINTS
            if not few:
                plt.scatter(xs, view.y_train, marker="dot", color="gray", label=self.series_label("data"))
            gx, gy = downsample(view.grid_x, view.grid_y, points)
            plt.plot(gx, gy, color="green", marker="braille", label=self.series_label("true"))
            for record, color, name in runs:
                if record.prediction is not None:
                    px, py = finite(*downsample(view.grid_x, record.prediction, points))
                    plt.plot(px, py, color=color, marker="braille", label=self.series_label(name))
            if few:
                plt.scatter(xs, view.y_train, marker="●", color="white", label=self.series_label("data"))
            # the axis spans the data (a diverged prediction leaves the plot, not the data)
            lo, hi = min(list(gy) + list(view.y_train)), max(list(gy) + list(view.y_train))
            pad = 0.15 * (hi - lo) or 1.0
            plt.ylim(lo - pad, hi + pad)
            ticks, _ = linear_ticks(lo - pad, hi + pad, most=4)
            plt.yticks(ticks, [f"{t:.3g}" for t in ticks])
            # round x ticks (sine: 0 2 4 6, not plotext's 0.0 1.6 3.1 4.7 6.3 at fractions of 2π)
            x_ticks, _ = linear_ticks(min(xs + list(gx)), max(xs + list(gx)), most=4)
            plt.xticks(x_ticks, distinct_labels(x_ticks))
            plt.xlabel(" · ".join(part for part in ("x", view.shown_text()) if part))
        elif view.fit == "weights":
            index = list(range(1, len(view.true_weights) + 1))
            plt.scatter(index, view.true_weights, marker="dot", color="green", label=self.series_label("true w"))
            run = snap.records[0] if snap.records else None
            drawn = [("true w", index, list(view.true_weights))]  # in the order drawn: later on top
            # the ridge solution is where l2 (= coupled) training converges: shown for those only
            ridge_w = None
            if (view.ridge is not None and run is not None and run.lam > 0
                    and run.regularizer in ("l2", "coupled")):
                ridge_w = list(view.ridge.weights(run.lam))
                ridge_name = f"ridge λ={run.lam:.4g}"
                plt.plot(index, ridge_w, color=RIDGE, marker="braille", label=self.series_label(ridge_name))
                drawn.append((ridge_name, index, ridge_w, True))
            for record, color, name in runs:
                if record.weights is not None:
                    xs, ys = finite(index, record.weights)
                    plt.scatter(xs, ys, marker="dot", color=color, label=self.series_label(name))
                    drawn.append((name, xs, ys))
            limits = round_axes(plt, (1, len(index)), [y for _, _, ys, *_ in drawn for y in ys], whole_x=True)
            hidden = hidden_series(drawn, limits, max(self.size.height - FRAME_ROWS - 1, 2),
                                   max(self.size.width - FRAME_COLUMNS, 2))
            gap = (ridge_gap(run.weights, ridge_w) if ridge_w is not None and run.weights is not None
                   else None)
            drawn_names = [name for name, _, ys, *_ in drawn if ys]  # a run with no finite weight is not "under"
            plt.caption = lambda names: weights_caption([n for n in names if n in drawn_names], gap,
                                                        ridge_w is not None, self.size.width - 4)
            plt.hidden = hidden  # a guess from positions; the render checks it
            plt.xlabel(plt.caption(hidden))
        else:
            lo, hi = min(view.y_train + view.y_test), max(view.y_train + view.y_test)
            plt.plot([lo, hi], [lo, hi], color="green", marker="braille", label=self.series_label("ŷ = y"))
            # both axes span the targets (a diverged prediction leaves the plot, not the targets)
            round_axes(plt, (lo, hi), [lo, hi])
            for record, color, name in runs:
                if record.train_prediction is not None:
                    plt.scatter(*finite(view.y_train, record.train_prediction), marker="dot", color=color,
                                label=self.series_label(name + " train"))
                    plt.scatter(*finite(view.y_test, record.test_prediction), marker="x", color=color,
                                label=self.series_label("test"))
            plt.xlabel(" · ".join(part for part in ("target y → prediction ŷ", view.shown_text(test=True)) if part))


LOG_DECADES = 6  # a log axis spans at most this many decades below its top


class HistoryChart(Chart):
    """Series against epoch from the runs' histories, read up to the snapshot's lengths, beneath
    them the pinned runs (ghosts) dimmed. A dotted vertical line marks each epoch where the run's
    λ, lr or regularizer changed (the x label names the latest changes): a curve is one history,
    not one setting."""

    runs_on_status = True

    keys: tuple[tuple[str, str], ...] = ()  # (history key, label)
    log = False
    x_log = False  # epochs on a log axis (set by the app from the preset's epochs_axis)

    def draw(self, plt: Any, data: tuple[SessionReady, Snapshot], points: int) -> None:
        ready, snap = data
        markers = ("braille", "dot")
        names = [role(ready, i) for i in range(len(snap.lengths))]
        diverged = [bool(r.diverged) for r in snap.records] + [False] * len(snap.lengths)
        # each live run's history, and the frame's record where it is newer (a shown epoch off the
        # measuring schedule): the charts end at the epoch the status names
        latest = list(snap.records) + [None] * len(snap.lengths)
        runs = list(zip(ready.results, snap.lengths, (RUN, BASELINE), names, diverged, latest))[::-1]  # run on top
        # pinned runs first, beneath the live ones: dimmed, each named by its settings
        legend = self.ghost_names if len(self.ghost_names) == len(self.ghosts) else [g.name for g in self.ghosts]
        # a pin is drawn up to the run's last epoch at most: a longer one (3,000 epochs beside a
        # 500-epoch run) had stretched the axis and left the run a sixth of it (said below)
        ghosts = [(g.history, bisect.bisect_right(g.history.get("epoch", []), snap.epochs),
                   GHOSTS[(g.number - 1) % len(GHOSTS)], name, False, None) for g, name in zip(self.ghosts, legend)]
        cut_pins = any(n < g.epochs for (_, n, *_), g in zip(ghosts, self.ghosts))
        series = []  # (xs, ys, color, marker, legend label, diverged)
        for history, n, color, name, lost, record in [*ghosts, *((r.history, *rest) for r, *rest in runs)]:
            # one legend entry per run, points or not (the ready screen names the runs it will
            # draw); the title says which marker is which series
            plt.entry(self.series_label(name), color, markers[0])
            epochs = history["epoch"][:n]
            newer = record is not None and record.epoch > (epochs[-1] if n else 0)
            for (key, label), marker in zip(self.keys, markers):
                xs, ys = downsample(epochs, history.get(key, [])[:n], points)
                if newer and getattr(record, key, None) is not None:
                    xs, ys = [*xs, record.epoch], [*ys, getattr(record, key)]
                xs, ys = loggable(xs, ys) if self.log else finite(xs, ys)
                if self.x_log:  # epoch 0 has no place on a log axis
                    xs, ys = [x for x in xs if x > 0], [y for x, y in zip(xs, ys) if x > 0]
                if xs:
                    series.append((xs, ys, color, marker, None, lost))
        shown_x = [x for xs, *_ in series for x in xs]
        # the axis spans the runs that did not diverge (a diverged one leaves it at the top) and,
        # on a log axis, at most LOG_DECADES below its top (an interpolating run's 1e-29 would
        # squeeze the others into a row): what lies beyond is drawn on the edge, and said
        healthy = [y for _, ys, *_, lost in series if not lost for y in ys] or [y for _, ys, *_ in series for y in ys]
        lo, hi = (min(healthy), max(healthy)) if healthy else (0.0, 0.0)
        if self.log and lo < hi / 10**LOG_DECADES:
            lo = hi / 10**LOG_DECADES
        below = above = False
        for xs, ys, color, marker, label, lost in series:
            below = below or any(y < lo for y in ys)
            above = above or any(y > hi for y in ys)
            plt.plot(xs, [min(max(y, lo), hi) for y in ys], color=color, marker=marker, label=label)
        shown_y = [lo, hi] if healthy else []
        marks = shown_marks(ready, snap)
        if shown_x:  # plotext cannot build an empty log axis, so only with data
            for mark in marks:  # the boundary after the last epoch trained with the old setting
                if mark.epoch > 1 or not self.x_log:
                    plt.vline(mark.epoch - 1, "gray")
            if self.x_log:
                plt.xscale("log")
                plt.xticks(*log_ticks(min(shown_x), max(shown_x)))
            else:
                plt.xticks(*integer_ticks(min(shown_x), max(shown_x)))
            self.yaxis(plt, shown_y)
        if len(self.keys) > 1:
            title = f"{self.chart_title}  ⠿ {self.keys[0][1]}  • {self.keys[1][1]}"
            if len(title) > self.size.width:  # narrow: the same words, closer
                title = f"{self.chart_title} ⠿{self.keys[0][1]} •{self.keys[1][1]}"
            plt.title(title)
        label = "epoch (log)" if self.x_log else "epoch"
        if cut_pins and len(label) + 24 <= self.size.width - 8:
            label += f" · pins cut at {snap.epochs}"
        if above or below:  # what is drawn on an edge is said, more briefly on a narrow chart (80×24)
            forms = [([f"↑ {', '.join(n for n, d in zip(names, diverged) if d)} diverged, at the top"] if above else [])
                     + ([f"↓ <{lo:.2g} at the bottom"] if below else []),
                     (["↑ diverged, at the top"] if above else []) + ([f"↓ <{lo:.2g} at the bottom"] if below else []),
                     (["↑ diverged"] if above else []) + ([f"↓ <{lo:.2g}"] if below else [])]
            label = self.fitted([*(label + "".join(f" · {e}" for e in edges) for edges in forms),
                                 " ".join([label, *forms[-1]]), " ".join(forms[-1])])  # last: epochs by its ticks
        if marks:  # every change named where the axis has room, else the latest, else how many
            named = [f"{m.text} @{m.epoch - 1}" for m in marks]
            n = len(marks)
            told = [f"{label}  ┆ " + " · ".join(named), f"{label}  ┆ " + chained(marks), "epoch ┆ " + chained(marks)]
            if n > 1:  # earlier ones are marked, not named (z: the chart alone has room for them)
                told += [f"epoch ┆ {n} changes, last {named[-1]}", f"epoch ┆ …, {named[-1]}"]
            told.append(f"epoch ┆ {n} change{'s' if n > 1 else ''}")  # the marks' glyph: what they are
            label = self.fitted(told)
        plt.xlabel(label)

    def yaxis(self, plt: Any, values: list[float]) -> None:
        if self.log:
            plt.yscale("log")
            ticks, labels = log_ticks(min(values), max(values))
            if len(ticks) < 2:  # a narrow range: round ticks inside it instead of one odd number
                ticks, _ = linear_ticks(min(values), max(values), most=3)
                ticks = [t for t in ticks if t > 0] or ticks
                labels = distinct_labels(ticks)
            plt.yticks(ticks, labels)
        else:
            round_yticks(plt, values)


class LossChart(HistoryChart):
    keys = (("train_loss", "train"), ("test_loss", "test"))
    log = True


class NormChart(HistoryChart):
    keys = (("weight_norm", ""),)


class AccuracyChart(HistoryChart):
    """Classification: train and test accuracy against epoch (the Fit chart's place)."""

    keys = (("train_accuracy", "train"), ("test_accuracy", "test"))

    def yaxis(self, plt: Any, values: list[float]) -> None:
        plt.ylim(0, 1)
        if self.y_tick_budget >= 5:
            plt.yticks([0, 0.25, 0.5, 0.75, 1], ["0%", "25%", "50%", "75%", "100%"])
        else:  # a few rows: both ends (plotext kept one of five crowded labels, "0%" beside 90 % data)
            plt.yticks([0, 1], ["0%", "100%"])


class ClassChart(Chart):
    """Classification: test accuracy per class, a mark per class for each run (the axis spans
    the values shown, so a few points' difference between the runs can be seen)."""

    runs_on_status = True

    def draw(self, plt: Any, data: tuple[SessionReady, Snapshot], points: int) -> None:
        ready, snap = data
        view = ready.data
        runs = [(r, c, role(ready, i)) for i, (r, c) in enumerate(zip(snap.records, (RUN, BASELINE)))
                if r.confusion is not None]
        if not runs or view.classes is None:
            return
        where = list(range(len(view.classes)))
        shown: list[float] = []
        marks = {RUN: "●", BASELINE: "×"}  # not the letter x: its legend entry needs no space (80×24)
        for record, color, name in runs[::-1]:  # the run on top; the legend sits above the plot
            xs, ys = finite(where, record.class_accuracy())
            plt.scatter(xs, [100 * y for y in ys], color=color, marker=marks[color], label=self.series_label(name))
            shown += [100 * y for y in ys]
        plt.xticks(where, [name[:5] for name in view.classes])
        if shown:
            lo, hi = min(shown), max(shown)
            if hi - lo < 2:  # every class alike (grokking's 0 % while it memorizes): two labels, not "0%" alone
                lo, hi = max(0.0, lo - 1), min(100.0, hi + 1)
            plt.ylim(lo - 0.05 * (hi - lo) - 0.5, hi + 0.05 * (hi - lo) + 0.5)
            ticks, labels = linear_ticks(lo, hi, most=4)
            plt.yticks(ticks, [f"{t:g}%" for t in ticks])
        plt.xlabel("class")


# The data sets on the Sweep tab, in colours no run uses (RGB: plotext's named "yellow" and
# "blue" come out as orange-green and purple in some themes).
SETS = {"train": (100, 140, 255), "val": (225, 80, 225), "test": (230, 210, 60)}
BEST, REFERENCE = "green", "gray"  # the chosen λ; a closed form
PATH_MOST = 50  # weights drawn on the path chart (the largest at the smallest λ)


class SweepChart(Chart):
    """Numbers against λ (log x axis) for every λ > 0 of a sweep; λ = 0, the reference, as a
    line of its own; the best λ (by validation loss) in green, the run's λ in cyan (the run's
    colour on every tab). Data: (snapshot, the run's λ now)."""

    keys: tuple[tuple[str, str, str], ...] = ()  # (snapshot field, label, color)
    log = False

    def draw(self, plt: Any, data: tuple[SweepSnapshot, float], points: int) -> None:
        snap, run_lam = data
        zero = snap.zero_index
        curves = []
        for key, label, color in self.keys:
            values = getattr(snap, key)
            if not values:
                continue
            xs, ys = (loggable if self.log else finite)(snap.lambdas, values)
            xs, ys = [x for x in xs if x > 0], [y for x, y in zip(xs, ys) if x > 0]
            if xs:
                curves.append((xs, ys, label, color))
        if not curves:
            return
        shown_x = [x for xs, *_ in curves for x in xs]
        shown_y = [y for _, ys, *_ in curves for y in ys]
        lo, hi = min(shown_x), max(shown_x)
        for key, label, color in self.keys:  # λ = 0 across the chart, dashed, beneath the curves
            values = getattr(snap, key)
            if zero is not None and values and math.isfinite(values[zero]) and (values[zero] > 0 or not self.log):
                if key != "train_loss":
                    plt.plot([lo, hi], [values[zero]] * 2, color=color, marker="-",
                             label=self.series_label(f"{label} at λ=0"))
                    shown_y.append(values[zero])
        for xs, ys, label, color in curves:
            plt.plot(xs, ys, color=color, marker="braille", label=self.series_label(label))
            plt.scatter(list(xs), list(ys), color=color, marker="dot")
        plt.xscale("log")
        plt.xticks(*log_ticks(lo, hi))
        if self.log:
            plt.yscale("log")
            plt.yticks(*log_ticks(min(shown_y), max(shown_y), most=self.y_tick_budget))
        elif shown_y:  # ‖w‖: round ticks (plotext's own were 26.6 / 25.4 / 24.2)
            round_yticks(plt, shown_y)
        best = snap.best_lambda
        if best:
            plt.vline(best, BEST)
        if lo <= run_lam <= hi:
            plt.vline(run_lam, RUN)
        best_mark = "" if best is None else "best λ=0 (dashed)" if best == 0 else f"best {best:.3g}"
        marks = [best_mark, f"run λ {run_lam:.3g}"]
        plt.xlabel("λ · " + " · ".join(m for m in marks if m))


class SweepLossChart(SweepChart):
    keys = (("train_loss", "train", SETS["train"]), ("val_loss", "val", SETS["val"]),
            ("test_loss", "test", SETS["test"]))
    log = True


class SweepNormChart(SweepChart):
    keys = (("weight_norm", "‖w‖₂", RUN),)


class SweepPathChart(Chart):
    """The regularization path of a linear model: each learned weight against λ (log x, the
    first seed's run), and the closed-form ridge path in grey where it applies (l2, coupled)."""

    def draw(self, plt: Any, data: tuple[SweepSnapshot, float], points: int) -> None:
        snap, run_lam = data
        if snap.weights is None:
            return
        positive = [i for i, lam in enumerate(snap.lambdas) if lam > 0]
        if not positive:
            return
        xs = [snap.lambdas[i] for i in positive]
        n = len(snap.weights[0])
        first = snap.weights[positive[0]]
        order = sorted(range(n), key=lambda j: -abs(first[j]) if math.isfinite(first[j]) else 0)[:PATH_MOST]
        shown: list[float] = []
        for rank, j in enumerate(order):
            if snap.ridge is not None:
                rx, ry = finite(xs, [snap.ridge[i][j] for i in positive])
                plt.plot(rx, ry, color=REFERENCE, marker="braille",
                         label=self.series_label("ridge closed form") if rank == 0 else None)
            wx, wy = finite(xs, [snap.weights[i][j] for i in positive])
            plt.plot(wx, wy, color=RUN, marker="braille", label=self.series_label("learned wᵢ") if rank == 0 else None)
            shown += wy
        plt.xscale("log")
        plt.xticks(*log_ticks(xs[0], xs[-1]))
        if shown:
            plt.yticks(*linear_ticks(min(shown + [0.0]), max(shown + [0.0]), most=min(4, self.y_tick_budget)))
        if xs[0] <= run_lam <= xs[-1]:
            plt.vline(run_lam, RUN)
        zeros = [sum(1 for w in snap.weights[i] if w == 0.0) for i in positive]
        what = f"{len(order)} of {n} weights" if len(order) < n else f"{n} weights"
        plt.xlabel(f"λ · {what} · exact zeros {zeros[0]} → {zeros[-1]}")
