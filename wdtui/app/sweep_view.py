"""What the Sweep tab says in words: the sweep's state (epoch, ETA, how to cancel) and its
verdict, the same lines ``wdtui sweep`` prints. Plain functions of a snapshot: no widgets."""

from __future__ import annotations

import math

from .messages import GridSnapshot, SweepSnapshot


def duration(seconds: float | None) -> str:
    """``ETA 45 s``, ``ETA 3 min 5 s``, ``ETA 2 h 4 min``; empty when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return ""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"ETA {seconds} s"
    if seconds < 3600:
        return f"ETA {seconds // 60} min {seconds % 60} s"
    return f"ETA {seconds // 3600} h {seconds % 3600 // 60} min"


def _state(snap, cancelled: bool, show_eta: bool) -> str:
    if snap.finished:
        return "done"
    if cancelled:
        return f"cancelled at epoch {snap.epoch} (the numbers are epoch {snap.epoch}'s)"
    eta = duration(snap.eta_s) if show_eta else ""
    return " · ".join(part for part in (f"epoch {snap.epoch}/{snap.epochs}", eta, "x cancels") if part)


def sweep_status(snap: SweepSnapshot, cancelled: bool = False, show_eta: bool = True) -> str:
    """The λ sweep's lines: what is trained, its state, the verdict, the keys."""
    seeds = f"{snap.seeds} seed{'s' if snap.seeds > 1 else ''}"
    head = f"λ sweep, {snap.regularizer}: {len(snap.lambdas)} λ × {seeds} · {_state(snap, cancelled, show_eta)}"
    keys = "b: use the best λ · e: export (JSON)" if snap.best_index is not None else "e: export (JSON)"
    return "\n".join([head, *snap.verdict, keys])


def grid_state(snap: GridSnapshot, cancelled: bool = False, show_eta: bool = True) -> str:
    """The grid's state: which regularizer trains, its epoch, ETA, or done/cancelled."""
    if snap.finished:
        return "done"
    if cancelled:
        return f"cancelled while training {snap.training}, epoch {snap.epoch}"
    eta = duration(snap.eta_s) if show_eta else ""
    return " · ".join(part for part in (f"training {snap.training}: epoch {snap.epoch}/{snap.epochs}", eta,
                                         "x cancels") if part)
