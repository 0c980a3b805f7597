"""Creation functions: ``tensor``, ``full``, ``zeros``, ``ones``, ``*_like``, ``randn``, ``rand``.

Each makes a leaf ``Tensor`` of the default float dtype (``mg.get_default_dtype()``) unless ``dtype=``
says otherwise; random ones draw from the generator ``mg.manual_seed`` seeds, or from ``rng``.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from . import checks
from .random import default_rng
from .tensor import _PY_NUMBERS, Tensor, _as_operand, get_default_dtype

__all__ = ["tensor", "full", "zeros", "ones", "zeros_like", "ones_like", "randn", "rand"]


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None) -> Tensor:
    """Function form of ``Tensor(...)``."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def _shape_arg(shape: Sequence[Any]) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(checks.integer("shape", "shape", n, low=0) for n in shape)


def _dtype_or_default(dtype: Any) -> np.dtype:
    return np.dtype(dtype) if dtype is not None else get_default_dtype()


def full(shape: Any, value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``shape`` filled with ``value``."""
    shape = _shape_arg(shape if isinstance(shape, (tuple, list)) else (shape,))
    if isinstance(value, (str, bytes)) or not isinstance(value, (_PY_NUMBERS, np.number)):
        checks.fail("full", "value", value, "a number", TypeError)
    d = _dtype_or_default(dtype)
    return Tensor(np.full(shape, value, dtype=d), requires_grad=requires_grad, dtype=d)


def zeros(shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return full(shape, 0, dtype, requires_grad)


def ones(shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return full(shape, 1, dtype, requires_grad)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    a = _as_operand(t)
    return full(a.shape, 0, dtype or a.dtype, requires_grad)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    a = _as_operand(t)
    return full(a.shape, 1, dtype or a.dtype, requires_grad)


def randn(*shape: Any, requires_grad: bool = False, rng: np.random.Generator | None = None,
          dtype: Any = None) -> Tensor:
    """Standard-normal samples from ``rng`` (default: the generator ``mg.manual_seed`` seeds)."""
    gen = rng if rng is not None else default_rng()
    data = gen.standard_normal(_shape_arg(shape)).astype(_dtype_or_default(dtype))
    return Tensor(data, requires_grad=requires_grad)


def rand(*shape: Any, requires_grad: bool = False, rng: np.random.Generator | None = None,
         dtype: Any = None) -> Tensor:
    """Uniform samples in [0, 1) from ``rng`` (default: the generator ``mg.manual_seed`` seeds)."""
    gen = rng if rng is not None else default_rng()
    data = gen.random(_shape_arg(shape)).astype(_dtype_or_default(dtype))
    return Tensor(data, requires_grad=requires_grad)
