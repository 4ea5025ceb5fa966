"""Closed-form answers for linear experiments: what training converges to, and the part of the
weights that gradient descent never moves. The app draws the ridge solution on the weights view;
the tests hold training against these."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..experiment import Experiment
from ..sweeps.ridge import ridge_solution
from ..training.trainer import LOSSES


def _linear_layer(experiment: Experiment) -> torch.nn.Linear:
    model = experiment.base_model
    layers = list(model.children()) if isinstance(model, torch.nn.Sequential) else [model]
    if len(layers) != 1 or not isinstance(layers[0], torch.nn.Linear) or experiment.data.task != "regression":
        raise ValueError("a closed form needs a linear regression model (depth 0)")
    return layers[0]


def ridge_weights(experiment: Experiment, lam: float) -> tuple[torch.Tensor, float]:
    """The minimiser (w, b) of  s·mean((x·w + b − y)²) + λ/2·‖w‖²  on the training set (s = 1 for
    mse, ½ for half_mse; b is penalised too when the config decays every parameter), in float64:
    :func:`.ridge.ridge_solution` (the minimum-norm one at λ = 0, the limit of gradient descent
    started from zero), which is what l2/coupled (and, for plain SGD, decoupled) converge to."""
    _linear_layer(experiment)
    x = experiment.data.x_train.detach().to("cpu", torch.float64).flatten(1).numpy()
    y = experiment.data.y_train.detach().to("cpu", torch.float64).reshape(-1).numpy()
    w, b = ridge_solution(x, y, lam, LOSSES[experiment.config.loss].scale, experiment.config.decay_all)
    return torch.from_numpy(w), b


def null_space_part(experiment: Experiment, w: torch.Tensor) -> torch.Tensor:
    """The component of ``w`` orthogonal to every training input: (I − X⁺X)·w. A gradient of the
    data loss of a linear model is a combination of the training inputs, so no data step ever
    changes this part; only decay shrinks it (l2 with SGD: by (1 − η·λ) per step)."""
    x = experiment.data.x_train.detach().to("cpu", torch.float64).flatten(1)
    w = w.detach().to("cpu", torch.float64).reshape(-1)
    return w - torch.linalg.pinv(x) @ (x @ w)


@dataclass(frozen=True)
class RidgePath:
    """The ridge solution of a linear experiment at any λ > 0, from one SVD (float64 numpy, no
    torch needed to evaluate: the app draws it on the weights view as λ changes).

    Without decay of the bias, with centred inputs X_c = X − x̄ and targets y_c = y − ȳ:
    w(λ) = V·diag(σ/(σ² + α))·Uᵀ·y_c,  b = ȳ − x̄·w,  α = n·λ/(2s)  (s = 1 for mse, ½ for half_mse);
    with the bias decayed too, the same on X̃ = [X, 1] and y. Equal to :func:`ridge_weights`."""

    u_y: np.ndarray  # Uᵀ·y (centred without bias decay)
    sigma: np.ndarray
    v: np.ndarray
    x_mean: np.ndarray | None  # None: the bias is decayed (θ over [w; b])
    y_mean: float
    n: int
    scale: float

    def weights(self, lam: float) -> list[float]:
        """w(λ) for λ > 0, as a list (the bias is left out: the view shows weights)."""
        if lam <= 0:
            raise ValueError("the ridge solution is defined here for λ > 0")
        alpha = self.n * lam / (2 * self.scale)
        theta = self.v @ (self.sigma / (self.sigma ** 2 + alpha) * self.u_y)
        return (theta if self.x_mean is not None else theta[:-1]).tolist()


def ridge_path(experiment: Experiment) -> RidgePath:
    """The experiment's :class:`RidgePath` (a linear regression model, depth 0)."""
    _linear_layer(experiment)
    x = experiment.data.x_train.detach().to("cpu", torch.float64).flatten(1).numpy()
    y = experiment.data.y_train.detach().to("cpu", torch.float64).reshape(-1).numpy()
    n = len(y)
    if experiment.config.decay_all:
        a, target, x_mean, y_mean = np.hstack([x, np.ones((n, 1))]), y, None, 0.0
    else:
        x_mean, y_mean = x.mean(axis=0), float(y.mean())
        a, target = x - x_mean, y - y_mean
    u, sigma, vt = np.linalg.svd(a, full_matrices=False)
    return RidgePath(u.T @ target, sigma, vt.T, x_mean, y_mean, n, LOSSES[experiment.config.loss].scale)
