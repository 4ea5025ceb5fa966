"""The classic weight-decay experiments, each a small named recipe.

A preset is plain data: the config values of the original experiment, the runs it compared
(regularizer, λ), which data generator it uses and how its fit is best shown. No torch here, so
the CLI can list presets and build ``--help`` without loading it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

FitKind = Literal["curve", "weights", "target"]


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    source: str
    data: str  # the generator in data.py
    fit: FitKind  # curve: 1-D x→y; weights: learned vs true weights; target: prediction vs target
    config: dict[str, Any]
    runs: tuple[tuple[str, float], ...]  # the (regularizer, λ) pairs the experiment compared


_SINE = dict(
    n_train=100, n_test=100, n_inputs=1, noise=0.1,
    width=64, depth=1, activation="tanh", norm="none", init="default",
    optimizer="adam", lr=0.01, momentum=0.0, epochs=500, batch_size=None,
    regularizer="coupled", lam=0.01, decay_all=True, loss="mse",
)

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
            runs=(("coupled", 0.0), ("coupled", 0.01)),
        ),
        Preset(
            name="sine-overfit",
            title="20 noisy sine points (noise 0.3), 3000 epochs: where decay helps",
            source="the sine demo pushed into overfitting",
            data="sine",
            fit="curve",
            config={**_SINE, "n_train": 20, "noise": 0.3, "epochs": 3000, "lam": 0.005},
            runs=(("coupled", 0.0), ("coupled", 0.005)),
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
            runs=(("l2", 0.0), ("l2", 3.0)),
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
            runs=(("coupled", 0.01), ("coupled", 0.1)),
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
            runs=(("l1", 0.2), ("l2", 0.2)),
        ),
    )
}
