"""The closed-form ridge path: what ``l2``/``coupled`` decay of a linear model converges to.

For a linear model ŷ = X·w + b with a squared loss (scale s: 1 for ``mse``, ½ for ``half_mse``)
and the penalty λ/2·‖w‖² (and λ/2·b² when the bias is decayed too), the objective

    s·(1/n)·‖X·w + b − y‖² + λ/2·θᵀDθ,   θ = (w, b), D = diag(1…1, decay the bias ? 1 : 0)

has the gradient (2s/n)·X̃ᵀ(X̃θ − y) + λ·Dθ with X̃ = [X, 1], which is zero at

    θ(λ) = (X̃ᵀX̃ + (nλ/2s)·D)⁻¹ X̃ᵀy.

``l2`` adds the penalty's gradient λ·w; ``coupled`` adds λ·w to the gradient itself: both have
this θ(λ) as their only stationary point, whatever the optimizer, so it is where training ends
when it converges. At λ = 0 with fewer examples than inputs the system is singular: the
minimum-norm solution is given (gradient descent from zero reaches it; from a random start it
keeps the start's part in the null space of X, which no gradient touches).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..experiment import Experiment
from ..training.trainer import LOSSES

RIDGE_REGULARIZERS = ("l2", "coupled")


def ridge_applies(experiment: Experiment, regularizer: str) -> bool:
    """A linear regression model (one Linear layer, one output, squared loss) under l2/coupled."""
    layers = list(experiment.base_model.children())
    return (regularizer in RIDGE_REGULARIZERS and experiment.data.task == "regression"
            and len(layers) == 1 and isinstance(layers[0], nn.Linear) and layers[0].out_features == 1
            and experiment.config.loss in ("mse", "half_mse") and "0.weight" in experiment.decayed_names)


@dataclass(frozen=True)
class RidgePath:
    """θ(λ) for every λ ≥ 0 of one training set, from SVDs made once (float64 numpy; the app
    evaluates it as λ changes, the exact solver and the sweeps at each λ they need).

    λ > 0 without decay of the bias, with centred inputs X_c = X − x̄ and targets y_c = y − ȳ:
    w(λ) = V·diag(σ/(σ² + α))·Uᵀ·y_c,  b = ȳ − x̄·w,  α = n·λ/(2s)  (s = 1 for mse, ½ for
    half_mse); with the bias decayed too, the same on X̃ = [X, 1] and y (θ = (w, b)). This is
    the module's θ(λ) without forming X̃ᵀX̃, whose condition number is the square of X̃'s
    (polynomial features: ~10¹⁴). λ = 0: the minimum-norm least-squares θ = X̃⁺y (the
    pseudo-inverse from X̃'s SVD, singular values below ε·max(n, p + 1)·σ_max dropped, as
    numpy's ``lstsq``), not ridge with a tiny λ."""

    u_y: np.ndarray  # Uᵀ·y (centred without bias decay)
    sigma: np.ndarray
    v: np.ndarray
    x_mean: np.ndarray | None  # None: the bias is decayed (θ over [w; b])
    y_mean: float
    n: int
    scale: float
    min_norm: np.ndarray  # θ = (w, b) at λ = 0

    def solution(self, lam: float) -> tuple[np.ndarray, float]:
        """(w, b) at λ ≥ 0."""
        if lam < 0:
            raise ValueError("λ must be ≥ 0")
        if lam == 0:
            return self.min_norm[:-1], float(self.min_norm[-1])
        alpha = self.n * lam / (2 * self.scale)
        theta = self.v @ (self.sigma / (self.sigma ** 2 + alpha) * self.u_y)
        if self.x_mean is None:
            return theta[:-1], float(theta[-1])
        return theta, float(self.y_mean - self.x_mean @ theta)

    def weights(self, lam: float) -> list[float]:
        """w(λ) as a list (the bias is left out: the weights view shows weights)."""
        return self.solution(lam)[0].tolist()


def _svd(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thin SVD in float64 by torch: numpy's OpenBLAS threads crawl on a busy machine (30 ms for
    a 100 × 100 solve where one thread takes 0.3), torch uses the experiment's thread count."""
    u, sigma, vt = torch.linalg.svd(torch.from_numpy(a), full_matrices=False)
    return u.numpy(), sigma.numpy(), vt.T.numpy()


def ridge_path_of(x: np.ndarray, y: np.ndarray, loss_scale: float = 1.0, decay_bias: bool = False) -> RidgePath:
    """The :class:`RidgePath` of inputs x (N, features) and targets y (N,)."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    n = len(y)
    xa = np.hstack([x, np.ones((n, 1))])
    u, sigma, v = _svd(xa)
    keep = sigma > np.finfo(np.float64).eps * max(xa.shape) * (sigma.max() if len(sigma) else 0.0)
    min_norm = v[:, keep] @ ((u[:, keep].T @ y) / sigma[keep])
    if decay_bias:
        return RidgePath(u.T @ y, sigma, v, None, 0.0, n, loss_scale, min_norm)
    x_mean, y_mean = x.mean(axis=0), float(y.mean())
    u, sigma, v = _svd(x - x_mean)
    return RidgePath(u.T @ (y - y_mean), sigma, v, x_mean, y_mean, n, loss_scale, min_norm)


def ridge_solution(x: np.ndarray, y: np.ndarray, lam: float, loss_scale: float = 1.0,
                   decay_bias: bool = False) -> tuple[np.ndarray, float]:
    """(w, b) minimising loss_scale·mean((x·w + b − y)²) + λ/2·(‖w‖² [+ b²]), in float64 (the
    minimum-norm least-squares solution at λ = 0; see :class:`RidgePath`)."""
    return ridge_path_of(x, y, loss_scale, decay_bias).solution(lam)


def training_arrays(experiment: Experiment) -> tuple[np.ndarray, np.ndarray]:
    """The experiment's training inputs (N, features) and targets (N,) as float64 numpy arrays."""
    data = experiment.data
    x = data.x_train.detach().to("cpu", dtype=torch.float64).flatten(1).numpy()
    return x, data.y_train.detach().to("cpu", dtype=torch.float64).reshape(-1).numpy()


def ridge_weights_at(experiment: Experiment, lambdas: list[float]) -> list[list[float]]:
    """The closed-form weights w(λ) for each λ on the experiment's training set (the bias b is
    left out). Not to be confused with :func:`..lessons.closed_form.ridge_path`, the whole path
    λ ↦ w(λ) from one SVD, which the app evaluates as λ changes."""
    x, y = training_arrays(experiment)
    scale = LOSSES[experiment.config.loss].scale
    decay_bias = "0.bias" in experiment.decayed_names
    path = ridge_path_of(x, y, scale, decay_bias)
    return [path.weights(lam) for lam in lambdas]
