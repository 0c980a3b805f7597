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


class _Group:
    """Parameters of one dtype and flat arrays over all of them: ``flat[name]`` has one element per
    parameter element, and each slot's ``own[name]`` is its part, shaped like the parameter."""

    def __init__(self, slots: list, names: tuple):
        self.slots = slots
        sizes = [s.p._data.size for s in slots]
        offsets = np.cumsum([0] + sizes)
        self.flat = {n: np.zeros(offsets[-1], slots[0].dtype) for n in names}
        for s, start, size in zip(slots, offsets, sizes):
            s.own = {n: a[start:start + size].reshape(s.shape) for n, a in self.flat.items()}


def _groups(opt: Optimizer, names: tuple) -> tuple:
    """(a _Group per dtype, the number of parameters)."""
    by_dtype: dict = {}
    for i, p in enumerate(opt.params or []):
        by_dtype.setdefault(p._data.dtype, []).append(_Slot(i, p, []))
    return [_Group(slots, names) for slots in by_dtype.values()], len(opt.params or [])


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


def _adam_update(g: np.ndarray, m: np.ndarray, v: np.ndarray, a: np.ndarray, b: np.ndarray, t: int,
                 lr: float, b1: float, b2: float, eps: float) -> np.ndarray:
    """Adam.update's operations in place; returns ``a``, the step to subtract from the parameter:
    m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g;  a = lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)"""
    np.multiply(m, b1, out=m)
    np.add(m, np.multiply(g, 1 - b1, out=a), out=m)
    np.multiply(v, b2, out=v)
    np.add(v, np.multiply(np.multiply(g, 1 - b2, out=a), g, out=a), out=v)
    np.divide(m, 1 - b1 ** t, out=a)
    np.add(np.sqrt(np.divide(v, 1 - b2 ** t, out=b), out=b), eps, out=b)
    return np.divide(np.multiply(a, lr, out=a), b, out=a)


def _adam(opt: Adam, plan: tuple) -> None:
    """Adam's step: all parameters of a dtype at once, through their flat buffers (one NumPy call
    per operation for all of them), when each has a gradient and the same step count and there is no
    weight decay (eager reads each parameter's weight-decay term after the previous update); else
    parameter by parameter."""
    groups, n = plan
    hyper = (opt.lr, *opt.betas, opt.eps)
    states, params = opt.state, opt.params or []
    if len(params) != n:
        return opt.step()
    for group in groups:
        if opt.weight_decay or not _adam_flat(group, params, states, hyper):
            for slot in group.slots:
                _adam_one(opt, slot, params[slot.i], states[slot.i], hyper)


def _adam_flat(group: _Group, params: list, states: list, hyper: tuple) -> bool:
    t = 0  # the step count all of them reach now
    for slot in group.slots:
        p = params[slot.i]
        if p.grad is None or not _fits(slot, p, p.grad, p._data):
            return False
        step = states[slot.i].get("step", 0) + 1
        if t and step != t:
            return False
        t = step
    for slot in group.slots:
        d = slot.p._data
        if _adopt(states[slot.i], "m", slot, d) is None or _adopt(states[slot.i], "v", slot, d) is None:
            return False
    for slot in group.slots:
        np.copyto(slot.own["g"], slot.p.grad)
        states[slot.i]["step"] = t
    flat = group.flat
    _adam_update(flat["g"], flat["m"], flat["v"], flat["a"], flat["b"], t, *hyper)
    for slot in group.slots:
        d = slot.p._data
        np.subtract(d, slot.own["a"], out=d)
        slot.p._bump_version()
    return True


def _adam_one(opt: Adam, slot: _Slot, p: Tensor, state: dict, hyper: tuple) -> None:
    g = p.grad
    if g is None:
        return
    d = p._data
    fits = _fits(slot, p, g, d)
    m = _adopt(state, "m", slot, d) if fits else None
    v = _adopt(state, "v", slot, d) if fits else None
    if m is None or v is None:
        opt._step_param(slot.i, p)
        return
    if opt.weight_decay:
        g = g + opt.weight_decay * d
    t = state["step"] = state.get("step", 0) + 1
    np.subtract(d, _adam_update(g, m, v, slot.own["a"], slot.own["b"], t, *hyper), out=d)
    p._bump_version()


def step_kernel(opt: Any) -> tuple[Callable, Any] | None:
    """``(kernel, slots)`` to replay ``opt.step()`` in place as ``kernel(opt, slots)``, or None when
    ``opt`` is not a plain SGD or Adam (its own ``step()`` is replayed then)."""
    if type(opt) is SGD:
        return _sgd, _slots(opt, 1)
    if type(opt) is Adam:
        return _adam, _groups(opt, ("m", "v", "g", "a", "b"))
    return None
