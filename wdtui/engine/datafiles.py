"""Your own data: ``--data FILE.npz`` (``x_train, y_train, x_test, y_test``) or ``FILE.csv``.

The task comes from the targets unless the config names it: integer targets (an integer array in
an .npz, whole numbers without a decimal point in a CSV) are class labels 0…C−1; anything else
is a regression target. An .npz is read with ``allow_pickle=False``: an array of Python objects
is refused, never unpickled. A CSV's last column is the target; an optional first row of names
is skipped; ``test_fraction`` of its rows (a seeded random choice) are the test set.
"""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import numpy as np
import torch

from .config import Config, ConfigError
from .data import Dataset, classification, first_sizes, split

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
MAX_CLASSES = 1000
INTEGER = re.compile(r"^[+-]?\d+$")


def _fail(message: str) -> ConfigError:
    return ConfigError("data", message)


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in NPZ_KEYS if key not in archive.files]
            if missing:
                raise _fail(f"{path} lacks {', '.join(missing)}; an .npz needs the arrays {', '.join(NPZ_KEYS)}")
            arrays = {}
            for key in NPZ_KEYS:
                try:
                    arrays[key] = archive[key]
                except ValueError:  # numpy refuses object arrays without allow_pickle
                    raise _fail(f"{path}: {key} is an array of Python objects, which is never "
                                "unpickled; save numeric arrays (int, float or bool)") from None
    except (OSError, zipfile.BadZipFile, EOFError) as error:
        raise _fail(f"{path}: cannot read as .npz ({error})") from None
    for key, array in arrays.items():
        if array.dtype.kind not in "biuf":
            raise _fail(f"{path}: {key} has dtype {array.dtype}; allowed: int, float or bool arrays")
    return arrays


def _read_csv(path: Path) -> tuple[np.ndarray, list[str]]:
    """The numbers of a CSV as floats (N, columns), and the target column's cells as text."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(f"{path}: cannot read ({getattr(error, 'strerror', None) or error})") from None
    if rows and not _numeric(rows[0][-1]):
        rows = rows[1:]  # a header row
    if len(rows) < 3:
        raise _fail(f"{path}: needs at least 3 rows of numbers (got {len(rows)})")
    width = len(rows[0])
    if width < 2:
        raise _fail(f"{path}: needs at least 2 columns, the inputs then the target (got {width})")
    values = np.empty((len(rows), width), dtype=np.float64)
    for i, row in enumerate(rows):
        if len(row) != width:
            raise _fail(f"{path}: row {i + 1} has {len(row)} columns, the first has {width}")
        for j, cell in enumerate(row):
            try:
                values[i, j] = float(cell)
            except ValueError:
                raise _fail(f"{path}: row {i + 1}, column {j + 1}: {cell.strip()!r} is not a number") from None
    return values, [row[-1].strip() for row in rows]


def _numeric(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def _check(path: Path, x: np.ndarray, y: np.ndarray, xt: np.ndarray, yt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Targets as 1-D arrays; shapes and values checked."""
    y, yt = (a.reshape(-1) if a.ndim == 2 and a.shape[1] == 1 else a for a in (y, yt))
    for name, xs, ys in (("train", x, y), ("test", xt, yt)):
        if ys.ndim != 1:
            raise _fail(f"{path}: y_{name} must have shape (N,) or (N, 1) (got {ys.shape})")
        if xs.ndim < 2 or len(xs) != len(ys):
            raise _fail(f"{path}: x_{name} must have shape (N, features…) with N = len(y_{name}) = {len(ys)} "
                        f"(got {xs.shape})")
        for key, array in (("x_" + name, xs), ("y_" + name, ys)):
            if not np.isfinite(array).all():
                raise _fail(f"{path}: {key} holds NaN or infinite values; only finite numbers are allowed")
    if x.shape[1:] != xt.shape[1:]:
        raise _fail(f"{path}: x_train is {x.shape[1:]} per example and x_test {xt.shape[1:]}; they must match")
    if len(x) < 2 or len(xt) < 1:
        raise _fail(f"{path}: needs at least 2 training and 1 test example (got {len(x)} and {len(xt)})")
    return y, yt


def _dataset(path: Path, cfg: Config, integer: bool, x: np.ndarray, y: np.ndarray,
             xt: np.ndarray, yt: np.ndarray) -> Dataset:
    task = cfg.task if cfg.task != "auto" else ("classification" if integer else "regression")
    if x.ndim == 3:  # (N, H, W) images: one channel
        x, xt = x[:, None], xt[:, None]
    if task == "classification":
        labels = np.concatenate([y, yt])
        if not integer and not np.array_equal(labels, np.round(labels)):
            raise ConfigError("task", f"classification needs whole-number class labels; {path}'s targets "
                              "are not (use regression)")
        if labels.min() < 0 or labels.max() >= MAX_CLASSES:
            raise ConfigError("data", f"{path}: class labels must be integers in 0…{MAX_CLASSES - 1} "
                              f"(got {labels.min():g}…{labels.max():g})")
        names = tuple(str(c) for c in range(int(labels.max()) + 1))
        return classification(x, y, xt, yt, names)
    as_tensor = lambda a: torch.from_numpy(np.asarray(a, dtype=np.float64))  # noqa: E731
    return Dataset(as_tensor(x), as_tensor(y).reshape(-1, 1), as_tensor(xt), as_tensor(yt).reshape(-1, 1))


def load_data_file(cfg: Config) -> Dataset:
    """The dataset in ``cfg.data``. An .npz keeps its own split (``n_train``/``n_test`` take
    the first examples of each); a CSV is split by ``test_fraction`` (or ``n_train``/``n_test``)."""
    path = Path(cfg.data)
    if not path.is_file():
        raise _fail(f"{path} is not a file; expected FILE.npz (x_train, y_train, x_test, y_test) or FILE.csv")
    if path.suffix.lower() == ".npz":
        a = _read_npz(path)
        x, y, xt, yt = (a[key] for key in NPZ_KEYS)
        y, yt = _check(path, x, y, xt, yt)
        n_train, n_test = first_sizes(cfg, len(x), len(xt), str(path))
        x, y, xt, yt = x[:n_train], y[:n_train], xt[:n_test], yt[:n_test]
        integer = y.dtype.kind in "iub" and yt.dtype.kind in "iub"
        return _dataset(path, cfg, integer, x, y, xt, yt)
    values, targets = _read_csv(path)
    n = len(values)
    n_test = cfg.n_test if cfg.n_test is not None or cfg.n_train is not None else max(1, round(cfg.test_fraction * n))
    train, test = split(n, cfg.n_train, n_test, cfg.seed, str(path))
    x, y = values[:, :-1], values[:, -1]
    integer = all(INTEGER.match(cell) for cell in targets)
    return _dataset(path, cfg, integer, x[train], y[train], x[test], y[test])
