"""The data of the linear lessons: Bishop's polynomial (``poly``) and Nakkiran's isotropic
regression (``double-descent``). Registered in :mod:`.generators` (``GENERATORS``,
``VALIDATION_DRAWS``); drawn like every generator there, in float64 from the seed's generator.
"""

from __future__ import annotations

import math

import torch

from ..config import Config
from .dataset import GRID_POINTS, Dataset
from .generators import _column, _linear, _linear_validation

SIGNAL_NORM = 1.0  # ‖β*‖ of the double-descent preset


def polynomial_features(x: torch.Tensor, degree: int) -> torch.Tensor:
    """φ(x) = (x, x², …, x^M), M = ``degree``: shape (N, M) for x of shape (N,).

    The feature convention of the ``poly`` preset: Bishop's polynomial
    y(x, w) = Σ_{j=0}^{M} w_j·x^j is the linear model ŷ = φ(x)·w + b with w = (w_1 … w_M) its
    weight and b = w_0 its bias; feature 0 (x⁰ = 1) is the bias, not an input column. With
    ``decay_all`` (the preset's) the penalty covers w_0 too, as Bishop's ‖w‖² = Σ_{j=0}^{M} w_j².
    Column 0 is x itself, so the app's curve chart draws against it."""
    return torch.stack([x ** j for j in range(1, degree + 1)], dim=1)


def poly(cfg: Config, g: torch.Generator) -> Dataset:
    """Bishop, PRML §1.1: x_n = linspace(0, 1, n_train) (10 points "spaced uniformly in [0, 1]"),
    t_n = sin(2πx_n) + N(0, noise²); the test set the same way with n_test points and fresh
    noise. Inputs are :func:`polynomial_features` of degree ``n_inputs`` (M = 9 in the preset)."""
    def noisy(x: torch.Tensor) -> torch.Tensor:
        return torch.sin(2 * math.pi * x) + cfg.noise * torch.randn(len(x), generator=g, dtype=torch.float64)

    x = torch.linspace(0, 1, cfg.n_train, dtype=torch.float64)
    xt = torch.linspace(0, 1, cfg.n_test, dtype=torch.float64)
    y, yt = noisy(x), noisy(xt)
    grid = torch.linspace(0, 1, GRID_POINTS, dtype=torch.float64)
    features = lambda t: polynomial_features(t, cfg.n_inputs)  # noqa: E731
    return Dataset(features(x), _column(y), features(xt), _column(yt), features(grid),
                   _column(torch.sin(2 * math.pi * grid)))


def _poly_validation(cfg: Config, g: torch.Generator, data: Dataset, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Fresh x uniform on [0, 1] with the test set's noise."""
    x = torch.rand(n, generator=g, dtype=torch.float64)
    y = torch.sin(2 * math.pi * x) + cfg.noise * torch.randn(n, generator=g, dtype=torch.float64)
    return polynomial_features(x, cfg.n_inputs), _column(y)


def double_descent(cfg: Config, g: torch.Generator) -> Dataset:
    """Nakkiran et al. 2020: x ~ N(0, I_d), d = ``n_inputs``, y = xᵀβ* + N(0, noise²), with β*
    uniform on the sphere of radius ``SIGNAL_NORM`` (drawn first, from the seed: the same β* for
    every n_train of a seed)."""
    beta = torch.randn(cfg.n_inputs, generator=g, dtype=torch.float64)
    beta = SIGNAL_NORM * beta / beta.norm()
    return _linear(cfg, g, beta, 0.0)


LINEAR_GENERATORS = {"poly": poly, "double-descent": double_descent}
LINEAR_VALIDATION_DRAWS = {"poly": _poly_validation, "double-descent": _linear_validation(0.0)}
