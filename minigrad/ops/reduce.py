"""Reductions and normalising ops: sum mean var max min logsumexp softmax log_softmax (+ argmax/argmin).

``axis`` is None (all axes), an int or a tuple of ints; ``keepdims`` keeps reduced axes as size 1.
softmax/log_softmax/logsumexp subtract the maximum first, so logits of magnitude 1e4 neither
overflow nor give NaN.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import checks
from ..autograd import Function


def _axes(axis: Any, ndim: int, op: str) -> tuple:
    """Normalise ``axis`` to a sorted tuple of non-negative ints, with a clear error when out of range.

    As in NumPy, a 0-d tensor accepts ``axis=0`` or ``axis=-1`` (there is nothing to reduce)."""
    if axis is None:
        return tuple(range(ndim))
    if ndim == 0 and type(axis) is int and axis in (0, -1):
        return ()
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            checks.fail(op, "axis", axis, "None, an int or a tuple of ints", TypeError)
        out.append(checks.axis(op, "axis", a, ndim))
    if len(set(out)) != len(out):
        checks.fail(op, "axis", axis, "distinct axes")
    return tuple(sorted(out))


def _expand(grad: np.ndarray, axes: tuple, keepdims: bool) -> np.ndarray:
    """Put reduced axes back (as size 1) so ``grad`` broadcasts against the input.
    (A reshape: ``np.expand_dims`` with a tuple of axes costs ~10x more on small arrays.)"""
    if keepdims or not axes:
        return grad
    shape = list(grad.shape)
    for a in axes:  # sorted ascending, so each insert lands at its final position
        shape.insert(a, 1)
    return grad.reshape(shape)


def _keep(op: str, keepdims: object) -> bool:
    return checks.boolean(op, "keepdims", keepdims)


class Sum(Function):
    """y = Σ x over ``axis``;  dy/dx = 1 (the gradient is broadcast back)"""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.axes = _axes(axis, x.ndim, "sum")
        ctx.keepdims, ctx.shape = _keep("sum", keepdims), x.shape
        return x.sum(axis=ctx.axes, keepdims=ctx.keepdims)

    @staticmethod
    def backward(ctx, grad):
        return np.broadcast_to(_expand(grad, ctx.axes, ctx.keepdims), ctx.shape)


class Mean(Function):
    """y = Σ x / n over ``axis``;  dy/dx = 1/n"""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.axes = _axes(axis, x.ndim, "mean")
        ctx.keepdims, ctx.shape = _keep("mean", keepdims), x.shape
        ctx.n = n = math.prod([x.shape[a] for a in ctx.axes])
        total = x.sum(axis=ctx.axes, keepdims=ctx.keepdims)
        if n == 0:  # numpy's answer (NaN), without its warning
            return np.full(total.shape, np.nan, dtype=x.dtype)
        return total / x.dtype.type(n)

    @staticmethod
    def backward(ctx, grad):
        return np.broadcast_to(_expand(grad, ctx.axes, ctx.keepdims) / max(ctx.n, 1), ctx.shape)


class Var(Function):
    """y = Σ (x - mean)² / (n - ddof) over ``axis``;  dy/dx = 2 (x - mean) / (n - ddof)"""

    @staticmethod
    def forward(ctx, x, axis=None, ddof=0, keepdims=False):
        ctx.axes = _axes(axis, x.ndim, "var")
        keepdims = _keep("var", keepdims)
        if not isinstance(ddof, float):
            ddof = checks.integer("var", "ddof", ddof)
        n = math.prod([x.shape[a] for a in ctx.axes])
        if n - ddof <= 0:
            raise ValueError(f"var: ddof={ddof} leaves no degrees of freedom for {n} elements")
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: NaN, as np.var gives
            d = x - x.mean(axis=ctx.axes, keepdims=True)
            ctx.save_for_backward(d)
            ctx.keepdims, ctx.denom = keepdims, x.dtype.type(n - ddof)
            return (d * d).sum(axis=ctx.axes, keepdims=keepdims) / ctx.denom

    @staticmethod
    def backward(ctx, grad):
        (d,) = ctx.saved_tensors
        return _expand(grad, ctx.axes, ctx.keepdims) * d * (2 / ctx.denom)


class _Extreme(Function):
    """Shared forward/backward of max and min: the gradient is split evenly among tied extremes.
    A slice holding NaN has NaN as its extreme, and the gradient goes to its NaN(s), as in PyTorch.
    Subclasses set ``reduce`` (np.max or np.min)."""

    reduce = staticmethod(np.max)

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        op = type(ctx).op_name()
        ctx.axes = _axes(axis, x.ndim, op)
        ctx.keepdims = _keep(op, keepdims)
        if x.size == 0:
            raise ValueError(f"{op}: zero-size tensor of shape {x.shape} has no {op}imum")
        out = type(ctx).reduce(x, axis=ctx.axes, keepdims=True)
        hit = x == out
        if x.dtype.kind == "f":
            hit |= np.isnan(x) & np.isnan(out)
        ctx.save_for_backward(hit)
        return out if ctx.keepdims else np.squeeze(out, axis=ctx.axes)

    @staticmethod
    def backward(ctx, grad):
        (hit,) = ctx.saved_tensors
        share = hit / hit.sum(axis=ctx.axes, keepdims=True)
        return _expand(grad, ctx.axes, ctx.keepdims) * share


class Max(_Extreme):
    """y = max x over ``axis``;  dy/dx = 1/k at the k tied maxima, 0 elsewhere"""

    reduce = staticmethod(np.max)


class Min(_Extreme):
    """y = min x over ``axis``;  dy/dx = 1/k at the k tied minima, 0 elsewhere"""

    reduce = staticmethod(np.min)


def _stable_lse(x: np.ndarray, axes: tuple) -> np.ndarray:
    """log Σ exp x over ``axes`` (keepdims), shifted by the max so nothing overflows."""
    m = x.max(axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # all -inf (or inf) slices: no shift
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # log 0 = -inf for all -inf slices
        return m + np.log(np.exp(x - m).sum(axis=axes, keepdims=True))


class LogSumExp(Function):
    """y = log Σ exp x over ``axis``;  dy/dx = softmax(x)"""

    @staticmethod
    def forward(ctx, x, axis=-1, keepdims=False):
        ctx.axes = _axes(axis, x.ndim, "logsumexp")
        lse = _stable_lse(x, ctx.axes)
        ctx.save_for_backward(x, lse)
        ctx.keepdims = _keep("logsumexp", keepdims)
        return lse if ctx.keepdims else np.squeeze(lse, axis=ctx.axes)

    @staticmethod
    def backward(ctx, grad):
        x, lse = ctx.saved_tensors
        return _expand(grad, ctx.axes, ctx.keepdims) * np.exp(x - lse)


class Softmax(Function):
    """s = exp(x - max) / Σ exp(x - max) along ``axis``;  dx = s · (g - Σ g·s)"""

    @staticmethod
    def forward(ctx, x, axis=-1):
        ctx.axis = _axes(axis, x.ndim, "softmax")
        # inf - inf where a logit is inf: NaN, as in PyTorch
        with np.errstate(invalid="ignore", over="ignore"):
            e = np.exp(x - x.max(axis=ctx.axis, keepdims=True))
            s = e / e.sum(axis=ctx.axis, keepdims=True)
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        gs = grad * s
        return gs - s * gs.sum(axis=ctx.axis, keepdims=True)


class LogSoftmax(Function):
    """y = x - logsumexp(x) along ``axis``;  dx = g - softmax(x) · Σ g"""

    @staticmethod
    def forward(ctx, x, axis=-1):
        ctx.axis = _axes(axis, x.ndim, "log_softmax")
        with np.errstate(invalid="ignore", over="ignore"):
            y = x - _stable_lse(x, ctx.axis)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad - np.exp(y) * grad.sum(axis=ctx.axis, keepdims=True)

    @classmethod
    def op_name(cls) -> str:
        return "log_softmax"


def arg_extreme(op: str, x: np.ndarray, axis: Any) -> np.ndarray:
    """``np.argmax``/``np.argmin`` (``op``) of ``x`` over ``axis`` (None: the flattened array), checked."""
    if axis is not None and not (x.ndim == 0 and axis in (0, -1)):
        axis = checks.axis(op, "axis", axis, x.ndim)
    if x.size == 0:
        raise ValueError(f"{op}: a zero-size tensor of shape {x.shape} has no {op[3:]}imum")
    return np.argmax(x, axis=axis) if op == "argmax" else np.argmin(x, axis=axis)
