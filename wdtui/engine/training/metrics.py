"""What is measured on the weights after each epoch. Computed on the device as one tensor, so the
trainer needs a single host sync per epoch for all its numbers."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

HISTOGRAM_BINS = 30


def weight_stats(params: list[torch.Tensor], with_l1: bool) -> list[torch.Tensor]:
    """Per decayed tensor wᵢ: ‖wᵢ‖₂, then its count of non-zero entries, then (if asked) ‖wᵢ‖₁,
    as 0-d tensors on the device, to be stacked with the losses and read in one transfer.
    :func:`summarize` turns them into the record's numbers."""
    stats = torch._foreach_norm(params) + torch._foreach_norm(params, 0)
    return stats + torch._foreach_norm(params, 1) if with_l1 else stats


def unit_tensors(params: list[torch.Tensor], norms: list[torch.Tensor] | None = None) -> list[torch.Tensor]:
    """Each tensor divided by its ‖·‖₂ (NaN for a tensor of zeros: its direction is undefined);
    ``norms``: those norms, already computed (e.g. by :func:`weight_stats`)."""
    return torch._foreach_div(params, torch._foreach_norm(params) if norms is None else norms)


def angle_stats(previous_units: list[torch.Tensor], params: list[torch.Tensor],
                norms: list[torch.Tensor] | None = None) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """The angular update of each tensor since ``previous_units`` (its unit vectors then): returns
    the new unit vectors and, per tensor, ‖u_now − u_then‖ as 0-d tensors on the device;
    :func:`angle` turns that chord into the angle. Chords, not arccos of a dot product: an angle
    of 1e-4 rad has cos = 1 − 5·10⁻⁹, below float32's resolution. ``norms``: the tensors' ‖·‖₂
    when already computed."""
    units = unit_tensors(params, norms)
    return units, torch._foreach_norm(torch._foreach_sub(units, previous_units))


class AngleReference:
    """The directions a run's angles are measured from: its weights' unit vectors at the
    schedule's last measured epoch (``MeasureSchedule``). The app also measures the epochs it
    shows, which depend on how fast the screen is: those are measured from the reference without
    moving it, and a measurement repeated at the reference's own epoch is measured from the one
    before (the same angle again), so the angles a history keeps do not depend on timing."""

    def __init__(self, units: list[torch.Tensor]):
        self.units = self.before = units
        self.epoch = 0  # the epoch ``units`` were taken at

    def again(self, epoch: int) -> bool:
        """Whether ``epoch`` is the reference's own (a measurement repeated there)."""
        return epoch == self.epoch

    def base(self, epoch: int) -> list[torch.Tensor]:
        """The unit vectors a measurement at ``epoch`` is taken from."""
        return self.before if self.again(epoch) else self.units

    def move(self, epoch: int, units: list[torch.Tensor]) -> None:
        """A scheduled measurement at ``epoch``: its unit vectors become the reference."""
        self.before, self.units, self.epoch = self.units, units, epoch


def angle(chord: float) -> float:
    """The angle (radians) between two unit vectors ``chord`` apart: 2·asin(chord/2)."""
    return 2 * math.asin(min(chord / 2, 1.0)) if math.isfinite(chord) else math.nan


@dataclass(frozen=True)
class WeightSummary:
    weight_norm: float  # ‖w‖₂ = sqrt(Σᵢ ‖wᵢ‖₂²): all decayed weights as one vector, not squared
    layer_norms: list[float]  # ‖wᵢ‖₂
    zeros: int  # entries exactly 0
    l1_norm: float  # Σᵢ ‖wᵢ‖₁ (0 unless asked)


def summarize(values: list[float], params: list[torch.Tensor], with_l1: bool) -> WeightSummary:
    """The host side of :func:`weight_stats`."""
    k = len(params)
    layer = values[:k]
    nonzero = values[k:2 * k]
    total = math.sqrt(sum(v * v for v in layer))
    zeros = sum(p.numel() for p in params) - sum(nonzero)
    return WeightSummary(total, layer, int(zeros) if math.isfinite(zeros) else 0,
                         sum(values[2 * k:3 * k]) if with_l1 else 0.0)


@dataclass(frozen=True)
class Histogram:
    """Counts of one tensor's values in ``len(counts)`` equal bins between ``edges[0]`` and
    ``edges[-1]``; ``initial``: the same tensor's values at initialization counted over the same
    edges (weights), or None where there is no such reference (gradients). Only finite values are
    counted: a diverged tensor's NaN/inf entries are left out (``sum(counts)`` < its size)."""

    edges: list[float]
    counts: list[int]
    initial: list[int] | None = None


def _host(t: torch.Tensor) -> torch.Tensor:
    """The float32 CPU copy that is counted: its range and its counts come from the same values,
    so the smallest and the largest always fall inside the bins."""
    return t.detach().float().cpu()


def _finite_range(tensors: list[torch.Tensor]) -> tuple[float, float]:
    """[min, max] over the finite entries of ``tensors``, widened to [v − ½, v + ½] when it is a
    single value v (or [−½, ½] when nothing is finite): histc needs lo < hi, both finite."""
    finite = [t[torch.isfinite(t)] for t in tensors]
    finite = [t for t in finite if t.numel()]
    if not finite:
        return -0.5, 0.5
    lo = min(float(t.min()) for t in finite)
    hi = max(float(t.max()) for t in finite)
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def _histogram(t: torch.Tensor, initial: torch.Tensor | None, bins: int) -> Histogram:
    """``bins`` equal bins over the finite range of ``t`` (and ``initial``), and the counts of the
    finite entries of each (histc itself would refuse a NaN range)."""
    tensors = [_host(t)] + ([] if initial is None else [_host(initial)])
    lo, hi = _finite_range(tensors)
    counts = [torch.histc(v[torch.isfinite(v)], bins, lo, hi).long().tolist() for v in tensors]
    return Histogram(torch.linspace(lo, hi, bins + 1).tolist(), counts[0], counts[1] if initial is not None else None)


def histograms(named: dict[str, torch.Tensor], initial: dict[str, torch.Tensor],
               bins: int = HISTOGRAM_BINS) -> dict[str, Histogram]:
    """Per weight matrix (dim ≥ 2): a histogram of its values now and at initialization, over
    bins spanning both."""
    return {name: _histogram(now, initial[name], bins) for name, now in named.items()}


def grad_histograms(named: dict[str, torch.Tensor], bins: int = HISTOGRAM_BINS) -> dict[str, Histogram]:
    """Per weight matrix (dim ≥ 2): a histogram of its ``.grad``, the gradient the optimizer
    received at the last step (``initial`` None). A tensor without a gradient (no step yet) has
    no entry."""
    return {name: _histogram(weight.grad, None, bins) for name, weight in named.items() if weight.grad is not None}


def confusion(target: torch.Tensor, predicted: torch.Tensor, classes: int) -> list[list[int]]:
    """The confusion matrix: row = true class, column = predicted class, entries counts."""
    counts = torch.bincount(target * classes + predicted, minlength=classes * classes)
    return counts.reshape(classes, classes).tolist()
