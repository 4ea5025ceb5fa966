"""The Layers tab (issue 11 item 3, issue 13): per-layer norms, the scale-invariant layers marked,
the angular update with the equilibrium prediction."""

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


@pytest.mark.parametrize("preset,overrides,invariant,kind", [
    ("quadratic", dict(epochs=20), ["0.weight", "2.weight", "4.weight", "6.weight"], "angle per epoch"),
    ("equilibrium", dict(n_train=200, epochs=5), ["1.weight", "4.weight"], "RMS angle per step"),
])
async def test_layers_tab_names_the_scale_invariant_layers(preset, overrides, invariant, kind):
    app = WdtuiApp(make_config(preset, dtype="float64", **overrides), compare=False, deterministic=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(pilot, lambda: app.ready is not None)
        await pilot.press("space")
        await _until(pilot, lambda: app.snapshot and app.snapshot.finished)
        await pilot.press("4")
        await pilot.pause(0.3)
        assert list(app.ready.data.scale_invariant) == invariant
        note = str(app.query_one(LayersView).query_one("#layers-note").render())
        assert all(name in note for name in invariant) and "scale-invariant" in note
        series, what = angle_series(app.ready, app.snapshot.lengths[0])
        assert what == kind
        norms = str(app.query_one(LayerNormChart).render())
        angles = str(app.query_one(AngleChart).render())
        assert f"{invariant[0]} ⟂" in norms
        predicted = angular_update(app.config)
        if preset == "equilibrium":  # SGD, coupled: a prediction, drawn and named
            assert f"{predicted:.3g}" in angles
        else:  # quadratic is Adam with coupled decay: no prediction is claimed
            assert predicted is None and "no prediction" in angles
