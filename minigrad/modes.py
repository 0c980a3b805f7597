"""The two switches every op reads: grad mode (per thread) and anomaly mode (process-wide).

``mg.no_grad()`` / ``mg.enable_grad()`` turn graph recording off and on; ``mg.detect_anomaly()``
makes every op check its forward output and backward gradients for NaN and inf. Each is a context
manager and a decorator. ``autograd.Function.apply`` and the backward walk read
``grad_mode.enabled`` and ``anomaly_mode.enabled``.
"""
from __future__ import annotations

import functools
import os
import threading
import traceback
from typing import Any, Callable

import numpy as np

__all__ = ["no_grad", "enable_grad", "is_grad_enabled", "set_grad_enabled", "detect_anomaly",
           "set_detect_anomaly", "is_anomaly_enabled"]


class _GradState(threading.local):
    enabled = True  # each new thread starts with grad mode on


class _AnomalyState:
    enabled = False


grad_mode = _GradState()
anomaly_mode = _AnomalyState()


def is_grad_enabled() -> bool:
    """True when ops record a graph in this thread (the default)."""
    return grad_mode.enabled


def set_grad_enabled(mode: bool) -> None:
    """Switch graph recording on or off for the current thread."""
    grad_mode.enabled = bool(mode)


def is_anomaly_enabled() -> bool:
    """True inside ``mg.detect_anomaly()``."""
    return anomaly_mode.enabled


def set_detect_anomaly(flag: bool) -> None:
    """Turn NaN/inf checks of every op's forward output and backward gradients on or off."""
    anomaly_mode.enabled = bool(flag)


class _Switch:
    """A context manager and decorator that sets a mode (``get``/``set``), then restores it."""

    def __init__(self, mode: bool, get: Callable[[], bool], set: Callable[[bool], None]) -> None:
        self.mode, self._get, self._set = mode, get, set

    def __enter__(self) -> None:
        self._prev = self._get()
        self._set(self.mode)

    def __exit__(self, *exc: object) -> None:
        self._set(self._prev)

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _Switch(self.mode, self._get, self._set):
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_Switch):
    """``with mg.no_grad():`` (or ``@mg.no_grad()``): ops inside record nothing."""

    def __init__(self) -> None: super().__init__(False, is_grad_enabled, set_grad_enabled)


class enable_grad(_Switch):
    """``with mg.enable_grad():`` turns recording back on inside a ``no_grad`` block."""

    def __init__(self) -> None: super().__init__(True, is_grad_enabled, set_grad_enabled)


class detect_anomaly(_Switch):
    """``with mg.detect_anomaly():`` (or as a decorator): an op whose forward output or backward
    gradient holds NaN or inf raises ``FloatingPointError`` naming the op and, for backward, the
    line of user code that created it."""

    def __init__(self, enabled: bool = True) -> None:
        super().__init__(enabled, is_anomaly_enabled, set_detect_anomaly)


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_frame() -> str:
    """The innermost stack frame outside the minigrad package, as 'File ..., line n, in f: code'."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE):
            return f'File "{frame.filename}", line {frame.lineno}, in {frame.name}: {frame.line}'
    return "<unknown>"


def check_finite(what: str, op: str, arr: np.ndarray, created_at: str | None = None) -> None:
    if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
        bad = "NaN" if np.isnan(arr).any() else "inf"
        where = f"; the op was created at {created_at}" if created_at else ""
        raise FloatingPointError(f"{op}: {what} holds {bad} (shape {arr.shape}){where}")
