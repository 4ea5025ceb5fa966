"""SGD and Adam, each the update rule of its ``torch.optim`` namesake (weight_decay 0) written
with multi-tensor (``_foreach``) ops.

Why not ``torch.optim``: for the tiny models here an epoch is bound by per-op overhead, and
``torch.optim.Optimizer`` costs ~250 µs of Python per ``step()`` (a third of the sine preset's
training step on the reference machine) plus a one-off ~3 s import of ``torch._dynamo`` when the
first optimizer is built. These classes do the same arithmetic in 1–7 foreach ops; the tests
check them against ``torch.optim.SGD``/``Adam``/``AdamW`` in float64. Weight decay is not here:
it is the regularizer's job (``regularizers.py``), so every variant is stated in one place.

A float that multiplies or is added to every tensor (β₂, μ, ε) is passed as a 0-d tensor of the
parameters' dtype: ``_foreach_mul_(tensors, 0.999)`` converts the float to a tensor once per
tensor (4 operations each) and then computes the same float32 (or float64) product.

They work unchanged on stacked parameters (a leading dimension of K copies, for λ sweeps):
every operation is elementwise and the step count is shared. ``lr`` is a float, or (an (lr, λ)
grid) one tensor per parameter that broadcasts over it, like λ in ``regularizers.py``.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence, Union

import torch

Lr = Union[float, Sequence[torch.Tensor]]


def scaled(lr: Lr, factor: float) -> Lr:
    """``factor``·lr, a float or one tensor per parameter."""
    return lr * factor if isinstance(lr, float) else [v * factor for v in lr]


def add_scaled_(params: list[torch.Tensor], update: list[torch.Tensor], step: Lr) -> None:
    """params += step · update, with a float step or one per parameter."""
    if isinstance(step, float):
        torch._foreach_add_(params, update, alpha=step)
    else:
        torch._foreach_addcmul_(params, update, list(step))


class Optimizer:
    def __init__(self, params: Iterable[torch.Tensor], lr: Lr):
        self.params = list(params)
        self.lr = float(lr) if isinstance(lr, (int, float)) else list(lr)

    def _scalar(self, value: float) -> torch.Tensor | None:
        """``value`` as a 0-d tensor of the parameters' dtype and device (None without parameters)."""
        if not self.params:
            return None
        return torch.tensor(value, dtype=self.params[0].dtype, device=self.params[0].device)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def _with_grads(self) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        pairs = [(p, p.grad) for p in self.params if p.grad is not None]
        return [p for p, _ in pairs], [g for _, g in pairs]


class SGD(Optimizer):
    """μ = 0:  w ← w − η·g.
    μ > 0:  b ← μ·b + g (b = g at the first step);  w ← w − η·b   (torch.optim.SGD, no dampening)."""

    def __init__(self, params: Iterable[torch.Tensor], lr: Lr, momentum: float = 0.0):
        super().__init__(params, lr)
        self.momentum = float(momentum)
        self._momentum = self._scalar(self.momentum)
        self.buffers: list[torch.Tensor] | None = None

    @torch.no_grad()
    def step(self) -> None:
        params, grads = self._with_grads()
        if self.momentum:
            if self.buffers is None:
                self.buffers = [g.clone() for g in grads]
            else:
                torch._foreach_mul_(self.buffers, self._momentum)
                torch._foreach_add_(self.buffers, grads)
            grads = self.buffers
        add_scaled_(params, grads, scaled(self.lr, -1.0))


class Adam(Optimizer):
    """t ← t + 1;  m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;
    w ← w − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)      (torch.optim.Adam, amsgrad off),
    computed as w ← w − η·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε·√(1 − β₂ᵗ)), the same value with
    one operation fewer (Kingma & Ba's own rearrangement, with ε rescaled so it is exact)."""

    def __init__(self, params: Iterable[torch.Tensor], lr: Lr,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        super().__init__(params, lr)
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.t = 0
        self.m: list[torch.Tensor] = []
        self.v: list[torch.Tensor] = []
        self._beta2, self._eps_root = self._scalar(self.beta2), self._scalar(0.0)

    @torch.no_grad()
    def step(self) -> None:
        params, grads = self._with_grads()
        if not self.m:
            self.m = [torch.zeros_like(p) for p in params]
            self.v = [torch.zeros_like(p) for p in params]
        self.t += 1
        torch._foreach_lerp_(self.m, grads, 1 - self.beta1)
        torch._foreach_mul_(self.v, self._beta2)
        torch._foreach_addcmul_(self.v, grads, grads, 1 - self.beta2)
        root = math.sqrt(1 - self.beta2 ** self.t)
        denom = torch._foreach_sqrt(self.v)
        torch._foreach_add_(denom, self._eps_root.fill_(self.eps * root))
        step = scaled(self.lr, -root / (1 - self.beta1 ** self.t))
        if isinstance(step, float):
            torch._foreach_addcdiv_(params, self.m, denom, step)
        else:
            add_scaled_(params, torch._foreach_div(self.m, denom), step)


def make_optimizer(name: str, params: Iterable[torch.Tensor], lr: Lr, momentum: float,
                   betas: tuple[float, float] = (0.9, 0.999)) -> Optimizer:
    """``sgd`` with ``momentum``, or ``adam`` with ``betas`` (each ignores the other's setting)."""
    return SGD(params, lr, momentum) if name == "sgd" else Adam(params, lr, betas)
