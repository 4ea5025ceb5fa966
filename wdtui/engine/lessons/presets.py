"""The classic weight-decay experiments, each a small named recipe.

A preset is plain data: the config values of the original experiment, the runs it compared
(regularizer, λ), which data generator it uses and how its fit is best shown. No torch here, so
the CLI can list presets and build ``--help`` without loading it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Literal, NamedTuple

from .guides import GUIDES

FitKind = Literal["curve", "weights", "target", "classes"]


class Run(NamedTuple):
    """One run of a comparison. ``dropout`` None: the config's dropout p; ``optimizer`` None: the
    config's optimizer (same lr either way)."""

    regularizer: str
    lam: float
    dropout: float | None = None
    optimizer: str | None = None

    def label(self) -> str:
        text = f"{self.regularizer} λ={self.lam:g}"
        text = text if self.dropout is None else f"{text} dropout={self.dropout:g}"
        return text if self.optimizer is None else f"{text} {self.optimizer}"


def main_run(preset: str) -> Run:
    """The preset's own run: the one with its config's regularizer and λ (what the app trains as
    "the run", and a sweep sweeps), else its last."""
    own = PRESETS[preset]
    key = (own.config["regularizer"], own.config["lam"])
    return next((run for run in own.runs if (run.regularizer, run.lam) == key), own.runs[-1])


def comparison_config(config, run: Run):
    """The comparison's settings: the run's ``config`` (model, data, lr) with the comparison's
    regularizer, λ, dropout p and optimizer; raises ConfigError where the model cannot train it
    (dropout on a linear model)."""
    return config.with_changes(regularizer=run.regularizer, lam=run.lam,
                               dropout=config.dropout if run.dropout is None else run.dropout,
                               optimizer=run.optimizer or config.optimizer)


def trains_alike(a, b) -> bool:
    """Whether two configs train the same: equal but for how they say "no decay" — regularizer
    none, or λ = 0 under any regularizer (each regularizer's update at λ = 0 is the optimizer's
    own step: coupled adds 0·w to the gradient, decoupled shrinks by 1 − 0, l1 moves by 0), with
    which parameters are decayed and by which convention then moot."""
    from dataclasses import replace

    def plain(config):
        if config.regularizer != "none" and config.lam != 0:
            return config
        return replace(config, regularizer="none", lam=0.0, decay_all=False, decay_convention="torch")

    return plain(a) == plain(b)


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    source: str
    data: str  # the generator in data.py, or where it is read from: digits, cifar10, file
    fit: FitKind  # curve: 1-D x→y; weights: learned vs true weights; target: prediction vs target;
    #               classes: accuracy and per-class accuracy
    config: dict[str, Any]
    runs: tuple[Run, ...]  # what the experiment compared
    guide: str = ""  # what to look for and what the numbers show (guides.py, measured over seeds)
    epochs_axis: Literal["linear", "log"] = "linear"  # the app's history charts (grokking: log)
    sweep: dict[str, Any] | None = None  # wdtui sweep's defaults for this preset (lambdas, n_trains, seeds)


_SINE = dict(
    n_train=100, n_test=100, n_inputs=1, noise=0.1,
    width=64, depth=1, activation="tanh", norm="none", init="default",
    optimizer="adam", lr=0.01, momentum=0.0, epochs=500, batch_size=None,
    regularizer="coupled", lam=0.01, decay_all=True, loss="mse",
)

# The CNN of the CIFAR-10 tutorial sized for 8×8 digits: (Conv 3×3 → ReLU → MaxPool 2) × 2,
# Flatten, Linear 128→64 → ReLU, Linear 64→10. SGD lr 0.01, batch 64, weight_decay 0.01 on every
# parameter, as the tutorial. Momentum 0.9 is added: with 300 images an epoch is 5 steps, and plain
# SGD at lr 0.01 stayed at chance (8.75 % test accuracy) after 200 epochs.
_DIGITS = dict(
    n_train=300, n_test=None, n_inputs=64, noise=0.0,
    width=64, depth=1, activation="relu", norm="none", init="default",
    optimizer="sgd", lr=0.01, momentum=0.9, epochs=100, batch_size=64,
    regularizer="coupled", lam=0.01, decay_all=True, loss="cross_entropy",
    task="classification", model="cnn", channels=(16, 32), kernel=3, dropout=0.0,
)

# grokking: every pair of residues mod p is an example, n_train + n_test = p² = 4489; one step per
# epoch (full batch). β₂ = 0.98 and λ = 1 as Power et al.; decay on every parameter, as
# AdamW(model.parameters(), weight_decay=1). One CPU thread: the automatic choice (two, for a
# 2244-row batch) ran 30× slower on a shared 2-core machine.
GROKKING = dict(
    n_train=2244, n_test=2245, n_inputs=134, noise=0.0,
    width=128, depth=1, activation="relu", norm="none", init="default",
    optimizer="adam", lr=3e-3, momentum=0.0, epochs=4000, batch_size=None,
    regularizer="decoupled", lam=1.0, decay_all=True, loss="cross_entropy",
    task="classification", model="mlp", betas=(0.9, 0.98), modulus=67, threads=1,
)

# equilibrium: each hidden Linear feeds a LayerNorm (scale-invariant: see models.scale_invariant).
# Mini-batches of 50 (20 steps per epoch): their noise keeps the gradients from vanishing once the
# digits are fit, so the norm can settle. Decay on every parameter: a Linear's weight and bias
# shrink together, as the pair whose scale LayerNorm ignores, and LayerNorm's gain and the output
# layer, which set the logits' scale, cannot grow to push the loss to zero.
EQUILIBRIUM = dict(
    n_train=1000, n_test=None, n_inputs=64, noise=0.0,
    width=64, depth=2, activation="relu", norm="layernorm", init="default",
    optimizer="sgd", lr=0.1, momentum=0.0, epochs=100, batch_size=50,
    regularizer="coupled", lam=0.05, decay_all=True, loss="cross_entropy",
    task="classification", model="mlp",
)


# Bishop's λ, e^-18, in the project's convention: his E(w) = ½·Σ(y − t)² + λ_B/2·‖w‖² divided by N
# is half_mse + λ_B/(2N)·‖w‖², the l2 objective at λ = λ_B/N (see guides.py, tests/test_linear_lessons.py).
POLY_N = 10
POLY_LAMBDA = math.exp(-18) / POLY_N

# Nakkiran et al.'s λ_opt = d·σ²/‖β*‖² is for Σ(y − xᵀβ)² + λ_N·‖β‖² (a sum over the n examples).
# Divided by n that is mse + λ_N/n·‖β‖², the l2 objective at λ = 2·λ_N/n: λ_opt depends on n here;
# at n = d it is 2σ²/‖β*‖² = 0.5 for σ = 0.5, ‖β*‖ = 1.
DD_D, DD_NOISE = 100, 0.5
DD_LAMBDA_OPT = 2 * DD_NOISE ** 2  # at n = d, ‖β*‖ = 1 (data/linear_lessons.SIGNAL_NORM)
# n_train as fractions of d: sparse far from d, dense around the interpolation threshold
N_TRAIN_FRACTIONS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 1.0, 1.01, 1.02, 1.05, 1.1,
                     1.2, 1.4, 1.6, 1.8, 2.0, 2.2, 2.4, 2.6, 2.8, 3.0)


def n_train_ladder(d: int) -> list[int]:
    """The sample sizes a double-descent sweep tries for d inputs: ``N_TRAIN_FRACTIONS`` of d,
    rounded, at least 2, each once (d = 100: 10, 20, …, 90, 95, 98, 100, 101, 102, 105, 110,
    120, 140, …, 300)."""
    return sorted({max(2, round(f * d)) for f in N_TRAIN_FRACTIONS})


def preset_runs(preset: str, dropout: float | None = None) -> list[Run]:
    """The preset's comparison; ``dropout`` (``--dropout``, as given): the p of the preset's own
    run (:func:`main_run`) where its runs carry their own p — on the dropout preset the λ = 0.01
    run, as the app's "dropout p" and ``wdtui sweep`` take it; the other keeps its 0.5. Runs
    without a p of their own take the config's, which ``--dropout`` sets anyway."""
    main = main_run(preset)
    return [run._replace(dropout=dropout) if dropout is not None and run == main and run.dropout is not None
            else run for run in PRESETS[preset].runs]


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            name="sine",
            title="noisy sine fit, 1-64-1 tanh MLP, Adam weight_decay 0 vs 0.01",
            source="the PyTorch weight-decay demo (Adam(model.parameters(), weight_decay=...))",
            data="sine",
            fit="curve",
            config=_SINE,
            runs=(Run("coupled", 0.0), Run("coupled", 0.01)),
        ),
        Preset(
            name="sine-overfit",
            title="20 noisy sine points (noise 0.3), 3000 epochs: where decay helps",
            source="the sine demo pushed into overfitting",
            data="sine",
            fit="curve",
            config={**_SINE, "n_train": 20, "noise": 0.3, "epochs": 3000, "lam": 0.005},
            runs=(Run("coupled", 0.0), Run("coupled", 0.005)),
        ),
        Preset(
            name="d2l",
            title="high-dimensional linear regression: 200 inputs, 20 samples, SGD, λ 0 vs 3",
            source='Dive into Deep Learning, "Weight Decay" (implementation from scratch)',
            data="d2l",
            fit="weights",
            config=dict(
                n_train=20, n_test=100, n_inputs=200, noise=0.01,
                width=32, depth=0, activation="identity", norm="none", init="normal",
                optimizer="sgd", lr=0.003, momentum=0.0, epochs=100, batch_size=5,
                regularizer="l2", lam=3.0, decay_all=False, loss="half_mse",
            ),
            runs=(Run("l2", 0.0), Run("l2", 3.0)),
        ),
        Preset(
            name="quadratic",
            title="LayerNorm MLP on y = 2·x1 − x2² + 1, Adam weight_decay 0.01 vs 0.1",
            source="the optimizer weight_decay demo with LayerNorm (weight histograms)",
            data="quadratic",
            fit="target",
            config=dict(
                n_train=20, n_test=20, n_inputs=2, noise=0.0,
                width=20, depth=4, activation="identity", norm="layernorm", init="default",
                optimizer="adam", lr=0.01, momentum=0.0, epochs=1000, batch_size=None,
                regularizer="coupled", lam=0.1, decay_all=True, loss="mse",
            ),
            runs=(Run("coupled", 0.01), Run("coupled", 0.1)),
        ),
        Preset(
            name="sparse",
            title="L1 vs L2 on a sparse linear model: 50 inputs, 5 non-zero, 40 samples",
            source="lasso vs ridge: exact zeros vs shrinkage at the same strength",
            data="sparse",
            fit="weights",
            config=dict(
                n_train=40, n_test=200, n_inputs=50, noise=0.5,
                width=32, depth=0, activation="identity", norm="none", init="default",
                optimizer="sgd", lr=0.05, momentum=0.0, epochs=1000, batch_size=None,
                regularizer="l1", lam=0.2, decay_all=False, loss="mse",
            ),
            runs=(Run("l1", 0.2), Run("l2", 0.2)),
        ),
        Preset(
            name="poly",
            title="Bishop's degree-9 polynomial on 10 noisy sine points: λ = 0 interpolates, ln λ = −18 is smooth",
            source="Bishop, Pattern Recognition and Machine Learning, §1.1 (Fig. 1.4, 1.7, 1.8, Table 1.2)",
            data="poly",
            fit="curve",
            config=dict(
                n_train=POLY_N, n_test=100, n_inputs=9, noise=0.3,
                width=32, depth=0, activation="identity", norm="none", init="zero",
                optimizer="adam", lr=0.01, momentum=0.0, epochs=5000, batch_size=None,
                regularizer="l2", lam=POLY_LAMBDA, decay_all=True, loss="half_mse",
                dtype="float64", solver="exact",
            ),
            runs=(Run("l2", 0.0), Run("l2", POLY_LAMBDA)),
            sweep={"lambdas": ["1e-18:1e-1:18"]},  # ln λ_B = ln(10·λ) from −39 to 0 (Fig. 1.8)
        ),
        Preset(
            name="double-descent",
            title="isotropic linear regression, n_train around d = 100: λ = 0 peaks at n = d, λ_opt does not",
            source='Nakkiran et al. 2020, "Optimal regularization can mitigate double descent"',
            data="double-descent",
            fit="weights",
            config=dict(
                n_train=DD_D, n_test=500, n_inputs=DD_D, noise=DD_NOISE,
                width=32, depth=0, activation="identity", norm="none", init="zero",
                optimizer="sgd", lr=0.01, momentum=0.0, epochs=1000, batch_size=None,
                regularizer="l2", lam=DD_LAMBDA_OPT, decay_all=True, loss="mse", dtype="float64",
                solver="exact",
            ),
            runs=(Run("l2", 0.0), Run("l2", DD_LAMBDA_OPT)),
            sweep={"n_trains": "ladder",  # n_train_ladder(n_inputs)
                   "lambdas": ["0", "0.005", "0.05", str(DD_LAMBDA_OPT), "5"],
                   "seeds": 20},
        ),
        Preset(
            name="digits",
            title="8×8 handwritten digits, small CNN, 300 training images, SGD weight_decay 0 vs 0.01",
            source="the CIFAR-10 regularization tutorial's CNN and SGD(lr=0.01, weight_decay=0.01), on UCI optdigits",
            data="digits",
            fit="classes",
            config=_DIGITS,
            runs=(Run("coupled", 0.0), Run("coupled", 0.01)),
        ),
        Preset(
            name="dropout",
            title="digits CNN: dropout 0.5 with λ = 0 against weight_decay 0.01 without dropout",
            source="the tutorial's comparison of dropout and L2 as regularizers",
            data="digits",
            fit="classes",
            config={**_DIGITS, "dropout": 0.5, "epochs": 150},  # dropout learns more slowly
            runs=(Run("none", 0.0, 0.5), Run("coupled", 0.01, 0.0)),
        ),
        Preset(
            name="cifar10",
            title="CIFAR-10, the tutorial's CNN (3 conv k5 + pool, 1024→64→10), SGD weight_decay 0 vs 0.01",
            source="the PyTorch CIFAR-10 tutorial network, SGD(lr=0.01, weight_decay=0.01); data from --data-dir",
            data="cifar10",
            fit="classes",
            config=dict(
                n_train=None, n_test=None, n_inputs=3072, noise=0.0,
                width=64, depth=1, activation="identity", norm="none", init="default",
                optimizer="sgd", lr=0.01, momentum=0.0, epochs=10, batch_size=64,
                regularizer="coupled", lam=0.01, decay_all=True, loss="cross_entropy",
                task="classification", model="cnn", channels=(32, 32, 64), kernel=5, dropout=0.0,
            ),
            runs=(Run("coupled", 0.0), Run("coupled", 0.01)),
        ),
        # --- grokking and equilibrium (issue 13) ---
        Preset(
            name="grokking",
            title="(a + b) mod 67, half the pairs, 1-hidden-layer MLP, full-batch AdamW λ 0 vs 1",
            source="Power et al. 2022 (grokking); Liu et al. 2022 (Omnigrok); Nanda et al. 2023",
            data="modular",
            fit="classes",
            config=GROKKING,
            runs=(Run("decoupled", 0.0), Run("decoupled", 1.0)),
            epochs_axis="log",  # memorizing (~10² steps) and generalizing (~10³) on one axis
        ),
        Preset(
            name="equilibrium",
            title="LayerNorm MLP on digits, SGD lr 0.1, λ 0.02 vs 0.05: rotational equilibrium",
            source="van Laarhoven 2017; Kosson et al. 2023, \"Rotational equilibrium\"",
            data="digits",
            fit="classes",
            config=EQUILIBRIUM,
            runs=(Run("coupled", 0.02), Run("coupled", 0.05)),
        ),
        Preset(
            name="custom",
            title="your own data (--data FILE.npz|FILE.csv): MLP 2 × 64 ReLU, Adam, λ 0 vs 1e-3",
            source="x_train, y_train, x_test, y_test from an .npz, or a CSV whose last column is the target",
            data="file",
            fit="target",  # classification data is shown as classes (the task is read from the data)
            config=dict(
                n_train=None, n_test=None, n_inputs=1, noise=0.0,
                width=64, depth=2, activation="relu", norm="none", init="default",
                optimizer="adam", lr=1e-3, momentum=0.0, epochs=200, batch_size=64,
                regularizer="decoupled", lam=1e-3, decay_all=False, loss="mse",
                task="auto", model="mlp", channels=(16, 32), kernel=3, dropout=0.0,
            ),
            runs=(Run("decoupled", 0.0), Run("decoupled", 1e-3)),
        ),
    )
}
PRESETS = {name: replace(preset, guide=GUIDES[name]) for name, preset in PRESETS.items()}
