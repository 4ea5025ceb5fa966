"""The models: a plain MLP as an ``nn.Sequential`` (so state dicts read like the demos'), and the
rule that decides which parameters weight decay acts on."""

from __future__ import annotations

import torch
from torch import nn

from .config import Config

ACTIVATIONS: dict[str, type[nn.Module] | None] = {
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "sigmoid": nn.Sigmoid,
    "identity": None,  # no layer at all, as the LayerNorm demo has none
}


def build_model(cfg: Config, n_inputs: int, n_outputs: int = 1) -> nn.Sequential:
    """``depth`` hidden blocks of ``width`` units, each Linear [→ LayerNorm] [→ activation], then a
    Linear to the output. ``depth`` 0 is a linear model.

    sine: Linear(1,64) → Tanh → Linear(64,1).  quadratic: 4 × (Linear → LayerNorm) → Linear(20,1).
    """
    layers: list[nn.Module] = []
    fan_in = n_inputs
    activation = ACTIVATIONS[cfg.activation]
    for _ in range(cfg.depth):
        layers.append(nn.Linear(fan_in, cfg.width))
        if cfg.norm == "layernorm":
            layers.append(nn.LayerNorm(cfg.width))
        if activation is not None:
            layers.append(activation())
        fan_in = cfg.width
    layers.append(nn.Linear(fan_in, n_outputs))
    model = nn.Sequential(*layers)
    if cfg.init == "normal":
        _init_normal(model)
    return model


def _init_normal(model: nn.Module) -> None:
    """d2l's initialisation: weights ~ N(0, 1), biases 0."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear):
                module.weight.normal_(0.0, 1.0)
                module.bias.zero_()


def split_decay(model: nn.Module, decay_all: bool) -> tuple[list[str], list[str]]:
    """Which parameters weight decay acts on: tensors with ``dim() >= 2`` (the weights of linear
    and conv layers) are decayed; biases and normalization parameters (1-D) are not, unless
    ``decay_all`` (what ``Adam(model.parameters(), weight_decay=...)`` does). Returns the names of
    the decayed and the other parameters, in the model's order.
    """
    decayed, others = [], []
    for name, param in model.named_parameters():
        (decayed if decay_all or param.dim() >= 2 else others).append(name)
    return decayed, others
