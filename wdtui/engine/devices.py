"""Device and dtype resolution: ``auto`` picks CUDA when present; a device that is not there is a
ConfigError that says what is."""

from __future__ import annotations

import torch

from .config import ConfigError

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def available_devices() -> list[str]:
    """The devices this machine can train on, in the ``--device`` spelling."""
    found = ["cpu"]
    if torch.cuda.is_available():
        found += ["cuda"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return found


def resolve_device(spec: str) -> torch.device:
    """``auto`` → cuda if available, else cpu. Anything else must be available here."""
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    available = available_devices()
    if spec not in available:
        raise ConfigError("device", f"{spec} is not available here; available: {', '.join(available)}")
    return torch.device(spec)


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    if name == "float64" and device.type == "mps":
        raise ConfigError("dtype", "float64 is not supported on mps; use float32")
    return DTYPES[name]
