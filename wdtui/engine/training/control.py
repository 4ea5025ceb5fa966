"""Run control shared between a UI thread and the training loop: pause, step, cancel, and changes
(λ, lr, regularizer, epoch count) that take effect at the next epoch boundary, without restarting.
Thread-safe; knows nothing of any screen."""

from __future__ import annotations

import threading
from typing import Any, Callable


class Control:
    def __init__(self, paused: bool = False):
        self._cond = threading.Condition()
        self._paused = paused
        self._steps = 0
        self._cancelled = False
        self._changes: dict[str, Any] = {}

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def pause(self) -> None:
        with self._cond:
            self._paused = True
            self._steps = 0

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def step(self, epochs: int = 1) -> None:
        """While paused: let exactly ``epochs`` more epochs run, then stay paused."""
        with self._cond:
            self._paused = True
            self._steps += epochs
            self._cond.notify_all()

    def cancel(self) -> None:
        with self._cond:
            self._cancelled = True
            self._cond.notify_all()

    def set_lambda(self, value: float) -> None:
        self._change("lam", value)

    def set_lr(self, value: float) -> None:
        self._change("lr", value)

    def set_regularizer(self, name: str) -> None:
        self._change("regularizer", name)

    def set_epochs(self, epochs: int) -> None:
        """A new total epoch count (a run that has already done more stops after this epoch)."""
        self._change("epochs", epochs)

    def _change(self, key: str, value: Any) -> None:
        with self._cond:
            self._changes[key] = value

    def take_changes(self) -> dict[str, Any]:
        """The changes asked for since the last call (latest value wins)."""
        with self._cond:
            changes, self._changes = self._changes, {}
            return changes

    def wait(self, on_block: Callable[[], None] | None = None) -> bool:
        """Block until the next epoch may run. False when cancelled. ``on_block`` is called (once,
        outside the lock) just before blocking, e.g. to publish the state the run pauses in."""
        if on_block is not None and self._paused and not self._steps and not self._cancelled:
            on_block()
        with self._cond:
            while self._paused and not self._steps and not self._cancelled:
                self._cond.wait()
            if self._cancelled:
                return False
            if self._paused:
                self._steps -= 1
            return True
