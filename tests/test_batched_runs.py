"""``wdtui run``'s runs as one batched model: each copy is exactly its lone run (float64, 1e-10),
with its own regularizer and λ, its own history end when it diverges, its own saved weights."""

import json

import pytest
import torch
from conftest import experiment

from wdtui.cli.main import main
from wdtui.engine.training.batched_runs import BatchedRuns
from wdtui.engine.training.trainer import Trainer


def _rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def _close(a, b):
    assert a.epoch == b.epoch and a.regularizer == b.regularizer and a.lam == b.lam and a.diverged == b.diverged
    assert a.dropout == b.dropout
    for key in ("train_loss", "test_loss", "weight_norm"):
        assert _rel(getattr(a, key), getattr(b, key)) <= 1e-10, key
    assert a.zeros == b.zeros
    assert (a.train_accuracy, a.test_accuracy) == (b.train_accuracy, b.test_accuracy)  # counts / N: exact
    assert (a.penalty is None) == (b.penalty is None)
    if b.penalty is not None:
        assert _rel(a.penalty, b.penalty) <= 1e-10
    assert a.layer_norms.keys() == b.layer_norms.keys() and a.angular_update.keys() == b.angular_update.keys()
    for name in b.layer_norms:
        assert _rel(a.layer_norms[name], b.layer_norms[name]) <= 1e-10
    for name in b.angular_update:
        assert abs(a.angular_update[name] - b.angular_update[name]) <= 1e-10 * max(b.angular_update[name], 1e-3)


def _batched_records(exp, runs, dropouts=None) -> list[list]:
    """Each run's records from one BatchedRuns (a copy that has ended yields None)."""
    got = [[] for _ in runs]
    for records in BatchedRuns(exp, runs, dropouts).records():
        for k, record in enumerate(records):
            if record is not None:
                got[k].append(record)
    return got


@pytest.mark.parametrize("preset,runs", [
    ("sine", [("coupled", 0.1), ("coupled", 0.01), ("decoupled", 0.1), ("l2", 0.03), ("l1", 0.001),
              ("l1-subgradient", 0.01), ("none", 0.0)]),
    ("d2l", [("l2", 0.0), ("l2", 3.0), ("coupled", 1.0)]),  # mini-batches, SGD
    ("quadratic", [("coupled", 0.01), ("decoupled", 0.1)]),  # LayerNorm
    ("sparse", [("l1", 0.2), ("l2", 0.2)]),  # exact zeros
    ("digits", [("coupled", 0.0), ("coupled", 0.01), ("decoupled", 0.05)]),  # CNN, cross-entropy, accuracy
])
def test_each_batched_run_equals_its_lone_run(preset, runs):
    small = {"n_train": 64, "n_test": 64} if preset == "digits" else {}
    exp = experiment(preset, epochs=12, dtype="float64", **small)
    got = _batched_records(exp, runs)
    for k, (regularizer, lam) in enumerate(runs):
        lone = list(Trainer(exp, regularizer, lam).records())
        assert [r.epoch for r in got[k]] == [r.epoch for r in lone] and lone[-1].epoch == 12  # its schedule
        for a, b in zip(got[k], lone):
            _close(a, b)
    assert len({round(r[-1].weight_norm, 9) for r in got}) == len(runs)  # the copies differ


def test_batched_dropout_runs_draw_their_lone_runs_masks():
    """The dropout preset's comparison and a third p: each copy's masks come from its run's own
    generator, so each copy is its lone run (which draws from the same generator)."""
    exp = experiment("dropout", epochs=4, n_train=64, n_test=64, batch_size=16, dtype="float64")
    runs, dropouts = [("none", 0.0), ("coupled", 0.01), ("coupled", 0.01)], [None, 0.0, 0.3]
    got = _batched_records(exp, runs, dropouts)
    for k, ((regularizer, lam), p) in enumerate(zip(runs, dropouts)):
        lone = list(Trainer(exp, regularizer, lam, p).records())
        assert [r.epoch for r in got[k]] == [r.epoch for r in lone] == [1, 2, 3, 4]
        for a, b in zip(got[k], lone):
            _close(a, b)
    assert [r[-1].dropout for r in got] == [0.5, 0.0, 0.3]
    assert got[1][-1].train_loss != got[2][-1].train_loss  # the same run but its dropout


def test_a_diverging_batched_run_ends_where_its_lone_run_ends():
    exp = experiment("sine", epochs=30, dtype="float64")
    runs = [("coupled", 0.01), ("decoupled", 300.0)]  # w·(1 − 0.01·300) = −2w every step
    got = _batched_records(exp, runs)
    lone = [list(Trainer(exp, *run).records()) for run in runs]
    assert lone[1][-1].diverged and len(lone[1]) < 30
    assert [r.epoch for r in got[1]] == [r.epoch for r in lone[1]] and got[1][-1].diverged
    assert len(got[0]) == 30 and not got[0][-1].diverged
    _close(got[0][-1], lone[0][-1])


def test_wdtui_run_batches_its_runs_and_writes_what_lone_runs_write(tmp_path, capsys):
    both, models = tmp_path / "both.json", tmp_path / "both.pt"
    args = ["--preset", "sine", "--epochs", "20", "--dtype", "float64", "--quiet"]
    assert main(["run", *args, "--regularizer", "coupled", "decoupled", "--lambdas", "0.01",
                 "--out", str(both), "--save-model", str(models)]) == 0
    err = capsys.readouterr().err
    assert "2 runs as one batched model" in err and "float32" not in err  # float64: every digit agrees
    assert main(["run", "--preset", "sine", "--epochs", "2", "--quiet", "--lambdas", "0", "0.01"]) == 0
    assert "2 runs as one batched model (float32: a copy rounds as its batched kernels do, and training can amplify" \
        " that" in capsys.readouterr().err  # README: measured 18.6 % in test loss on sine seed 0
    runs = json.loads(both.read_text())["runs"]
    saved = torch.load(models, weights_only=True)
    for i, regularizer in enumerate(("coupled", "decoupled")):
        alone, alone_model = tmp_path / f"{regularizer}.json", tmp_path / f"{regularizer}.pt"
        assert main(["run", *args, "--regularizer", regularizer, "--lambdas", "0.01", "--out", str(alone),
                     "--save-model", str(alone_model)]) == 0
        lone = json.loads(alone.read_text())["runs"][0]
        assert runs[i]["regularizer"] == regularizer and runs[i]["measured_epochs"] == lone["measured_epochs"]
        assert runs[i]["history"]["epoch"] == lone["history"]["epoch"]
        for key in ("train_loss", "test_loss", "weight_norm"):
            assert all(_rel(a, b) <= 1e-10 for a, b in zip(runs[i]["history"][key], lone["history"][key]))
        lone_state = torch.load(alone_model, weights_only=True)["state_dicts"][0]
        assert saved["state_dicts"][i].keys() == lone_state.keys()
        for name, value in lone_state.items():
            assert torch.allclose(saved["state_dicts"][i][name], value, rtol=1e-10, atol=1e-12)


def test_wdtui_run_batches_classifier_and_dropout_runs_with_their_accuracies(tmp_path, capsys):
    out = tmp_path / "dropout.json"
    """The dropout preset's comparison (dropout 0.5 at λ = 0, λ = 0.01 without dropout) as one
    batched model, each run's accuracies and dropout those of the run alone."""
    args = ["run", "--preset", "dropout", "--n-train", "32", "--n-test", "32", "--batch-size", "16", "--epochs", "2",
            "--dtype", "float64", "--quiet"]
    assert main([*args, "--out", str(out)]) == 0
    assert "2 runs as one batched model" in capsys.readouterr().err
    alone = tmp_path / "alone.json"
    assert main([*args, "--regularizer", "none", "--lambdas", "0", "--out", str(alone)]) == 0
    batched, lone = json.loads(out.read_text())["runs"][0], json.loads(alone.read_text())["runs"][0]
    assert batched["dropout"] == lone["dropout"] == 0.5
    for key in ("train_accuracy", "test_accuracy"):
        assert batched["history"][key] == lone["history"][key] and len(lone["history"][key]) == 2


def test_batched_runs_make_the_forward_passes_of_a_lone_run_and_redo_one_after_a_change():
    """Full batch, no dropout: as the lone trainer, each epoch evaluates train (with autograd on)
    and test, and the next step takes the training pass: 2 forward passes per epoch, none made
    by the step; a parameter changed in between (its version moves) makes the step run its own."""
    exp = experiment("sine", epochs=6, dtype="float64", n_train=20, n_test=20)
    runs = BatchedRuns(exp, [("coupled", 0.01), ("coupled", 0.0)])
    model, calls = runs.batch.model, []

    def counted(x, train=False):
        calls.append(train)
        return model(x, train)

    runs.batch.model = counted
    for _ in range(3):
        assert runs.run_epoch() is not None
    assert calls == [False, False] * 3  # measured each epoch; no step made a pass of its own
    with torch.no_grad():
        runs.batch.params["2.bias"].add_(0.0)  # in place: the kept pass is no longer this model's
    calls.clear()
    runs.run_epoch()
    assert calls == [True, False, False]
    lone = Trainer(exp, "coupled", 0.0)
    for _ in range(4):
        lone.run_epoch()
    again = BatchedRuns(exp, [("coupled", 0.01), ("coupled", 0.0)])
    for _ in range(4):
        records = again.run_epoch()
    _close(records[1], lone.last_record)


@pytest.mark.parametrize("preset,n", [("sine", 37), ("d2l", 20)])  # mse, half_mse
def test_the_summed_squared_loss_gives_each_copy_its_lone_gradient_to_the_last_bit(preset, n):
    exp = experiment(preset, epochs=1, n_train=n)
    batch = BatchedRuns(exp, [("coupled", 0.0)] * 3).batch
    pred = torch.randn(3, n, 1, requires_grad=True)
    summed, = torch.autograd.grad(batch._loss_sum(pred, exp.data.y_train), pred)
    for k in range(3):
        alone = pred[k].detach().clone().requires_grad_()
        lone, = torch.autograd.grad(batch.loss_fn(alone, exp.data.y_train), alone)
        assert torch.equal(summed[k], lone)
