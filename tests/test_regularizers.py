"""Each regularizer makes the update it claims, checked against torch.optim in float64."""

import pytest
import torch
from conftest import experiment, max_rel_diff, reference_run, trained

from wdtui.engine.config import make_config
from wdtui.engine.training.models import build_model, split_decay

LAM = 0.05


def _l2_penalty(lam):
    return lambda params: 0.5 * lam * sum(p.square().sum() for p in params)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_l2_penalty_equals_coupled(momentum):
    # lr 0.02: at 0.05 without momentum this run diverges (train loss 0.99 → 3.7e109 in 80
    # epochs, finite in float64), and a diverged run now stops, so it would end before the reference
    exp = experiment("sine", epochs=80, dtype="float64", optimizer="sgd", lr=0.02, momentum=momentum)
    l2 = trained(exp, "l2", LAM)
    coupled = trained(exp, "coupled", LAM)
    assert not coupled.diverged and coupled.epoch == 80
    assert max_rel_diff(l2.model, coupled.model) <= 1e-12
    # both equal torch.optim.SGD(weight_decay=λ) on the decayed group
    ref = reference_run(exp, lambda d, o: torch.optim.SGD(
        [{"params": d, "weight_decay": LAM}, {"params": o}], lr=0.02, momentum=momentum))
    assert max_rel_diff(coupled.model, ref) <= 1e-12
    assert max_rel_diff(coupled.model, exp.base_model) > 1e-3  # training moved the weights


def test_adam_coupled_equals_adam_on_penalized_loss(sine64):
    coupled = trained(sine64, "coupled", LAM)
    ref = reference_run(sine64, lambda d, o: torch.optim.Adam(d + o, lr=0.01), penalty=_l2_penalty(LAM))
    assert max_rel_diff(coupled.model, ref) <= 1e-12
    l2 = trained(sine64, "l2", LAM)
    assert max_rel_diff(l2.model, ref) <= 1e-12


def test_adam_coupled_equals_torch_adam_weight_decay(sine64):
    coupled = trained(sine64, "coupled", LAM)
    ref = reference_run(sine64, lambda d, o: torch.optim.Adam(
        [{"params": d, "weight_decay": LAM}, {"params": o}], lr=0.01))
    assert max_rel_diff(coupled.model, ref) <= 1e-12


def test_decoupled_equals_torch_adamw(sine64):
    ours = trained(sine64, "decoupled", LAM)
    ref = reference_run(sine64, lambda d, o: torch.optim.AdamW(
        [{"params": d, "weight_decay": LAM}, {"params": o, "weight_decay": 0.0}], lr=0.01))
    assert max_rel_diff(ours.model, ref) <= 1e-12


def test_adam_coupled_differs_from_decoupled(sine64):
    coupled = trained(sine64, "coupled", 0.1)
    decoupled = trained(sine64, "decoupled", 0.1)
    assert max_rel_diff(coupled.model, decoupled.model) > 1e-2


def test_sgd_decoupled_is_sgdw_and_equals_coupled_without_momentum():
    # plain SGD: w(1 − ηλ) − ηg = w − η(g + λw), so decoupled and coupled agree
    exp = experiment("sine", epochs=50, dtype="float64", optimizer="sgd", lr=0.05)
    assert max_rel_diff(trained(exp, "decoupled", LAM).model, trained(exp, "coupled", LAM).model) <= 1e-12
    # with momentum they differ: SGDW's decay does not enter the momentum buffer
    exp = experiment("sine", epochs=50, dtype="float64", optimizer="sgd", lr=0.05, momentum=0.9)
    assert max_rel_diff(trained(exp, "decoupled", 0.5).model, trained(exp, "coupled", 0.5).model) > 1e-3


def test_l1_is_a_soft_threshold_after_the_step():
    exp = experiment("sparse", epochs=1, dtype="float64", lr=0.1)
    lam = 0.3
    ours = trained(exp, "l1", lam)
    ref = reference_run(exp, lambda d, o: torch.optim.SGD(d + o, lr=0.1))
    w_ref = ref[0].weight.detach()
    expected = torch.sign(w_ref) * torch.clamp(w_ref.abs() - 0.1 * lam, min=0)
    assert torch.allclose(ours.model[0].weight, expected, rtol=1e-12, atol=1e-15)
    assert torch.allclose(ours.model[0].bias, ref[0].bias, rtol=1e-12)  # bias not decayed


def test_none_and_lambda_zero_leave_the_plain_update(sine64):
    plain = reference_run(sine64, lambda d, o: torch.optim.Adam(d + o, lr=0.01))
    for name in ("none", "l2", "coupled", "decoupled", "l1"):
        assert max_rel_diff(trained(sine64, name, 0.0).model, plain) <= 1e-12, name


def test_decay_targets_are_weights_unless_decay_all():
    cfg = make_config("quadratic")
    model = build_model(cfg, (2,))
    decayed, others = split_decay(model, decay_all=False)
    params = dict(model.named_parameters())
    assert len(decayed) == 5 and all(params[n].dim() == 2 for n in decayed)  # the 5 Linear weights
    assert len(others) == 5 + 2 * 4 and all(params[n].dim() == 1 for n in others)  # biases, LayerNorm w/b
    everything, rest = split_decay(model, decay_all=True)
    assert rest == [] and len(everything) == len(params)


def test_bias_is_not_decayed_by_default():
    # After one step of a linear model the bias has seen the same gradient whatever λ, so it
    # matches the undecayed run exactly only if decay skipped it.
    exp = experiment("sparse", epochs=1, dtype="float64", lr=0.1, decay_all=False)
    ours = trained(exp, "decoupled", 5.0)
    plain = trained(exp, "none", 0.0)
    assert torch.equal(ours.model[0].bias, plain.model[0].bias)
    assert not torch.equal(ours.model[0].weight, plain.model[0].weight)
