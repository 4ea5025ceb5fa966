"""Classification: cross-entropy and accuracy against their definitions, the digits preset's
promised outcome, dropout, and the confusion matrix."""

import math
import os

import pytest
import torch
import torch.nn.functional as F
from conftest import experiment, trained

from wdtui.engine.lessons.presets import PRESETS
from wdtui.engine.training.models import forward_function
from wdtui.engine.training.records import EpochRecord
from wdtui.engine.training.trainer import Trainer


@pytest.fixture(scope="module")
def digits_default():
    """The digits preset exactly as shipped: both runs of its comparison, to the end."""
    exp = experiment("digits", device="cpu")
    return exp, {lam: trained(exp, "coupled", lam) for lam in (0.0, 0.01)}


def test_digits_default_reaches_85_percent_and_decay_shrinks_the_weights(digits_default):
    _, runs = digits_default
    plain, decayed = runs[0.0].last_record, runs[0.01].last_record
    assert decayed.weight_norm < plain.weight_norm
    assert plain.test_accuracy > 0.85 and decayed.test_accuracy > 0.85
    assert plain.epoch == decayed.epoch == 100


def test_digits_guide_decay_shrinks_the_weights_but_does_not_raise_test_accuracy(digits_default):
    """The shipped seed, with the direction the guide reports over 5 seeds (benchmarks/lessons_digits.py:
    ‖w‖ 10.5 → 8.35, test accuracy 92.8 % → 91.6 %, lower on 5 of 5 seeds)."""
    _, runs = digits_default
    plain, decayed = runs[0.0].last_record, runs[0.01].last_record
    assert decayed.test_accuracy < plain.test_accuracy
    assert 0.75 <= decayed.weight_norm / plain.weight_norm <= 0.85  # 8.35 / 10.5 ≈ 0.80


@pytest.mark.skipif(not os.environ.get("WDTUI_SLOW"), reason="2 × 150 CNN epochs (minutes on 2 cores): "
                    "run with WDTUI_SLOW=1; the guide's 5 seeds: benchmarks/lessons_digits.py --dropout")
def test_dropout_guide_dropout_beats_decay_on_the_shipped_seed():
    """The dropout preset as shipped (both runs, 150 epochs), seed 0, with the direction and the
    size the guide reports over seeds 0–4 (benchmarks/lessons_digits.py --dropout: higher on 5 of
    5, +2.3 ± 0.7 points, each run's masks from its own generator): seed 0 has the largest gap
    (+4.7 points), so the bound keeps a margin of 2.7 points (40 of the 1,497 test images) for
    float rounding between CPUs."""
    exp = experiment("dropout", device="cpu")
    dropout, decay = (trained(exp, run.regularizer, run.lam, run.dropout).last_record
                      for run in PRESETS["dropout"].runs)
    assert (dropout.dropout, decay.dropout, decay.lam) == (0.5, 0.0, 0.01) and dropout.epoch == 150
    assert dropout.test_accuracy > decay.test_accuracy + 0.02
    assert decay.weight_norm < 0.75 * dropout.weight_norm  # ‖w‖ 8.0 against 11.9


def test_loss_and_accuracy_match_their_definitions(digits_default):
    exp, runs = digits_default
    trainer = runs[0.01]
    record = trainer.measure(detail=True)
    n = len(exp.data.x_train)
    with torch.no_grad():  # one forward pass over train and test, as the trainer evaluates them
        # (the trainer's own forward: model(x) is the same function in another memory layout,
        # test_the_trainers_cnn_forward_is_the_models_function, whose float32 rounding could
        # turn a near tie of two logits)
        both = forward_function(trainer.model)(torch.cat([exp.data.x_train, exp.data.x_test]))
    logits = both[n:]
    assert record.test_loss == pytest.approx(F.cross_entropy(logits, exp.data.y_test).item(), rel=1e-5)
    right = (logits.argmax(dim=1) == exp.data.y_test).sum().item()
    # accuracy is a count over N: exactly equal, whatever the CPU's summation order
    assert record.test_accuracy == right / len(exp.data.y_test)
    assert record.train_accuracy == (both[:n].argmax(dim=1) == exp.data.y_train).sum().item() / n
    matrix = record.confusion
    assert sum(map(sum, matrix)) == len(exp.data.y_test)
    assert sum(matrix[i][i] for i in range(10)) == right
    assert [sum(row) for row in matrix] == torch.bincount(exp.data.y_test, minlength=10).tolist()
    per_class = record.class_accuracy()
    assert all(0 <= a <= 1 for a in per_class)


def test_the_trainers_cnn_forward_is_the_models_function():
    """The trainer's forward pass (convolutions in the channels-last layout, each ReLU before a
    max-pool applied after it) computes model(x) and its gradients, in float64 to rounding; also
    with dropout layers (evaluation: the identity) and on windows whose values are all ≤ 0
    (the ReLU's zeros, where both orders send no gradient)."""
    exp = experiment("digits", device="cpu", epochs=1, n_train=64, n_test=64, dropout=0.3, dtype="float64")
    model = exp.new_model().eval()
    x = torch.cat([exp.data.x_train, -exp.data.x_train])  # negated images: many windows all ≤ 0 after conv 1
    outputs, grads = [], []
    for forward in (model, forward_function(model)):
        model.zero_grad()
        out = forward(x)
        F.cross_entropy(out, torch.cat([exp.data.y_train] * 2)).backward()
        outputs.append(out.detach())
        grads.append([p.grad.clone() for p in model.parameters()])
    assert torch.allclose(outputs[1], outputs[0], rtol=1e-12, atol=1e-12)
    for mine, reference in zip(*grads[::-1]):
        assert torch.allclose(mine, reference, rtol=1e-10, atol=1e-12)


def test_class_accuracy_of_an_absent_class_is_nan():
    record = EpochRecord(1, 0.0, 0.1, 0.0, 0.0, 0.0, 1.0, {}, 0, 0.0, confusion=[[3, 1], [0, 0]])
    assert record.class_accuracy()[0] == 0.75 and math.isnan(record.class_accuracy()[1])


def test_dropout_is_off_when_measuring_and_on_when_training():
    exp = experiment("dropout", device="cpu", epochs=2, n_train=128)
    trainer = Trainer(exp, "none", 0.0)
    assert trainer.dropout == 0.5
    first, again = trainer.measure(), trainer.measure()
    assert first.test_loss == again.test_loss  # evaluation is deterministic: no dropout
    trainer.model.train()
    x = exp.data.x_train[:16]
    with torch.no_grad():
        assert not torch.equal(trainer.model(x), trainer.model(x))  # training: random masks
    without = Trainer(exp, "none", 0.0, dropout=0.0)
    with torch.no_grad():
        assert torch.equal(without.model(x), without.model(x))


def test_dropout_runs_are_deterministic_with_a_seed():
    exp = experiment("dropout", device="cpu", epochs=3, n_train=128)
    a = [r.train_loss for r in Trainer(exp, "none", 0.0).records()]
    b = [r.train_loss for r in Trainer(exp, "none", 0.0).records()]
    c = [r.train_loss for r in Trainer(exp, "none", 0.0, dropout=0.0).records()]
    assert a == b and a != c


def test_dropout_needs_dropout_layers():
    from wdtui.engine.config import ConfigError

    exp = experiment("digits", device="cpu", epochs=1)
    with pytest.raises(ConfigError, match="no dropout layers"):
        Trainer(exp, "none", 0.0, dropout=0.3)


def test_conv_weights_are_decayed_and_histogrammed():
    exp = experiment("digits", device="cpu", epochs=1, n_train=64)
    assert exp.decayed_names[0] == "0.weight"  # decay_all, as SGD(model.parameters(), weight_decay=...)
    weights_only = experiment("digits", device="cpu", epochs=1, n_train=64, decay_all=False)
    assert weights_only.decayed_names == ["0.weight", "3.weight", "7.weight", "9.weight"]
    record = Trainer(weights_only).run_epoch(detail=True)
    conv = record.histograms["0.weight"]
    assert sum(conv.counts) == sum(conv.initial) == 16 * 1 * 3 * 3


def test_chunked_evaluation_gives_the_same_numbers(monkeypatch):
    from wdtui.engine.training import trainer as trainer_module

    exp = experiment("digits", device="cpu", epochs=1, n_train=100, n_test=300)
    whole = Trainer(exp).measure(detail=True)
    monkeypatch.setattr(trainer_module, "EVAL_CHUNK", 64)  # train and test apart, 64 at a time
    chunked = Trainer(exp).measure(detail=True)
    # float32 means summed in another order: a few ulps times √N apart on any CPU
    assert chunked.test_loss == pytest.approx(whole.test_loss, rel=1e-5)
    assert chunked.test_accuracy == whole.test_accuracy and chunked.confusion == whole.confusion
