"""How a sweep chooses λ: the validation set, the statistics over seeds, the verdict against
λ = 0, and the regularization path of linear models."""

import json
import math
import statistics

import numpy as np
import pytest
import torch
from conftest import trained

from wdtui.cli.main import main
from wdtui.engine.config import make_config
from wdtui.engine.experiment import build_experiment
from wdtui.engine.sweeps.ridge import ridge_solution, ridge_weights_at
from wdtui.engine.sweeps.sweep import SweepResult
from wdtui.engine.sweeps.validation import VAL_FRACTION, validation_seed
from wdtui.engine.training.batched import BatchedTrainer, SweepRecord, sweep_trainer


def built(preset, validation=True, **overrides):
    return build_experiment(make_config(preset, **overrides), validation=validation)


def swept(exps, lambdas, regularizer=None):
    trainer = sweep_trainer(exps, lambdas, regularizer)
    result = SweepResult(lambdas, len(exps), exps[0].config.epochs)
    while not trainer.done:
        record = trainer.run_epoch(measure=trainer.epoch + 1 == trainer.epochs)
        if record is not None:
            result.add(record)
    return result


# --- the validation set ----------------------------------------------------------------------------

@pytest.mark.parametrize("preset", ["sine", "sine-overfit", "d2l", "quadratic", "sparse"])
def test_generated_validation_set_leaves_training_and_test_sets_bit_identical(preset):
    plain, with_val = built(preset, validation=False, seed=3), built(preset, seed=3)
    for name in ("x_train", "y_train", "x_test", "y_test"):
        assert torch.equal(getattr(plain.data, name), getattr(with_val.data, name)), name
    assert plain.data.x_val is None
    x_val, y_val = with_val.data.x_val, with_val.data.y_val
    assert x_val.shape[1:] == plain.data.x_test.shape[1:] and len(x_val) == len(plain.data.x_test)
    assert y_val.shape == (len(x_val), 1)
    # fresh draws: no validation point is a training or test point
    assert not any(torch.equal(x_val[0], x) for x in torch.cat([plain.data.x_train, plain.data.x_test]))
    again = built(preset, seed=3)
    assert torch.equal(again.data.x_val, x_val) and torch.equal(again.data.y_val, y_val)  # seeded
    assert not torch.equal(built(preset, seed=4).data.y_val, y_val)  # another seed, another set


def test_generated_validation_set_comes_from_the_data_distribution():
    # d2l: y = 0.05 + Σ 0.01·xᵢ + N(0, 0.01²): the residuals against the true model are the noise
    exp = built("d2l", dtype="float64", n_test=2000)
    data = exp.data
    residual = data.y_val.reshape(-1) - (data.x_val @ data.true_weights + 0.05)
    assert abs(float(residual.std()) - exp.config.noise) < 0.1 * exp.config.noise
    # sine: x uniform on [0, 2π] like the test set
    sine = built("sine", n_test=2000).data
    assert 0 <= float(sine.x_val.min()) and float(sine.x_val.max()) <= 2 * math.pi
    assert abs(float(sine.x_val.mean()) - math.pi) < 0.15


def test_validation_seed_is_not_another_seed_shifted():
    seeds = {validation_seed(s) for s in range(1000)}
    assert len(seeds) == 1000 and not seeds & set(range(100_000))


def test_digits_sweep_holds_out_a_seeded_fifth_of_the_training_rows():
    plain, with_val = built("digits", validation=False), built("digits")
    n = len(plain.data.x_train)
    n_val = round(VAL_FRACTION * n)
    assert len(with_val.data.x_val) == n_val and len(with_val.data.x_train) == n - n_val
    assert with_val.config.n_train == n - n_val  # the resolved config says what the sweep trains on
    assert torch.equal(plain.data.x_test, with_val.data.x_test)  # the test set is untouched
    rows = lambda x: {tuple(r.reshape(-1).tolist()) for r in x}  # noqa: E731
    train, val, original = rows(with_val.data.x_train), rows(with_val.data.x_val), rows(plain.data.x_train)
    assert not train & val and train | val == original
    assert torch.equal(built("digits").data.y_val, with_val.data.y_val)


def test_a_training_set_too_small_to_hold_out_is_refused(tmp_path):
    from wdtui.engine.config import ConfigError

    path = tmp_path / "tiny.npz"
    np.savez(path, x_train=np.ones((2, 3)), y_train=np.array([0.5, 1.5]), x_test=np.ones((2, 3)),
             y_test=np.array([1.0, 2.0]))
    with pytest.raises(ConfigError) as error:
        build_experiment(make_config("custom", data=str(path)), validation=True)
    assert error.value.field == "n_train" and "validation" in error.value.message


@pytest.mark.parametrize("preset,regularizer", [("sine", "coupled"), ("d2l", "l2")])
def test_each_copys_validation_loss_is_its_own_runs(preset, regularizer):
    exps = [built(preset, epochs=10, dtype="float64", seed=s) for s in range(2)]
    lambdas = [0.0, 0.03, 0.3]
    sweep = BatchedTrainer(exps, lambdas, regularizer)
    while not sweep.done:
        record = sweep.run_epoch()
    for s, exp in enumerate(exps):
        for i, lam in enumerate(lambdas):
            single = trained(exp, regularizer, lam).last_record
            assert math.isclose(record.val_loss[s * 3 + i], single.val_loss, rel_tol=1e-10)
            # and by hand: the mean squared error on the validation set
            model = trained(exp, regularizer, lam).model
            with torch.no_grad():
                by_hand = float(torch.nn.functional.mse_loss(model(exp.data.x_val), exp.data.y_val))
            scale = 0.5 if exp.config.loss == "half_mse" else 1.0
            assert math.isclose(single.val_loss, scale * by_hand, rel_tol=1e-10)


def test_looped_sweep_measures_the_validation_set_too():
    exp = built("digits", device="cpu", epochs=1, n_train=80, n_test=40, batch_size=32)
    result = swept([exp], [0.0, 0.1])
    assert len(result.last.val_loss) == 2 and all(v > 0 for v in result.last.val_loss)
    assert result.best_lambda in (0.0, 0.1)


# --- statistics over seeds -------------------------------------------------------------------------

def _result(val, test, seeds):
    """A finished sweep over λ = 0, 0.1, 1 with the given per-copy losses (k = s·3 + l)."""
    k = len(val)
    record = SweepRecord(epoch=1, train_loss=[0.0] * k, test_loss=test, weight_norm=[1.0] * k, penalty=[0.0] * k,
                         zeros=[0] * k, diverged=[False] * k, val_loss=val)
    result = SweepResult([0.0, 0.1, 1.0], seeds, 1)
    result.add(record)
    return result


def test_mean_standard_error_and_paired_difference_are_computed_per_lambda():
    val = [1.0, 0.8, 0.9,   2.0, 1.9, 2.1,   3.0, 2.7, 3.2]  # seed-to-seed spread ≫ λ's effect
    result = _result(val, [v + 0.1 for v in val], 3)
    s = result.spreads()["val_loss"]
    for l in range(3):
        column = [val[seed * 3 + l] for seed in range(3)]
        assert math.isclose(s.mean[l], statistics.fmean(column))
        assert math.isclose(s.std[l], statistics.stdev(column))
        assert math.isclose(s.sem[l], statistics.stdev(column) / math.sqrt(3))
    assert s.per_seed == [val[0:3], val[3:6], val[6:9]]
    paired = result.paired("val_loss")
    d = [[val[seed * 3 + l] - val[seed * 3] for seed in range(3)] for l in range(3)]
    for l in range(3):
        assert math.isclose(paired.mean[l], statistics.fmean(d[l]), abs_tol=1e-15)
    assert paired.mean[0] == 0 and paired.sem[0] == 0
    assert math.isclose(paired.sem[1], statistics.stdev(d[1]) / math.sqrt(3))
    # λ = 0.1 is lower on every seed: the paired difference sees it, the unpaired spread does not
    # (the best's unpaired SE, 0.55, had put every λ within 1 SE of it, λ = 0 too, beside "0.1
    # beats λ = 0"); paired with the best, λ = 0 is above it by 0.2 ± 0.058 and λ = 1 by 0.27 ± 0.12
    assert result.best_lambda == 0.1 and result.best_range == (0.1, 0.1)
    assert result.beats_zero() == [False, True, False]
    assert result.within_one_se() == [False, True, False]
    assert "no other λ within 1 SE of the best (paired)" in result.verdict()


def test_the_best_is_chosen_on_validation_loss_not_on_test_loss():
    val = [0.5, 0.3, 0.4]
    result = _result(val, [0.5, 0.4, 0.1], 1)  # the test set would pick λ = 1
    assert result.best_lambda == 0.1
    assert result.best_range is None and result.beats_zero() is None  # one seed: no error bars


def test_sweep_json_exports_seeds_errors_paired_differences_and_the_range(tmp_path):
    out = tmp_path / "sweep.json"
    assert main(["sweep", "--preset", "sine", "--lambdas", "0.01", "1", "--seeds", "3", "--epochs", "5",
                 "--quiet", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["lambdas"] == [0.0, 0.01, 1.0]  # λ = 0 added as the reference
    final = doc["final"]
    for key in ("train_loss", "val_loss", "test_loss", "weight_norm", "zeros"):
        assert len(final[key]) == 3 and len(final["std"][key]) == 3 and len(final["sem"][key]) == 3
        assert len(final["per_seed"][key]) == 3 and all(len(row) == 3 for row in final["per_seed"][key])
        for l in range(3):
            column = [row[l] for row in final["per_seed"][key]]
            assert math.isclose(final[key][l], statistics.fmean(column), rel_tol=1e-12)
    for key in ("val_loss", "test_loss"):
        seeds = final["per_seed"][key]
        diffs = [[row[l] - row[0] for row in seeds] for l in range(3)]
        assert all(math.isclose(final["paired_vs_zero"][key]["mean"][l], statistics.fmean(diffs[l]), abs_tol=1e-12)
                   for l in range(3))
    best = min(range(3), key=lambda l: final["val_loss"][l])
    assert doc["best_lambda"] == doc["lambdas"][best]
    # within 1 SE: above the best by at most one SE of the paired difference
    seeds = final["per_seed"]["val_loss"]
    diffs = [[row[l] - row[best] for row in seeds] for l in range(3)]
    inside = [lam for lam, d in zip(doc["lambdas"], diffs)
              if statistics.fmean(d) <= statistics.stdev(d) / math.sqrt(3) + 1e-12]
    assert doc["best_range"] == [min(inside), max(inside)]
    assert doc["config"]["validation"] == {"kind": "drawn", "n_val": 100, "n_train": 100}
    assert len(doc["history"]["val_loss"]) == 5


def test_sine_no_lambda_beats_zero_measured_over_seeds(capsys):
    """sine (the PyTorch demo): decay does not help on 100 points with noise 0.1 — every λ's
    paired validation loss is above λ = 0's."""
    exps = [built("sine", epochs=200, seed=s) for s in range(3)]
    result = swept(exps, [0.0, 0.001, 0.01, 0.1])
    assert result.best_lambda == 0.0
    assert result.beats_zero() == [False] * 4
    assert all(m > 0 for m in result.paired("val_loss").mean[1:])
    assert main(["sweep", "--preset", "sine", "--lambdas", "0.001", "0.01", "0.1", "--epochs", "200",
                 "--seeds", "3", "--quiet"]) == 0
    assert "no λ beats λ = 0 (paired, 3 seeds)" in capsys.readouterr().out


def test_sine_overfit_lambda_beats_zero_measured_over_seeds():
    """sine-overfit (20 points, noise 0.3): λ = 1e-3 lowers the validation loss against λ = 0
    by more than two paired standard errors over 5 seeds, and the test loss with it."""
    exps = [built("sine-overfit", seed=s) for s in range(5)]
    result = swept(exps, [0.0, 1e-3])
    assert result.best_lambda == 1e-3
    assert result.beats_zero() == [False, True]
    test = result.paired("test_loss")
    assert test.mean[1] < 0


# --- the regularization path -----------------------------------------------------------------------

PATH_LAMBDAS = [0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]


def test_l1_path_reaches_exact_zeros_one_after_another_l2_shrinks_without_zeros():
    exp = built("sparse", dtype="float64")
    l1 = swept([exp], PATH_LAMBDAS, "l1")
    zeros = l1.spreads()["zeros"].mean
    assert zeros[0] == 0 and zeros[-1] == 50
    assert all(a <= b for a, b in zip(zeros, zeros[1:]))
    assert len({z for z in zeros if 0 < z < 50}) >= 4  # weights leave one after another
    weights = l1.weights()
    assert [sum(w == 0.0 for w in ws) for ws in weights] == zeros  # exact zeros in the path itself
    l2 = swept([exp], PATH_LAMBDAS, "l2")
    assert l2.spreads()["zeros"].mean == [0] * len(PATH_LAMBDAS)
    norms = [float(np.linalg.norm(w)) for w in l2.weights()]
    assert all(a > b for a, b in zip(norms, norms[1:]))


def test_l1_path_matches_lasso_where_converged():
    from sklearn.linear_model import Lasso

    exp = built("sparse", dtype="float64")
    result = swept([exp], [0.3, 1.0, 3.0], "l1")
    x, y = exp.data.x_train.numpy(), exp.data.y_train.numpy().reshape(-1)
    for lam, w in zip(result.lambdas, result.weights()):
        lasso = Lasso(alpha=lam / 2, tol=1e-12, max_iter=100_000).fit(x, y)  # mse: α = λ/2
        assert np.allclose(w, lasso.coef_, atol=1e-6)
        assert [v == 0 for v in w] == [v == 0 for v in lasso.coef_]


def test_ridge_closed_form_equals_sklearn_and_the_converged_l2_path():
    from sklearn.linear_model import Ridge

    exp = built("sparse", dtype="float64")
    x, y = exp.data.x_train.numpy(), exp.data.y_train.numpy().reshape(-1)
    for lam in (0.1, 1.0, 10.0):
        w, b = ridge_solution(x, y, lam, loss_scale=1.0)
        ridge = Ridge(alpha=len(x) * lam / 2, tol=1e-14).fit(x, y)  # mse: α = nλ/2
        assert np.allclose(w, ridge.coef_, rtol=1e-9, atol=1e-12) and math.isclose(b, ridge.intercept_, abs_tol=1e-9)
    w_half, _ = ridge_solution(x, y, 1.0, loss_scale=0.5)  # ½·MSE: α = nλ
    assert np.allclose(w_half, Ridge(alpha=len(x) * 1.0, tol=1e-14).fit(x, y).coef_, rtol=1e-9, atol=1e-12)
    result = swept([exp], [1.0, 3.0, 10.0], "l2")
    for trained_w, closed in zip(result.weights(), ridge_weights_at(exp, result.lambdas)):
        assert np.allclose(trained_w, closed, atol=1e-8)


def test_batched_path_equals_single_runs():
    exps = [built("sparse", dtype="float64", epochs=20, seed=s) for s in range(2)]
    lambdas = [0.0, 0.1, 1.0]
    sweep = BatchedTrainer(exps, lambdas, "l1")
    while not sweep.done:
        record = sweep.run_epoch()
    for s, exp in enumerate(exps):
        for i, lam in enumerate(lambdas):
            single = trained(exp, "l1", lam)
            alone = single.measure(detail=True).weights
            assert np.allclose(record.weights[s * 3 + i], alone, rtol=1e-10, atol=1e-14)
    result = SweepResult(lambdas, 2, 20)
    result.add(record)
    assert result.weights() == [list(w) for w in record.weights[:3]]  # the path is seed 0's


def test_sweep_json_has_the_path_of_a_linear_model(tmp_path):
    out = tmp_path / "path.json"
    assert main(["sweep", "--preset", "sparse", "--regularizer", "l2", "--lambdas", "0.1", "1",
                 "--epochs", "50", "--quiet", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert len(doc["final"]["weights"]) == 3 and all(len(w) == 50 for w in doc["final"]["weights"])
    assert len(doc["final"]["ridge_weights"]) == 3 and doc["final"]["zeros"] == [0, 0, 0]
    exp = built("sparse")
    closed = ridge_weights_at(exp, [0.0, 0.1, 1.0])
    assert np.allclose(doc["final"]["ridge_weights"][2], closed[2], rtol=1e-6)
    out_l1 = tmp_path / "l1.json"
    assert main(["sweep", "--preset", "sparse", "--lambdas", "0.1", "--epochs", "5", "--quiet",
                 "--out", str(out_l1)]) == 0
    assert "ridge_weights" not in json.loads(out_l1.read_text())["final"]  # l1: no closed form here


def test_the_verdict_says_how_many_of_the_lambdas_in_its_range_beat_zero():
    """'4 λ, 1.78e-05 … 0.001' read as 'all of these' for a range holding 9 ladder λ."""
    lambdas = [0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]
    beats = {1e-4, 1e-2, 1e-1, 1.0}  # lower than λ = 0 by 0.1 on every seed; 1e-3 and 10 are not
    noise = [0.0, 0.03, -0.02]
    val = [1.0 + s + noise[i] * (j % 2) - (0.1 if lam in beats else 0.0) + (0.02 * i if lam not in beats and lam else 0.0)
           for s, i in zip((0.0, 0.5, 1.0), range(3)) for j, lam in enumerate(lambdas)]
    k = len(val)
    record = SweepRecord(epoch=1, train_loss=[0.0] * k, test_loss=val, weight_norm=[1.0] * k, penalty=[0.0] * k,
                         zeros=[0] * k, diverged=[False] * k, val_loss=val)
    result = SweepResult(lambdas, 3, 1)
    result.add(record)
    assert [lam for lam, ok in zip(lambdas, result.beats_zero()) if ok] == sorted(beats)
    assert "beat λ = 0 by > 2 SE (paired, 3 seeds): 4 of the 5 λ in 0.0001 … 1" in result.verdict()


def test_a_best_that_lambda_0_matches_to_the_digits_shown_or_at_an_end_of_the_range_is_said_so():
    """digits at 30 epochs, one seed: λ = 1e-5 'best' with val 2.283534 against λ = 0's 2.283539
    read as 'a little decay helps'; a best at the smallest λ > 0 may lie below the range."""
    result = _result([0.50001, 0.5, 0.7], [0.5, 0.5, 0.7], 1)
    assert result.verdict()[0] == "best λ by val loss: 0.1 (val 0.5, test 0.5; λ = 0 prints alike; " \
                                  "the smallest λ > 0 swept: a smaller one may do better)"
    result = _result([0.6, 0.7, 0.5], [0.6, 0.7, 0.5], 1)
    assert result.verdict()[0] == "best λ by val loss: 1 (val 0.5, test 0.5; the largest λ swept: a larger one may do better)"
    assert _result([0.5, 0.5, 0.5], [0.5] * 3, 1).verdict()[0] == "best λ by val loss: 0 (val 0.5, test 0.5)"
    middle = SweepResult([0.0, 0.01, 0.1, 1.0], 1, 1)
    middle.add(SweepRecord(epoch=1, train_loss=[0.0] * 4, test_loss=[0.4] * 4, weight_norm=[1.0] * 4,
                           penalty=[0.0] * 4, zeros=[0] * 4, diverged=[False] * 4, val_loss=[0.6, 0.55, 0.5, 0.7]))
    assert middle.verdict()[0] == "best λ by val loss: 0.1 (val 0.5, test 0.4)"


def test_a_sweep_document_says_how_far_it_got():
    """An export of a sweep still training read as a finished one (review 14a M9)."""
    result = _result([0.5, 0.4, 0.6], [0.5, 0.4, 0.6], 1)
    assert result.to_dict({})["finished"] is True and result.to_dict({})["epoch"] == 1
    early = SweepResult([0.0, 0.1, 1.0], 1, 10)
    early.add(result.last)
    assert early.to_dict({})["finished"] is False and early.to_dict({})["epoch"] == 1


def test_a_classifier_sweep_at_chance_says_no_lambda_has_learned_yet():
    """digits at 30 epochs: every λ at 8.8 % test accuracy; its 'best λ' was a choice between
    guesses (review 14a M7)."""
    def sweep(accuracy):
        result = SweepResult([0.0, 0.1, 1.0], 1, 30, classes=10)
        result.add(SweepRecord(epoch=30, train_loss=[2.3] * 3, test_loss=[2.3] * 3, weight_norm=[1.0] * 3,
                               penalty=[0.0] * 3, zeros=[0] * 3, diverged=[False] * 3, val_loss=[2.31, 2.30, 2.302],
                               test_accuracy=accuracy))
        return result.verdict()

    assert "no λ has learned yet: every test accuracy is within 2 points of chance (10 %)" in sweep([0.088, 0.09, 0.1])[1]
    assert not any("learned" in line for line in sweep([0.088, 0.35, 0.1]))  # one λ learned: a real choice
    assert _result([0.5, 0.4, 0.6], [0.5] * 3, 1).at_chance() is None  # regression: no chance level
