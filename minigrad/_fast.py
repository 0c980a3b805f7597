"""The engine's hot paths again, written for speed: installed over the plain ones at import.

``autograd.py`` is the reference: read it to learn what ``Function.apply`` and the backward walk do.
This module does exactly the same work with less Python per op, and is off the learner's path:

* ``apply`` handles one- and two-input ops with the inputs unpacked by hand (no argument lists,
  no loop), the Tensor made inline and the node's arrays and versions kept as tuples; other calls,
  and every call under ``mg.detect_anomaly()``, go to the plain ``apply``.
* ``walk`` hands a gradient straight on when it goes to a single waiting node (a chain, the common
  case, never touches the heap); ``mg.backward_steps`` (``on_step``) and anomaly mode use the plain
  walk. Each node runs through the plain engine's ``run_node``, so its checks and errors are shared.
* ``operand`` (``Tensor._operand``) makes a Python float's 0-d array once per dtype and shares it,
  read-only, instead of making a new one for every ``x * 0.5``.

The values and gradients (bit for bit: the same NumPy calls, summed in the same order) and the
errors are those of the plain engine; ``tests/test_fast_engine.py`` checks it on random graphs of
every op-table row. ``MINIGRAD_ENGINE=plain`` in the environment (before ``import minigrad``) runs
the plain engine alone. What each part saves is measured in docs/benchmarks.md.
"""
from __future__ import annotations

import heapq
import os
from typing import Any, Callable

import numpy as np

from . import autograd
from .autograd import (
    Function,
    _accumulate,
    _changes,
    _conform,
    _creation,
    _forward_error,
    _share_version,
    run_node,
)
from .modes import anomaly_mode, grad_mode
from .tensor import Tensor

_plain_apply = Function.__dict__["apply"].__func__
_plain_walk = autograd._walk
_plain_operand = Tensor._operand
_new = object.__new__


def apply(cls: type[Function], *args: Any, **kwargs: Any) -> Tensor:
    """``Function.apply`` (see autograd.py) for one or two inputs outside anomaly mode."""
    n = len(args)
    if not 1 <= n <= 2 or anomaly_mode.enabled:
        return _plain_apply(cls, *args, **kwargs)
    ctx = _new(cls)
    a = args[0]
    if isinstance(a, Tensor):
        xa, need_a, va = a._data, a._requires_grad, a._version_counter[0]
    else:
        xa, need_a, va = a, False, 0
    if n == 2:
        b = args[1]
        if isinstance(b, Tensor):
            xb, need_b, vb = b._data, b._requires_grad, b._version_counter[0]
        else:
            xb, need_b, vb = b, False, 0
    try:
        if kwargs:
            data = cls.forward(ctx, xa, **kwargs) if n == 1 else cls.forward(ctx, xa, xb, **kwargs)
        else:
            data = cls.forward(ctx, xa) if n == 1 else cls.forward(ctx, xa, xb)
    except ValueError as exc:
        raise _forward_error(cls, args, exc) from None
    out = _new(Tensor)  # Tensor._from_op, inline
    out._data = data if type(data) is np.ndarray else np.asarray(data)
    out.grad = out.grad_fn = out.name = None
    out._version_counter, out._requires_grad = [0], False
    if out._data.base is not None:
        _share_version(out, args)
    if (need_a or (n == 2 and need_b)) and grad_mode.enabled:  # record the node, as the plain apply
        ctx.inputs, ctx.kwargs = args, kwargs
        ctx.needs_input_grad = (need_a,) if n == 1 else (need_a, need_b)
        ctx.seq = next(_creation)
        if ctx.saved_tensors:
            ctx.clock = _changes[0]
            ctx.arrays, ctx.versions = ((xa,), (va,)) if n == 1 else ((xa, xb), (va, vb))
            for s in ctx.saved_tensors:
                if s is out._data:
                    ctx.output_counter = out._version_counter
        out.grad_fn, out._requires_grad = ctx, True
    return out


_constants: dict = {}  # (Python float, dtype) -> read-only 0-d array: the operands of Tensor * 0.5 etc.


def operand(self: Tensor, other: Any) -> Any:
    """``Tensor._operand`` (see tensor.py) with a Python float's 0-d array made once per dtype and
    shared (read-only) by every op that uses it."""
    if type(other) is not float:
        return _plain_operand(self, other)
    key = (other, self._data.dtype)
    c = _constants.get(key)
    if c is None:
        c = _plain_operand(self, other)
        if type(c) is np.ndarray and other and other == other and len(_constants) < 256:  # (not ±0, NaN)
            c.flags.writeable = False
            _constants[key] = c
    return c


@np.errstate(all="ignore")  # as the plain walk
def walk(root: Function, grad: np.ndarray, retain_graph: bool, on_step: Callable | None) -> None:
    """The backward walk of autograd.py, newest node first; a node whose gradient is the only one
    waiting runs next without a trip through the heap."""
    if on_step is not None or anomaly_mode.enabled:
        return _plain_walk(root, grad, retain_graph, on_step)
    pending: dict = {}  # as in the plain walk, for every waiting node but the next one
    heap: list = []
    node, g = root, grad
    while True:
        grads = run_node(node, g, retain_graph)
        inputs, needs = node.inputs, node.needs_input_grad
        n = len(inputs)
        prev: Any = None  # the gradient sent to the input before
        nxt: Function | None = None  # the node that runs next, when nothing else waits
        nxt_g: Any = None
        for i in range(n):
            gi = grads[i]
            if gi is None or not needs[i]:
                continue
            inp = inputs[i]
            data = inp._data
            if type(gi) is not np.ndarray or gi.shape != data.shape or gi.dtype is not data.dtype:
                gi = _conform(gi, data, node)
            if gi is prev or (n > 2 and any(gi is s for s in grads[:i])):
                gi = gi.copy()  # one array handed to two inputs: each gets its own
            prev = gi
            fn = inp.grad_fn
            if fn is None:
                _accumulate(inp, gi)
            elif fn is nxt:
                nxt_g = np.asarray(nxt_g + gi)
            elif nxt is None and not heap:
                nxt, nxt_g = fn, gi
            elif fn in pending:
                pending[fn] = np.asarray(pending[fn] + gi)
            else:
                if nxt is not None:  # a second waiting node: both go through the heap
                    pending[nxt] = nxt_g
                    heapq.heappush(heap, (-nxt.seq, nxt))
                    nxt = None
                pending[fn] = gi
                heapq.heappush(heap, (-fn.seq, fn))
        if nxt is not None:
            node, g = nxt, nxt_g
        elif heap:
            node = heapq.heappop(heap)[1]
            g = pending.pop(node)
        else:
            return None


def install(on: bool = True) -> None:
    """Run the fast ``apply`` and walk (``on=True``) or the plain ones from autograd.py."""
    Function.apply = classmethod(apply if on else _plain_apply)  # type: ignore[method-assign,assignment]
    autograd._walk = walk if on else _plain_walk
    Tensor._operand = operand if on else _plain_operand  # type: ignore[method-assign]


def installed() -> bool:
    """Whether the fast engine is the one running."""
    return autograd._walk is walk


install(os.environ.get("MINIGRAD_ENGINE", "fast") != "plain")
