"""The Layers tab (issue 11 item 3, issue 13): per-layer norms, the scale-invariant layers marked,
the angular update with the equilibrium prediction."""

import math
import re
import time

import pytest

from wdtui.app.app import WdtuiApp
from wdtui.app.widgets.layers import AngleChart, LayerNormChart, LayersView, angle_series
from wdtui.engine.config import make_config
from wdtui.engine.lessons.equilibrium import angular_update


async def _until(pilot, condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        await pilot.pause(0.05)
    await pilot.pause(0.3)


@pytest.mark.parametrize("preset,overrides,invariant,kind,compare", [
    ("quadratic", dict(epochs=20), ["0.weight", "2.weight", "4.weight", "6.weight"], "angle per epoch", False),
    ("equilibrium", dict(n_train=200, epochs=5), ["1.weight", "4.weight"], "RMS angle per step", True),
])
async def test_layers_tab_names_the_scale_invariant_layers(preset, overrides, invariant, kind, compare):
    app = WdtuiApp(make_config(preset, dtype="float64", **overrides), compare=compare, deterministic=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(pilot, lambda: app.ready is not None)
        await pilot.press("space")
        await _until(pilot, lambda: app.snapshot and app.snapshot.finished)
        await pilot.press("4")
        await pilot.pause(0.3)
        assert list(app.ready.data.scale_invariant) == invariant
        note = str(app.query_one(LayersView).query_one("#layers-note").render())
        named = [app.ready.layers[name].split(" (")[0] for name in invariant]  # "hidden 1", as on Weights
        assert all(name in note for name in named) and "scale-invariant" in note and ".weight" not in note
        if compare:  # both runs' layers: the note and the legends say which marker is which run
            other = app.ready.labels[1]
            assert note.startswith(f"The run's layers as lines, its comparison's ({other}) as dots")
            for chart in (LayerNormChart, AngleChart):
                rows = str(app.query_one(chart).render()).split("\n")
                frame = next(i for i, row in enumerate(rows) if "┌" in row)
                assert "━ run" in " ".join(rows[:frame]) and f"• {other}" in " ".join(rows[:frame])
                assert "•" in "".join(rows[frame:])  # the comparison's points are drawn
        else:
            assert note.startswith("The run's layers. ")  # whose layers: the run alone here
        series, what = angle_series(app.ready, app.snapshot.lengths[0])
        assert what == kind
        norms = str(app.query_one(LayerNormChart).render())
        angles = str(app.query_one(AngleChart).render())
        assert f"{named[0]} ⟂" in norms and ".weight" not in norms
        predicted = angular_update(app.config)
        if preset == "equilibrium":  # SGD, coupled: a prediction, drawn and named
            assert f"{predicted:.3g}" in angles
        else:  # quadratic is Adam with coupled decay: no prediction is claimed
            assert predicted is None and "no prediction" in angles


async def test_grokking_draws_accuracy_against_log_epochs_without_images():
    """Modular addition is classification with no images: accuracy and per-class charts, epochs on
    a log axis (memorizing at ~10² steps, generalizing at ~10³)."""
    from wdtui.app.widgets.charts import AccuracyChart, ClassChart, FitChart

    config = make_config("grokking", modulus=7, n_train=30, n_test=19, epochs=40)
    app = WdtuiApp(config, compare=True, deterministic=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(pilot, lambda: app.ready is not None)
        await pilot.press("space")
        await _until(pilot, lambda: app.snapshot and app.snapshot.finished)
        assert app.ready.data.classes == tuple(str(c) for c in range(7))
        accuracy = app.query_one(AccuracyChart)
        assert accuracy.x_log and accuracy.display and not app.query_one(FitChart).display
        assert "epoch (log)" in str(accuracy.render())
        drawn = str(app.query_one(ClassChart).render())
        assert "cannot draw" not in drawn
        assert len(re.findall(r"[\d.]+%\s*┤", drawn)) >= 2, drawn  # at least two y labels, also when every class is alike


async def test_at_80x24_the_layers_note_is_one_phrase_and_the_charts_keep_their_rows():
    app = WdtuiApp(make_config("equilibrium", epochs=2), compare=True, deterministic=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await _until(pilot, lambda: app.ready is not None)
        await pilot.press("4")
        await pilot.pause(0.3)
        note = str(app.query_one("#layers-note").render())
        assert note.startswith("⟂ hidden 1, hidden 2: scale-invariant") and note.endswith("z: angular update")
        assert app.query_one("#layers-note").size.height <= 2
        assert app.query_one(LayerNormChart).size.height >= 14  # alone: the charts take turns (z)
        assert "vs coupled λ=0.02" in app.query_one(LayerNormChart).render().plain  # its legend names the runs
        await pilot.resize_terminal(120, 40)
        await pilot.pause(0.3)
        assert str(app.query_one("#layers-note").render()).startswith("The run's layers as lines")


async def test_the_layers_charts_mark_lambda_changes_and_claim_no_layernorm_where_there_is_none():
    app = WdtuiApp(make_config("sine", epochs=10**6), compare=False, deterministic=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(pilot, lambda: app.ready is not None)
        await pilot.press("space")
        await _until(pilot, lambda: app.snapshot.records[0].epoch > 30)
        await pilot.press("right_square_bracket")
        await _until(pilot, lambda: app.ready.marks[0])
        await pilot.press("space")
        await _until(pilot, lambda: not app.snapshot.running)
        await pilot.press("4")
        await pilot.pause(0.5)
        norms, angles = app.query_one(LayerNormChart).render().plain, app.query_one(AngleChart).render().plain
        for text in (norms, angles):
            assert "┆ 1 change" in text and "LayerNorm" not in text
        assert "no scale-invariant layer: nothing to predict" in angles


async def test_z_on_the_layers_tab_shows_each_chart_alone_then_both():
    """At 120×40 both charts share the tab, z shows each alone, then both. At 80×24 both had
    left the ‖w‖ chart one plot row: there the charts take turns (the ‖w‖ chart first) and the
    note names the one z shows next."""
    a = WdtuiApp(make_config("equilibrium", n_train=200, epochs=3), compare=True, deterministic=True)
    async with a.run_test(size=(120, 40)) as pilot:
        await _until(pilot, lambda: a.ready is not None)
        await pilot.press("4")
        await pilot.pause(0.2)
        norms, angles = a.layers_view.charts
        before = norms.size.height
        assert norms.display and angles.display and before >= 12
        await pilot.press("z")
        await pilot.pause(0.2)
        assert a.query_one("TabbedContent").active == "layers"  # it stays on its tab
        assert norms.display and not angles.display and norms.size.height >= 2 * before
        await pilot.press("z")
        await pilot.pause(0.2)
        assert angles.display and not norms.display
        await pilot.press("z")
        await pilot.pause(0.2)
        assert norms.display and angles.display and norms.size.height == before
        note = lambda: str(a.query_one("#layers-note").render())  # noqa: E731
        await pilot.press("space")  # trained: the angle chart draws the prediction and says what it is
        await _until(pilot, lambda: a.snapshot.finished)
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.3)
        assert norms.display and not angles.display and norms.size.height >= 12
        assert note().endswith("z: angular update")
        rows = norms.render().plain.split("\n")
        plot = next(i for i, r in enumerate(rows) if "└" in r) - next(i for i, r in enumerate(rows) if "┌" in r) - 1
        assert plot >= 6  # one plot row before
        await pilot.press("z")
        await pilot.pause(0.2)
        assert angles.display and not norms.display and note().endswith("z: ‖w‖ per layer")
        assert "── predicted" in angles.render().plain  # its caption shortened to fit (plotext drops a long one)
        await pilot.press("z")
        await pilot.pause(0.2)
        assert norms.display and not angles.display

def test_the_layers_norms_draw_the_other_decayed_tensors_and_a_sparse_schedule_says_what_its_angle_spans():
    """sine's hidden bias holds most of ‖w‖ (7.5 of 9.2 at λ = 0) and quadratic's last LayerNorm
    more than half of ‖w‖², and neither was drawn; digits measures every 6th epoch after the 10th
    and its "angle per epoch" was the angle over 6 epochs from there (a tenfold climb at epoch 10)."""
    from types import SimpleNamespace

    from conftest import experiment, trained

    from wdtui.app.widgets.layers import rest_norm
    from wdtui.engine.training.records import RunResult

    trainer = trained(experiment("sine", epochs=30), "coupled", 0.0)
    result = RunResult("coupled", 0.0)
    for record in [trainer.measure()]:
        result.add(record)
    values, _, label = rest_norm(result, [n for n in result.layer_norms if n in result.angular_update], 1)
    biases = [n for n in result.layer_norms if n.endswith(".bias")]
    assert label == "biases" and biases
    assert values[0] == pytest.approx(math.sqrt(sum(result.layer_norms[n][0] ** 2 for n in biases)))
    total = math.sqrt(sum(result.layer_norms[n][0] ** 2 for n in result.layer_norms))
    assert total == pytest.approx(trainer.measure().weight_norm, rel=1e-5)  # the lines add up to ‖w‖
    quadratic = RunResult("coupled", 0.1)
    quadratic.add(trained(experiment("quadratic", epochs=2), "coupled", 0.1).measure())
    assert rest_norm(quadratic, [n for n in quadratic.layer_norms if n in quadratic.angular_update], 1)[2] == \
        "biases+gains"
    sparse = SimpleNamespace(results=[SimpleNamespace(step_angular_update={}, angular_update={"0.weight": [0.1]},
                                                      measured_epochs={"every_epoch_to": 10, "then_every": 6})])
    assert angle_series(sparse, 1)[1] == "angle between measured epochs (each to 10, then every 6th)"
    sparse.results[0].measured_epochs = {"every_epoch_to": 10, "then_every": 3}  # grokking's
    assert angle_series(sparse, 1)[1] == "angle between measured epochs (each to 10, then every 3rd)"
    sparse.results[0].measured_epochs = {"every_epoch_to": 10, "then_every": 1}
    assert angle_series(sparse, 1)[1] == "angle per epoch"
