"""wdtui's SGD and Adam make exactly torch.optim's updates (float64)."""

import pytest
import torch

from wdtui.engine.training.optimizers import SGD, Adam


def _problem(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(32, 5, generator=g, dtype=torch.float64)
    y = torch.randn(32, 1, generator=g, dtype=torch.float64)
    model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
    return x, y, model


def _train(model, opt, x, y, steps=100):
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_matches_torch_sgd(momentum):
    x, y, model = _problem()
    ref = _problem()[2]
    ref.load_state_dict(model.state_dict())
    ours = _train(model, SGD(model.parameters(), lr=0.05, momentum=momentum), x, y)
    theirs = _train(ref, torch.optim.SGD(ref.parameters(), lr=0.05, momentum=momentum), x, y)
    assert torch.allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_adam_matches_torch_adam():
    x, y, model = _problem(1)
    ref = _problem(1)[2]
    ref.load_state_dict(model.state_dict())
    ours = _train(model, Adam(model.parameters(), lr=0.01), x, y)
    theirs = _train(ref, torch.optim.Adam(ref.parameters(), lr=0.01), x, y)
    assert torch.allclose(ours, theirs, rtol=1e-12, atol=1e-14)
    # and it did move: the comparison is not between two untouched models
    assert (ours - torch.cat([p.detach().reshape(-1) for p in _problem(1)[2].parameters()])).abs().max() > 0.1
