"""Limits on sizes and counts, and the memory a command is estimated to need before it allocates.

Counts (checked when a value is parsed, before anything is built):

- ``MAX_EXAMPLES`` = 10⁷ examples per set (``n_train``, ``n_test``);
- ``MAX_RUNS`` = 1,000 runs of one ``wdtui run`` (regularizers × λ values);
- ``MAX_COPIES`` = 10,000 copies of one sweep (λ values × learning rates × seeds), and at most
  that many values in one ``start:stop:count`` (the list is never built beyond it).

Memory: before data is generated or read and before a model is built, the bytes a command will
hold are estimated (:class:`MemoryEstimate`) and compared with :func:`memory_limit`: 4 GiB, or
``WDTUI_MEMORY_LIMIT`` (e.g. ``16G``, ``512M``, bytes without a unit), and never more than 75 % of
the machine's physical memory. What the estimate counts, with s the bytes of the config's dtype:

- data: every value of the generated sets in float64 plus their copy in the dtype; for files,
  the arrays as stored plus their float copies;
- models: P parameters × s × 5 per live run (weights, gradients, two optimizer moments, the
  initial weights for the histograms), plus the shared initial model;
- activations: per example, the outputs of every layer (a forward pass on PyTorch's ``meta``
  device, which allocates nothing), × s × 3 (kept for backward, their gradients, temporaries),
  for a mini-batch when training and an evaluation chunk when measuring;
- history: 8 bytes per metric per epoch per run.

The estimate is rough by design (within a small factor): it exists to refuse, with one line,
commands that would need many times the memory there is, not to fit a budget exactly.
This module imports no torch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .config import MAX_EXAMPLES, MAX_SWEEP_VALUES, ConfigError  # noqa: F401 (documented here)

MAX_RUNS = 1_000
MAX_COPIES = 10_000
DEFAULT_MEMORY_LIMIT = 4 << 30
PHYSICAL_SHARE = 0.75
_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def memory_limit() -> int:
    """The memory a command may be estimated to need: ``WDTUI_MEMORY_LIMIT`` or 4 GiB, at most
    75 % of physical memory. A malformed ``WDTUI_MEMORY_LIMIT`` is a ConfigError."""
    text = os.environ.get("WDTUI_MEMORY_LIMIT", "").strip().upper().removesuffix("IB").removesuffix("B")
    limit = DEFAULT_MEMORY_LIMIT
    if text:
        unit = text[-1] if text[-1] in _UNITS else ""
        try:
            limit = int(float(text[: len(text) - len(unit)]) * _UNITS[unit])
        except ValueError:
            raise ConfigError("memory", "must be a size such as 16G, 512M or a "
                              f"number of bytes (got {os.environ['WDTUI_MEMORY_LIMIT']!r})") from None
        if limit <= 0:
            raise ConfigError("memory", "must be a size > 0")
    physical = physical_memory()
    return min(limit, int(PHYSICAL_SHARE * physical)) if physical else limit


def size_text(n: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{int(n)} bytes"


# The part of an estimate → the option that sets it (named in the message).
PART_FIELDS = {"data": "n_train", "models": "width", "activations": "batch_size",
               "copies": "lambdas", "history": "epochs", "saved models": "lambdas"}


@dataclass
class MemoryEstimate:
    """Bytes per part (``data``, ``models``, ``activations``, ``copies``, ``history``, …)."""

    parts: dict[str, float] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)  # a part's option, where not PART_FIELDS'
    why: dict[str, str] = field(default_factory=dict)  # a part's size in words, said when it is the largest

    def add(self, part: str, n: float, field: str | None = None, why: str | None = None) -> "MemoryEstimate":
        self.parts[part] = self.parts.get(part, 0.0) + float(n)
        if field is not None:
            self.fields[part] = field
        if why is not None:
            self.why[part] = why
        return self

    @property
    def total(self) -> float:
        return sum(self.parts.values())

    def check(self) -> None:
        """ConfigError naming the option behind the largest part when the total is over the limit."""
        limit = memory_limit()
        if self.total <= limit:
            return
        part = max(self.parts, key=self.parts.__getitem__)
        detail = ", ".join(f"{name} {size_text(n)}" for name, n in sorted(self.parts.items(), key=lambda kv: -kv[1]) if n)
        # the option named may not have been given (a preset's full batch): the largest part says why
        why = f"; {self.why[part]}" if part in self.why else ""
        raise ConfigError(self.fields.get(part, PART_FIELDS.get(part, "n_train")),
                          f"this needs about {size_text(self.total)} of memory ({detail}){why}; the limit is "
                          f"{size_text(limit)} (WDTUI_MEMORY_LIMIT; see README, Limits)")


def check_count(field: str, count: int, limit: int, what: str) -> None:
    if count > limit:
        raise ConfigError(field, f"at most {limit:,} {what} (got {count:,})")
