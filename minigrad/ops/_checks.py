"""Argument checks shared by the ops' function forms: errors that name the argument and what was given.

They run in the function forms (``mg.sum``, ``mg.clip``…), before ``Function.apply``, so a bad
argument is reported as the user wrote it instead of as a NumPy error from inside ``forward``.
"""
from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np

_INDEX_TYPES = (int, np.integer)


def int_arg(op: str, name: str, value: Any) -> int:
    """``value`` as an int (bools refused), else ``TypeError`` naming ``op``, ``name`` and the value."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{op}: {name} must be an integer; received {name}={value!r} ({type(value).__name__})")
    return int(value)


def axis_in_range(op: str, name: str, value: Any, ndim: int) -> int:
    """An int axis of a tensor with ``ndim`` dimensions, made non-negative; errors name the shape rule."""
    a = int_arg(op, name, value)
    if not -ndim <= a < ndim:
        raise ValueError(f"{op}: {name}={a} is out of range for a tensor with {ndim} dimension(s) "
                         f"(valid: {-ndim} … {ndim - 1})" if ndim else
                         f"{op}: {name}={a} is out of range for a 0-d tensor (it has no axes)")
    return a % ndim


def float_arg(op: str, name: str, value: Any, *, allow_none: bool = False) -> float | None:
    """``value`` as a finite real number (or None when allowed), else an error naming it."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, Real):
        what = "a number or None" if allow_none else "a number"
        raise TypeError(f"{op}: {name} must be {what}; received {name}={value!r} ({type(value).__name__})")
    if not math.isfinite(value):
        raise ValueError(f"{op}: {name} must be finite; received {name}={value!r}")
    return value


def bool_arg(op: str, name: str, value: Any) -> bool:
    """``value`` as a bool (True/False, numpy bools, 0 and 1), else ``TypeError`` naming it."""
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, Integral) and value in (0, 1)):
        return bool(value)
    raise TypeError(f"{op}: {name} must be True or False; received {name}={value!r}")


def tensor_list(op: str, ts: Any) -> list:
    """The tensors of ``mg.concatenate``/``mg.stack``: a list or tuple, not one tensor or a stray value."""
    from ..tensor import Tensor

    if isinstance(ts, (Tensor, np.ndarray)) or not isinstance(ts, (list, tuple)):
        raise TypeError(f"{op} expects a list or tuple of tensors, e.g. mg.{op}([a, b]); received "
                        f"{type(ts).__name__}" + (f" of shape {ts.shape}" if hasattr(ts, "shape") else ""))
    if len(ts) == 0:
        raise ValueError(f"{op} needs at least one tensor; received an empty {type(ts).__name__}")
    return [t if isinstance(t, Tensor) else Tensor(t) for t in ts]
