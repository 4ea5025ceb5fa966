"""The Weights tab: histograms named by layer, drawn as bars, of the weights and of their gradients,
for the run and beside it its comparison (named by role, as on the Charts tab)."""

import re

from rich.text import Text
from test_app import app, wait_for

from wdtui.app.widgets.weights import HistogramChart, bars, densities, merge_factor, merged, solid_blocks
from wdtui.engine.training.metrics import Histogram


def charts(a) -> list[HistogramChart]:
    return list(a.main.query(HistogramChart))


async def _finished_on_weights_tab(a, pilot):
    await wait_for(pilot, lambda: a.ready is not None)
    await pilot.press("space")
    await wait_for(pilot, lambda: a.snapshot.finished)
    await pilot.press("2")
    await pilot.pause(0.3)


async def test_weights_tab_names_layers_and_shows_both_runs_weights_and_gradients():
    a = app("sine", compare=True, epochs=5, dtype="float64")
    async with a.run_test(size=(120, 40)) as pilot:
        await _finished_on_weights_tab(a, pilot)
        layers = [str(s.render()) for s in a.main.query(".layer-name")]
        assert layers == ["hidden 1 (Linear 1→64)", "output (Linear 64→1)"]
        titles = [(c.weight_name, c.chart_title) for c in charts(a)]
        assert titles == [(layer, f"{kind} · {who}") for layer in ("0.weight", "2.weight")
                          for kind in ("weights", "gradients") for who in ("run", "vs coupled λ=0")]
        for chart in charts(a):
            drawn = str(chart.render())
            assert "0.weight" not in drawn and "2.weight" not in drawn
            record = a.snapshot.records[chart.run]
            histogram = (record.histograms if chart.kind == "weights" else record.grad_histograms)[chart.weight_name]
            # the bars count every weight: the label says how many, over how many bins
            assert f"bins of {sum(histogram.counts)}" in drawn and sum(histogram.counts) == 64
            assert ("⠿ initial ·" in drawn) == (chart.kind == "weights")
            assert ("gradient ·" in drawn) == (chart.kind == "gradients")
            assert "density" in drawn  # beside a comparison the bars are densities, not counts
        # one y scale for the run and its comparison: each pair of charts has the same y labels
        y_labels = {(c.weight_name, c.kind, c.run): re.findall(r"^ *(\S+)┤", str(c.render()), re.M)
                    for c in charts(a)}
        for (layer, kind, i), labels in y_labels.items():
            assert len(labels) >= 2 and labels == y_labels[(layer, kind, 0)], (layer, kind, i)
        # the run and its comparison are different runs: their weights differ after 5 epochs of λ 0.01 vs 0
        run, other = a.snapshot.records
        assert run.histograms["0.weight"].edges != other.histograms["0.weight"].edges


async def test_without_comparison_a_layer_shows_weights_beside_gradients_and_no_gradient_before_a_step():
    a = app("sine", compare=False, epochs=3)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("2")
        await pilot.pause(0.3)
        assert [(c.weight_name, c.chart_title) for c in charts(a)] == [
            ("0.weight", "weights"), ("0.weight", "gradients"), ("2.weight", "weights"), ("2.weight", "gradients")]
        gradients = charts(a)[1]
        assert "no gradient before the first step" in str(gradients.render())
        await pilot.press("space")
        await wait_for(pilot, lambda: a.snapshot.finished)
        await pilot.pause(0.3)
        assert "last step's gradient" in str(gradients.render())
        assert "density" not in str(gradients.render())  # a run alone counts per bin


async def test_layernorm_layers_are_marked_scale_invariant():
    a = app("quadratic", compare=False, epochs=2)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        layers = [str(s.render()) for s in a.main.query(".layer-name")]
        assert len(layers) == 5 and layers[-1] == "output (Linear 20→1)"
        assert all(name.endswith("scale-invariant: a LayerNorm follows") for name in layers[:4])


def test_merged_bins_keep_every_count_and_the_range():
    h = Histogram([float(i) for i in range(31)], list(range(30)), [1] * 30)
    m = merged(h, 3)
    assert m.edges == [float(i) for i in range(0, 31, 3)] and len(m.counts) == 10
    assert sum(m.counts) == sum(h.counts) and m.counts[0] == 0 + 1 + 2 and m.initial == [3] * 10
    assert merged(Histogram(h.edges, h.counts), 5).initial is None
    # about 2·√n bins for n values, at least 6, at most one per two columns; a divisor of 30
    assert 30 // merge_factor(30, 64, 200) == 15
    assert 30 // merge_factor(30, 10, 200) == 6
    assert 30 // merge_factor(30, 100_000, 200) == 30
    assert 30 // merge_factor(30, 100_000, 24) == 10


def test_bars_are_drawn_as_coloured_cells():
    text = Text("ab")
    text.append("███", style="cyan")
    solid = solid_blocks(text)
    assert solid.plain == "ab   " and any(str(span.style) == "on cyan" for span in solid.spans)


# --- charts a reader can read: legends outside the plot, large sets sampled -----------------------

def _legend_rows(chart) -> tuple[list[str], int]:
    lines = str(chart.render()).splitlines()
    frame = next(i for i, line in enumerate(lines) if "┌" in line)
    return lines, frame


def names_left_to_status(chart, status: str) -> bool:
    """A short chart (80×24) that leaves the runs' names to the status line: none in the chart,
    both on the status line."""
    from wdtui.app.widgets.charts import SHORT_CHART_ROWS

    text = chart.render().plain
    return (chart.size.height < SHORT_CHART_ROWS and "vs " not in text and "run" not in text
            and "run " in status and "\nvs " in status)


async def test_legends_sit_above_the_plot_never_on_it():
    for size in ((120, 40), (80, 24)):
        a = app("sine", compare=True, epochs=3)
        async with a.run_test(size=size) as pilot:
            await wait_for(pilot, lambda: a.ready is not None)
            await pilot.press("space")
            await wait_for(pilot, lambda: a.snapshot.finished)
            await pilot.pause(0.3)
            status = str(a.query_one("StatusLine").render())
            for selector, names in (("#fit", ("data", "true", "run", "vs coupled")), ("#loss", ("run", "vs coupled")),
                                    ("#norm", ("run", "vs coupled"))):
                lines, frame = _legend_rows(a.main.query_one(selector))
                for name in names:  # named above the frame, and nowhere inside it
                    if name in ("run", "vs coupled") and not any(name in line for line in lines[:frame]):
                        assert names_left_to_status(a.main.query_one(selector), status), (size, selector)
                        continue
                    assert any(name in line for line in lines[:frame]), (size, selector, name)
                    assert not any(name in line for line in lines[frame:]), (size, selector, name)
                labels = [re.match(r"\s*(\S+)[┤├]", line) for line in lines[frame:]]
                assert len([m for m in labels if m]) >= 2, (size, selector, lines)  # two y labels at 80×24 too
            lines, _ = _legend_rows(a.main.query_one("#fit"))
            x_ticks = lines[next(i for i, line in enumerate(lines) if "└" in line) + 1].split()
            assert x_ticks == ["0", "2", "4", "6"], x_ticks  # round, not 0.0 1.6 3.1 4.7 6.3 (2π/4 steps)


def test_shown_rows_are_a_seeded_sorted_sample_of_large_sets_only():
    from wdtui.engine.data.dataset import SHOWN_MOST, shown_rows

    assert shown_rows(SHOWN_MOST, seed=0) is None
    rows = shown_rows(10 * SHOWN_MOST, seed=0)
    assert len(rows) == SHOWN_MOST == len(set(rows.tolist())) and rows.tolist() == sorted(rows.tolist())
    assert 0 <= int(rows[0]) and int(rows[-1]) < 10 * SHOWN_MOST
    assert rows.tolist() == shown_rows(10 * SHOWN_MOST, seed=0).tolist()
    assert rows.tolist() != shown_rows(10 * SHOWN_MOST, seed=1).tolist()


def test_detail_predictions_of_a_large_set_are_those_of_the_sampled_rows():
    import torch
    from conftest import experiment

    from wdtui.engine.data.dataset import SHOWN_MOST, shown_rows
    from wdtui.engine.training.trainer import Trainer

    exp = experiment("sine", n_train=SHOWN_MOST + 500, epochs=1, dtype="float64")
    trainer = Trainer(exp)
    record = trainer.run_epoch(detail=True)
    rows = shown_rows(SHOWN_MOST + 500, exp.config.seed)
    with torch.no_grad():
        expected = trainer.model(exp.data.x_train[rows]).reshape(-1)
    assert len(record.train_prediction) == SHOWN_MOST
    assert torch.allclose(torch.tensor(record.train_prediction, dtype=torch.float64), expected, rtol=1e-12)
    assert len(record.test_prediction) == len(exp.data.x_test)  # small sets whole


async def test_fit_chart_of_a_large_training_set_says_how_many_points_it_shows():
    a = app("sine", compare=False, epochs=1, n_train=5000)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        view = a.ready.data
        assert (len(view.x_train), len(view.y_train), view.n_train) == (2000, 2000, 5000)
        await pilot.pause(0.3)
        assert "x · showing 2,000 of 5,000 train points" in str(a.main.query_one("#fit").render())


async def test_the_time_charts_name_their_runs_from_the_ready_screen_on():
    a = app("grokking", compare=True, epochs=3, n_train=200)
    async with a.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.pause(0.3)
        charts = ("#accuracy", "#loss", "#norm")
        legends = {}
        status = str(a.query_one("StatusLine").render())
        for selector in charts:  # before the first epoch: no points, the legend (or the status) already there
            lines, frame = _legend_rows(a.main.query_one(selector))
            legends[selector] = lines[1:frame]
            assert ("run" in " ".join(lines[:frame]) and "vs decoupled λ=0" in " ".join(lines[:frame])
                    or names_left_to_status(a.main.query_one(selector), status)), lines
        await pilot.press("n")
        await wait_for(pilot, lambda: a.snapshot.records[0].epoch == 1)
        await pilot.pause(0.3)
        a.redraw(force=True)
        await pilot.pause(0.1)
        for selector in charts:  # the same entries once training has started
            lines, frame = _legend_rows(a.main.query_one(selector))
            assert lines[1:frame] == legends[selector], selector
        lines, frame = _legend_rows(a.main.query_one("#per-class"))  # titled and named at 80×24 too
        above = " ".join(lines[:frame])
        assert "per-class test accuracy" in above and ("●run ×vs decoupled λ=0" in above or names_left_to_status(
            a.main.query_one("#per-class"), str(a.query_one("StatusLine").render()))), lines
        status = str(a.query_one("StatusLine").render())
    assert "vs decoupled λ=0" in status  # the name the legends give the comparison


async def test_an_exact_solve_is_said_to_take_no_gradient_steps():
    """poly solves in closed form: its gradient charts said "no gradient before the first step"
    beside "epoch 1/1 done"."""
    a = app("poly", compare=False)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("space")
        await wait_for(pilot, lambda: a.snapshot.finished)
        await pilot.press("2")
        await pilot.pause(0.3)
        gradients = [c for c in charts(a) if c.kind == "gradients"]
        assert gradients and all("an exact solve takes no gradient steps" in str(c.render()) for c in gradients)
        await pilot.press("4")  # the Layers tab's angle chart: no steps, no angle (it was an empty frame)
        await pilot.pause(0.3)
        assert "an exact solve takes no steps: no angle to draw" in str(a.query_one("#layer-angles").render())


def test_beside_a_comparison_bars_are_densities_on_one_scale():
    """The same counts over a range five times narrower are five times as concentrated: as counts
    on each chart's own scale the two looked alike."""
    counts, initial = [1, 4, 10, 4, 1], [4, 4, 4, 4, 4]
    narrow = Histogram([-0.1 + 0.04 * i for i in range(6)], counts, initial)
    wide = Histogram([-0.5 + 0.2 * i for i in range(6)], counts, initial)
    for h in (narrow, wide):  # area 1: Σ density · width = 1
        heights, outline = densities(h)
        widths = [b - a for a, b in zip(h.edges, h.edges[1:])]
        assert abs(sum(d * w for d, w in zip(heights, widths)) - 1) < 1e-12
        assert abs(sum(d * w for d, w in zip(outline, widths)) - 1) < 1e-12
    n_heights, _, n_top, shared = bars(narrow, [narrow, wide])
    w_heights, _, w_top, _ = bars(wide, [narrow, wide])
    assert shared and n_top == w_top == max(n_heights) and abs(n_top - 10 / (20 * 0.04)) < 1e-9
    assert all(abs(a - 5 * b) < 1e-9 for a, b in zip(n_heights, w_heights))
    # a million times wider (poly's λ = 0 beside λ = 1.5e-9): one scale would draw nothing, so own scales
    vast = Histogram([-1e5 + 4e4 * i for i in range(6)], counts, initial)
    v_heights, _, v_top, v_shared = bars(vast, [narrow, vast])
    assert not v_shared and v_top == max(v_heights) and bars(narrow, [narrow, vast])[2:] == (n_top, False)
    # alone: counts per bin, topped by the taller of bars and outline
    assert bars(wide) == (counts, initial, 10, False)
    assert densities(Histogram([0.0, 1.0], [0]))[0] == [0.0]  # nothing finite counted: no division by 0
