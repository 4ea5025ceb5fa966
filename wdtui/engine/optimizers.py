"""SGD and Adam, each the update rule of its ``torch.optim`` namesake (weight_decay 0) written
with multi-tensor (``_foreach``) ops.

Why not ``torch.optim``: for the tiny models here an epoch is bound by per-op overhead, and
``torch.optim.Optimizer`` costs ~250 µs of Python per ``step()`` (a third of the sine preset's
training step on the reference machine) plus a one-off ~3 s import of ``torch._dynamo`` when the
first optimizer is built. These classes do the same arithmetic in 1–7 foreach ops; the tests
check them against ``torch.optim.SGD``/``Adam``/``AdamW`` in float64. Weight decay is not here:
it is the regularizer's job (``regularizers.py``), so every variant is stated in one place.

They work unchanged on stacked parameters (a leading dimension of K copies, for λ sweeps):
every operation is elementwise and the step count is shared.
"""

from __future__ import annotations

import math
from typing import Iterable

import torch


class Optimizer:
    def __init__(self, params: Iterable[torch.Tensor], lr: float):
        self.params = list(params)
        self.lr = float(lr)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def _with_grads(self) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        pairs = [(p, p.grad) for p in self.params if p.grad is not None]
        return [p for p, _ in pairs], [g for _, g in pairs]


class SGD(Optimizer):
    """μ = 0:  w ← w − η·g.
    μ > 0:  b ← μ·b + g (b = g at the first step);  w ← w − η·b   (torch.optim.SGD, no dampening)."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float, momentum: float = 0.0):
        super().__init__(params, lr)
        self.momentum = float(momentum)
        self.buffers: list[torch.Tensor] | None = None

    @torch.no_grad()
    def step(self) -> None:
        params, grads = self._with_grads()
        if self.momentum:
            if self.buffers is None:
                self.buffers = [g.clone() for g in grads]
            else:
                torch._foreach_mul_(self.buffers, self.momentum)
                torch._foreach_add_(self.buffers, grads)
            grads = self.buffers
        torch._foreach_add_(params, grads, alpha=-self.lr)


class Adam(Optimizer):
    """t ← t + 1;  m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;
    w ← w − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)      (torch.optim.Adam, amsgrad off),
    computed as w ← w − η·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε·√(1 − β₂ᵗ)), the same value with
    one operation fewer (Kingma & Ba's own rearrangement, with ε rescaled so it is exact)."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        super().__init__(params, lr)
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.t = 0
        self.m: list[torch.Tensor] = []
        self.v: list[torch.Tensor] = []

    @torch.no_grad()
    def step(self) -> None:
        params, grads = self._with_grads()
        if not self.m:
            self.m = [torch.zeros_like(p) for p in params]
            self.v = [torch.zeros_like(p) for p in params]
        self.t += 1
        torch._foreach_lerp_(self.m, grads, 1 - self.beta1)
        torch._foreach_mul_(self.v, self.beta2)
        torch._foreach_addcmul_(self.v, grads, grads, 1 - self.beta2)
        root = math.sqrt(1 - self.beta2 ** self.t)
        denom = torch._foreach_sqrt(self.v)
        torch._foreach_add_(denom, self.eps * root)
        torch._foreach_addcdiv_(params, self.m, denom, -self.lr * root / (1 - self.beta1 ** self.t))


def make_optimizer(name: str, params: Iterable[torch.Tensor], lr: float, momentum: float) -> Optimizer:
    return SGD(params, lr, momentum) if name == "sgd" else Adam(params, lr)
