"""Optimizer steps for ``mg.jit``'s replays: SGD and Adam updated in place, into buffers they keep.

An eager optimizer writes its update as the formula in its docstring, and each NumPy operation of
that formula makes a new array (``optim/optimizers.py``). A replayed step runs the same operations in
the same order on the same values, but writes each result into a buffer made once (``out=``) and
keeps the optimizer's state arrays (SGD's ``momentum_buffer``, Adam's ``m`` and ``v``) as its own
arrays, updated in place as PyTorch's optimizers do: the parameters come out bit for bit as eager's
(``tests/test_jit_optim.py``), with no allocation and no per-parameter dictionary work.

A parameter whose case is not the plain one takes the eager code for that parameter
(``Optimizer._step_param``): a gradient of another dtype or shape (eager converts it or raises), or
state arrays of another dtype or shape (loaded from a checkpoint). State arrays that the step did not
make (a checkpoint's, or eager steps' in between) are copied into its own first. Other optimizers,
and subclasses, are replayed by calling their ``step()``.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .optim import SGD, Adam, Optimizer
from .tensor import Tensor

__all__ = ["step_kernel"]


class _Slot:
    """What the in-place step keeps for one parameter: its position, the tensor, its state buffers."""

    __slots__ = ("i", "p", "shape", "dtype", "own", "scratch")

    def __init__(self, i: int, p: Tensor, scratch: list):
        self.i, self.p, self.scratch = i, p, scratch
        self.shape, self.dtype = p._data.shape, p._data.dtype
        self.own: dict[str, np.ndarray] = {}  # the state arrays this step updates in place, by name


def _plain(x: Any, like: np.ndarray) -> bool:
    """``x`` is an array of ``like``'s dtype and shape (so in-place arithmetic gives eager's bits)."""
    return type(x) is np.ndarray and x.dtype == like.dtype and x.shape == like.shape


def _fits(slot: _Slot, p: Tensor, g: Any, d: np.ndarray) -> bool:
    """The parameter is the one the buffers were made for, and array and gradient still match them."""
    return (p is slot.p and type(g) is np.ndarray and g.shape == slot.shape == d.shape
            and g.dtype == slot.dtype == d.dtype)


def _adopt(state: dict, name: str, slot: _Slot, d: np.ndarray) -> np.ndarray | None:
    """The state array ``name`` as this step's own buffer: zeros where eager starts from 0.0 (eager's
    ``beta*0.0 + x`` and in place ``0*beta + x`` give the same bits), a copy of an array made elsewhere;
    None where that array has another dtype or shape (eager code then)."""
    own = slot.own.get(name)
    current = state.get(name)
    if current is own is not None:
        return own
    if own is None:
        own = slot.own[name] = np.empty_like(d)
    if current is None:
        own.fill(0.0)
    elif _plain(current, d):
        np.copyto(own, current)
    else:
        return None
    state[name] = own
    return own


def _slots(opt: Optimizer, k: int) -> list:
    """A _Slot per parameter; ``k`` scratch arrays per (shape, dtype), shared by those parameters."""
    scratch: dict = {}
    slots = []
    for i, p in enumerate(opt.params or []):
        arr = p._data
        key = (arr.shape, arr.dtype)
        if key not in scratch:
            scratch[key] = [np.empty_like(arr) for _ in range(k)]
        slots.append(_Slot(i, p, scratch[key]))
    return slots


def _sgd(opt: SGD, slots: list) -> None:
    """SGD.update in place:  b = g at first, then b = momentum*b + g;  p -= lr*b  (nesterov:
    p -= lr*(g + momentum*b); without momentum p -= lr*g)."""
    lr, mom, nesterov, wd = opt.lr, opt.momentum, opt.nesterov, opt.weight_decay
    states, params = opt.state, opt.params or []
    if len(params) != len(slots):  # (rebound to other parameters)
        return opt.step()
    for p, slot in zip(params, slots):
        g = p.grad
        if g is None:
            continue
        d = p._data
        state = states[slot.i]
        first = mom and state.get("momentum_buffer") is None
        fits = _fits(slot, p, g, d)
        buf = _adopt(state, "momentum_buffer", slot, d) if mom and fits else None
        if not fits or (mom and buf is None):
            opt._step_param(slot.i, p)
            continue
        a, = slot.scratch
        if wd:
            g = g + wd * d  # (eager's expression: weight decay is rare enough to allocate)
        state["step"] = state.get("step", 0) + 1
        if buf is not None:
            if first:
                np.copyto(buf, g)
            else:
                np.add(np.multiply(buf, mom, out=buf), g, out=buf)
            g = np.add(g, np.multiply(buf, mom, out=a), out=a) if nesterov else buf
        np.subtract(d, np.multiply(g, lr, out=a), out=d)
        p._bump_version()


def _adam(opt: Adam, slots: list) -> None:
    """Adam.update in place:  m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g;
    p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)"""
    lr, (b1, b2), eps, wd = opt.lr, opt.betas, opt.eps, opt.weight_decay
    states, params = opt.state, opt.params or []
    if len(params) != len(slots):
        return opt.step()
    for p, slot in zip(params, slots):
        g = p.grad
        if g is None:
            continue
        d = p._data
        state = states[slot.i]
        fits = _fits(slot, p, g, d)
        m = _adopt(state, "m", slot, d) if fits else None
        v = _adopt(state, "v", slot, d) if fits else None
        if m is None or v is None:
            opt._step_param(slot.i, p)
            continue
        a, b = slot.scratch
        if wd:
            g = g + wd * d
        t = state["step"] = state.get("step", 0) + 1
        np.multiply(m, b1, out=m)
        np.add(m, np.multiply(g, 1 - b1, out=a), out=m)
        np.multiply(v, b2, out=v)
        np.add(v, np.multiply(np.multiply(g, 1 - b2, out=a), g, out=a), out=v)
        np.divide(m, 1 - b1 ** t, out=a)
        np.add(np.sqrt(np.divide(v, 1 - b2 ** t, out=b), out=b), eps, out=b)
        np.subtract(d, np.divide(np.multiply(a, lr, out=a), b, out=a), out=d)
        p._bump_version()


def step_kernel(opt: Any) -> tuple[Callable, list] | None:
    """``(kernel, slots)`` to replay ``opt.step()`` in place as ``kernel(opt, slots)``, or None when
    ``opt`` is not a plain SGD or Adam (its own ``step()`` is replayed then)."""
    if type(opt) is SGD:
        return _sgd, _slots(opt, 1)
    if type(opt) is Adam:
        return _adam, _slots(opt, 2)
    return None
