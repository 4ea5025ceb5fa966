"""How the app looks: SVG snapshots (pytest-textual-snapshot), and ``wdtui snapshot`` end to end.

Deterministic by construction: fixed seed and sizes, float64, no cursor blink or animations,
and no epochs/s in deterministic mode. Update after an intended change with
``python -m pytest tests/test_snapshots.py --snapshot-update``.
"""

import time

import pytest

from wdtui.app.app import WdtuiApp
from wdtui.cli.main import main
from wdtui.engine.config import make_config

SIZES = [(80, 24), (120, 40)]


def snapshot_app(preset="sine", **overrides) -> WdtuiApp:
    overrides.setdefault("dtype", "float64")
    return WdtuiApp(make_config(preset, **overrides), compare=True, deterministic=True)


async def _until(pilot, condition, timeout=60.0, drawn=True):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        await pilot.pause(0.05)
    if drawn:
        await _drawn(pilot)


async def _drawn(pilot):
    """The screen as the app's next redraw tick leaves it (status and every stale chart built from
    the latest state; the tick comes every 0.25 s), drawn now: a fixed pause for the tick missed
    it on a loaded machine, and the snapshot then showed an earlier state."""
    await pilot.pause()  # the layout first: a chart is drawn once it has a region on screen
    pilot.app.redraw(force=True)
    await pilot.pause()


async def _ready(pilot):
    await _until(pilot, lambda: pilot.app.ready is not None)


async def _finished(pilot):
    await _ready(pilot)
    await pilot.press("space")
    await _until(pilot, lambda: pilot.app.snapshot and pilot.app.snapshot.finished)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_start_screen(snap_compare, size):
    assert snap_compare(snapshot_app(epochs=30), terminal_size=size, run_before=_ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_finished_short_run(snap_compare, size):
    assert snap_compare(snapshot_app(epochs=30), terminal_size=size, run_before=_finished)


def test_finished_linear_preset_shows_learned_against_true_weights(snap_compare):
    assert snap_compare(snapshot_app("d2l", epochs=20), terminal_size=(120, 40), run_before=_finished)


def test_wdtui_snapshot_writes_the_final_screen(tmp_path):
    out = tmp_path / "sine.svg"
    code = main(["snapshot", "--preset", "sine", "--epochs", "25", "--lambdas", "0.01", "0",
                 "--out", str(out), "--size", "100x30"])
    assert code == 0
    svg = out.read_text()
    assert svg.startswith("<svg") and "25/25" in svg and "done" in svg
    assert "λ=0.01" in svg and "λ=0" in svg  # the run and its comparison
    assert "epochs/s" not in svg  # nothing timing-dependent in a snapshot
    assert [p.name for p in tmp_path.iterdir()] == ["sine.svg"]  # no temporary file left


@pytest.mark.parametrize("args,flag", [
    (["--out", "x.png"], "--out"),
    (["--out", "x.svg", "--size", "10x5"], "--size"),
    (["--out", "x.svg", "--lambdas", "1", "2", "3"], "--lambdas"),
    (["--out", "x.svg", "--lr", "0"], "--lr"),
])
def test_snapshot_bad_input_is_one_line_and_exit_2(args, flag, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["snapshot", *args])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and flag in err[0]
    assert list(tmp_path.iterdir()) == []


async def _swept(pilot):
    await _ready(pilot)
    await pilot.press("w")
    await _until(pilot, lambda: pilot.app.sweep_snapshot and pilot.app.sweep_snapshot.finished)


def test_sweep_view(snap_compare):
    assert snap_compare(snapshot_app(epochs=40), terminal_size=(120, 40), run_before=_swept)


def test_sweep_view_small_keeps_the_verdict(snap_compare):
    assert snap_compare(snapshot_app(epochs=40), terminal_size=(80, 24), run_before=_swept)


def test_sweep_view_of_a_linear_preset_draws_the_regularization_path(snap_compare):
    assert snap_compare(snapshot_app("sparse", epochs=200), terminal_size=(120, 40), run_before=_swept)


async def _gridded(pilot):
    await _ready(pilot)
    await pilot.press("g")
    await _until(pilot, lambda: pilot.app.grid_snapshot and pilot.app.grid_snapshot.finished)


def test_grid_view_small_shows_whole_numbers(snap_compare):
    assert snap_compare(snapshot_app(epochs=20), terminal_size=(80, 24), run_before=_gridded)


async def _lambda_changed_twice(pilot):
    """Two epochs, λ up, two epochs, λ up, two epochs: the marks and names after live changes."""
    await _ready(pilot)
    app = pilot.app
    for target, key in ((2, "right_square_bracket"), (4, "right_square_bracket"), (6, None)):
        while app.snapshot.records[0].epoch < target:
            # one step at a time, each awaited: a paused snapshot read right after n (before the
            # worker stepped) let two steps pass before a λ change, which then marked one change
            start = app.snapshot.records[0].epoch
            await pilot.press("n")
            await _until(pilot, lambda: app.snapshot.records[0].epoch > start and not app.snapshot.running,
                         drawn=False)
        if key:
            await pilot.press(key)
    await _drawn(pilot)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("preset,overrides", [
    ("sparse", dict(epochs=12)),
    ("dropout", dict(epochs=12, n_train=64, n_test=64, device="cpu")),
], ids=["sparse", "dropout"])
def test_after_two_live_lambda_changes_with_its_comparison(snap_compare, size, preset, overrides):
    app = WdtuiApp(make_config(preset, dtype="float64", **overrides), deterministic=True)
    assert snap_compare(app, terminal_size=size, run_before=_lambda_changed_twice)


async def _help(pilot):
    await _ready(pilot)
    await pilot.press("question_mark")
    await _drawn(pilot)


def test_help_screen(snap_compare):
    assert snap_compare(snapshot_app(optimizer="sgd", regularizer="decoupled", lr=0.05, lam=0.01, epochs=5),
                        terminal_size=(120, 40), run_before=_help)


def test_layers_tab_marks_scale_invariant_layers_with_the_predicted_angle(snap_compare):
    """equilibrium, shortened: per-layer ‖w‖, the RMS angle per step and the prediction line."""
    async def layers(pilot):
        await _finished(pilot)
        await pilot.press("4")
        await pilot.pause(0.5)

    app = snapshot_app("equilibrium", n_train=200, epochs=15)
    assert snap_compare(app, terminal_size=(120, 40), run_before=layers)


async def _finished_on_weights_tab(pilot):
    await _finished(pilot)
    await pilot.press("2")
    await _drawn(pilot)


def test_weights_tab_with_its_comparison(snap_compare):
    assert snap_compare(snapshot_app(epochs=30), terminal_size=(120, 40), run_before=_finished_on_weights_tab)


async def _samples_finished(pilot):
    from wdtui.app.samples_view import SamplesScreen

    await _ready(pilot)
    await pilot.press("d")
    await _until(pilot, lambda: isinstance(pilot.app.screen, SamplesScreen) and pilot.app.screen.snapshot.finished)


def test_n_train_sweep_draws_double_descent(snap_compare):
    app = snapshot_app("double-descent", n_inputs=20, n_test=100)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_samples_finished)
