"""The dataset of an experiment: generated for the regression presets, read from disk otherwise.

``dataset`` holds the Dataset type, ``generators`` the generated sets; data read from disk comes
from ``digits`` (the packaged asset), ``cifar10`` (a CIFAR-10 folder) and ``files`` (``--data``).
"""

from __future__ import annotations

import torch

from ..config import Config
from ..lessons.presets import PRESETS
from .dataset import Dataset, Step, no_step
from .generators import GENERATORS


def make_dataset(cfg: Config, step: Step = no_step) -> Dataset:
    """The preset's data for this config on the CPU (generated in float64, read as float32).
    ``step`` is told what is being done (and may stop the build, see :data:`.dataset.Step`)."""
    source = PRESETS[cfg.preset].data
    if source != "cifar10" or cfg.data is not None:  # CIFAR-10 reports file by file
        step(f"reading {cfg.data}" if cfg.data is not None else
             f"{'loading' if source == 'digits' else 'generating'} the {source} data", 0.0)
    if cfg.data is not None:
        from .files import load_data_file

        return load_data_file(cfg)
    if source == "digits":
        from .digits import load_digits

        return load_digits(cfg)
    if source == "cifar10":
        from .cifar10 import load_cifar10

        return load_cifar10(cfg, step)
    if source == "modular":
        from .modular import modular_addition

        return modular_addition(cfg)
    g = torch.Generator().manual_seed(cfg.seed)
    return GENERATORS[source](cfg, g)
