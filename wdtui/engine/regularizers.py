"""The five regularizers, each stated as the update it makes.

Notation: w is a decayed parameter, g = ∇L_data(w) its data gradient, λ ≥ 0, η the learning rate,
and ``opt(g)`` the optimizer's update direction (SGD: g, or the momentum buffer; Adam: m̂/(√v̂+ε)).

=========  ======================================================  ================================
name       what it does                                            update of a decayed w
=========  ======================================================  ================================
none       nothing                                                 w ← w − η·opt(g)
l2         adds the penalty λ/2·Σ‖w‖² to the loss (textbook)       w ← w − η·opt(g + λ·w)
coupled    the optimizer's own ``weight_decay``: g += λ·w          w ← w − η·opt(g + λ·w)
decoupled  AdamW / SGDW: shrink w, then the optimizer's step       w ← w·(1 − η·λ) − η·opt(g)
l1         proximal soft-threshold after the step                  w ← S(w − η·opt(g), η·λ),
                                                                   S(x, t) = sign(x)·max(|x|−t, 0)
=========  ======================================================  ================================

``l2`` and ``coupled`` are the same update (for SGD, with or without momentum, and for Adam);
they differ in where λ·w comes from (autograd vs. an explicit add). ``decoupled`` differs from
them for Adam: the decay bypasses the moment estimates, so every weight shrinks at the same rate
η·λ whatever its gradient history (Loshchilov & Hutter, ICLR 2019). ``l1`` reaches exact zeros;
for SGD it is exact proximal gradient descent (ISTA) on L_data + λ·Σ|w|.

λ may be a float, or (batched sweeps) a list with one tensor per parameter that broadcasts over
it, e.g. shape (K, 1, 1) for a stacked (K, out, in) weight; η likewise (an (lr, λ) grid).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Union

import torch

from .config import REGULARIZERS as REGULARIZER_NAMES

Lam = Union[float, Sequence[torch.Tensor]]


def _products(lam: Lam, lr: Lam, n: int) -> float | list:
    """η·λ: a float when both are, else one value per parameter."""
    if isinstance(lam, float) and isinstance(lr, float):
        return lr * lam
    lams = [lam] * n if isinstance(lam, float) else lam
    lrs = [lr] * n if isinstance(lr, float) else lr
    return [a * b for a, b in zip(lrs, lams)]


@dataclass(frozen=True)
class Regularizer:
    name: str  # its update, one line for the app, is config.REGULARIZER_RULES[name]
    penalty_in_loss: bool = False  # l2: autograd differentiates λ/2·‖w‖²

    def loss_penalty(self, params: list[torch.Tensor], lam: Lam) -> torch.Tensor | None:
        """The term added to the loss before backward (``l2`` only): λ/2·Σ‖w‖²."""
        if not self.penalty_in_loss or not params:
            return None
        if isinstance(lam, float):
            return 0.5 * lam * sum(p.square().sum() for p in params)
        return 0.5 * sum((lk * p.square()).sum() for lk, p in zip(lam, params))

    def before_step(self, params: list[torch.Tensor], lam: Lam, lr: Lam) -> None:
        """After backward, before ``optimizer.step()``."""
        if not params:
            return
        if self.name == "coupled":
            grads = [p.grad for p in params]
            if isinstance(lam, float):
                if lam:
                    torch._foreach_add_(grads, params, alpha=lam)
            else:
                torch._foreach_addcmul_(grads, params, lam)
        elif self.name == "decoupled":
            shrink = _products(lam, lr, len(params))
            with torch.no_grad():
                if isinstance(shrink, float):
                    if shrink:
                        torch._foreach_mul_(params, 1.0 - shrink)
                else:
                    torch._foreach_mul_(params, [1.0 - v for v in shrink])

    def after_step(self, params: list[torch.Tensor], lam: Lam, lr: Lam) -> None:
        """After ``optimizer.step()``: the ``l1`` proximal step w ← sign(w)·max(|w| − η·λ, 0)."""
        if self.name != "l1" or not params:
            return
        threshold = _products(lam, lr, len(params))
        with torch.no_grad():
            if isinstance(threshold, float):
                if threshold:
                    for p in params:
                        p.copy_(torch.nn.functional.softshrink(p, threshold))
            else:
                for p, t in zip(params, threshold):
                    p.copy_(p.sign() * (p.abs() - t).clamp_min(0.0))

    def penalty_value(self, lam: float, weight_norm: float, l1_norm: float) -> float:
        """The penalty this regularizer stands for, for the record: λ·‖w‖₁ for l1, λ/2·‖w‖₂²
        for the L2 family (also for decoupled, whose objective is only implicit), 0 for none."""
        if self.name == "none":
            return 0.0
        if self.name == "l1":
            return lam * l1_norm
        return 0.5 * lam * weight_norm * weight_norm


REGULARIZERS: dict[str, Regularizer] = {
    name: Regularizer(name, penalty_in_loss=name == "l2")
    for name in REGULARIZER_NAMES
}
