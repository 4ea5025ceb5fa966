"""The dataset of an experiment: generated for the regression presets, read from disk otherwise.

Every generator draws from its own ``torch.Generator`` seeded with the config's seed, in float64
on the CPU, so the same seed gives the same data whatever the device and dtype; the tensors are
converted once, at the end. Data read from disk (the digits asset, a CIFAR-10 folder, ``--data``)
comes from ``digits.py``, ``cifar10.py`` and ``datafiles.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .config import Config
from .presets import PRESETS

GRID_POINTS = 200


TENSORS = ("x_train", "y_train", "x_test", "y_test", "grid_x", "grid_y", "true_weights", "x_val", "y_val")


@dataclass
class Dataset:
    """Inputs are (N, n_inputs) or images (N, C, H, W). Regression targets are (N, 1) floats;
    classification targets are (N,) class indices (int64) and ``classes`` names the classes.

    ``grid_x``/``grid_y`` (1-D presets): a plotting grid and the noise-free function on it.
    ``true_weights`` (linear presets): the weights that generated the data, for the Fit chart.
    ``x_val``/``y_val``: the validation set a sweep chooses λ on (:mod:`.validation`); None
    for single runs.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    grid_x: torch.Tensor | None = None
    grid_y: torch.Tensor | None = None
    true_weights: torch.Tensor | None = None
    x_val: torch.Tensor | None = None
    y_val: torch.Tensor | None = None
    classes: tuple[str, ...] | None = None

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def n_inputs(self) -> int:
        return math.prod(self.input_shape)

    @property
    def task(self) -> str:
        return "regression" if self.classes is None else "classification"

    @property
    def n_outputs(self) -> int:
        return 1 if self.classes is None else len(self.classes)

    def to(self, device: torch.device, dtype: torch.dtype) -> "Dataset":
        """Floating tensors to ``dtype``, class indices stay int64; all to ``device``."""
        def move(t: torch.Tensor | None) -> torch.Tensor | None:
            if t is None:
                return None
            return t.to(device=device, dtype=dtype if t.is_floating_point() else t.dtype)

        return Dataset(*(move(getattr(self, name)) for name in TENSORS), classes=self.classes)

    def arrays(self) -> dict[str, np.ndarray]:
        """``x_train, y_train, x_test, y_test`` as numpy arrays (for ``--save-data``)."""
        names = ("x_train", "y_train", "x_test", "y_test")
        return {name: getattr(self, name).detach().cpu().numpy() for name in names}


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


def classification(x: np.ndarray, y: np.ndarray, xt: np.ndarray, yt: np.ndarray,
                   classes: tuple[str, ...]) -> Dataset:
    """A classification dataset from numpy arrays (images or features; labels 0…C−1)."""
    as_x = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))  # noqa: E731
    as_y = lambda a: torch.from_numpy(np.asarray(a, dtype=np.int64).reshape(-1))  # noqa: E731
    return Dataset(as_x(x), as_y(y), as_x(xt), as_y(yt), classes=classes)


def split(n: int, n_train: int | None, n_test: int | None, seed: int, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a seeded random split of ``n`` examples: ``n_train`` for training (None: what
    ``n_test`` leaves), ``n_test`` for testing (None: the rest). Raises ConfigError if they don't fit."""
    from .config import ConfigError

    train = n - (n_test or 0) if n_train is None else n_train
    test = n - train if n_test is None else n_test
    if train < 2 or test < 1 or train + test > n:
        field = "n_test" if n_train is None else "n_train"
        raise ConfigError(field, f"{source} holds {n} examples: n_train + n_test must be ≤ {n}, "
                          f"with n_train ≥ 2 and n_test ≥ 1 (got {train} + {test})")
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(n, generator=g).numpy()
    return order[:train], order[train:train + test]


def first_sizes(cfg: Config, train: int, test: int, source: str) -> tuple[int, int]:
    """How many to take from the front of a set that comes split (a CIFAR-10 folder, an .npz):
    ``n_train`` of its ``train`` examples and ``n_test`` of its ``test`` (None: all of them).
    Raises ConfigError when more are asked for than it holds."""
    from .config import ConfigError

    sizes = []
    for field, n, have in (("n_train", cfg.n_train, train), ("n_test", cfg.n_test, test)):
        if n is not None and n > have:
            raise ConfigError(field, f"must be at most {have}, the examples {source} holds (got {n})")
        sizes.append(have if n is None else n)
    return sizes[0], sizes[1]


def make_dataset(cfg: Config) -> Dataset:
    """The preset's data for this config on the CPU (generated in float64, read as float32)."""
    source = PRESETS[cfg.preset].data
    if cfg.data is not None:
        from .datafiles import load_data_file

        return load_data_file(cfg)
    if source == "digits":
        from .digits import load_digits

        return load_digits(cfg)
    if source == "cifar10":
        from .cifar10 import load_cifar10

        return load_cifar10(cfg)
    g = torch.Generator().manual_seed(cfg.seed)
    return GENERATORS[source](cfg, g)
