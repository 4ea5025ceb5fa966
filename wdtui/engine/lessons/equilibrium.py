"""Rotational equilibrium of scale-invariant layers under weight decay (van Laarhoven 2017;
Kosson et al. 2023, "Rotational equilibrium"): the predicted angular update per step and the
norm at which it holds. No torch here: plain functions of the config and measured numbers.

**Setting.** A weight w is scale-invariant when the model computes the same function for c·w,
c > 0 (a Linear layer feeding a LayerNorm: ``models.scale_invariant`` states the rule). Then the
loss gradient is orthogonal to w, ⟨g, w⟩ = 0 (differentiate L(c·w) = L(w) in c at c = 1), and
‖g‖ ∝ 1/‖w‖. One step with decay is

    w' = (1 − s)·w − η·u,     u ⊥ w,

with s the shrink per step and u the optimizer's direction:

- SGD without momentum, coupled decay or an l2 penalty: g + λ·w enters the step, so u = g and
  s = η·λ;
- decoupled decay (torch convention, AdamW with Adam): s = η·λ and u = Adam's direction
  m̂/(√v̂ + ε), orthogonal to w on average (not per step: Adam rescales each coordinate);
- decoupled decay, paper convention: s = λ.

**Equilibrium norm.** By Pythagoras ‖w'‖² = (1 − s)²·‖w‖² + η²·‖u‖². The norm stops changing when
the two balance:

    ‖w‖² = η²·‖u‖² / (1 − (1 − s)²) = η²·‖u‖² / (2s − s²).

For SGD, ‖u‖ = ‖g‖ = ‖g̃‖/‖w‖ with g̃ the gradient at unit norm, so ‖w‖⁴ = η²·‖g̃‖²/(2s − s²):
the norm settles where the decay's pull equals the gradient's push, and a larger λ gives a
smaller norm (‖w‖ ∝ (η/λ)^¼ for SGD, ∝ √(η/λ) for AdamW, whose ‖u‖ does not depend on ‖w‖).

**Angular update.** At equilibrium ‖w'‖ = ‖w‖, so cos θ = ⟨w', w⟩/(‖w‖·‖w'‖) = 1 − s:

    θ = arccos(1 − s) ≈ √(2s) = √(2ηλ)     (SGD and AdamW alike, whatever ‖u‖ is).

The angle depends on η and λ only through η·λ: runs with equal η·λ turn their scale-invariant
layers by the same angle per step, and the effective learning rate η/‖w‖² of an SGD layer is
η/(η·‖g̃‖/√(2ηλ)) ∝ √(ηλ) too (Kosson et al.; van Laarhoven's "effective learning rate").

**SGD with momentum μ** (b ← μ·b + g + λ·w, w ← w − η·b): the decay term accumulates in the
buffer to λ·w/(1 − μ), so s = η·λ/(1 − μ) per step; a gradient g adds η·g/(1 − μ) to w in total,
spread over the following steps. If successive gradients are uncorrelated (mini-batch noise
dominates) the squared norm grows by η²·‖g‖²/(1 − μ)² per step and one step moves w by
η·‖g‖/√(1 − μ²); balancing 2s·‖w‖² against the growth gives ‖w‖² = η·‖g‖²/(2λ(1 − μ)) and

    θ ≈ η·‖g‖/(√(1 − μ²)·‖w‖) = √(2ηλ/(1 + μ))     (Kosson et al.'s SGDM rate).

If instead successive gradients point the same way (full batch, a slowly turning direction) each
step moves w by η·‖g‖/(1 − μ) and the first formula holds with s = η·λ/(1 − μ):
θ ≈ √(2ηλ/(1 − μ)). The two differ by √((1 + μ)/(1 − μ)) (4.4× at μ = 0.9), so with momentum
no single prediction is stated here (:func:`angular_update` returns None).

**Per step, per epoch.** The records measure the angle between one epoch's end and the next
(``records.EpochRecord.angular_update``): the angle per step only when an epoch is one step (full
batch). With k steps per epoch the epoch's angle is neither k·θ (the steps are not aligned) nor
√k·θ in general, so the prediction is compared only when :func:`steps_per_epoch` is 1.
"""

from __future__ import annotations

import math

from ..config import Config


def shrink_per_step(cfg: Config, lam: float | None = None, lr: float | None = None) -> float | None:
    """s, the fraction decay takes off w in one step, where the equilibrium above applies: SGD
    without momentum with coupled or l2 decay (η·λ), or decoupled decay (η·λ torch, λ paper);
    None otherwise (Adam with coupled/l2: λ·w is rescaled by Adam's √v̂ per coordinate; l1;
    momentum, see the module's docstring)."""
    lam = cfg.lam if lam is None else lam
    lr = cfg.lr if lr is None else lr
    if cfg.regularizer == "decoupled":
        if cfg.optimizer == "sgd" and cfg.momentum:
            return None
        return lam if cfg.decay_convention == "paper" else lr * lam
    if cfg.regularizer in ("coupled", "l2") and cfg.optimizer == "sgd" and not cfg.momentum:
        return lr * lam
    return None


def angular_update(cfg: Config, lam: float | None = None, lr: float | None = None) -> float | None:
    """The equilibrium angle per step, arccos(1 − s) ≈ √(2s) radians (None where no prediction
    holds, or λ = 0: no equilibrium, the norm keeps growing)."""
    s = shrink_per_step(cfg, lam, lr)
    if s is None or not 0 < s < 2:
        return None
    return math.acos(1 - s)


def equilibrium_norm(lr: float, shrink: float, update_norm: float) -> float:
    """‖w‖ at which a step of size η·‖u‖ orthogonal to w balances the shrink s:
    η·‖u‖ / √(2s − s²). ``update_norm`` is ‖u‖ at equilibrium (SGD: the layer's gradient;
    AdamW: Adam's direction m̂/(√v̂ + ε))."""
    return lr * update_norm / math.sqrt(2 * shrink - shrink * shrink)


def steps_per_epoch(cfg: Config) -> int:
    """Optimizer steps in one epoch (one for full batch)."""
    batch = cfg.effective_batch_size
    if batch is None or cfg.n_train is None:
        return 1
    return -(-cfg.n_train // batch)


def per_epoch_prediction(cfg: Config, lam: float | None = None, lr: float | None = None) -> float | None:
    """The prediction to draw beside the records' angle per epoch: :func:`angular_update` when an
    epoch is one step, else None (see the module's docstring)."""
    return angular_update(cfg, lam, lr) if steps_per_epoch(cfg) == 1 else None
