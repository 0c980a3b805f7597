"""Argument checks used across minigrad, with one error style (Keras's):

    Dense: units must be a positive integer; Received: units=-3

Each check returns the value in its plain Python form, or raises ``TypeError`` (wrong kind of
value) or ``ValueError`` (right kind, out of range) naming the owner, the argument and what was
received. The core (ops), layers, losses, optimizers and ``fit`` all use these.
"""
from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any, Iterable, NoReturn

import numpy as np

__all__ = ["fail", "integer", "number", "boolean", "one_of", "axis", "pick_axis", "Default"]


def fail(owner: str, name: str, value: Any, expected: str, error: type = ValueError) -> NoReturn:
    """Raise ``error`` saying that ``owner``'s argument ``name`` must be ``expected``."""
    raise error(f"{owner}: {name} must be {expected}; Received: {name}={value!r}")


def integer(owner: str, name: str, value: Any, *, low: int | None = None, allow_none: bool = False) -> Any:
    """``value`` as an int (bools refused), at least ``low`` when given; None passes when allowed."""
    if value is None and allow_none:
        return None
    what = "an integer" + (f" >= {low}" if low is not None else "") + (" or None" if allow_none else "")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
        fail(owner, name, value, what, TypeError)
    if low is not None and value < low:
        fail(owner, name, value, what)
    return int(value)


def number(owner: str, name: str, value: Any, *, low: float | None = None, high: float | None = None,
           low_open: bool = False, high_open: bool = False, allow_none: bool = False) -> Any:
    """``value`` as a finite float within the given bounds; None passes when allowed.

    ``low_open``/``high_open`` exclude the bound itself: ``Dropout`` asks for ``rate`` in [0, 1)."""
    if value is None and allow_none:
        return None
    lo = "(" if low_open else "["
    hi = ")" if high_open else "]"
    if low is not None and high is not None:
        what = f"a number in {lo}{low:g}, {high:g}{hi}"
    elif low is not None:
        what = f"a number {'>' if low_open else '>='} {low:g}"
    elif high is not None:
        what = f"a number {'<' if high_open else '<='} {high:g}"
    else:
        what = "a finite number"
    if isinstance(value, (str, bytes, bool, np.bool_)) or not isinstance(value, Real):
        fail(owner, name, value, what + (" or None" if allow_none else ""), TypeError)
    v = float(value)
    ok = math.isfinite(v)
    if low is not None:
        ok = ok and (v > low if low_open else v >= low)
    if high is not None:
        ok = ok and (v < high if high_open else v <= high)
    if not ok:
        fail(owner, name, value, what)
    return v


def boolean(owner: str, name: str, value: Any) -> bool:
    """``value`` as a bool (True/False, NumPy bools, 0 and 1)."""
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, Integral) and value in (0, 1)):
        return bool(value)
    fail(owner, name, value, "True or False", TypeError)


def one_of(owner: str, name: str, value: Any, choices: Iterable[str]) -> str:
    """``value`` when it is one of the strings ``choices``."""
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        fail(owner, name, value, "one of " + ", ".join(repr(c) for c in choices),
             ValueError if isinstance(value, str) else TypeError)
    return value


def axis(owner: str, name: str, value: Any, ndim: int) -> int:
    """An int axis of a tensor with ``ndim`` dimensions, made non-negative."""
    a = integer(owner, name, value)
    if not -ndim <= a < ndim:
        valid = f"valid: {-ndim} … {ndim - 1}" if ndim else "it has no axes"
        raise ValueError(f"{owner}: {name}={a} is out of range for a tensor with {ndim} dimension(s) "
                         f"({valid}); Received: {name}={value!r}")
    return a % ndim


class Default:
    """The default of ``axis=`` and of ``dim=`` where either may be given (shown as its value), so
    that a call giving both, or ``dim=None`` explicitly, can be told from one giving neither."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return repr(self.value)


def pick_axis(owner: str, axis: Any, dim: Any) -> Any:
    """The axis of a call that takes NumPy's ``axis=`` or PyTorch's ``dim=`` (giving both is an error)."""
    if isinstance(dim, Default):  # dim= not given
        return axis.value if isinstance(axis, Default) else axis
    if not isinstance(axis, Default):
        raise TypeError(f"{owner}: give axis= or dim= (the same argument), not both; "
                        f"Received: axis={axis!r}, dim={dim!r}")
    return dim
