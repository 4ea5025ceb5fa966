"""The Dataset type every source fills, and the splits of data that comes whole or pre-split."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ..config import Config

GRID_POINTS = 200
SHOWN_MOST = 2000  # examples of a set drawn point by point (the app's scatter); more are sampled


def shown_rows(n: int, seed: int, most: int = SHOWN_MOST) -> torch.Tensor | None:
    """The rows of a set of ``n`` examples that a scatter shows: all of them (None) when
    n ≤ ``most``, else ``most`` rows drawn without replacement by a generator seeded with
    ``seed``, in increasing order (the same rows for the same seed, on any machine)."""
    if n <= most:
        return None
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:most].sort().values


Step = Callable[[str, float], None]
"""A build's report between its steps: ``step(what, share)`` says what is being done and how far
(``share`` 0…1 of ``what``). It may raise to stop the build (the app's :class:`.BuildStopped`)."""


def no_step(what: str, share: float) -> None:
    """A build nobody watches."""


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


def classification(x: np.ndarray, y: np.ndarray, xt: np.ndarray, yt: np.ndarray,
                   classes: tuple[str, ...]) -> Dataset:
    """A classification dataset from numpy arrays (images or features; labels 0…C−1)."""
    as_x = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))  # noqa: E731
    as_y = lambda a: torch.from_numpy(np.asarray(a, dtype=np.int64).reshape(-1))  # noqa: E731
    return Dataset(as_x(x), as_y(y), as_x(xt), as_y(yt), classes=classes)


def split(n: int, n_train: int | None, n_test: int | None, seed: int, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a seeded random split of ``n`` examples: ``n_train`` for training (None: what
    ``n_test`` leaves), ``n_test`` for testing (None: the rest). Raises ConfigError if they don't fit."""
    from ..config import ConfigError

    train = n - (n_test or 0) if n_train is None else n_train
    test = n - train if n_test is None else n_test
    if train < 2 or test < 1 or train + test > n:
        # name what was asked and what is allowed; a size left to default is "the rest"
        if n_test is None:
            raise ConfigError("n_train", f"{source} holds {n} examples: n_train must be 2 to {n - 1} "
                              f"(the rest is the test set); asked for {n_train}")
        if n_train is None:
            raise ConfigError("n_test", f"{source} holds {n} examples: n_test must be 1 to {n - 2} "
                              f"(the rest is the training set); asked for {n_test}")
        # too many together: named by the larger, the one to lower (the message gives both)
        field = ("n_train" if n_train < 2 else "n_test" if n_test < 1
                 else "n_test" if n_test > n_train else "n_train")
        raise ConfigError(field, f"{source} holds {n} examples: n_train ≥ 2 and n_test ≥ 1 with "
                          f"n_train + n_test ≤ {n}; asked for {n_train} + {n_test}")
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(n, generator=g).numpy()
    return order[:train], order[train:train + test]


def first_sizes(cfg: Config, train: int, test: int, source: str) -> tuple[int, int]:
    """How many to take from the front of a set that comes split (a CIFAR-10 folder, an .npz):
    ``n_train`` of its ``train`` examples and ``n_test`` of its ``test`` (None: all of them).
    Raises ConfigError when more are asked for than it holds."""
    from ..config import ConfigError

    sizes = []
    for field, n, have in (("n_train", cfg.n_train, train), ("n_test", cfg.n_test, test)):
        if n is not None and n > have:
            raise ConfigError(field, f"must be at most {have}, the examples {source} holds (got {n})")
        sizes.append(have if n is None else n)
    return sizes[0], sizes[1]
