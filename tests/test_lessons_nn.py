"""The grokking and equilibrium presets' headlines (issue 13), at reduced sizes: the full
defaults are measured in ``benchmarks/lessons_nn.py``."""

from __future__ import annotations

import bisect
import math
import statistics

import pytest

from wdtui.engine.config import ConfigError, make_config
from wdtui.engine.experiment import build_experiment
from wdtui.engine.lessons import equilibrium as eq
from wdtui.engine.training.models import scale_invariant
from wdtui.engine.training.trainer import Trainer

# (a + b) mod 31 with 60 % of the 961 pairs for training, lr 0.01: the grokking preset made small
# (a smaller p needs a larger training share to generalize at all; p = 23 at 50 % did not).
GROK_SMALL = dict(modulus=31, n_train=577, n_test=384, lr=0.01, epochs=1500)
# (the preset's threads=1 is kept: two threads ran 30× slower on a loaded 2-core machine)


def first_epoch(history, key, level):
    return next((e for e, v in zip(history["epoch"], history[key]) if v >= level), None)


def run(config, lam=None, lr=None):
    experiment = build_experiment(config)
    trainer = Trainer(experiment, lam=lam)
    if lr is not None:
        trainer.set_lr(lr)
    from wdtui.engine.training.records import RunResult

    result = RunResult(trainer.regularizer.name, trainer.lam)
    for record in trainer.records():
        result.add(record)
    return result, trainer


def test_modular_addition_data_holds_every_pair_once_with_its_sum():
    from wdtui.engine.data.modular import modular_addition

    data = modular_addition(make_config("grokking", modulus=5, n_train=15, n_test=10))
    x = __import__("torch").cat([data.x_train, data.x_test])
    y = __import__("torch").cat([data.y_train, data.y_test])
    a, b = x[:, :5].argmax(1), x[:, 5:].argmax(1)
    assert sorted((a * 5 + b).tolist()) == list(range(25))
    assert ((a + b) % 5 == y).all() and data.classes == tuple("01234")
    assert x.sum(1).eq(2).all()  # two one-hot halves


def test_modulus_and_betas_are_checked():
    with pytest.raises(ConfigError, match="grokking only"):
        make_config("sine", modulus=7)
    with pytest.raises(ConfigError) as error:
        build_experiment(make_config("grokking", modulus=5, n_train=20, n_test=10))
    assert error.value.field == "n_train" and "25 pairs" in error.value.message
    with pytest.raises(ConfigError) as error:
        make_config("grokking", betas="0.9,1")
    assert error.value.field == "betas"
    assert make_config("grokking").betas == (0.9, 0.98)
    assert make_config("sine", betas="0.8, 0.9").to_dict()["betas"] == [0.8, 0.9]


def test_grokking_with_decay_generalizes_long_after_memorizing_and_without_decay_does_not():
    config = make_config("grokking", **GROK_SMALL)
    decayed, _ = run(config, lam=1.0)
    memorized = first_epoch(decayed.history, "train_accuracy", 0.99)
    generalized = first_epoch(decayed.history, "test_accuracy", 0.90)
    assert memorized is not None and generalized is not None
    assert generalized >= 2 * memorized  # measured: 50–54 and 950–1060 over seeds 0–2
    plain, _ = run(config, lam=0.0)
    assert plain.history["train_accuracy"][-1] >= 0.99
    assert plain.history["test_accuracy"][-1] <= 0.60  # measured 0.005
    # the decayed run ends with the smaller weights (measured about 65 against 100)
    assert decayed.history["weight_norm"][-1] < 0.8 * plain.history["weight_norm"][-1]


EQ_SMALL = dict(n_train=500, epochs=60)
TOLERANCE = 0.2  # the epoch-to-epoch spread of the RMS angle is about ±25 %; its mean over 30 epochs


def second_half(result) -> int:
    """Where the measured epochs of the run's second half start in its history (the history holds
    the measured epochs only: every one to 10, then on the measure schedule)."""
    return bisect.bisect_right(result.history["epoch"], result.epochs / 2)


def settled_ratio(result, config, lam=None, lr=None):
    """Per scale-invariant layer: mean over the last half of the epochs of measured / predicted."""
    predicted = eq.angular_update(config, lam, lr)
    half = second_half(result)
    return {name: statistics.fmean(values[half:]) / predicted
            for name, values in result.step_angular_update.items()}


def test_equilibrium_angular_update_per_step_is_the_predicted_one():
    config = make_config("equilibrium", **EQ_SMALL)
    result, trainer = run(config)
    assert sorted(result.step_angular_update) == sorted(scale_invariant(trainer.model)) == ["1.weight", "4.weight"]
    for name, ratio in settled_ratio(result, config).items():
        assert abs(ratio - 1) <= TOLERANCE, (name, ratio)


def test_equilibrium_norm_is_where_the_gradient_push_balances_the_decay():
    """‖(W, b)‖ against η·√(mean ‖g‖²)/√(2s − s²), with the gradient measured on mini-batches of
    the settled model (the same stream of batches the run would take next)."""
    import torch

    config = make_config("equilibrium", **EQ_SMALL)
    result, trainer = run(config)
    model, data = trainer.model, trainer.experiment.data
    params = dict(model.named_parameters())
    g = torch.Generator().manual_seed(1)
    squares = {name: [] for name in result.step_angular_update}
    for index in torch.randperm(len(data.x_train), generator=g).split(50):
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(data.x_train[index]), data.y_train[index]).backward()
        for name in squares:
            bias = params[name[:-len("weight")] + "bias"]
            squares[name].append(params[name].grad.norm() ** 2 + bias.grad.norm() ** 2)
    s = eq.shrink_per_step(config)
    for name, values in squares.items():
        bias = params[name[:-len("weight")] + "bias"]
        norm = math.sqrt(params[name].norm().item() ** 2 + bias.norm().item() ** 2)
        predicted = eq.equilibrium_norm(config.lr, s, math.sqrt(statistics.fmean(v.item() for v in values)))
        assert abs(norm / predicted - 1) <= 0.35, (name, norm, predicted)


def test_equilibrium_equal_eta_lambda_turns_layers_alike():
    """Same η·λ: the same angle per step; SGD's norm scales as √η (‖w‖⁴ = η²‖g̃‖²/(2s − s²)),
    so the effective learning rate η/‖w‖² is the same too."""
    config = make_config("equilibrium", **EQ_SMALL)
    a, _ = run(config, lam=0.05)                 # η·λ = 0.1 · 0.05
    b, _ = run(config, lam=0.1, lr=0.05)         # η·λ = 0.05 · 0.1
    half = second_half(a)
    assert second_half(b) == half  # the same schedule
    for name in a.step_angular_update:
        angle_a = statistics.fmean(a.step_angular_update[name][half:])
        angle_b = statistics.fmean(b.step_angular_update[name][half:])
        assert abs(angle_b / angle_a - 1) <= TOLERANCE, name
        norm_a = statistics.fmean(a.layer_norms[name][half:])
        norm_b = statistics.fmean(b.layer_norms[name][half:])
        assert 1.25 <= norm_a / norm_b <= 1.7, name  # √2 = 1.41; full preset 1.48–1.51 (W₁), 1.41–1.45 (W₂)


def test_predictions_follow_the_derivation():
    config = make_config("equilibrium")
    s = config.lr * config.lam
    assert eq.angular_update(config) == pytest.approx(math.acos(1 - s))
    assert eq.angular_update(config) == pytest.approx(math.sqrt(2 * s), rel=s)
    assert eq.angular_update(config.with_changes(momentum=0.9)) is None
    assert eq.angular_update(config.with_changes(optimizer="adam")) is None  # Adam with coupled
    adamw = config.with_changes(optimizer="adam", regularizer="decoupled", lam=1.0, lr=1e-3)
    assert eq.angular_update(adamw) == pytest.approx(math.acos(1 - 1e-3))
    paper = adamw.with_changes(decay_convention="paper", lam=1e-3)
    assert eq.angular_update(paper) == pytest.approx(math.acos(1 - 1e-3))
    assert eq.equilibrium_norm(0.1, 0.02, 3.0) == pytest.approx(0.3 / math.sqrt(0.04 - 0.0004))
    assert eq.steps_per_epoch(config) == 20 and eq.per_epoch_prediction(config) is None
    assert eq.per_epoch_prediction(make_config("quadratic")) is None  # Adam with coupled decay


def test_angles_in_the_history_do_not_depend_on_which_epochs_were_shown():
    """The app measures the epochs it shows (how many depends on the screen's speed) besides the
    schedule's; the angles the history keeps are measured between the schedule's epochs, so a
    run shown often and one never shown record the same angles (per step and per measurement),
    and a measurement repeated at the same epoch repeats its record."""
    from wdtui.engine.training.batched_runs import BatchedRuns
    from wdtui.engine.training.trainer import MeasureSchedule

    exp = build_experiment(make_config("equilibrium", n_train=100, n_test=60, epochs=14, width=16))
    plain, shown = Trainer(exp, "coupled", 0.05), Trainer(exp, "coupled", 0.05)
    plain.schedule = shown.schedule = MeasureSchedule(every=2, early=10)  # as a large model's
    kept = {}
    for epoch in range(1, 15):
        a = plain.run_epoch()
        b = shown.run_epoch(detail=epoch in (11, 12, 13))  # shown epochs, on and off the schedule
        assert (a is None) == (not shown.measure_due())
        if a is not None:
            again = shown.measure()
            for record in (b, again):
                assert record.angular_update == a.angular_update
                assert record.step_angular_update == a.step_angular_update and a.step_angular_update
            kept[epoch] = a
    assert sorted(kept) == [e for e in range(1, 15) if plain.schedule.due(e, 14)]
    assert {11, 12, 13} - set(kept)  # some shown epochs were off the schedule
    assert all(v > 0 for record in kept.values() for v in record.angular_update.values())

    lone_rule = make_config("sine", epochs=14, n_train=20)  # batched copies: the same rule
    exp = build_experiment(lone_rule)
    plain, shown = (BatchedRuns(exp, [("coupled", 0.0), ("coupled", 0.1)]) for _ in range(2))
    plain.schedule = shown.schedule = MeasureSchedule(every=2, early=10)
    for epoch in range(1, 15):
        a = plain.run_epoch()
        b = shown.run_epoch()
        if a is None and epoch in (11, 12, 13):
            shown.measure()  # a shown epoch off the schedule
        if a is not None:
            again = shown.measure()
            for records in (b, again):
                assert [r.angular_update for r in records] == [r.angular_update for r in a]
