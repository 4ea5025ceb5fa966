"""The app, driven as a person would (Textual's pilot), asserting on messages and on what shows."""

import json
import time

import pytest

from wdtui.app.app import WdtuiApp
from wdtui.app.messages import Progress, SessionReady
from wdtui.engine.config import make_config


def app(preset="sine", compare=False, **overrides) -> WdtuiApp:
    overrides.setdefault("epochs", 40)
    return WdtuiApp(make_config(preset, **overrides), compare=compare, deterministic=True)


async def wait_for(pilot, condition, timeout=60.0):
    """Until ``condition()`` holds; ``timeout`` only guards against a hang: on a loaded machine a
    run or a sweep (the λ ladder trains 78 copies) takes several times its usual time, and the
    former 20 s made the outcome depend on the load. Claims about time pass their own timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.05)


async def trained(pilot, timeout: float = 60.0) -> None:
    """The app ready, then trained to its last epoch (space)."""
    a = pilot.app
    await wait_for(pilot, lambda: a.ready is not None)
    await pilot.press("space")
    await wait_for(pilot, lambda: a.snapshot.finished, timeout=timeout)


def epoch(a: WdtuiApp) -> int:
    return a.snapshot.records[0].epoch if a.snapshot else -1


async def test_start_and_pause_with_space():
    a = app(epochs=100000)
    messages = []
    async with a.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        assert epoch(a) == 0 and not a.snapshot.running
        await pilot.press("space")
        await wait_for(pilot, lambda: epoch(a) > 20)
        await pilot.press("space")
        await wait_for(pilot, lambda: not a.snapshot.running)
        paused_at = epoch(a)
        await pilot.pause(0.4)
        assert epoch(a) == paused_at  # nothing runs while paused
        assert "paused" in str(a.query_one("StatusLine").render())
    progress = [m.snapshot.records[0].epoch for m in messages if isinstance(m, Progress)]
    assert progress and progress == sorted(progress)  # the worker reported, in order
    assert sum(isinstance(m, SessionReady) for m in messages) == 1


async def test_n_steps_exactly_one_epoch():
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("n")
        await wait_for(pilot, lambda: epoch(a) == 1)
        await pilot.pause(0.3)
        assert epoch(a) == 1 and not a.snapshot.running
        assert len(a.ready.results[0].history["epoch"]) == 1
        await pilot.press("n", "n")
        await wait_for(pilot, lambda: epoch(a) == 3)


async def test_reset_returns_to_the_same_start():
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        start = a.snapshot.records[0]
        await pilot.press("n", "n", "n")
        await wait_for(pilot, lambda: epoch(a) == 3)
        await pilot.press("r")
        await wait_for(pilot, lambda: a.ready is not None and epoch(a) == 0)
        again = a.snapshot.records[0]
        assert (again.train_loss, again.weight_norm) == (start.train_loss, start.weight_norm)


async def test_lambda_ladder_keys_change_lambda_while_training():
    a = app(epochs=100000)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        assert a.lam == 0.01
        await pilot.press("space")
        await wait_for(pilot, lambda: epoch(a) > 5)
        await pilot.press("right_square_bracket")
        assert a.lam == pytest.approx(10 ** -1.75)
        assert a.query_one("#input-lam").value == "0.01778"
        # the running trainer picks it up at the next epoch, without a restart
        await wait_for(pilot, lambda: a.snapshot.records[0].lam == pytest.approx(10 ** -1.75))
        assert epoch(a) > 5
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert a.lam == pytest.approx(10 ** -2.25)
        await pilot.press("space")


async def test_lambda_ladder_ends():
    a = app(lam=0.0)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("right_square_bracket")
        assert a.lam == pytest.approx(1e-5)
        await pilot.press("left_square_bracket")
        assert a.lam == 0.0
        await pilot.press("left_square_bracket")
        assert a.lam == 0.0


async def test_compare_adds_a_lambda_zero_run_from_the_same_start():
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        assert len(a.snapshot.records) == 1
        await pilot.press("c")
        await wait_for(pilot, lambda: a.ready is not None and len(a.snapshot.records) == 2)
        run, baseline = a.snapshot.records
        assert baseline.lam == 0.0 and run.lam == 0.01
        assert run.weight_norm == baseline.weight_norm  # same initialization
        await pilot.press("n")
        await wait_for(pilot, lambda: epoch(a) == 1)
        run, baseline = a.snapshot.records
        assert run.weight_norm < baseline.weight_norm  # one epoch of decay apart
        await pilot.press("c")  # off: the comparison hidden (it trains on), the run shown alone
        await wait_for(pilot, lambda: len(a.ready.results) == 1 and len(a.snapshot.records) == 2)
        assert a.snapshot.records[0].epoch == 1


async def test_preset_from_the_command_palette():
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("ctrl+p")
        await pilot.press(*"preset d2l")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: a.ready is not None and a.config.preset == "d2l")
        assert a.lam == 3.0 and a.config.batch_size == 5
        assert a.query_one("#input-preset").value == "d2l"
        assert a.query_one("#input-batch_size").value == "5"
        assert a.ready.data.fit == "weights" and len(a.ready.data.true_weights) == 200


async def test_export_and_screenshot_write_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = app(epochs=5)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("space")
        await wait_for(pilot, lambda: a.snapshot.finished)
        await pilot.press("e", "s")
        await pilot.pause(0.3)
    exported = list(tmp_path.glob("wdtui-sine-*.json"))
    shots = list(tmp_path.glob("wdtui-sine-*.svg"))
    assert len(exported) == 1 and len(shots) == 1
    doc = json.loads(exported[0].read_text())
    assert doc["preset"] == "sine" and doc["runs"][0]["history"]["epoch"] == [1, 2, 3, 4, 5]
    assert doc["runs"][0]["final"]["weight_norm"] > 0
    svg = shots[0].read_text()
    assert svg.startswith("<svg") and "epoch" in svg and "5/5" in svg


async def test_invalid_value_is_shown_inline_and_never_reaches_the_trainer():
    a = app(epochs=100000)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        lr_input = a.query_one("#input-lr")
        lr_input.focus()
        await pilot.press("ctrl+a", "backspace")  # clear the field
        lr_input.value = ""
        await pilot.press(*"-1", "enter")
        field = a.query_one("#field-lr")
        assert field.has_class("-invalid")
        assert "> 0" in str(field.query_one(".error").render())
        assert a.config.lr == 0.01
        await pilot.press("escape", "space")  # train: the trainer must still use 0.01
        await wait_for(pilot, lambda: epoch(a) > 3)
        assert a.snapshot.records[0].lr == 0.01
        lr_input.focus()
        lr_input.value = ""
        await pilot.press(*"0.02", "enter")
        assert not field.has_class("-invalid") and a.config.lr == 0.02
        await wait_for(pilot, lambda: a.snapshot.records[0].lr == 0.02)


async def test_q_during_training_exits_quickly_and_stops_the_worker():
    a = app(epochs=10**7)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("space")
        await wait_for(pilot, lambda: epoch(a) > 10)
        worker = a._worker
        started = time.monotonic()
        await pilot.press("q")
        await wait_for(pilot, lambda: not a.is_running, timeout=2)
    assert time.monotonic() - started < 1.0
    assert a.control.cancelled
    deadline = time.monotonic() + 2
    while worker.is_running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not worker.is_running


async def test_divergence_is_reported_in_red_not_a_crash():
    a = app(optimizer="sgd", lr=0.01, regularizer="decoupled", lam=500.0, epochs=300)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("space")
        await wait_for(pilot, lambda: a.snapshot.finished)
        assert a.snapshot.diverged and epoch(a) < 300
        status = a.query_one("StatusLine").render()
        assert "DIVERGED" in str(status)
        await pilot.pause(0.3)  # the charts draw NaN-free parts without raising


async def test_too_small_terminal_says_so_and_recovers():
    a = app()
    async with a.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        for size in ((50, 15), (79, 24), (80, 23)):  # 60×20 cut names and numbers mid-word
            await pilot.resize_terminal(*size)
            await pilot.pause(0.2)
            assert a.query_one("#too-small").display and not a.query_one("#body").display, size
            assert "needs at least 80×24" in str(a.query_one("#too-small").render())
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.2)
        assert a.query_one("#body").display


async def test_sweep_view_trains_the_ladder_and_b_loads_the_best_lambda():
    a = app(epochs=60)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("w")
        assert a.query_one("TabbedContent").active == "sweep"
        await wait_for(pilot, lambda: a.sweep_snapshot is not None and a.sweep_snapshot.finished)
        snap = a.sweep_snapshot
        assert len(snap.lambdas) == 26 and snap.lambdas[0] == 0.0 and snap.epoch == 60  # λ = 0 and the ladder
        assert snap.seeds == 3 and snap.copies == 78
        assert snap.best_index == min(range(26), key=lambda i: snap.val_loss[i])  # chosen on validation
        assert snap.weight_norm[0] > snap.weight_norm[-1]  # decay shrinks ‖w‖ along the ladder
        assert "best λ" in str(a.query_one("#sweep-status").render())
        await pilot.press("b")
        assert a.lam == snap.best_lambda
        assert a.query_one("TabbedContent").active == "charts"


async def test_regenerate_draws_new_data_from_the_next_seed():
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        first_x, first_y = a.ready.data.x_train, a.ready.data.y_train
        await pilot.click("#regenerate")
        await wait_for(pilot, lambda: a.ready is not None and a.config.seed == 1)
        assert a.query_one("#input-seed").value == "1"
        assert a.ready.data.y_train != first_y  # other noise: new data
        assert a.ready.data.x_train == first_x  # on the same x = linspace(0, 2π, 100)


async def test_grid_shows_coupled_beside_decoupled_heatmaps():
    a = app(epochs=8)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("g")
        await wait_for(pilot, lambda: a.grid_snapshot is not None and a.grid_snapshot.finished)
        grids = a.grid_snapshot.grids
        assert [g.regularizer for g in grids] == ["coupled", "decoupled"]
        assert all(g.record.epoch == 8 and len(g.grid("test_loss")) == 5 for g in grids)
        await pilot.pause(0.3)
        with a.console.capture() as capture:
            for section in a.query(".grid-section"):  # the Rich groups it displays
                a.console.print(section.content)
        text = capture.get()
        assert "coupled: best lr" in text and "decoupled: best lr" in text
        assert a.query_one("#grid").display and not a.query_one("#sweep-loss").display
        await pilot.press("w")  # back to the λ sweep: its charts return
        assert not a.query_one("#grid").display and a.query_one("#sweep-loss").display


async def test_x_on_a_running_grid_says_the_grid_was_cancelled():
    a = app(epochs=100000)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("g")
        await wait_for(pilot, lambda: a.grid_snapshot is not None)
        await pilot.press("x")
        notices = [n.message for n in a._notifications]
        assert "grid cancelled" in notices and "sweep cancelled" not in notices, notices


@pytest.mark.skipif(__import__("torch").cuda.device_count() > 3, reason="needs cuda:3 to be missing")
async def test_a_run_or_sweep_that_cannot_start_says_why():
    a = app(device="cuda:3")
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "cannot start" in a.note)
        assert "device" in a.note and "available" in a.note
        await pilot.press("r")  # a second run: run and sweep numbers must not be confused
        await wait_for(pilot, lambda: "cannot start" in a.note)
        a.note = ""
        await pilot.press("w")  # the sweep's failure is reported too, not dropped
        await wait_for(pilot, lambda: "cannot start" in a.note)


async def test_an_error_in_the_sweep_worker_is_reported(monkeypatch):
    from wdtui.engine.training import batched

    def broken(self, measure=True, stop=None):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(batched.BatchedTrainer, "run_epoch", broken)
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("w")
        await wait_for(pilot, lambda: "out of memory" in a.note)
        assert a.note.startswith("training stopped") and a.is_running  # reported, no crash


async def test_classification_shows_accuracy_and_per_class_charts_and_conv_histograms():
    a = app("digits", compare=True, epochs=3, n_train=64, n_test=200, device="cpu")
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        view = a.ready.data
        assert view.fit == "classes" and view.classes == tuple("0123456789")
        assert view.x_train == [] and view.y_train == []  # no examples cross to the app
        await pilot.press("space")
        await wait_for(pilot, lambda: a.snapshot.finished)
        await pilot.pause(0.2)
        screen = a.main
        assert not screen.query_one("#fit").display
        assert screen.query_one("#accuracy").display and screen.query_one("#per-class").display
        per_class = screen.query_one("#per-class")
        _, snap = per_class.data
        assert sum(map(sum, snap.records[0].confusion)) == 200
        drawn = str(per_class.render())
        assert "per-class test accuracy" in drawn and "%" in drawn and "● run  × vs coupled λ=0" in drawn  # named by role
        status = str(screen.query_one("StatusLine").render())
        accuracy = a.snapshot.records[0].test_accuracy
        assert f"({100 * accuracy:.1f}%)" in status and "vs coupled λ=0: train" in status
        histograms = [c.weight_name for c in screen.query("HistogramChart")]
        assert list(dict.fromkeys(histograms)) == ["0.weight", "3.weight", "7.weight", "9.weight"]  # conv kernels too
        layers = [str(s.render()) for s in screen.query(".layer-name")]
        assert layers == ["conv 1 (Conv 1→16, 3×3)", "conv 2 (Conv 16→32, 3×3)", "hidden 1 (Linear 128→64)",
                          "output (Linear 64→10)"]
        # back to a regression preset: the fit chart returns
        a.load_preset("sine")
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.pause(0.1)
        assert screen.query_one("#fit").display and not screen.query_one("#accuracy").display


async def test_dropout_preset_compares_dropout_without_decay_against_decay_without_dropout():
    a = app("dropout", compare=True, epochs=2, n_train=64, n_test=64, device="cpu")
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        run, baseline = a.ready.results
        assert (run.regularizer, run.lam, run.dropout) == ("coupled", 0.01, 0.0)
        assert (baseline.regularizer, baseline.lam, baseline.dropout) == ("none", 0.0, 0.5)


async def test_cifar10_without_a_folder_is_refused_in_the_app_and_the_preset_stays():
    a = app("digits", epochs=2, n_train=64, device="cpu")
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        a.load_preset("cifar10")
        await pilot.pause(0.1)
        assert a.config.preset == "digits"
        assert any("--data-dir" in str(n.message) for n in a._notifications)
