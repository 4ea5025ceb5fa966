"""The Weights tab: histograms named by layer, drawn as bars, of the weights and of their gradients,
for the run and beside it its comparison (named by role, as on the Charts tab)."""

from rich.text import Text
from test_app import app, wait_for

from wdtui.app.widgets.weights import HistogramChart, merge_factor, merged, solid_blocks
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
        assert layers == ["hidden 1 (Linear 64×1)", "output (Linear 1×64)"]
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
            assert ("last step's gradient" in drawn) == (chart.kind == "gradients")
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


async def test_layernorm_layers_are_marked_scale_invariant():
    a = app("quadratic", compare=False, epochs=2)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        layers = [str(s.render()) for s in a.main.query(".layer-name")]
        assert len(layers) == 5 and layers[-1] == "output (Linear 1×20)"
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
