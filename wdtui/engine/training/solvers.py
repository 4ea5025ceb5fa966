"""The exact solver (``--solver exact``, config ``solver``): a linear model's weights from the
closed form instead of training.

For one Linear layer ŷ = x·w + b with a squared loss (scale s: 1 for ``mse``, ½ for
``half_mse``) the objective of ``l2`` (and the stationary point of ``coupled``, which adds λ·w to
the gradient) is  s·mean((x·w + b − y)²) + λ/2·‖w‖²  (+ λ/2·b² when the bias decays too), whose
minimiser is :func:`..sweeps.ridge.ridge_solution`: θ(λ) = (X̃ᵀX̃ + (nλ/2s)·D)⁻¹X̃ᵀy, solved in
float64. At λ = 0 (and for ``none``) it is the minimum-norm least-squares solution
(``lstsq``, the pseudo-inverse), not ridge with a tiny λ. It is where gradient descent ends when
it converges (from a zero start at λ = 0; a random start keeps its part in the null space of X).

A run with the exact solver has one record: epoch 1 is the solution, measured as a trained
run's epoch is (the same losses, ‖w‖, predictions). The optimizer, learning rate, batch size and
epoch count are unused. Changing λ or the regularizer (the app) solves again: one more record.
"""

from __future__ import annotations

import numpy as np
import torch

from ..config import EXACT_REGULARIZERS, ConfigError
from ..experiment import Experiment
from ..sweeps.ridge import RidgePath, ridge_path_of, training_arrays
from .trainer import LOSSES, Trainer


def exact_path(experiment: Experiment) -> RidgePath:
    """The experiment's solutions at every λ (one SVD; the bias decays as the config says)."""
    x, y = training_arrays(experiment)
    return ridge_path_of(x, y, LOSSES[experiment.config.loss].scale, "0.bias" in experiment.decayed_names)


def exact_solution(path: RidgePath, regularizer: str, lam: float) -> tuple[np.ndarray, float]:
    """(w, b) in float64 minimising the penalised squared loss (see the module)."""
    if regularizer not in EXACT_REGULARIZERS:
        raise ConfigError("solver", f"exact needs regularizer {', '.join(EXACT_REGULARIZERS)} (got {regularizer})")
    return path.solution(lam if regularizer != "none" else 0.0)


def linear_layer(model: torch.nn.Module) -> torch.nn.Linear:
    """The model's one Linear layer (config.check admits only mlp depth 0 for exact)."""
    layers = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    if len(layers) != 1:
        raise ConfigError("solver", "exact solves a linear model: use --depth 0")
    return layers[0]


class ExactSolver(Trainer):
    """A :class:`Trainer` whose one "epoch" sets the weights to the exact solution at its λ and
    regularizer, then measures them like any epoch."""

    def __init__(self, experiment: Experiment, regularizer: str | None = None, lam: float | None = None,
                 dropout: float | None = None, optimizer: str | None = None):
        super().__init__(experiment, regularizer, lam, dropout, optimizer)
        self.epochs = 1
        self.path = exact_path(experiment)

    def train_epoch(self, stop=None, progress=None) -> bool:
        """One solve (never stopped midway: it is one step)."""
        self.measure_start()
        w, b = exact_solution(self.path, self.regularizer.name, self.lam)
        layer = linear_layer(self.model)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(w).reshape(layer.weight.shape))
            layer.bias.fill_(b)
        self.epoch += 1
        return False

    def apply(self, changes: dict) -> None:
        """λ and the regularizer as a trainer's; a change of either is solved at the next
        epoch. The epoch count is not the solver's: it stays one solve per setting."""
        before = (self.lam, self.regularizer.name)
        super().apply({key: value for key, value in changes.items() if key != "epochs"})
        if (self.lam, self.regularizer.name) != before:
            self.epochs = self.epoch + 1


def make_trainer(experiment: Experiment, regularizer: str | None = None, lam: float | None = None,
                 dropout: float | None = None, optimizer: str | None = None) -> Trainer:
    """The run's trainer for the config's solver: a :class:`Trainer` (gd) or an :class:`ExactSolver`."""
    kind = ExactSolver if experiment.config.solver == "exact" else Trainer
    return kind(experiment, regularizer, lam, dropout, optimizer)
