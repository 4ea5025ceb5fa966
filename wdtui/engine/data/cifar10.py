"""CIFAR-10 from the standard "CIFAR-10 python version" folder, unpickled without running code.

The folder holds ``data_batch_1`` … ``data_batch_5`` (10,000 training images each), ``test_batch``
and ``batches.meta``, each a Python 2 pickle of a dict: ``b"data"`` a (10000, 3072) uint8 array
(1024 red, 1024 green, 1024 blue values per 32×32 image), ``b"labels"`` a list of ints 0…9, and
in ``batches.meta`` ``b"label_names"``. A pickle can name any function to be called while it
loads, so :class:`PlainDataUnpickler` admits only what rebuilds plain data: the opcodes for dict,
list, tuple, bytes, str, int and float need no lookup at all, and the only names it resolves are
numpy's array reconstruction (``_reconstruct``, ``_frombuffer``, ``ndarray``, ``dtype`` without
object fields) and latin-1 text encoding. Anything else is refused before it is called.

Two more guards: an array may not claim more bytes than the file holds (``ndarray(shape)``
would allocate whatever a 2 MB file asks for), and when loading ends every array in the result
is checked once more for object fields: a dtype can be given fields later in the same pickle (a
``BUILD`` on a void dtype), so the check at each step is not enough on its own.
"""

from __future__ import annotations

import codecs
import io
import math
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Config, ConfigError
from .dataset import Dataset, Step, classification, first_sizes, no_step

TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
FILES = (*TRAIN_FILES, "test_batch", "batches.meta")
EXPECTED = "the CIFAR-10 python version (data_batch_1…data_batch_5, test_batch, batches.meta)"
PIXELS = 3 * 32 * 32


class RefusedPickle(pickle.UnpicklingError):
    """The pickle asked for something that is not plain data."""


def _dtype(*args: Any) -> np.dtype:
    dtype = np.dtype(*args)
    if dtype.hasobject:
        raise RefusedPickle("numpy arrays of Python objects")
    return dtype


def _claimed_bytes(shape: Any, dtype: Any) -> int:
    """The bytes an array of ``shape`` and ``dtype`` would take (refused: objects, bad shapes)."""
    dtype = _dtype(dtype)
    dims = (shape,) if isinstance(shape, int) else tuple(shape)
    if not all(type(d) is int and d >= 0 for d in dims):
        raise RefusedPickle(f"an array of shape {shape!r}")
    return math.prod(dims) * dtype.itemsize


class _NdarrayName:
    """What ``numpy.ndarray`` resolves to: a stand-in that ``_reconstruct`` accepts as the class,
    and that, called, builds an array only of a size the file can hold."""

    def __init__(self, limit: int):
        self.limit = limit

    def check(self, shape: Any, dtype: Any) -> None:
        claimed = _claimed_bytes(shape, dtype)
        if claimed > self.limit:
            raise RefusedPickle(f"an array of {claimed:,} bytes in a file of {self.limit:,} bytes")

    def __call__(self, shape: Any, dtype: Any = float, *args: Any, **kwargs: Any) -> np.ndarray:
        self.check(shape, dtype)
        return np.ndarray(shape, dtype, *args, **kwargs)


def _objects_inside(value: Any, seen: set[int] | None = None) -> bool:
    """Whether any numpy array within ``value`` (dicts, lists, tuples, nested) holds objects."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return False
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        return value.dtype.hasobject
    if isinstance(value, dict):
        return any(_objects_inside(k, seen) or _objects_inside(v, seen) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_objects_inside(v, seen) for v in value)
    return False


def _latin1(text: str, encoding: str = "utf-8") -> bytes:
    """``_codecs.encode``, which Python 3 pickles use to rebuild bytes; text encodings only."""
    if codecs.lookup(encoding).name not in ("latin-1", "iso8859-1", "utf-8", "ascii"):
        raise RefusedPickle(f"_codecs.encode with {encoding!r}")
    return codecs.encode(text, encoding)


_SAMPLE = np.zeros(1, dtype=np.uint8)
_RECONSTRUCT = _SAMPLE.__reduce__()[0]
_FROMBUFFER = _SAMPLE.__reduce_ex__(5)[0]
RECONSTRUCT_NAMES = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")}
FROMBUFFER_NAMES = {("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer")}
ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"), *RECONSTRUCT_NAMES, *FROMBUFFER_NAMES}


class PlainDataUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the names in ``ALLOWED`` (numpy 1 and numpy 2 spell
    numpy's module differently), each to a checked stand-in; any other name raises
    :class:`RefusedPickle` without being imported or called. ``limit``: the most bytes one array
    may claim (the file's size)."""

    def __init__(self, file: io.BytesIO, limit: int, **kwargs: Any):
        super().__init__(file, **kwargs)
        self.ndarray = _NdarrayName(limit)

    def find_class(self, module: str, name: str) -> Any:
        key = (module, name)
        if key not in ALLOWED:
            raise RefusedPickle(f"{module}.{name}")
        if key == ("numpy", "ndarray"):
            return self.ndarray
        if key == ("numpy", "dtype"):
            return _dtype
        if key == ("_codecs", "encode"):
            return _latin1
        if key in RECONSTRUCT_NAMES:
            return self._reconstruct
        return self._frombuffer

    def _reconstruct(self, cls: Any, shape: Any, dtype: Any) -> np.ndarray:
        if cls is not self.ndarray:
            raise RefusedPickle(f"_reconstruct of {cls!r}")
        self.ndarray.check(shape, dtype)
        return _RECONSTRUCT(np.ndarray, shape, dtype)

    def _frombuffer(self, buffer: Any, dtype: Any, shape: Any, order: str) -> np.ndarray:
        _dtype(dtype)
        return _FROMBUFFER(buffer, dtype, shape, order)

    def persistent_load(self, pid: Any) -> Any:
        raise RefusedPickle("persistent ids")


def load_plain(data: bytes) -> Any:
    """Unpickle ``data`` admitting plain data only (Python 2 strings come back as bytes); checked
    again at the end: no array in the result holds Python objects."""
    value = PlainDataUnpickler(io.BytesIO(data), len(data), encoding="bytes").load()
    if _objects_inside(value):
        raise RefusedPickle("numpy arrays of Python objects (a dtype given object fields while loading)")
    return value


def _read(path: Path) -> Any:
    try:
        return load_plain(path.read_bytes())
    except RefusedPickle as error:
        raise ConfigError("data_dir", f"{path}: refused, the pickle asks for {error}; only plain data "
                          "(dict, list, tuple, bytes, str, int, float, numpy arrays) is loaded") from None
    except OSError as error:
        raise ConfigError("data_dir", f"{path}: cannot read ({error.strerror or error})") from None
    except Exception as error:  # truncated or not a pickle at all
        raise ConfigError("data_dir", f"{path}: not a readable pickle ({type(error).__name__}: {error})") from None


def _batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(images (N, 3, 32, 32) uint8, labels (N,)) of one batch file, checked."""
    batch = _read(path)
    problem = None
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        problem = "not a dict with b'data' and b'labels'"
    else:
        data, labels = batch[b"data"], batch[b"labels"]
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != PIXELS:
            problem = f"b'data' must be a uint8 array of shape (N, {PIXELS})"
        elif not isinstance(labels, list) or len(labels) != len(data) \
                or not all(type(v) is int and 0 <= v <= 9 for v in labels):
            problem = "b'labels' must be a list of one int 0…9 per image"
    if problem:
        raise ConfigError("data_dir", f"{path} is not a CIFAR-10 batch: {problem}")
    return data.reshape(-1, 3, 32, 32), np.asarray(labels, dtype=np.int64)


def _names(path: Path) -> tuple[str, ...]:
    meta = _read(path)
    names = meta.get(b"label_names") if isinstance(meta, dict) else None
    if not isinstance(names, list) or len(names) != 10 or not all(isinstance(n, (bytes, str)) for n in names):
        raise ConfigError("data_dir", f"{path} is not CIFAR-10's batches.meta: b'label_names' must list 10 names")
    return tuple(n.decode("utf-8", "replace") if isinstance(n, bytes) else n for n in names)


def load_cifar10(cfg: Config, step: Step = no_step) -> Dataset:
    """The first ``n_train`` training images of the five batches and the first ``n_test`` of the
    test batch (None: all), pixels scaled to [0, 1], shape (N, 3, 32, 32). ``step`` is told
    before each file is read (the whole set is ~180 MB of pickles: seconds)."""
    folder = Path(cfg.data_dir)
    if not folder.is_dir():
        raise ConfigError("data_dir", f"{folder} is not a folder; expected {EXPECTED}")
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        raise ConfigError("data_dir", f"{folder} lacks {', '.join(missing)}; expected {EXPECTED}")
    classes = _names(folder / "batches.meta")
    batches = (*TRAIN_FILES, "test_batch")
    parts = []
    for i, name in enumerate(batches):
        step("loading CIFAR-10", i / len(batches))
        parts.append(_batch(folder / name))
    train_x = np.concatenate([x for x, _ in parts[:-1]])
    train_y = np.concatenate([y for _, y in parts[:-1]])
    test_x, test_y = parts[-1]
    n_train, n_test = first_sizes(cfg, len(train_x), len(test_x), str(folder))
    step("scaling CIFAR-10's pixels", 0.0)
    scale = np.float32(1 / 255)
    return classification(train_x[:n_train] * scale, train_y[:n_train],
                          test_x[:n_test] * scale, test_y[:n_test], classes)
