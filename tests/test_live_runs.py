"""The app's run and comparison as one batched model (LiveRuns): each copy's records, detail fields
included, equal its lone trainer's under train_together (float64, 1e-10), across live changes of
one copy's λ and regularizer and of the shared lr and epoch count; the app's worker batches the
pair and keeps the same histories as with lone trainers."""

import threading

import pytest
from conftest import experiment

from wdtui.app.messages import Progress
from wdtui.app.session import TrainingSession
from wdtui.engine.lessons.presets import Run
from wdtui.engine.training import live_runs
from wdtui.engine.training.control import Control
from wdtui.engine.training.live_runs import LiveRuns, batches_live
from wdtui.engine.training.trainer import Trainer, train_together


def _rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def _same(a, b):
    """Record a (a batched copy's) equals record b (its lone run's) to 1e-10."""
    for key in ("epoch", "regularizer", "lam", "lr", "dropout", "diverged", "zeros", "train_accuracy",
                "test_accuracy"):
        assert getattr(a, key) == getattr(b, key), key
    for key in ("train_loss", "test_loss", "weight_norm"):
        assert _rel(getattr(a, key), getattr(b, key)) <= 1e-10, key
    assert (a.penalty is None) == (b.penalty is None) and (b.penalty is None or _rel(a.penalty, b.penalty) <= 1e-10)
    for name, value in b.angular_update.items():
        assert abs(a.angular_update[name] - value) <= 1e-10 * max(value, 1e-3)
    for key in ("prediction", "train_prediction", "test_prediction", "weights"):
        mine, lone = getattr(a, key), getattr(b, key)
        assert (mine is None) == (lone is None), key
        if lone is not None:
            assert len(mine) == len(lone) and all(abs(u - v) <= 1e-10 * max(1.0, abs(v)) for u, v in zip(mine, lone))
    assert a.confusion == b.confusion
    for key in ("histograms", "grad_histograms"):
        mine, lone = getattr(a, key), getattr(b, key)
        assert (mine is None) == (lone is None) and (lone is None or mine.keys() == lone.keys()), key
        for name, h in (lone or {}).items():
            # counted in float32: a value within rounding of a bin edge may fall in the next bin
            assert all(abs(u - v) <= 1e-6 * max(1.0, abs(v)) for u, v in zip(mine[name].edges, h.edges))
            assert sum(abs(u - v) for u, v in zip(mine[name].counts, h.counts)) <= 2


def _records(trainers, train, changes):
    """Every yielded tuple of records; ``changes[epoch]`` (a function of the control) is asked for
    once the records of that epoch are out, so it applies from the next epoch on."""
    control = Control()
    got = []
    for records in train(control):
        got.append(list(records))
        if records[0].epoch in changes:
            changes[records[0].epoch](control)
    return got


SMALL = {"n_train": 60, "n_test": 100, "batch_size": 20}


@pytest.mark.parametrize("preset,runs,dropouts,epochs,small", [
    ("sine", [("coupled", 0.01), ("coupled", 0.0)], None, 10, {}),  # Adam, full batch, plotting grid
    ("d2l", [("l2", 3.0), ("l2", 0.0)], None, 6, {}),  # SGD in mini-batches, a linear model's weights
    ("sparse", [("l1", 0.2), ("l2", 0.2)], None, 8, {}),  # exact zeros, l1 beside l2
    ("digits", [("coupled", 0.01), ("coupled", 0.0)], None, 6, SMALL),  # a CNN classifier: accuracies, confusion
    ("dropout", [("coupled", 0.01), ("none", 0.0)], [0.0, 0.5], 6, SMALL),  # one copy with dropout masks
])
def test_each_live_copy_equals_its_lone_trainer_across_live_changes(preset, runs, dropouts, epochs, small):
    exp = experiment(preset, epochs=epochs, dtype="float64", **small, **({"dropout": 0.5} if dropouts else {}))
    changes = {2: lambda c: c.set_lambda(runs[0][1] * 3 + 0.01),
               4: lambda c: (c.set_regularizer("decoupled"), c.set_lr(exp.config.lr / 2)),
               epochs - 1: lambda c: c.set_epochs(epochs + 2)}
    shown = lambda epoch: epoch % 2 == 0  # noqa: E731  (the detail fields on every other epoch)
    lone = [Trainer(exp, *run, dropout=p) for run, p in zip(runs, dropouts or [None] * len(runs))]
    expected = _records(lone, lambda c: train_together(lone, c, detail=shown), dict(changes))
    live = LiveRuns(exp, runs, dropouts)
    got = _records(live.copy_views, lambda c: live.train_together(c, detail=shown), dict(changes))
    assert len(got) == len(expected) == epochs + 2
    for mine, theirs in zip(got, expected):
        for a, b in zip(mine, theirs):
            _same(a, b)
    assert got[-1][0].regularizer == "decoupled" and got[-1][1].regularizer == runs[1][0]  # λ, regularizer: the run's own
    assert [r[0].epoch for r in got if r[0].histograms is not None] == list(range(2, epochs + 3, 2))
    for view, trainer in zip(live.copy_views, lone):  # what the worker reads between epochs
        assert ((view.epoch, view.epochs, view.done, view.lam, view.dropout)
                == (trainer.epoch, trainer.epochs, trainer.done, trainer.lam, trainer.dropout))
        _same(view.measure(detail=True), trainer.measure(detail=True))


def test_a_live_copy_that_diverges_stops_there_while_its_comparison_goes_on():
    exp = experiment("sine", epochs=20, dtype="float64")
    runs = [("decoupled", 300.0), ("coupled", 0.0)]  # w·(1 − 0.01·300) = −2w every step
    lone = [Trainer(exp, *run) for run in runs]
    expected = list(train_together(lone, Control()))
    live = LiveRuns(exp, runs)
    got = list(live.train_together(Control()))
    assert lone[0].diverged and lone[0].epoch < 20 and len(got) == len(expected) == 20
    for mine, theirs in zip(got, expected):
        for a, b in zip(mine, theirs):
            assert a.epoch == b.epoch and a.diverged == b.diverged
            if not b.diverged:
                _same(a, b)
    view = live.copy_views[0]
    assert view.done and view.epoch == lone[0].epoch and view.measure(detail=True).histograms is not None


def test_pairs_batch_only_where_each_copy_can_be_its_lone_run():
    sine = experiment("sine", epochs=2)
    assert batches_live(sine, [Run("coupled", 0.01), Run("coupled", 0.0)])
    assert not batches_live(sine, [Run("coupled", 0.01), Run("coupled", 0.0, optimizer="sgd")])
    assert not batches_live(experiment("poly", epochs=2), [Run("l2", 0.01), Run("l2", 0.0)])  # exact solver
    dropout = [Run("coupled", 0.01, 0.0), Run("none", 0.0, 0.5)]
    assert batches_live(experiment("sine", epochs=2, dropout=0.5), dropout)
    # large steps (a CNN, the dropout preset's wide MLP): each copy adds its arithmetic, batched or not
    assert not batches_live(experiment("dropout", epochs=2, dropout=0.5), dropout)
    assert not batches_live(experiment("digits", epochs=2), [Run("coupled", 0.01), Run("coupled", 0.0)])
    layernorm = experiment("quadratic", epochs=2, batch_size=10)  # its angle per step is a lone trainer's
    assert not batches_live(layernorm, [Run("coupled", 0.01), Run("coupled", 0.1)])


def _session_results(preset: str, epochs: int):
    """The histories and last posted records of the app's worker for the preset's comparison."""
    from wdtui.app.session import preset_comparison
    from wdtui.engine.config import make_config

    config, comparison = preset_comparison(make_config(preset, epochs=epochs, dtype="float64"))
    finished = threading.Event()
    posts = []

    def post(message):
        posts.append(message)
        if isinstance(message, Progress) and message.snapshot.finished:
            finished.set()

    control = Control()
    session = TrainingSession(1, config, comparison, post, control)
    worker = threading.Thread(target=session.run)
    worker.start()
    assert finished.wait(60)
    control.cancel()
    worker.join(10)
    return session, posts[-1].snapshot.records


def test_the_app_worker_trains_its_pair_batched_with_the_histories_of_lone_trainers(monkeypatch):
    batched, last = _session_results("sine", 15)
    assert isinstance(batched._trainers[0], live_runs.RunCopy)
    monkeypatch.setattr(live_runs, "batches_live", lambda experiment, runs: False)
    lone, lone_last = _session_results("sine", 15)
    assert isinstance(lone._trainers[0], Trainer)
    for mine, theirs in zip(batched.results, lone.results):
        assert mine.length == theirs.length == 15
        for key in ("epoch", "lambda", "zeros"):
            assert list(mine.history[key]) == list(theirs.history[key])
        for key in ("train_loss", "test_loss", "weight_norm"):
            assert all(_rel(a, b) <= 1e-10 for a, b in zip(mine.history[key], theirs.history[key]))
    for a, b in zip(last, lone_last):
        _same(a, b)
