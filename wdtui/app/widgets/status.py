"""The status line: epoch, λ, regularizer, device, speed, losses, ‖w‖ — and divergence, in red."""

from __future__ import annotations

import math

from rich.text import Text
from textual.widgets import Static

from ..messages import Snapshot


def _num(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else str(value)


def _accuracy(record) -> str:
    """`` (91.2 %)`` after the test loss of a classifier; nothing for regression."""
    if record.test_accuracy is None or not math.isfinite(record.test_accuracy):
        return ""
    return f" ({100 * record.test_accuracy:.1f} %)"


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $boost; padding: 0 1; }
    """
    _shown = ""

    def show(self, snapshot: Snapshot | None, lam: float, regularizer: str, device: str,
             show_speed: bool, note: str = "") -> None:
        line = Text()
        if snapshot is None:
            line.append(f"λ={lam:g} · {regularizer} · {device or '…'} · {note or 'building…'}")
            self._shown = line.plain
            self.update(line, layout=False)
            return
        run = snapshot.records[0]
        line.append(f"epoch {run.epoch}/{snapshot.epochs} ", style="bold")
        diverged = [r for r in snapshot.records if r.diverged]
        if diverged:
            which = ", ".join(f"λ={r.lam:.4g}" for r in diverged)
            line.append(f"DIVERGED ({which})", style="bold white on red")
        elif snapshot.finished:
            line.append("done", style="green")
        elif snapshot.running:
            line.append("training", style="green")
        else:
            line.append("paused" if run.epoch else "ready: space to start", style="yellow")
        line.append(f" · λ={lam:.4g} · {regularizer} · {device}")
        if show_speed:
            line.append(f" · {run.epochs_per_s:.0f} epochs/s")
        line.append(f" · train {_num(run.train_loss)} · test {_num(run.test_loss)}{_accuracy(run)} · ‖w‖ {_num(run.weight_norm)}")
        if len(snapshot.records) > 1:
            other = snapshot.records[1]
            who = f"λ={other.lam:.4g}" + (f" p={other.dropout:g}" if other.dropout else "")
            line.append(f" · {who}: test {_num(other.test_loss)}{_accuracy(other)} ‖w‖ {_num(other.weight_norm)}")
        if note:
            line.append(f" · {note}", style="dim")
        if line.plain != self._shown:
            self._shown = line.plain
            self.update(line, layout=False)  # one fixed row: a layout pass would reflow the screen
