"""The regularizers, each stated as the update it makes.

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
l1-sub…    adds λ·Σ|w| to the loss; autograd's subgradient         w ← w − η·opt(g + λ·sign(w))
=========  ======================================================  ================================

``decoupled`` has two conventions (``decay_convention``): ``torch`` (torch.optim.AdamW) shrinks
by η·λ per step, as above; ``paper`` (Loshchilov & Hutter's Algorithm 2, composer's
DecoupledAdamW) shrinks by λ times the schedule multiplier — 1 here, as wdtui has no schedule —
so w ← w·(1 − λ) − η·opt(g), and λ's effect does not depend on η.

``l2`` and ``coupled`` are the same update (for SGD, with or without momentum, and for Adam);
they differ in where λ·w comes from (autograd vs. an explicit add). ``decoupled`` differs from
them for Adam: the decay bypasses the moment estimates, so every weight shrinks at the same rate
η·λ whatever its gradient history (Loshchilov & Hutter, ICLR 2019). ``l1`` reaches exact zeros;
for SGD it is exact proximal gradient descent (ISTA) on L_data + λ·Σ|w|. With Adam it is not: the
threshold is η·λ while Adam's step is about η per weight whatever the gradient's size, so λ ≳ 1
zeroes every weight whatever the data. ``l1-subgradient`` is the seed article's form (λ·Σ|w| in
the loss, autograd takes sign(w), 0 at 0): it minimises the same objective but its iterates
oscillate around 0 and practically never land on exactly 0.

λ may be a float, or (batched sweeps) a list with one tensor per parameter that broadcasts over
it, e.g. shape (K, 1, 1) for a stacked (K, out, in) weight; η likewise (an (lr, λ) grid).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Union

import torch

from ..config import DECAY_CONVENTIONS
from ..config import REGULARIZERS as REGULARIZER_NAMES

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
    decay_convention: str = "torch"  # decoupled only: shrink by η·λ (torch) or by λ (paper)

    @property
    def penalty_in_loss(self) -> bool:
        """l2 and l1-subgradient: autograd differentiates the penalty added to the loss."""
        return self.name in ("l2", "l1-subgradient")

    @property
    def uses_l1(self) -> bool:
        """Its penalty is λ·‖w‖₁ (the record needs ‖w‖₁)."""
        return self.name in ("l1", "l1-subgradient")

    def loss_penalty(self, params: list[torch.Tensor], lam: Lam) -> torch.Tensor | None:
        """The term added to the loss before backward: λ/2·Σ‖w‖² (``l2``), λ·Σ|w|
        (``l1-subgradient``; the gradient of |w| at 0 is 0 in torch)."""
        if not self.penalty_in_loss or not params:
            return None
        if self.name == "l1-subgradient":
            if isinstance(lam, float):
                return lam * sum(p.abs().sum() for p in params)
            return sum((lk * p.abs()).sum() for lk, p in zip(lam, params))
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
            shrink = lam if self.decay_convention == "paper" else _products(lam, lr, len(params))
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

    def penalty_value(self, lam: float, weight_norm: float, l1_norm: float) -> float | None:
        """The penalty term of the objective this regularizer minimises, for the record: λ·‖w‖₁
        for l1 and l1-subgradient, λ/2·‖w‖₂² for l2 and coupled, 0 for none. None for
        decoupled: with Adam the decay is not the gradient of any penalty seen through Adam's
        scaling, so there is no penalised loss it minimises (with plain SGD, torch convention,
        it equals l2: use l2 to see that penalty)."""
        if self.name == "none":
            return 0.0
        if self.name == "decoupled":
            return None
        if self.uses_l1:
            return lam * l1_norm
        return 0.5 * lam * weight_norm * weight_norm


def make_regularizer(name: str, decay_convention: str = "torch") -> Regularizer:
    """The regularizer ``name``; ``decay_convention`` matters for decoupled only."""
    if name not in REGULARIZER_NAMES or decay_convention not in DECAY_CONVENTIONS:
        raise KeyError(f"{name} / {decay_convention}")
    return Regularizer(name, decay_convention if name == "decoupled" else "torch")


REGULARIZERS: dict[str, Regularizer] = {name: make_regularizer(name) for name in REGULARIZER_NAMES}
