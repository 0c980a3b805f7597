"""Adam's step for ``mg.jit``'s replays: all parameters at once, through flat buffers.

Eager ``Adam.update`` (``optim/optimizers.py``) makes about fourteen NumPy calls per parameter, each
on one parameter's array and each making a new array. The replay keeps, per dtype, flat arrays as
long as all the parameters together (``m``, ``v``, the gradients and two scratch arrays); each
parameter's ``m`` and ``v`` in ``opt.state`` are views into them. A step copies the gradients in,
makes each of Adam's operations once over the flat arrays (``out=``, nothing allocated), and
subtracts each parameter's part: the same elementwise operations in the same order, so parameters
and state come out bit for bit as eager's (``tests/test_jit_optim.py``), with fourteen calls in all
instead of fourteen per parameter. Like PyTorch's optimizers it updates the state arrays in place.

Parameter by parameter (the same operations in place) when a parameter has no gradient, the step
counts differ, or weight decay is on (eager adds each parameter's decay term after the previous
parameter's update). Eager's own code for a parameter whose gradient has another dtype or shape
(eager converts it or raises) or whose state has another dtype or shape (a checkpoint's); state
arrays made elsewhere (a checkpoint's, eager steps in between) are copied in first. Other optimizers,
and subclasses, are replayed by calling their ``step()``.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .optim import Adam, Optimizer
from .tensor import Tensor

__all__ = ["step_kernel"]


class _Slot:
    """One parameter: its position, the tensor, its parts of the flat arrays (``own[name]``)."""

    __slots__ = ("i", "p", "shape", "dtype", "own")

    def __init__(self, i: int, p: Tensor):
        self.i, self.p = i, p
        self.shape, self.dtype = p._data.shape, p._data.dtype
        self.own: dict[str, np.ndarray] = {}


def _plain(x: Any, like: np.ndarray) -> bool:
    """``x`` is an array of ``like``'s dtype and shape (so in-place arithmetic gives eager's bits)."""
    return type(x) is np.ndarray and x.dtype == like.dtype and x.shape == like.shape


def _fits(slot: _Slot, p: Tensor, g: Any, d: np.ndarray) -> bool:
    """The parameter is the one the buffers were made for, and array and gradient still match them."""
    return (p is slot.p and type(g) is np.ndarray and g.shape == slot.shape == d.shape
            and g.dtype == slot.dtype == d.dtype)


def _adopt(state: dict, name: str, slot: _Slot, d: np.ndarray) -> np.ndarray | None:
    """The state array ``name`` as this step's own: zeros where eager starts from 0.0 (eager's
    ``beta*0.0 + x`` and in place ``0*beta + x`` give the same bits), a copy of an array made elsewhere;
    None where that array has another dtype or shape (eager code then)."""
    own = slot.own[name]
    current = state.get(name)
    if current is own:
        return own
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
        by_dtype.setdefault(p._data.dtype, []).append(_Slot(i, p))
    return [_Group(slots, names) for slots in by_dtype.values()], len(opt.params or [])


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
    """``(kernel, plan)`` to replay ``opt.step()`` as ``kernel(opt, plan)``, or None when ``opt`` is not
    an Adam (a subclass or another optimizer: its own ``step()`` is replayed then)."""
    if type(opt) is Adam:
        return _adam, _groups(opt, ("m", "v", "g", "a", "b"))
    return None
