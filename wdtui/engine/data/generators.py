"""The generated datasets of the regression presets, and their validation draws.

Every generator draws from its own ``torch.Generator`` seeded with the config's seed, in float64
on the CPU, so the same seed gives the same data whatever the device and dtype; the tensors are
converted once, at the end.
"""

from __future__ import annotations

import math

import torch

from ..config import Config
from .dataset import GRID_POINTS, Dataset


def _column(t: torch.Tensor) -> torch.Tensor:
    return t.reshape(-1, 1)


def sine(cfg: Config, g: torch.Generator) -> Dataset:
    """x = linspace(0, 2π, n_train), y = sin x + N(0, noise²); test: n_test fresh uniform x."""
    x = torch.linspace(0, 2 * math.pi, cfg.n_train, dtype=torch.float64)
    y = torch.sin(x) + cfg.noise * torch.randn(cfg.n_train, generator=g, dtype=torch.float64)
    xt = 2 * math.pi * torch.rand(cfg.n_test, generator=g, dtype=torch.float64)
    yt = torch.sin(xt) + cfg.noise * torch.randn(cfg.n_test, generator=g, dtype=torch.float64)
    grid = torch.linspace(0, 2 * math.pi, GRID_POINTS, dtype=torch.float64)
    return Dataset(_column(x), _column(y), _column(xt), _column(yt), _column(grid), _column(torch.sin(grid)))


def _linear(cfg: Config, g: torch.Generator, w: torch.Tensor, b: float) -> Dataset:
    n = cfg.n_train + cfg.n_test
    x = torch.randn(n, cfg.n_inputs, generator=g, dtype=torch.float64)
    y = x @ w + b + cfg.noise * torch.randn(n, generator=g, dtype=torch.float64)
    y = _column(y)
    return Dataset(x[: cfg.n_train], y[: cfg.n_train], x[cfg.n_train :], y[cfg.n_train :], true_weights=w)


D2L_BIAS = 0.05


def d2l(cfg: Config, g: torch.Generator) -> Dataset:
    """d2l: y = 0.05 + Σ 0.01·xᵢ + N(0, noise²), x ~ N(0, I)."""
    return _linear(cfg, g, torch.full((cfg.n_inputs,), 0.01, dtype=torch.float64), D2L_BIAS)


SPARSE_VALUES = (3.0, -2.0, 1.5, -1.0, 2.5)


def sparse(cfg: Config, g: torch.Generator) -> Dataset:
    """y = x·w + N(0, noise²) where w has 5 non-zero entries at random positions."""
    w = torch.zeros(cfg.n_inputs, dtype=torch.float64)
    k = min(len(SPARSE_VALUES), cfg.n_inputs)
    where = torch.randperm(cfg.n_inputs, generator=g)[:k]
    w[where] = torch.tensor(SPARSE_VALUES[:k], dtype=torch.float64)
    return _linear(cfg, g, w, 0.0)


def quadratic(cfg: Config, g: torch.Generator) -> Dataset:
    """x1 = −10…9, x2 = 0…19 (n_train evenly spaced points; integers at the default 20),
    y = 2·x1 − x2² + 1 (+ noise); test: the points half a step further on (the midpoints)."""
    step = 19.0 / (cfg.n_train - 1)
    t = torch.arange(cfg.n_train, dtype=torch.float64) * step
    tt = (torch.arange(cfg.n_test, dtype=torch.float64) + 0.5) * (19.0 / max(cfg.n_test - 1, 1))

    def points(s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.stack([s - 10.0, s], dim=1)
        y = 2 * x[:, 0] - x[:, 1] ** 2 + 1
        y = y + cfg.noise * torch.randn(len(s), generator=g, dtype=torch.float64)
        return x, _column(y)

    x, y = points(t)
    xt, yt = points(tt)
    return Dataset(x, y, xt, yt)


GENERATORS = {"sine": sine, "d2l": d2l, "sparse": sparse, "quadratic": quadratic}


# Validation sets: ``n`` more examples from the distribution of the test set, drawn from their
# own generator ``g`` (see validation.py), so the training and test draws above are untouched.

def _sine_validation(cfg: Config, g: torch.Generator, data: Dataset, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    x = 2 * math.pi * torch.rand(n, generator=g, dtype=torch.float64)
    return _column(x), _column(torch.sin(x) + cfg.noise * torch.randn(n, generator=g, dtype=torch.float64))


def _linear_validation(bias: float):
    def draw(cfg: Config, g: torch.Generator, data: Dataset, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.randn(n, cfg.n_inputs, generator=g, dtype=torch.float64)
        y = x @ data.true_weights + bias + cfg.noise * torch.randn(n, generator=g, dtype=torch.float64)
        return x, _column(y)
    return draw


def _quadratic_validation(cfg: Config, g: torch.Generator, data: Dataset, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Uniform positions on the training range (the test set is its fixed midpoints)."""
    s = 19.0 * torch.rand(n, generator=g, dtype=torch.float64)
    x = torch.stack([s - 10.0, s], dim=1)
    y = 2 * x[:, 0] - x[:, 1] ** 2 + 1 + cfg.noise * torch.randn(n, generator=g, dtype=torch.float64)
    return x, _column(y)


VALIDATION_DRAWS = {"sine": _sine_validation, "d2l": _linear_validation(D2L_BIAS),
                    "sparse": _linear_validation(0.0), "quadratic": _quadratic_validation}


# The linear lessons (poly, double-descent) keep their generators in a module of their own.
from .linear_lessons import LINEAR_GENERATORS, LINEAR_VALIDATION_DRAWS  # noqa: E402

GENERATORS.update(LINEAR_GENERATORS)
VALIDATION_DRAWS.update(LINEAR_VALIDATION_DRAWS)
