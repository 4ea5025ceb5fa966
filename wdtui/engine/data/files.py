"""Your own data: ``--data FILE.npz`` (``x_train, y_train, x_test, y_test``) or ``FILE.csv``.

The task comes from the targets unless the config names it: integer targets (an integer array in
an .npz, whole numbers without a decimal point in a CSV) are class labels 0…C−1; anything else
is a regression target. An .npz is read with ``allow_pickle=False``: an array of Python objects
is refused, never unpickled. A CSV's last column is the target; an optional first row of names
is skipped; ``test_fraction`` of its rows (a seeded random choice) are the test set.
"""

from __future__ import annotations

import csv
import lzma
import math
import re
import zipfile
import zlib
from array import array
from pathlib import Path

import numpy as np
import torch

from ..config import Config, ConfigError
from ..limits import MemoryEstimate
from .dataset import Dataset, classification, first_sizes, split

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
MAX_CLASSES = 1000
CSV_BYTES_PER_CHARACTER = 6  # a CSV in memory: ~8 bytes per value of ≥ 2 characters, plus each row's target text
INTEGER = re.compile(r"^[+-]?\d+$")


def _fail(message: str) -> ConfigError:
    return ConfigError("data", message)


ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
FLOAT32_MAX = float(np.finfo(np.float32).max)


def _what_is(head: bytes) -> str:
    """What a file that is not a zip archive looks like, for the message."""
    if head.startswith(b"\x93NUMPY"):
        return "a single .npy array (save the four arrays with numpy.savez)"
    if head[:1] == b"\x80":
        return "a pickle, which is never loaded"
    return "not a zip archive"


def _headers(path: Path, archive: zipfile.ZipFile, names: dict[str, str]) -> dict[str, tuple]:
    """Each array's (shape, dtype, header size) from its .npy header, checked against the zip
    entry before any data is read: no encryption, a known compression method, a numeric dtype,
    and exactly as many bytes as the shape claims."""
    headers = {}
    for key in NPZ_KEYS:
        info = archive.getinfo(names[key])
        if info.flag_bits & 0x1:
            raise _fail(f"{path}: {key} is encrypted; save the arrays without a password (numpy.savez)")
        if info.compress_type not in ZIP_METHODS:
            raise _fail(f"{path}: {key} uses zip compression method {info.compress_type}, which is not "
                        "supported; save with numpy.savez or numpy.savez_compressed")
        try:
            with archive.open(info) as handle:
                version = np.lib.format.read_magic(handle)
                read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                shape, _, dtype = read(handle, max_header_size=10_000)
                header = handle.tell()
        except (ValueError, EOFError, OSError, zipfile.BadZipFile, NotImplementedError, RuntimeError) as error:
            raise _fail(f"{path}: {key} is not a readable .npy array ({error})") from None
        if dtype.hasobject:
            raise _fail(f"{path}: {key} is an array of Python objects, which is never unpickled; save "
                        "numeric arrays (int, float or bool)")
        if dtype.kind not in "biuf":
            raise _fail(f"{path}: {key} has dtype {dtype}; allowed: int, float or bool arrays")
        nbytes = math.prod(shape) * dtype.itemsize
        if header + nbytes != info.file_size:
            raise _fail(f"{path}: {key} claims shape {shape} ({nbytes:,} bytes of {dtype}) but its entry holds "
                        f"{max(info.file_size - header, 0):,} bytes (truncated or damaged)")
        headers[key] = (shape, dtype, nbytes)
    return headers


def _read_npz(path: Path, cfg: Config) -> dict[str, np.ndarray]:
    """The four arrays of an .npz, read without pickle; sizes checked against the memory limit
    from the headers, before any array is allocated."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as error:
        raise _fail(f"{path}: cannot read ({error.strerror or error})") from None
    if head[:4] not in ZIP_MAGIC:
        raise _fail(f"{path}: not an .npz (a zip of .npy arrays): {_what_is(head)}")
    try:
        with zipfile.ZipFile(path) as archive:
            names = {n[:-4] if n.endswith(".npy") else n: n for n in archive.namelist()}
            missing = [key for key in NPZ_KEYS if key not in names]
            if missing:
                raise _fail(f"{path} lacks {', '.join(missing)}; an .npz needs the arrays {', '.join(NPZ_KEYS)}")
            headers = _headers(path, archive, names)
            # as stored, then as float64 (regression targets and the checks) and the dtype's copy
            values = sum(math.prod(shape) for shape, _, _ in headers.values())
            stored = sum(nbytes for _, _, nbytes in headers.values())
            MemoryEstimate().add("data", stored + values * (8 + 4 + (cfg.dtype == "float64") * 4), "data").check()
            arrays = {}
            for key in NPZ_KEYS:
                with archive.open(names[key]) as handle:
                    arrays[key] = np.lib.format.read_array(handle, allow_pickle=False)
    except ConfigError:
        raise
    except (OSError, zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, RuntimeError,
            zlib.error, lzma.LZMAError) as error:
        raise _fail(f"{path}: cannot read as .npz (truncated or damaged: {error})") from None
    return arrays


def _read_csv(path: Path) -> tuple[np.ndarray, list[str]]:
    """The numbers of a CSV as floats (N, columns), and the target column's cells as text.
    Read row by row into a compact array; a UTF-8 byte-order mark is skipped; every cell must be
    a finite number (NaN and infinity are refused, as in an .npz)."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise _fail(f"{path}: cannot read ({error.strerror or error})") from None
    # a cell of a few characters becomes 8 bytes, and each row keeps its target's text
    MemoryEstimate().add("data", size * CSV_BYTES_PER_CHARACTER, "data").check()
    values, targets = array("d"), []
    width = 0
    line = 0
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            for row in reader:
                line = reader.line_num
                if not row or not any(cell.strip() for cell in row):
                    continue
                if not width:
                    if not _numeric(row[-1]):
                        width = -len(row)  # a header row: skipped, but fixes nothing yet
                        continue
                if width <= 0:
                    width = len(row)
                    if width < 2:
                        raise _fail(f"{path}: needs at least 2 columns, the inputs then the target (got {width})")
                row_number = len(targets) + 1  # among the rows of numbers (no header, no blank lines)
                if len(row) != width:
                    raise _fail(f"{path}: row {row_number} has {len(row)} columns, the first has {width}")
                for j, cell in enumerate(row):
                    try:
                        value = float(cell)
                    except ValueError:
                        raise _fail(f"{path}: row {row_number}, column {j + 1}: {_shown(cell)} is not a number") from None
                    if not math.isfinite(value):
                        raise _fail(f"{path}: row {row_number}, column {j + 1}: {_shown(cell)} is not a finite number; "
                                    "only finite numbers are allowed")
                    values.append(value)
                targets.append(row[-1].strip())
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(f"{path}: cannot read ({getattr(error, 'strerror', None) or error})") from None
    except csv.Error as error:
        raise _fail(f"{path}: line {line + 1} is not valid CSV ({error})") from None
    if len(targets) < 3:
        raise _fail(f"{path}: needs at least 3 rows of numbers (got {len(targets)})")
    return np.frombuffer(values, dtype=np.float64).reshape(len(targets), width), targets


def _shown(cell: str) -> str:
    """A cell for a message: stripped, and cut to 40 characters."""
    cell = cell.strip()
    return repr(cell if len(cell) <= 40 else cell[:40] + "…")


def _numeric(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def _check(path: Path, x: np.ndarray, y: np.ndarray, xt: np.ndarray, yt: np.ndarray,
           float32: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Targets as 1-D arrays; shapes and values checked (finite, and within float32's range when
    training in float32)."""
    y, yt = (a.reshape(-1) if a.ndim == 2 and a.shape[1] == 1 else a for a in (y, yt))
    for name, xs, ys in (("train", x, y), ("test", xt, yt)):
        if ys.ndim != 1:
            raise _fail(f"{path}: y_{name} must have shape (N,) or (N, 1) (got {ys.shape})")
        if xs.ndim < 2 or len(xs) != len(ys):
            raise _fail(f"{path}: x_{name} must have shape (N, features…) with N = len(y_{name}) = {len(ys)} "
                        f"(got {xs.shape})")
        if math.prod(xs.shape[1:]) == 0:
            raise _fail(f"{path}: x_{name} has no feature values per example (shape {xs.shape})")
        for key, values in (("x_" + name, xs), ("y_" + name, ys)):
            if not np.isfinite(values).all():
                raise _fail(f"{path}: {key} holds NaN or infinite values; only finite numbers are allowed")
            if float32 and values.dtype.kind == "f" and values.size and np.abs(values).max() > FLOAT32_MAX:
                raise _fail(f"{path}: {key} holds values beyond ±3.4e38, which float32 cannot hold; "
                            "use --dtype float64 or rescale the data")
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
        a = _read_npz(path, cfg)
        x, y, xt, yt = (a[key] for key in NPZ_KEYS)
        y, yt = _check(path, x, y, xt, yt, cfg.dtype == "float32")
        n_train, n_test = first_sizes(cfg, len(x), len(xt), str(path))
        x, y, xt, yt = x[:n_train], y[:n_train], xt[:n_test], yt[:n_test]
        integer = y.dtype.kind in "iub" and yt.dtype.kind in "iub"
        return _dataset(path, cfg, integer, x, y, xt, yt)
    values, targets = _read_csv(path)
    if cfg.dtype == "float32" and np.abs(values).max() > FLOAT32_MAX:
        raise _fail(f"{path}: holds values beyond ±3.4e38, which float32 cannot hold; use --dtype float64 "
                    "or rescale the data")
    n = len(values)
    n_test = cfg.n_test if cfg.n_test is not None or cfg.n_train is not None else max(1, round(cfg.test_fraction * n))
    train, test = split(n, cfg.n_train, n_test, cfg.seed, str(path))
    x, y = values[:, :-1], values[:, -1]
    integer = all(INTEGER.match(cell) for cell in targets)
    return _dataset(path, cfg, integer, x[train], y[train], x[test], y[test])
