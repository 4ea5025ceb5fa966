"""The app as views over one state (issue 12, "Shape"), and pinned runs (ghosts): message-level
tests of the state, and pilot tests of what the views draw from it."""

import re

from test_app import app, epoch, trained, wait_for

from wdtui.app.app import WdtuiApp
from wdtui.app.messages import Progress, SessionReady, Snapshot
from wdtui.app.state import MAX_GHOSTS, AppState
from wdtui.engine.config import make_config
from wdtui.engine.lessons.presets import Run
from wdtui.engine.training.records import EpochRecord, RunResult


def session_ends(monkeypatch) -> list[float]:
    """The times (perf_counter) at which training sessions' threads end, as they end."""
    import time

    from wdtui.app.session import TrainingSession

    ended, run = [], TrainingSession.run

    def timed_run(self):
        run(self)
        ended.append(time.perf_counter())

    monkeypatch.setattr(TrainingSession, "run", timed_run)
    return ended


def record(epoch: int, lam: float = 0.01) -> EpochRecord:
    return EpochRecord(epoch=epoch, lam=lam, lr=0.05, regularizer="l2",
                       train_loss=1.0 / (epoch + 1), test_loss=2.0 / (epoch + 1),
                       penalty=0.0, weight_norm=3.0, layer_norms={}, zeros=0, epochs_per_s=1.0)


def snapshot(session: int, n: int, lam: float = 0.01) -> Snapshot:
    return Snapshot(session=session, records=(record(n, lam),), lengths=(n,), epochs=100, running=True,
                    finished=False)


def ready(session: int, result: RunResult, marks=()) -> SessionReady:
    return SessionReady(session, None, (result,), "cpu", ["cpu"], "", snapshot(session, 0),
                        labels=("run",), marks=marks)


def test_state_takes_only_the_current_sessions_messages():
    state = AppState(make_config("sine"), Run("l2", 0.0))
    state.new_session(2)
    result = RunResult("l2", 0.01)
    assert not state.accept(Progress(snapshot(2, 3)))  # before its SessionReady: dropped
    assert not state.accept(ready(1, result))  # an older session's
    assert state.ready is None
    assert state.accept(ready(2, result)) and state.snapshot.lengths == (0,)
    assert not state.accept(Progress(snapshot(1, 9))) and state.snapshot.lengths == (0,)
    assert state.accept(Progress(snapshot(2, 3))) and state.snapshot.lengths == (3,)
    state.new_session(3, note="reset")
    assert state.ready is None and state.snapshot is None and state.note == "reset"


def test_pin_copies_the_history_shown_and_names_the_setting_it_trained_with():
    state = AppState(make_config("sine"), Run("l2", 0.0))
    state.new_session(1)
    result = RunResult("l2", 0.01)
    for e in range(1, 6):
        result.add(record(e, lam=0.01 if e < 4 else 0.1))
    from wdtui.app.session import Mark

    assert state.pin() is None  # nothing trained yet
    state.accept(ready(1, result, marks=([Mark(4, "λ 0.01→0.1")],)))
    state.accept(Progress(snapshot(1, 3)))
    assert state.pin() is None  # trained, but no frame shows it yet
    assert state.take_frame() and not state.take_frame()
    state.accept(Progress(snapshot(1, 5)))  # the worker is ahead of the frame on screen
    ghost = state.pin()
    assert list(ghost.history["epoch"]) == [1, 2, 3]  # as long as shown, not as long as trained
    assert ghost.name == f"pin 1: l2 λ=0.01 lr=0.05 {state.config.optimizer}"  # no change within 3 epochs
    result.add(record(6, lam=0.1))
    assert list(ghost.history["epoch"]) == [1, 2, 3]  # a copy: the run's growth does not reach it
    state.accept(Progress(snapshot(1, 6, lam=0.1)))
    state.take_frame()
    assert state.pin().name.endswith(f"λ=0.1 lr=0.05 {state.config.optimizer} (changed)")
    for _ in range(MAX_GHOSTS):
        state.pin()
    assert len(state.ghosts) == MAX_GHOSTS and state.ghosts[0].number == 3  # the oldest went first
    assert state.unpin().number == MAX_GHOSTS + 2 and len(state.ghosts) == MAX_GHOSTS - 1


async def test_every_run_view_draws_the_states_session_and_snapshot():
    a = app(compare=True)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("n", "n")
        await wait_for(pilot, lambda: epoch(a) == 2)
        await pilot.pause(0.2)
        charts = [*a.run_view.charts, *a.weights_view.charts, *a.layers_view.charts]
        assert len(a.weights_view.charts) >= 2  # weights and gradients of each layer
        for chart in charts:
            assert chart.data[0] is a.state.ready and chart.data[1] is a.state.snapshot
        assert a.snapshot is a.state.snapshot and a.config is a.state.config


async def test_a_pinned_run_stays_through_a_reset_beside_the_new_run_until_unpinned():
    a = app(epochs=200)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("p")  # nothing trained: nothing pinned
        assert not a.state.ghosts
        await pilot.press("n", "n", "n")
        await wait_for(pilot, lambda: epoch(a) == 3)
        await pilot.press("p")
        assert [g.epochs for g in a.state.ghosts] == [3]
        name = a.state.ghosts[0].name
        assert name.startswith(f"pin 1: {a.config.regularizer} λ={a.lam:.3g}")
        await pilot.press("right_square_bracket", "r")  # another λ, from epoch 0
        await wait_for(pilot, lambda: a.ready is not None and epoch(a) == 0)
        await pilot.press("n", "n")
        await wait_for(pilot, lambda: epoch(a) == 2)
        await pilot.pause(0.3)
        for chart in ("#loss", "#norm"):  # the legends name it by what differs from the run: its λ
            shown = str(a.query_one(chart).render())
            assert f"pin 1 λ={name.split('λ=')[1].split(' ')[0]}" in shown and "run" in shown
        assert "1 pinned" in str(a.query_one("StatusLine").render())
        await pilot.press("u")
        await pilot.pause(0.3)
        assert not a.state.ghosts
        assert "pin 1" not in str(a.query_one("#loss").render())
        assert "pinned" not in str(a.query_one("StatusLine").render())


async def test_the_comparison_can_differ_in_optimizer_dropout_and_lambda_and_says_so():
    """The sidebar's Comparison panel: any regularizer, λ, dropout p and optimizer. The runs
    restart together; the comparison trains exactly as a Trainer with that setting would."""
    import pytest

    from wdtui.engine.experiment import build_experiment
    from wdtui.engine.training.trainer import Trainer

    a = app(compare=True, epochs=3, dtype="float64")
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        first = a.session_number
        a.query_one("#input-compare_optimizer").value = "sgd"  # as the Select does when chosen
        await wait_for(pilot, lambda: a.ready is not None and a.session_number > first)
        a.query_one("#input-compare_lam").focus()
        await pilot.press("ctrl+a", *"0.1", "enter")
        await wait_for(pilot, lambda: a.comparison.lam == 0.1 and a.ready is not None)
        regularizer = a.config.regularizer
        assert (a.comparison.regularizer, a.comparison.lam, a.comparison.optimizer) == (regularizer, 0.1, "sgd")
        assert a.ready.labels == ("run", f"vs {regularizer} λ=0.1 sgd")
        assert "compare: " + f"{regularizer} λ=0.1 sgd" in str(a.query_one("#input-compare").render())
        await pilot.press("space")
        await wait_for(pilot, lambda: a.snapshot.finished)
        status = str(a.query_one("StatusLine").render())
        assert f"vs {regularizer} λ=0.1 sgd" in status
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        from test_app_truth import help_text

        assert f"compared with: {regularizer} λ=0.1 optimizer sgd" in help_text(a.screen.parts)
        shown = list(a.ready.results[1].history["test_loss"])
    reference = Trainer(build_experiment(a.config), regularizer, 0.1, None, "sgd")
    expected = [record.test_loss for record in reference.records()]
    assert shown == pytest.approx(expected, rel=1e-9)
    adam = Trainer(build_experiment(a.config), regularizer, 0.1)
    assert [r.test_loss for r in adam.records()] != pytest.approx(expected, rel=1e-3)  # the optimizer mattered


async def test_a_restart_says_what_it_replaces_and_ctrl_z_brings_the_run_back_where_it_was():
    a = app(epochs=200)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("r")  # nothing trained: nothing kept
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("ctrl+z")
        assert "nothing to undo" in str(list(a._notifications)[-1].message)
        await pilot.press("n", "n", "n")
        await wait_for(pilot, lambda: epoch(a) == 3)
        width = a.config.width
        a.apply_change("width", width + 8)  # a model change restarts the run
        await wait_for(pilot, lambda: a.ready is not None and a.config.width == width + 8)
        assert "ctrl+z goes back to epoch 3" in a.note
        assert "ctrl+z goes back to epoch 3" in str(a.query_one("StatusLine").render())
        await pilot.press("n")
        await wait_for(pilot, lambda: epoch(a) == 1)
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: a.config.width == width)
        assert epoch(a) == 3 and a.query_one("#input-width").value == str(width)
        await pilot.press("n")  # the run goes on from where it was: not a new one
        await wait_for(pilot, lambda: epoch(a) == 4)
        assert a.ready.results[0].history["epoch"].tolist() == [1, 2, 3, 4]
        await pilot.press("r")
        await wait_for(pilot, lambda: a.ready is not None and epoch(a) == 0)
        assert "ctrl+z goes back to epoch 4" in a.note
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: epoch(a) == 4)


async def test_undo_back_to_a_finished_run_says_how_it_goes_on():
    a = app(epochs=3)
    async with a.run_test(size=(120, 40)) as pilot:
        await trained(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: a.ready is not None and epoch(a) == 0)
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: epoch(a) == 3)
        assert "undone: back to epoch 3 (done: raise epochs to go on)" in a.note  # not "space goes on"


async def test_a_long_epoch_shows_its_progress_and_q_ends_training_within_a_second(monkeypatch):
    """An epoch stretched to seconds (each mini-batch step takes 20 ms more): the status shows
    how far the epoch is, and q ends the app and its training thread within a second."""
    import time

    from wdtui.engine.training.batched import BatchedTrainer
    from wdtui.engine.training.trainer import Trainer

    def slowed(step):
        def slow_step(self, x, y):
            time.sleep(0.02)
            step(self, x, y)
        return slow_step

    ended = session_ends(monkeypatch)
    monkeypatch.setattr(Trainer, "_step", slowed(Trainer._step))
    monkeypatch.setattr(BatchedTrainer, "_step", slowed(BatchedTrainer._step))  # the pair batched
    a = app("digits", compare=True, epochs=5, batch_size=4)  # 75 steps per epoch: ≥ 1.5 s
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None, timeout=60)
        await pilot.press("space")
        await wait_for(pilot, lambda: a.state.epoch_share() is not None and a.state.epoch_share()[1] > 0.1)
        assert epoch(a) == 0 and a.state.epoch_share()[0] == 1
        await pilot.pause(0.3)
        assert re.search(r"training epoch 1: \d+%", str(a.query_one("StatusLine").render()))
        sent = time.perf_counter()
        await pilot.press("q")
        await wait_for(pilot, lambda: ended, timeout=10)
    assert ended[0] - sent < 1.0


async def test_a_run_whose_data_is_too_large_to_keep_twice_is_said_to_be_discarded(monkeypatch):
    import wdtui.app.runs as runs_module

    monkeypatch.setattr(runs_module, "UNDO_MOST_NUMBERS", 0)
    a = app(epochs=200)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("n", "n")
        await wait_for(pilot, lambda: epoch(a) == 2)
        await pilot.press("r")
        await wait_for(pilot, lambda: a.ready is not None and epoch(a) == 0)
        assert "epoch 2 not kept (too large to keep twice)" in a.note and a._undo is None


async def test_a_long_build_shows_its_progress_and_q_does_not_wait_for_it(tmp_path, monkeypatch):
    """A CIFAR-10 folder read slowly (each batch file takes 0.4 s more: ~2.4 s in all): the status
    says how far the loading is, and q ends the session's thread within a second, before the
    rest of the files are read."""
    import time

    from cifar_files import write_cifar

    from wdtui.engine.data import cifar10

    write_cifar(tmp_path / "cifar")
    batch = cifar10._batch
    read = []

    def slow_batch(path):
        time.sleep(0.4)
        read.append(path.name)
        return batch(path)

    ended = session_ends(monkeypatch)
    monkeypatch.setattr(cifar10, "_batch", slow_batch)
    a = WdtuiApp(make_config("cifar10", data_dir=str(tmp_path / "cifar"), epochs=1, channels="2", kernel=3),
                 compare=False, deterministic=True)
    async with a.run_test(size=(120, 40)) as pilot:
        status = lambda: str(a.query_one("StatusLine").render())  # noqa: E731
        await wait_for(pilot, lambda: re.search(r"loading CIFAR-10 … [1-9]\d* %", status()), timeout=10)
        assert a.ready is None and 0 < len(read) < 6
        sent = time.perf_counter()
        await pilot.press("q")
        await wait_for(pilot, lambda: ended, timeout=10)
    assert ended[0] - sent < 1.0
    assert len(read) < 6 and a.state.ready is None  # the build stopped: the other files were never read


async def test_q_while_the_untrained_model_is_measured_ends_the_thread_within_a_second(tmp_path, monkeypatch):
    """CIFAR-10's first measurement (every image, before the first screen) takes seconds: it is
    the one that takes L₀ and it stops between evaluation chunks. Here 7 chunks of 0.3 s each."""
    import time

    from cifar_files import write_cifar

    from wdtui.engine.training import trainer

    write_cifar(tmp_path / "cifar")
    forward = trainer.forward_function

    def slowed(model):
        f = forward(model)

        def slow(x):
            time.sleep(0.3)
            return f(x)
        return slow

    ended = session_ends(monkeypatch)
    monkeypatch.setattr(trainer, "forward_function", slowed)
    monkeypatch.setattr(trainer, "EVAL_CHUNK", 8)  # 40 training and 10 test images: 7 chunks
    a = WdtuiApp(make_config("cifar10", data_dir=str(tmp_path / "cifar"), epochs=1, channels="2", kernel=3),
                 compare=False, deterministic=True)
    async with a.run_test(size=(120, 40)) as pilot:
        status = lambda: str(a.query_one("StatusLine").render())  # noqa: E731
        await wait_for(pilot, lambda: "measuring the untrained model" in status(), timeout=30)
        await pilot.pause(0.4)
        sent = time.perf_counter()
        await pilot.press("q")
        await wait_for(pilot, lambda: ended, timeout=10)
    assert ended[0] - sent < 1.0 and a.state.ready is None


def test_pins_belong_to_their_problem_and_come_back_with_it():
    """A pinned run is shown beside runs of its problem (data, task, loss) only; λ, the model, n
    and the seed are what pins compare, so they keep it."""
    state = AppState(make_config("sine"), Run("l2", 0.0))
    state.new_session(1)
    result = RunResult("l2", 0.01)
    for e in range(1, 4):
        result.add(record(e))
    state.accept(ready(1, result))
    state.accept(Progress(snapshot(1, 3)))
    state.take_frame()
    ghost = state.pin()
    sine = state.config
    for same in (dict(lam=0.1), dict(width=8, depth=2), dict(n_train=20), dict(seed=3), dict(optimizer="adam")):
        state.config = sine.with_changes(**same)
        assert state.ghosts == [ghost] and state.put_away(sine) == [], same
    state.config = make_config("sine-overfit")  # the same data source and loss: kept
    assert state.ghosts == [ghost]
    for other in (make_config("quadratic"), make_config("digits"), sine.with_changes(loss="half_mse")):
        state.config = other
        assert state.ghosts == [] and state.put_away(sine) == [ghost] and state.unpin() is None
    state.config = sine
    assert state.ghosts == [ghost]


async def test_a_preset_of_another_problem_puts_the_pins_away_and_ctrl_z_brings_them_back():
    a = app(epochs=200)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("n", "n")
        await wait_for(pilot, lambda: epoch(a) == 2)
        await pilot.press("p")
        a.load_preset("quadratic")  # another function of other inputs: its losses are not sine's
        await wait_for(pilot, lambda: a.ready is not None and a.config.preset == "quadratic")
        await pilot.pause(0.3)
        assert not a.state.ghosts and "1 pinned put away: another problem (ctrl+z brings them back)" in a.note
        assert "pin 1" not in str(a.query_one("#loss").render())
        assert "(u unpins)" not in str(a.query_one("StatusLine").render())  # no pinned run is counted as shown
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: a.config.preset == "sine" and a.ready is not None)
        await pilot.pause(0.3)
        assert [g.epochs for g in a.state.ghosts] == [2]
        assert "pin 1" in str(a.query_one("#loss").render())
        assert "1 pinned" in str(a.query_one("StatusLine").render())


def test_a_change_is_marked_at_its_epoch_when_the_history_skips_epochs():
    """digits measures every 6th epoch after the 10th: 12 records reach epoch 22, and a λ change
    at epoch 20 is within what is shown (it was compared with the history's length, 12)."""
    from wdtui.app.session import Mark
    from wdtui.app.widgets.charts import shown_marks

    state = AppState(make_config("sine"), Run("l2", 0.0))
    state.new_session(1)
    result = RunResult("l2", 0.01)
    for e in [*range(1, 11), 16, 22]:
        result.add(record(e, lam=0.01 if e < 20 else 0.1))
    state.accept(ready(1, result, marks=([Mark(20, "λ 0.01→0.1")],)))
    state.accept(Progress(snapshot(1, 12, lam=0.1)))
    assert [m.epoch for m in shown_marks(state.ready, state.snapshot)] == [20]
    state.take_frame()
    assert state.pin().label.endswith("(changed)")
    state.accept(Progress(snapshot(1, 11)))  # up to epoch 16: before the change
    assert shown_marks(state.ready, state.snapshot) == []


async def test_c_hides_and_shows_the_comparison_without_restarting_either_run():
    """c off had restarted both runs (the pair is one model): now it hides the comparison, which
    trains on, and c on shows it again at the run's epoch. Every view draws the run alone while
    hidden: the status, the charts' legends, the Weights tab, the export."""
    from wdtui.app.widgets.charts import LossChart

    a = app(compare=True, epochs=200)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        session = a.session_number
        await pilot.press("n", "n")
        await wait_for(pilot, lambda: epoch(a) == 2 and not a.snapshot.running)
        await pilot.press("c")
        await pilot.pause(0.3)
        status = lambda: str(a.query_one("#status").render())  # noqa: E731
        assert not a.compare and a.session_number == session and epoch(a) == 2
        assert status().endswith("comparison hidden (it trains beside the run): c shows it (coupled λ=0)") and "vs coupled" not in status()
        assert len(a.ready.results) == 1 and len(a.state.shown.records) == 1
        assert "vs coupled" not in a.query_one(LossChart).render().plain
        assert "vs coupled" not in " ".join(str(w.render()) for w in a.weights_view.query("Static"))
        await pilot.press("n")  # the pair trains on, hidden
        await wait_for(pilot, lambda: epoch(a) == 3 and not a.snapshot.running)
        assert len(a.snapshot.records) == 2 and a.snapshot.records[1].epoch == 3
        assert status().endswith("comparison hidden (it trains beside the run): c shows it (coupled λ=0)")  # all along
        await pilot.press("c")
        await pilot.pause(0.3)
        assert a.compare and a.session_number == session and "comparison shown" in a.note
        assert "c: " not in status()
        assert a.state.shown.records[1].epoch == 3 and "vs coupled λ=0: train" in status()
        assert "vs coupled λ=0" in a.query_one(LossChart).render().plain
        await pilot.press("c", "r")  # a reset while hidden: both start again, the comparison still hidden
        await wait_for(pilot, lambda: a.session_number != session and a.ready is not None)
        await pilot.press("n")
        await wait_for(pilot, lambda: epoch(a) == 1 and not a.snapshot.running)
        assert len(a.snapshot.records) == 2 and len(a.state.shown.records) == 1 and not a.compare
        session = a.session_number
        await pilot.press("c")  # shown at once: nothing restarts
        await pilot.pause(0.3)
        assert a.compare and a.session_number == session and a.state.shown.records[1].epoch == 1


async def test_c_on_trains_a_comparison_the_session_does_not_and_ctrl_z_brings_the_run_back():
    """A run started alone (or whose hidden comparison was changed) has no comparison to show:
    c restarts both, keeping the trained run for ctrl+z; c again then only hides."""
    a = app(compare=False, epochs=200)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("n", "n")
        await wait_for(pilot, lambda: epoch(a) == 2 and not a.snapshot.running)
        await pilot.press("c")
        await wait_for(pilot, lambda: a.ready is not None and a.compare and len(a.ready.results) == 2)
        assert epoch(a) == 0 and "compare on: run restarted" in a.note and "ctrl+z goes back to epoch 2" in a.note
        await pilot.pause(0.3)  # the restart stays said on the status line once the toast is gone
        second = str(a.query_one("StatusLine").render()).rstrip("\n").split("\n")[1]
        assert second.startswith("vs coupled λ=0: train") and "compare on: run restarted beside it" in second, second
        session = a.session_number
        await pilot.press("c")  # off: hidden, no restart
        await pilot.pause(0.2)
        assert a.session_number == session and not a.compare
        await pilot.press("n")
        await wait_for(pilot, lambda: epoch(a) == 1 and not a.snapshot.running)
        a.apply_change("compare_lam", 0.1)  # hidden and changed: c must train the new one
        await pilot.press("c")
        await wait_for(pilot, lambda: a.session_number != session and a.ready is not None)
        assert a.compare and a.ready.labels[1] == "vs coupled λ=0.1" and epoch(a) == 0
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: a.ready is not None and not a.compare)
        assert a.session_number == session and "undone: back to epoch 1" in a.note
        assert len(a.snapshot.records) == 2 and len(a.state.shown.records) == 1  # hidden again


def test_a_pin_is_named_in_legends_by_what_differs_from_the_run():
    from wdtui.app.state import Ghost

    ghost = Ghost(2, "l2 λ=0.01 lr=0.05 sgd", {})
    assert ghost.name_beside("l2 λ=0.0562 lr=0.05 sgd") == "pin 2 λ=0.01"
    assert ghost.name_beside("coupled λ=0.01 lr=0.1 sgd") == "pin 2 l2 lr=0.05"
    assert ghost.name_beside("l2 λ=0.01 lr=0.05 sgd") == "pin 2 (same setting)"
    # a pin of other data (sine-overfit beside sine: the same problem) says so: its test loss is of other data
    from wdtui.app.state import setting_of

    overfit = Ghost(3, "coupled λ=1e-05 lr=0.003 adam", {}, setting=setting_of(make_config("sine-overfit")))
    assert overfit.name_beside("coupled λ=0.01 lr=0.01 adam", setting_of(make_config("sine"))) == \
        "pin 3 n_train=20 noise=0.3 λ=1e-05 lr=0.003"


def test_a_narrow_legend_keeps_the_comparisons_name_as_the_status_gives_it():
    from wdtui.app.widgets.charts import BASELINE, RUN, legend_rows

    entries = [("run", RUN, "braille"), ("vs decoupled λ=0", BASELINE, "braille")]
    for width in (40, 30, 26, 24):  # closer and closer, never a name the status does not use
        rows, own_row = legend_rows("loss", entries, width)
        assert "vs decoupled λ=0" in " ".join(row.plain for row in rows), width
        assert all(row.cell_len <= width - 2 for row in rows), width  # a blank each side: no run-together
    assert [row.plain for row in legend_rows("loss", entries, 24)[0]] == ["━run ━vs decoupled λ=0"]
    rows, own_row = legend_rows("loss", entries, 20)  # too narrow for one row: two, names whole
    assert [row.plain for row in rows] == ["━run", "━vs decoupled λ=0"] and own_row
    marks = [("run", RUN, "●"), ("vs l2 λ=0", BASELINE, "x")]
    assert legend_rows("", marks, 18)[0][0].plain == "●run x vs l2 λ=0"  # a letter keeps its space


def test_a_cut_legend_name_is_cut_between_words_never_inside_a_number():
    """At 80×24 a pin at λ = 0.005623 read "pin 1 λ=0.0…", as if its λ were 0, beside a
    comparison that is λ = 0."""
    from wdtui.app.widgets.charts import legend_rows, shortened

    grey = (150, 150, 160)
    for width in (14, 16, 20, 24):
        rows, _ = legend_rows("loss", [("pin 1 λ=0.005623 (changed)", grey, "braille")], width)
        text = " ".join(row.plain for row in rows)
        assert "λ=0.0…" not in text and ("pin 1 …" in text or "λ=0.005623" in text), (width, text)
    assert shortened("pin 1 λ=0.005623 (changed)", 12) == "pin 1 …"
    assert shortened("pin 1 λ=0.005623 (changed)", 20) == "pin 1 λ=0.005623 …"
    assert shortened("abcdefghijklmnop", 8) == "abcdefg…"  # one word: cut where it must be


def test_a_narrow_legend_puts_the_pins_together_before_cutting_the_comparisons_name():
    from wdtui.app.widgets.charts import BASELINE, RUN, legend_rows

    grey = (150, 150, 160)
    entries = [("pin 1 λ=0.01", grey, "braille"), ("pin 2 (same setting)", grey, "braille"),
               ("run", RUN, "braille"), ("vs coupled λ=0", BASELINE, "braille")]
    rows, own_row = legend_rows("loss", entries, 40)
    assert [row.plain for row in rows] == ["━ 2 pins ━ run ━ vs coupled λ=0"] and own_row  # every name whole
    wide, _ = legend_rows("loss", entries, 120)
    assert "pin 1 λ=0.01" in wide[0].plain and "pin 2 (same setting)" in wide[0].plain  # room: each pin named


async def test_short_charts_leave_the_runs_names_to_the_status_line_and_keep_their_plot_rows():
    """At 80×24 equilibrium's legends took three rows ("⠿train •test", "━run", "━vs coupled
    λ=0.02"), leaving the accuracy chart two plot rows and one label, "0%", beside 90 % data. Short
    charts now leave the runs' names to the status line (the same names, in the same colours);
    tall ones keep them."""
    from wdtui.app.widgets.charts import SHORT_CHART_ROWS, AccuracyChart

    for size, short in (((80, 24), True), ((120, 40), False)):
        a = app("equilibrium", compare=True, epochs=3, n_train=200)
        async with a.run_test(size=size) as pilot:
            await wait_for(pilot, lambda: a.ready is not None)
            await pilot.press("space")
            await wait_for(pilot, lambda: epoch(a) == 3 and not a.snapshot.running)
            await pilot.pause(0.5)
            chart = a.query_one(AccuracyChart)
            rows = chart.render().plain.split("\n")
            assert (chart.size.height < SHORT_CHART_ROWS) == short
            status = str(a.query_one("#status").render())
            assert "λ=0.05:" in status and "vs coupled λ=0.02" in status
            assert ("vs coupled λ=0.02" in "\n".join(rows)) != short and "train" in rows[0] and "test" in rows[0]
            top = next(i for i, row in enumerate(rows) if "┌" in row)
            bottom = next(i for i, row in enumerate(rows) if "└" in row)
            assert bottom - top - 1 >= 4  # plot rows
            labelled = [row.split("┤")[0].strip() for row in rows[top:bottom] if "┤" in row]
            assert labelled[0] == "100%" and labelled[-1] == "0%"  # both ends, on rows of their own


async def test_a_comparison_that_trains_as_the_run_is_said_to():
    """'run none' beside 'vs coupled λ=0' is one training drawn twice (identical numbers):
    the status says so, also at 80×24, and stops saying so once the run decays — and never of a
    run that trained with decay before it was taken to λ = 0."""
    from wdtui.engine.lessons.presets import trains_alike

    base = make_config("sine", regularizer="none", lam=0)
    assert trains_alike(base, base.with_changes(regularizer="coupled", lam=0))
    assert trains_alike(base, base.with_changes(regularizer="decoupled", lam=0, decay_all=False))
    assert not trains_alike(base, base.with_changes(regularizer="coupled", lam=0.01))
    assert not trains_alike(base, base.with_changes(lr=0.02))
    a = app(regularizer="none", lam=0, compare=True, epochs=5)
    async with a.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.pause(0.3)
        status = lambda: str(a.query_one("#status").render())  # noqa: E731
        assert "vs coupled λ=0:" in status() and status().endswith("same training as the run")
        a.apply_change("regularizer", "coupled")  # at λ = 0: still no decay in either
        await wait_for(pilot, lambda: a.ready is not None and a.config.regularizer == "coupled")
        await pilot.pause(0.3)
        assert "run λ=0:" in status() and status().endswith("same training as the run")
        a.apply_change("lam", 0.01)
        await pilot.pause(0.3)
        assert "same training" not in status()
    a = app(compare=True, epochs=50)  # trained at λ 0.01, then taken to 0: steps alike, did not train alike
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("n")
        await wait_for(pilot, lambda: epoch(a) == 1 and not a.snapshot.running)
        a.apply_change("lam", 0.0)
        await pilot.pause(0.3)
        assert "vs coupled λ=0:" in status() and "same training" not in status()  # pending
        await pilot.press("n")
        await wait_for(pilot, lambda: epoch(a) == 2 and not a.snapshot.running)
        await pilot.pause(0.3)
        assert "λ=0: train" in status().split("\n")[0] and "same training" not in status()  # trained at 0.01 before


async def test_a_pin_longer_than_the_run_is_cut_at_the_runs_last_epoch_and_the_axis_says_so():
    """A 3,000-epoch pin beside a 500-epoch run had stretched the x axis: the run filled a sixth."""
    from wdtui.app.widgets.charts import LossChart

    a = app(epochs=8)
    async with a.run_test(size=(120, 40)) as pilot:
        await trained(pilot)
        await pilot.press("p")
        a.apply_change("epochs", 4)
        await pilot.press("r")
        await wait_for(pilot, lambda: a.ready is not None and a.snapshot.epochs == 4)
        await pilot.press("space")
        await wait_for(pilot, lambda: a.snapshot.finished)
        await pilot.pause(0.3)
        a.redraw(force=True)
        await pilot.pause(0.1)
        text = a.query_one(LossChart).render().plain
        assert "pins cut at 4" in text
        ticks = text.split("\n")[next(i for i, row in enumerate(text.split("\n")) if "└" in row) + 1].split()
        assert ticks[-1] == "4", ticks  # the axis ends at the run's last epoch, not the pin's 8


async def test_a_change_to_a_finished_run_is_said_at_once_and_the_help_calls_it_pending(monkeypatch):
    """At 80×24 beside a long comparison name, ] on a finished run had changed nothing on screen;
    the help's "this run, now" had shown the pending λ as the run's."""
    from wdtui.app.screens.help import HelpScreen

    a = app(compare=True, epochs=3)
    async with a.run_test(size=(80, 24)) as pilot:
        await trained(pilot)
        said = []
        monkeypatch.setattr(a, "notify", lambda message, **kw: said.append(message))
        await pilot.press("right_square_bracket")
        assert said and said[-1] == f"λ → {a.lam:.4g}: the run is finished; it trains with it if epochs are raised"
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        help_text = "\n".join(str(part) for part in a.screen.parts)
        assert isinstance(a.screen, HelpScreen)
        assert f"λ = {a.lam:.4g} (pending)" in help_text and "trained with coupled λ=0.01" in help_text


async def test_a_diverged_comparison_stops_alone_and_the_run_goes_on_when_epochs_are_raised(monkeypatch):
    """SGD with η·λ = 10 blows the comparison up; the run is not the one that diverged: space
    says it is finished (not "the run diverged"), and raising epochs continues it."""
    a = WdtuiApp(make_config("sine", optimizer="sgd", lr=0.01, epochs=5), comparison=Run("coupled", 1000.0),
                 deterministic=True)
    async with a.run_test(size=(120, 40)) as pilot:
        await trained(pilot)
        assert a.snapshot.records[1].diverged and not a.snapshot.records[0].diverged
        said = []
        monkeypatch.setattr(a, "notify", lambda message, **kw: said.append(message))
        await pilot.press("space")
        assert said and said[-1].startswith("the run is finished (epoch 5/5)")
        a.apply_change("epochs", 8)
        await wait_for(pilot, lambda: epoch(a) == 8)
        assert a.snapshot.records[1].diverged
