"""The 8×8 handwritten digits (UCI "optdigits", CC BY 4.0), read from the package data file
``wdtui/data/digits.npz`` (through ``importlib.resources``, so an installed wheel finds it from
any working directory).

1,797 grey images with pixel values 0…16, scaled to [0, 1]. The file is written once by
``assets/make_digits.py`` from scikit-learn's copy; nothing is downloaded at run time.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..config import Config, ConfigError
from .dataset import Dataset, classification, split

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

ASSET = resources.files("wdtui") / "data" / "digits.npz"
CLASSES = tuple(str(d) for d in range(10))


def load_digits(cfg: Config, path: Path | Traversable = ASSET) -> Dataset:
    """Images (N, 1, 8, 8) in [0, 1] and labels 0…9, split by ``cfg.seed``: ``n_train`` images
    for training and ``n_test`` (None: all the others) for testing."""
    try:
        with path.open("rb") as file, np.load(file, allow_pickle=False) as archive:
            images, labels = archive["images"], archive["labels"]
    except OSError as error:
        raise ConfigError("preset", f"the digits asset is missing or unreadable: {path} "
                          f"({error}); reinstall wdtui") from None
    train, test = split(len(images), cfg.n_train, cfg.n_test, cfg.seed, "the digits data set")
    x = images[:, None].astype(np.float32) / 16.0
    return classification(x[train], labels[train], x[test], labels[test], CLASSES)
