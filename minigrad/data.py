"""Data helpers: ``one_hot`` labels, a mini-batch generator ``batches`` and the IDX reader ``load_idx``.

They work on NumPy arrays (Tensors are accepted and unwrapped) and return NumPy arrays, like
``keras.utils.to_categorical`` and the lecture's hand-written mini-batch generator (lecture 05).
"""
from __future__ import annotations

import gzip
import os
import zlib
from typing import Any, Iterator

import numpy as np

from . import checks
from .random import default_rng
from .tensor import Tensor, get_default_dtype

__all__ = ["one_hot", "batches", "load_idx"]


def _as_array(a: Any) -> np.ndarray:
    return a.data if isinstance(a, Tensor) else np.asarray(a)


def one_hot(labels: Any, num_classes: int | None = None) -> np.ndarray:
    """Integer class labels of any shape ``S`` -> one-hot rows of shape ``S + (num_classes,)``.

    ``one_hot([2, 0], 3) == [[0, 0, 1], [1, 0, 0]]``. The result has the default float dtype
    (float32). ``num_classes`` defaults to ``max(labels) + 1``. Float arrays holding whole numbers
    (``2.0``) are accepted; other dtypes raise ``TypeError``, and fractions, negative labels and
    labels ``>= num_classes`` raise ``ValueError``.
    """
    lab = _as_array(labels)
    num_classes = checks.integer("one_hot", "num_classes", num_classes, low=0, allow_none=True)
    if lab.dtype.kind == "f":
        if not np.all(np.isfinite(lab)) or np.any(lab != np.round(lab)):
            checks.fail("one_hot", "labels", lab.ravel()[:8].tolist(), "whole numbers (class indices)")
        lab = lab.astype(np.int64)
    elif lab.dtype.kind not in "iub":
        raise TypeError(f"one_hot: labels must be integer class indices; Received: an array of dtype "
                        f"{lab.dtype}")
    lab = lab.astype(np.int64, copy=False)
    if lab.size and lab.min() < 0:
        raise ValueError(f"one_hot: labels must be non-negative class indices; Received: label "
                         f"{int(lab.min())}")
    top = int(lab.max()) + 1 if lab.size else 0
    if num_classes is None:
        num_classes = top
    elif top > num_classes:
        checks.fail("one_hot", "num_classes", num_classes, f"more than every label (label {top - 1} is "
                    f"there)")
    out = np.zeros(lab.shape + (int(num_classes),), dtype=get_default_dtype())
    np.put_along_axis(out, lab[..., None], 1, axis=-1)
    return out


def batches(x: Any, y: Any, batch_size: int, shuffle: bool = True,
            rng: np.random.Generator | None = None) -> Iterator[Any]:
    """Yield mini-batches ``(x_batch, y_batch)`` of ``batch_size`` rows; the last one may be smaller.

    ``x``: (N, ...) and ``y``: (N, ...) or ``None`` (then only ``x_batch`` is yielded). With
    ``shuffle=True`` the rows are drawn in a random order from ``rng`` (default: the generator
    ``mg.manual_seed`` seeds), a fresh order on every call; without shuffling the batches are views
    of the inputs. Batches are NumPy arrays (Tensor inputs give Tensor batches that need no grad).
    """
    batch_size = checks.integer("batches", "batch_size", batch_size, low=1)
    shuffle = checks.boolean("batches", "shuffle", shuffle)
    xa = _as_array(x)
    ya = None if y is None else _as_array(y)
    if xa.ndim == 0:
        raise ValueError("batches: x must have a batch dimension; Received: a 0-d array")
    n = len(xa)
    if ya is not None and (ya.ndim == 0 or len(ya) != n):
        raise ValueError(f"batches: x and y must have the same number of rows; Received: x of shape "
                         f"{xa.shape} and y of shape {ya.shape}")
    if shuffle:
        order = (rng if rng is not None else default_rng()).permutation(n)
        xa = xa[order]
        ya = None if ya is None else ya[order]
    wrap_x = Tensor if isinstance(x, Tensor) else (lambda a: a)
    wrap_y = Tensor if isinstance(y, Tensor) else (lambda a: a)
    for start in range(0, n, batch_size):
        xb = wrap_x(xa[start:start + batch_size])
        if ya is None:
            yield xb
        else:
            yield xb, wrap_y(ya[start:start + batch_size])


# IDX: 2 zero bytes, a type code, the number of dimensions, then each size as a big-endian uint32,
# then the data in row-major order, big-endian. http://yann.lecun.com/exdb/mnist/
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def load_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (MNIST / Fashion-MNIST format), raw or gzip-compressed, into a NumPy array.

    ``train-images-idx3-ubyte.gz`` gives a ``uint8`` array of shape (60000, 28, 28) and
    ``train-labels-idx1-ubyte.gz`` one of shape (60000,). Compression is detected from the
    file's first bytes, not its name. A malformed header (non-zero leading bytes, an unknown type
    code), data shorter or longer than the header announces, or a broken gzip stream raise
    ``ValueError`` naming the file and what was wrong.
    """
    if not isinstance(path, (str, os.PathLike)):  # an int would be read as a file descriptor, and closed
        checks.fail("load_idx", "path", path, "a file path (str or os.PathLike)", TypeError)
    name = os.fsdecode(os.fspath(path))
    with open(name, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"load_idx: {name!r} is not a readable gzip file ({exc})") from None
    if len(raw) < 4:
        raise ValueError(f"load_idx: {name!r} is too short for an IDX header ({len(raw)} bytes; need at "
                         f"least 4)")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"load_idx: {name!r} is not an IDX file: its first two bytes are "
                         f"{raw[0]:#04x} {raw[1]:#04x}, expected 0x00 0x00")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        known = ", ".join(f"{c:#04x}" for c in _IDX_TYPES)
        raise ValueError(f"load_idx: {name!r} has unknown IDX type code {code:#04x} (known: {known})")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"load_idx: {name!r} is truncated inside its header: {ndim} dimensions need "
                         f"{header} bytes, the file has {len(raw)}")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[code])
    want = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    have = len(raw) - header
    if have != want:
        what = "truncated" if have < want else "longer than its header says"
        raise ValueError(f"load_idx: {name!r} is {what}: shape {shape} of {dtype.name} needs {want} data "
                         f"bytes, the file has {have}")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))  # native byte order, and a writable copy
