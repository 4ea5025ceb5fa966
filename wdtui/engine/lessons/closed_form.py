"""Closed-form answers for linear experiments: what training converges to, and the part of the
weights that gradient descent never moves. The app draws the ridge solution on the weights view;
the tests hold training against these."""

from __future__ import annotations

import torch

from ..experiment import Experiment
from ..sweeps.ridge import RidgePath, ridge_path_of, ridge_solution, training_arrays
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
    x, y = training_arrays(experiment)
    w, b = ridge_solution(x, y, lam, LOSSES[experiment.config.loss].scale, experiment.config.decay_all)
    return torch.from_numpy(w), b


def null_space_part(experiment: Experiment, w: torch.Tensor) -> torch.Tensor:
    """The component of ``w`` orthogonal to every training input: (I − X⁺X)·w. A gradient of the
    data loss of a linear model is a combination of the training inputs, so no data step ever
    changes this part; only decay shrinks it (l2 with SGD: by (1 − η·λ) per step)."""
    x = experiment.data.x_train.detach().to("cpu", torch.float64).flatten(1)
    w = w.detach().to("cpu", torch.float64).reshape(-1)
    return w - torch.linalg.pinv(x) @ (x @ w)


def ridge_path(experiment: Experiment) -> RidgePath:
    """The experiment's :class:`~..sweeps.ridge.RidgePath` (a linear regression model, depth 0):
    the whole path λ ↦ w(λ). For the weights at a few given λ see
    :func:`..sweeps.ridge.ridge_weights_at`."""
    _linear_layer(experiment)
    x, y = training_arrays(experiment)
    return ridge_path_of(x, y, LOSSES[experiment.config.loss].scale, experiment.config.decay_all)
