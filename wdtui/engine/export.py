"""Results on disk: the JSON document and CSV table of a set of runs, saved models and data.

Every file is written atomically: to a temporary file in the same folder, then renamed over the
target, so a failed or interrupted write leaves nothing half-written behind.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Sequence

from .config import Config, ConfigError
from .records import HISTORY_KEYS, RunResult

def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()  # what open() would give; mkstemp's 0600 would hide results
OUTPUT_FORMATS = {"out": (".json", ".csv"), "save_model": (".pt",), "save_data": (".npz",),
                  "snapshot": (".svg",)}


def check_output_path(field: str, path: str | os.PathLike) -> Path:
    """Before any work: the format is known and the folder exists and is writable."""
    target = Path(path)
    allowed = OUTPUT_FORMATS[field]
    if target.suffix.lower() not in allowed:
        raise ConfigError(field, f"unknown format {str(path)!r}; allowed: {', '.join('FILE' + s for s in allowed)}")
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise ConfigError(field, f"{str(path)!r} is a folder; give a file name")
    if not folder.is_dir():
        raise ConfigError(field, f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(field, f"cannot write {str(path)!r}: folder {str(folder)!r} is not writable")
    return target


def write_atomic(path: str | os.PathLike, write: Callable[[io.BufferedWriter], Any]) -> Path:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it into place."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return target


def write_text(path: str | os.PathLike, text: str) -> Path:
    return write_atomic(path, lambda f: f.write(text.encode("utf-8")))


def document(config: Config, device: str, results: Sequence[RunResult]) -> dict[str, Any]:
    """The JSON document of ``wdtui run`` (and the app's export). See README, "JSON format"."""
    regularizers = sorted({r.regularizer for r in results}, key=[r.regularizer for r in results].index)
    settings = config.to_dict()
    settings.pop("lambda")
    settings.update(
        device=device,
        regularizer=regularizers[0] if len(regularizers) == 1 else regularizers,
        lambdas=[r.lam for r in results],
    )
    return {"preset": config.preset, "config": settings, "runs": [r.to_dict() for r in results]}


def csv_bool(value: bool) -> str:
    """Booleans as JSON spells them (``true``/``false``), not Python's ``True``."""
    return "true" if value else "false"


def csv_text(results: Sequence[RunResult]) -> str:
    """One row per run per epoch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    keys = results[0].keys if results else HISTORY_KEYS  # every run of a command has the same task
    writer.writerow(["regularizer", "run_lambda", "dropout", *keys, "diverged"])
    for result in results:
        for i in range(result.epochs):
            row = [result.history[key][i] for key in keys]
            writer.writerow([result.regularizer, result.lam, result.dropout, *row, csv_bool(result.diverged)])
    return buffer.getvalue()
