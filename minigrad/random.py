"""The default random generator behind initializers, ``randn``/``rand``, dropout and ``fit`` shuffling.

``mg.manual_seed(n)`` reseeds it. A thread may install its own generator for a while with
``using_rng(gen)`` (``fit(seed=n)`` does), so two threads training two models do not draw from
each other's stream.
"""
from __future__ import annotations

import contextlib
import threading
from typing import Iterator

import numpy as np

__all__ = ["manual_seed", "default_rng", "using_rng"]

_global = [np.random.default_rng()]
_local = threading.local()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the default generator; two runs with the same seed draw the same numbers."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed expects a non-negative integer; received seed={seed!r}")
    _global[0] = np.random.default_rng(int(seed))
    return _global[0]


def default_rng() -> np.random.Generator:
    """The generator in force for this thread: one installed by ``using_rng``, else the global one."""
    return getattr(_local, "rng", None) or _global[0]


@contextlib.contextmanager
def using_rng(rng: np.random.Generator) -> Iterator[np.random.Generator]:
    """Make ``rng`` this thread's default generator inside the ``with`` block."""
    prev = getattr(_local, "rng", None)
    _local.rng = rng
    try:
        yield rng
    finally:
        _local.rng = prev
