"""The 8×8 handwritten digits (UCI "optdigits", CC BY 4.0), read from ``assets/digits.npz``.

1,797 grey images with pixel values 0…16, scaled to [0, 1]. The asset is written once by
``assets/make_digits.py`` from scikit-learn's copy; nothing is downloaded at run time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .config import Config, ConfigError
from .data import Dataset, classification, split

ASSET = Path(__file__).resolve().parents[2] / "assets" / "digits.npz"
CLASSES = tuple(str(d) for d in range(10))


def load_digits(cfg: Config, path: Path = ASSET) -> Dataset:
    """Images (N, 1, 8, 8) in [0, 1] and labels 0…9, split by ``cfg.seed``: ``n_train`` images
    for training and ``n_test`` (None: all the others) for testing."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            images, labels = archive["images"], archive["labels"]
    except OSError as error:
        raise ConfigError("preset", f"the digits asset is missing or unreadable: {path} "
                          f"({error}); run python assets/make_digits.py") from None
    train, test = split(len(images), cfg.n_train, cfg.n_test, cfg.seed, "the digits data set")
    x = images[:, None].astype(np.float32) / 16.0
    return classification(x[train], labels[train], x[test], labels[test], CLASSES)
