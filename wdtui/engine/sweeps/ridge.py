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

import numpy as np
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


def ridge_solution(x: np.ndarray, y: np.ndarray, lam: float, loss_scale: float = 1.0,
                   decay_bias: bool = False) -> tuple[np.ndarray, float]:
    """(w, b) minimising loss_scale·mean((x·w + b − y)²) + λ/2·(‖w‖² [+ b²]), in float64."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    n, p = x.shape
    xa = np.hstack([x, np.ones((n, 1))])
    if lam == 0:
        theta = np.linalg.lstsq(xa, y, rcond=None)[0]  # the minimum-norm least-squares solution
    else:
        d = np.ones(p + 1)
        d[-1] = 1.0 if decay_bias else 0.0
        theta = np.linalg.solve(xa.T @ xa + (n * lam / (2 * loss_scale)) * np.diag(d), xa.T @ y)
    return theta[:p], float(theta[p])


def ridge_path(experiment: Experiment, lambdas: list[float]) -> list[list[float]]:
    """The closed-form weights w(λ) for each λ on the experiment's training set."""
    data = experiment.data
    x, y = data.x_train.detach().cpu().double().numpy(), data.y_train.detach().cpu().double().numpy()
    scale = LOSSES[experiment.config.loss].scale
    decay_bias = "0.bias" in experiment.decayed_names
    return [ridge_solution(x, y, lam, scale, decay_bias)[0].tolist() for lam in lambdas]
