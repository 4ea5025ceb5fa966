"""The validation set a sweep chooses λ on, so that the test set stays a test.

Two ways, by where the data comes from:

- **generated** (sine, sine-overfit, d2l, quadratic, sparse): ``n_test`` fresh examples from the
  distribution of the test set, drawn from a generator of their own seeded with
  :func:`validation_seed` of the config's seed. The training and test draws are untouched: the
  same seed gives bit-identical training and test sets with or without a validation set.
- **read from disk** (digits, cifar10, ``--data``): a seeded ``VAL_FRACTION`` of the training
  rows is held out (at least one, and at least two rows stay for training). The sweep then
  trains on the remaining rows; single runs (``wdtui run``, the app's run) keep the whole
  training set, as the experiment defines it.

Only sweeps and grids build experiments with a validation set (``build_experiment(...,
validation=True)``); a single run never measures one.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from ..config import Config, ConfigError
from ..data.dataset import Dataset
from ..data.generators import VALIDATION_DRAWS
from ..lessons.presets import PRESETS

VAL_FRACTION = 0.2  # of the training rows, for data read from disk
VALIDATION_STREAM = 0x76616C  # "val": the validation generator's stream, apart from the seed's own


def validation_seed(seed: int) -> int:
    """The validation generator's seed: a hash of (seed, stream), so it collides with no
    config's seed in practice (seed + offset would: seed 7's validation = seed 7 + offset's data)."""
    state = np.random.SeedSequence((int(seed) & 0xFFFFFFFF, VALIDATION_STREAM)).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(1))


def validation_kind(cfg: Config) -> str:
    """``drawn`` (a fresh sample from the generator's distribution) or ``held out`` (training rows)."""
    return "drawn" if cfg.data is None and PRESETS[cfg.preset].data in VALIDATION_DRAWS else "held out"


def with_validation(cfg: Config, data: Dataset) -> Dataset:
    """``data`` (on the CPU, as ``make_dataset`` returns it) with ``x_val``/``y_val`` added."""
    g = torch.Generator().manual_seed(validation_seed(cfg.seed))
    if validation_kind(cfg) == "drawn":
        draw = VALIDATION_DRAWS[PRESETS[cfg.preset].data]
        x_val, y_val = draw(cfg, g, data, len(data.x_test))
        return replace(data, x_val=x_val, y_val=y_val)
    n = len(data.x_train)
    n_val = max(1, round(VAL_FRACTION * n))
    if n - n_val < 2:
        raise ConfigError("n_train", f"a sweep holds out {VAL_FRACTION:.0%} of the training rows for "
                          f"validation and needs 2 left to train on; {n} training rows are too few")
    order = torch.randperm(n, generator=g)
    val, train = order[:n_val].sort().values, order[n_val:].sort().values  # keep the rows' own order
    return replace(data, x_train=data.x_train[train], y_train=data.y_train[train],
                   x_val=data.x_train[val], y_val=data.y_train[val])
