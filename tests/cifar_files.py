"""Tiny CIFAR-10 folders in the real on-disk format, for tests (nothing is downloaded).

The real files were written by Python 2's cPickle, protocol 2: bytes are py2 ``str`` opcodes
(SHORT_BINSTRING/BINSTRING) and numpy arrays name ``numpy.core.multiarray._reconstruct``.
:class:`Py2Pickler` writes exactly that, so the loader is tested on the format it will meet.
"""

from __future__ import annotations

import io
import pickle
import struct
from pathlib import Path

import numpy as np

CLASS_NAMES = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse", b"ship", b"truck"]


class Py2Pickler(pickle._Pickler):  # the pure-Python pickler, whose dispatch table can be extended
    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj: bytes) -> None:
        n = len(obj)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", n) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def py2_dumps(obj) -> bytes:
    buffer = io.BytesIO()
    Py2Pickler(buffer, protocol=2).dump(obj)
    # numpy 2 names its reconstruct function numpy._core; files from numpy 1 say numpy.core
    return buffer.getvalue().replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")


def write_cifar(folder: Path, per_batch: int = 8, test: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Five training batches and a test batch of random images; returns (train data, labels)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        n = test if name == "test_batch" else per_batch
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        target = [int(v) for v in rng.integers(0, 10, size=n)]
        batch = {b"batch_label": f"batch {i + 1} of 5".encode(), b"labels": target, b"data": data,
                 b"filenames": [f"img_{i}_{j}.png".encode() for j in range(n)]}
        (folder / name).write_bytes(py2_dumps(batch))
        if name != "test_batch":
            images.append(data)
            labels += target
    meta = {b"num_cases_per_batch": per_batch, b"label_names": CLASS_NAMES, b"num_vis": 3072}
    (folder / "batches.meta").write_bytes(py2_dumps(meta))
    return np.concatenate(images), np.array(labels)


class RunsCode:
    """Unpickling this would call ``exec``, which writes ``marker`` (if it ever ran)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('code ran')",))


def malicious_batch(marker: Path) -> bytes:
    """A batch file that looks like CIFAR-10 but runs code when unpickled by ``pickle.load``."""
    return pickle.dumps({b"labels": [0], b"data": RunsCode(marker)}, protocol=2)
