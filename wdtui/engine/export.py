"""Results on disk: the JSON document and CSV table of a set of runs, saved models and data.

Every file is written atomically: to a temporary file in the same folder (a short hidden name,
``.wdtui-XXXXXXXX.tmp``, so any name the folder accepts can be written), then renamed over the
target, so a failed or interrupted write leaves nothing half-written behind. Several outputs of
one command are written all or none (:func:`write_all`): every temporary file is written first,
and only when all succeeded are they renamed into place. JSON and CSV are written as they are
encoded (streaming), never held as one string.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from .config import Config, ConfigError
from .training.records import HISTORY_KEYS, JsonColumn, RunResult

TEMP_PREFIX, TEMP_SUFFIX = ".wdtui-", ".tmp"
_SIGNALS = {signal.SIGINT, signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])}

def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()  # what open() would give; mkstemp's 0600 would hide results
OUTPUT_FORMATS = {"out": (".json", ".csv"), "save_model": (".pt",), "save_data": (".npz",),
                  "snapshot": (".svg",), "save_config": (".toml",)}


class OutputError(OSError):
    """An output that could not be written; ``field`` names it (``out``, ``save_model`` …)."""

    def __init__(self, field: str, path: str | os.PathLike, error: OSError):
        super().__init__(error.errno, error.strerror or str(error), str(path))
        self.field = field
        self.reason = error.strerror or str(error)


def check_output_path(field: str, path: str | os.PathLike) -> Path:
    """Before any work: the format is known, the name fits the file system (at most its
    NAME_MAX bytes, 255 on the usual ones) and the folder exists and takes a file (a real
    temporary file is created and removed there)."""
    if not str(path).strip():
        raise ConfigError(field, "must be a file name (got an empty string)")
    target = Path(path)
    allowed = OUTPUT_FORMATS[field]
    if target.suffix.lower() not in allowed:
        raise ConfigError(field, f"unknown format {str(path)!r}; allowed: {', '.join('FILE' + s for s in allowed)}")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ConfigError(field, f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    size = len(os.fsencode(target.name))
    if size > limit:
        raise ConfigError(field, f"the file name is {size} bytes; this folder allows at most {limit}")
    try:
        is_dir = target.is_dir()
    except OSError as error:
        raise ConfigError(field, f"cannot write {str(path)!r}: {error.strerror or error}") from None
    if is_dir:
        raise ConfigError(field, f"{str(path)!r} is a folder; give a file name")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(field, f"cannot write {str(path)!r}: folder {str(folder)!r} is not writable")
    try:
        fd, probe = _temp_file(folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise ConfigError(field, f"cannot write {str(path)!r}: {error.strerror or error}") from None
    return target


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP wait (are delivered after the block) while it runs."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _temp_file(folder: Path) -> tuple[int, str]:
    """A new temporary file in ``folder``; an interrupt waits until its name is known, so it
    cannot leave one nobody knows to remove."""
    with _signals_held():
        return tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=folder)


@dataclass
class Output:
    """One file to write: ``write(handle)`` fills it; ``field`` names it in messages."""

    field: str
    path: str | os.PathLike
    write: Callable[[io.BufferedWriter], Any]


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _keep_previous(path: str | os.PathLike) -> str | None:
    """A second name (a hard link, beside it) for the file now at ``path``, so that it can be put
    back after ``path`` was replaced; None when there is no file there."""
    if not os.path.isfile(path):
        return None
    target = Path(path)
    fd, backup = _temp_file(target.parent if str(target.parent) else Path("."))
    os.close(fd)
    try:
        os.unlink(backup)
        os.link(path, backup)
    except OSError:  # no hard links here (some file systems): a copy
        with open(path, "rb") as source, open(backup, "wb") as copy:
            copy.write(source.read())
    return backup


def write_all(outputs: Sequence[Output]) -> None:
    """Write every output or none: each to a temporary file beside its target first; only when
    all are complete are they renamed into place. On any failure (or an interrupt) every
    temporary file is removed and :class:`OutputError` names the output that failed. A rename
    that fails after others succeeded undoes those: each target renamed already gets its
    previous file back (kept under a second name until all renames are done), or is removed
    if there was none."""
    temps: list[str] = []
    backups: list[str | None] = []
    renamed = 0
    try:
        for output in outputs:
            target = Path(output.path)
            try:
                fd, tmp = _temp_file(target.parent if str(target.parent) else Path("."))
                temps.append(tmp)
                with os.fdopen(fd, "wb") as handle:
                    output.write(handle)
                os.chmod(tmp, FILE_MODE)
            except OSError as error:
                raise OutputError(output.field, output.path, error) from None
        with _signals_held():  # all renamed or none: an interrupt waits until they are done
            for output in outputs if len(outputs) > 1 else ():
                try:
                    backups.append(_keep_previous(output.path))
                except OSError as error:
                    raise OutputError(output.field, output.path, error) from None
            for output, tmp in zip(outputs, temps):
                try:
                    os.replace(tmp, output.path)
                except OSError as error:
                    raise OutputError(output.field, output.path, error) from None
                renamed += 1
    except BaseException:
        with _signals_held():
            for output, backup in list(zip(outputs, backups))[:renamed]:
                with contextlib.suppress(OSError):  # best effort: the error raised names the cause
                    if backup is None:
                        os.unlink(output.path)
                    else:
                        os.replace(backup, output.path)
        for tmp in temps:
            _remove(tmp)
        for backup in backups:
            if backup is not None:
                _remove(backup)
        raise
    for backup in backups:
        if backup is not None:
            _remove(backup)


def write_atomic(path: str | os.PathLike, write: Callable[[io.BufferedWriter], Any],
                 field: str = "out") -> Path:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it into place."""
    write_all([Output(field, path, write)])
    return Path(path)


def write_text(path: str | os.PathLike, text: str, field: str = "out") -> Path:
    return write_atomic(path, lambda f: f.write(text.encode("utf-8")), field)


def _json_default(value: Any) -> Any:
    if isinstance(value, JsonColumn):
        return value.to_json()
    if isinstance(value, RunResult):
        return value.to_dict(lazy=True)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_chunks(doc: Any) -> Iterable[str]:
    """``json.dumps(doc, indent=1, allow_nan=False) + "\n"`` in pieces, with :class:`RunResult`
    and :class:`JsonColumn` values expanded one at a time as they are reached."""
    yield from json.JSONEncoder(indent=1, allow_nan=False, default=_json_default).iterencode(doc)
    yield "\n"


def json_writer(doc: Any) -> Callable[[io.BufferedWriter], None]:
    """A ``write`` for :class:`Output` that streams the JSON document (see :func:`json_chunks`)."""
    def write(handle: io.BufferedWriter) -> None:
        text = io.TextIOWrapper(handle, encoding="utf-8", write_through=False)
        for chunk in json_chunks(doc):
            text.write(chunk)
        text.flush()
        text.detach()

    return write


def csv_writer(results: Sequence[RunResult]) -> Callable[[io.BufferedWriter], None]:
    """A ``write`` for :class:`Output` that streams the CSV table row by row."""
    def write(handle: io.BufferedWriter) -> None:
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        write_csv(text, results)
        text.flush()
        text.detach()

    return write


def document(config: Config, device: str, results: Sequence[RunResult], lazy: bool = False) -> dict[str, Any]:
    """The JSON document of ``wdtui run`` (and the app's export). See README, "JSON format".
    ``lazy``: the runs stay :class:`RunResult` objects for :func:`json_chunks` to expand."""
    regularizers = sorted({r.regularizer for r in results}, key=[r.regularizer for r in results].index)
    settings = config.to_dict()
    settings.pop("lambda")
    settings.update(
        device=device,
        regularizer=regularizers[0] if len(regularizers) == 1 else regularizers,
        lambdas=[r.lam for r in results],
    )
    runs = list(results) if lazy else [r.to_dict() for r in results]
    return {"preset": config.preset, "config": settings, "runs": runs}


def csv_bool(value: bool) -> str:
    """Booleans as JSON spells them (``true``/``false``), not Python's ``True``."""
    return "true" if value else "false"


def csv_text(results: Sequence[RunResult]) -> str:
    """One row per run per epoch."""
    buffer = io.StringIO()
    write_csv(buffer, results)
    return buffer.getvalue()


def write_csv(handle: io.TextIOBase, results: Sequence[RunResult]) -> None:
    """One row per run per epoch, written as they are made."""
    writer = csv.writer(handle, lineterminator="\n")
    keys = results[0].keys if results else HISTORY_KEYS  # every run of a command has the same task
    writer.writerow(["regularizer", "run_lambda", "dropout", *keys, "diverged"])
    for result in results:
        for i in range(result.length):
            row = [result.history[key][i] for key in keys]
            writer.writerow([result.regularizer, result.lam, result.dropout, *row, csv_bool(result.diverged)])
