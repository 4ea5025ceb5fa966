"""Modular addition, the grokking data set (Power et al. 2022): every pair (a, b) of residues
mod p labelled (a + b) mod p, split into training and test pairs by the config's seed.

An example is the two one-hot vectors of a and b side by side (2·p inputs), so the MLP's first
Linear layer is a learned embedding of each operand, summed: W·[e_a; e_b] = W_a[:, a] + W_b[:, b]
(the embedding-then-MLP models of Liu et al. 2022). The p classes are the residues 0…p−1.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..config import Config
from .dataset import Dataset, split


def pairs(p: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """All p² pairs in row order (a major): a, b and the label (a + b) mod p, as int64."""
    a = torch.arange(p).repeat_interleave(p)
    b = torch.arange(p).repeat(p)
    return a, b, (a + b) % p


def one_hot_pairs(a: torch.Tensor, b: torch.Tensor, p: int) -> torch.Tensor:
    """[one_hot(a) | one_hot(b)], (N, 2·p) floats."""
    return torch.cat([F.one_hot(a, p), F.one_hot(b, p)], dim=1).to(torch.float64)


def modular_addition(cfg: Config) -> Dataset:
    """``n_train`` of the p² pairs for training and ``n_test`` of the others for testing, a seeded
    random choice (``dataset.split``; ConfigError when they don't fit in p²)."""
    p = cfg.modulus
    a, b, y = pairs(p)
    train, test = split(p * p, cfg.n_train, cfg.n_test, cfg.seed, f"(a + b) mod {p} ({p * p} pairs)")
    x = one_hot_pairs(a, b, p)
    train, test = torch.from_numpy(train), torch.from_numpy(test)
    return Dataset(x[train], y[train], x[test], y[test], classes=tuple(str(c) for c in range(p)))
