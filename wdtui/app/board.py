"""TensorBoard from the app: the session's runs written as event files while it is switched on.

The app only sets :attr:`SessionBoards.root` (a folder, or None for off: a plain attribute, the
latest value wins); the training thread writes, record by record, through the engine's
:class:`~wdtui.engine.tensorboard.RunBoard`. Switched on, each run gets a new event folder
(``runs/l2-lambda0.01-seed0``, ``-2`` … beside an earlier one), named by the setting it started
with; scalars every epoch, histograms of weights and gradients at the epochs the app draws.
"""

from __future__ import annotations

from typing import Sequence

DEFAULT_ROOT = "runs"  # TensorBoard's own default folder name
ROLES = ("run", "comparison")  # the folders' first word: which run it is, as the legends say


class SessionBoards:
    def __init__(self, seed: int, root: str | None = None):
        self.seed = seed
        self.root = root
        self._open_root: str | None = None
        self._boards: list = []
        self.folders: list[str] = []  # every event folder opened (read by tests and notices)

    def add(self, index: int, record, results: Sequence) -> None:
        """Record ``record`` of run ``index`` (called by the training thread)."""
        root = self.root
        if root != self._open_root:
            self.close()
            if root is not None:
                from ..engine.tensorboard import RunBoard, run_name

                self._boards = [RunBoard(root, f"{ROLES[min(i, 1)]}-{run_name(r.regularizer, r.lam, self.seed, r.dropout)}")
                                for i, r in enumerate(results)]
                self.folders += [str(b.folder) for b in self._boards]
            self._open_root = root
        if self._boards:
            self._boards[index].record(record)

    def close(self) -> None:
        for board in self._boards:
            board.close()
        self._boards = []
        self._open_root = None
