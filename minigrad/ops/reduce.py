"""Reductions and normalising ops: sum mean var max min logsumexp softmax log_softmax (+ argmax/argmin).

``axis`` is None (all axes), an int or a tuple of ints; ``keepdims`` keeps reduced axes as size 1.
softmax/log_softmax/logsumexp subtract the maximum first, so logits of magnitude 1e4 neither
overflow nor give NaN.
"""
from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from ..autograd import Function, ones_vector


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
            raise TypeError(f"{op}: axis must be None, an int or a tuple of ints; received axis={axis!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in axis={axis!r}")
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


def _broadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """``grad`` copied out to ``shape`` (a fresh array; ``np.broadcast_to`` costs ~10x more on small arrays)."""
    out = np.empty(shape, dtype=grad.dtype)
    out[...] = grad
    return out


def max_last(x: np.ndarray) -> np.ndarray:
    """``x.max(axis=-1, keepdims=True)``, quicker on short rows such as 10 class scores.

    NumPy reduces a short contiguous last axis row by row (14 µs for (256, 10) float32); on a
    transposed copy the same maximum runs across the rows, vectorised (4.5 µs, the copy included).
    From ~50 columns on the plain reduction is quicker, so rows longer than 32 take it, and so do
    fewer than 32 rows (where the copy's extra calls cost more than they save)."""
    c = x.shape[-1] if x.ndim > 1 else 0
    if not 0 < c <= 32 or x.size < 32 * c:
        return x.max(axis=-1, keepdims=True)
    return np.maximum.reduce(np.ascontiguousarray(x.reshape(-1, c).T), axis=0).reshape(x.shape[:-1] + (1,))


def sum_last(x: np.ndarray) -> np.ndarray:
    """``x.sum(axis=-1, keepdims=True)`` for float32/float64 as a product with a vector of ones:
    BLAS sums rows 2–5× quicker than NumPy's reduction over a short last axis (7 → 2 µs for
    (256, 10)), and no slower on long rows; fewer than 32 rows take NumPy's sum (as quick there)."""
    if x.dtype.char not in "fd" or x.size < 32 * x.shape[-1]:
        return x.sum(axis=-1, keepdims=True)
    return np.dot(x, ones_vector(x.shape[-1], x.dtype))[..., None]


def _max_keep(x: np.ndarray, axes: tuple) -> np.ndarray:
    """``x.max(axis=axes, keepdims=True)``; through ``max_last`` when only the last axis is reduced."""
    return max_last(x) if axes == (x.ndim - 1,) else x.max(axis=axes, keepdims=True)


def _sum_keep(x: np.ndarray, axes: tuple) -> np.ndarray:
    """``x.sum(axis=axes, keepdims=True)``; through ``sum_last`` when only the last axis is reduced."""
    return sum_last(x) if axes == (x.ndim - 1,) else x.sum(axis=axes, keepdims=True)


class Sum(Function):
    """y = Σ x over ``axis``;  dy/dx = 1 (the gradient is broadcast back)"""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.axes = _axes(axis, x.ndim, "sum")
        ctx.keepdims, ctx.shape = keepdims, x.shape
        return x.sum(axis=ctx.axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        return _broadcast(_expand(grad, ctx.axes, ctx.keepdims), ctx.shape)


class Mean(Function):
    """y = Σ x / n over ``axis``;  dy/dx = 1/n"""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.axes = _axes(axis, x.ndim, "mean")
        ctx.keepdims, ctx.shape = keepdims, x.shape
        ctx.n = n = math.prod([x.shape[a] for a in ctx.axes])
        total = x.sum(axis=ctx.axes, keepdims=keepdims)
        if n == 0:  # numpy's answer (NaN), without its warning
            return np.full(total.shape, np.nan, dtype=x.dtype)
        return total / x.dtype.type(n)

    @staticmethod
    def backward(ctx, grad):
        return _broadcast(_expand(grad, ctx.axes, ctx.keepdims) / builtins.max(ctx.n, 1), ctx.shape)


class Var(Function):
    """y = Σ (x - mean)² / (n - ddof) over ``axis``;  dy/dx = 2 (x - mean) / (n - ddof)"""

    @staticmethod
    def forward(ctx, x, axis=None, ddof=0, keepdims=False):
        ctx.axes = _axes(axis, x.ndim, "var")
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
    Subclasses set ``reduce`` (np.max or np.min)."""

    @classmethod
    def _forward(cls, ctx, x, axis, keepdims):
        ctx.axes = _axes(axis, x.ndim, cls.op_name())
        if x.size == 0:
            raise ValueError(f"{cls.op_name()}: zero-size tensor of shape {x.shape} has no {cls.op_name()}imum")
        out = cls.reduce(x, axis=ctx.axes, keepdims=True)
        ctx.save_for_backward(x == out)
        ctx.keepdims = keepdims
        return out if keepdims else np.squeeze(out, axis=ctx.axes)

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        share = mask / mask.sum(axis=ctx.axes, keepdims=True)
        return _expand(grad, ctx.axes, ctx.keepdims) * share


class Max(_Extreme):
    """y = max x over ``axis``;  dy/dx = 1/k at the k tied maxima, 0 elsewhere"""

    reduce = staticmethod(np.max)

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        return Max._forward(ctx, x, axis, keepdims)


class Min(_Extreme):
    """y = min x over ``axis``;  dy/dx = 1/k at the k tied minima, 0 elsewhere"""

    reduce = staticmethod(np.min)

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        return Min._forward(ctx, x, axis, keepdims)


def _stable_lse(x: np.ndarray, axes: tuple) -> np.ndarray:
    """log Σ exp x over ``axes`` (keepdims), shifted by the max so nothing overflows."""
    m = _max_keep(x, axes)
    m = np.where(np.isfinite(m), m, 0)  # all -inf (or inf) slices: no shift
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # log 0 = -inf for all -inf slices
        return m + np.log(_sum_keep(np.exp(x - m), axes))


class LogSumExp(Function):
    """y = log Σ exp x over ``axis``;  dy/dx = softmax(x)"""

    @staticmethod
    def forward(ctx, x, axis=-1, keepdims=False):
        ctx.axes = _axes(axis, x.ndim, "logsumexp")
        lse = _stable_lse(x, ctx.axes)
        ctx.save_for_backward(x, lse)
        ctx.keepdims = keepdims
        return lse if keepdims else np.squeeze(lse, axis=ctx.axes)

    @staticmethod
    def backward(ctx, grad):
        x, lse = ctx.saved_tensors
        return _expand(grad, ctx.axes, ctx.keepdims) * np.exp(x - lse)


class Softmax(Function):
    """s = exp(x - max) / Σ exp(x - max) along ``axis``;  dx = s · (g - Σ g·s)"""

    @staticmethod
    def forward(ctx, x, axis=-1):
        ctx.axis = _axes(axis, x.ndim, "softmax")
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf where a logit is inf: NaN, as in PyTorch
            e = np.exp(x - _max_keep(x, ctx.axis))
            s = e / _sum_keep(e, ctx.axis)
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        gs = grad * s
        return gs - s * _sum_keep(gs, ctx.axis)


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
        return grad - np.exp(y) * _sum_keep(grad, ctx.axis)

    @classmethod
    def op_name(cls) -> str:
        return "log_softmax"


def _kd(op: str, keepdims: Any) -> bool:
    return keepdims if type(keepdims) is bool else bool_arg(op, "keepdims", keepdims)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (None = all)."""
    return Sum.apply(_t(x), axis=axis, keepdims=_kd("sum", keepdims))


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (None = all); the mean of zero elements is NaN (as in NumPy, without its warning)."""
    return Mean.apply(_t(x), axis=axis, keepdims=_kd("mean", keepdims))


def var(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """Variance over ``axis``; ``ddof=0`` is the biased (population) variance, as in numpy."""
    if type(ddof) is not int and not isinstance(ddof, float):
        ddof = int_arg("var", "ddof", ddof)
    return Var.apply(_t(x), axis=axis, ddof=ddof, keepdims=_kd("var", keepdims))


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Maximum over ``axis``; ties share the gradient evenly."""
    return Max.apply(_t(x), axis=axis, keepdims=_kd("max", keepdims))


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Minimum over ``axis``; ties share the gradient evenly."""
    return Min.apply(_t(x), axis=axis, keepdims=_kd("min", keepdims))


def logsumexp(x: Any, axis: Any = -1, keepdims: bool = False) -> Tensor:
    """log Σ exp(x) over ``axis``, computed without overflow."""
    return LogSumExp.apply(_t(x), axis=axis, keepdims=_kd("logsumexp", keepdims))


def softmax(x: Any, axis: int = -1) -> Tensor:
    """exp(x) / Σ exp(x) along ``axis``, stable for large logits."""
    return Softmax.apply(_t(x), axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along ``axis``, stable for large logits."""
    return LogSoftmax.apply(_t(x), axis=axis)


def _arg_extreme(op: str, fn: Any, x: Any, axis: Any) -> Tensor:
    data = _t(x)._data
    if axis is not None and not (data.ndim == 0 and type(axis) is int and axis in (0, -1)):
        axis = axis_in_range(op, "axis", axis, data.ndim)
    if data.size == 0:
        raise ValueError(f"{op}: a zero-size tensor of shape {data.shape} has no {op[3:]}imum")
    out = fn(data, axis=axis)
    return Tensor(out, dtype=out.dtype)


def argmax(x: Any, axis: int | None = None) -> Tensor:
    """Index of the maximum (non-differentiable; an int64 tensor). ``axis=None``: of the flattened tensor."""
    return _arg_extreme("argmax", np.argmax, x, axis)


def argmin(x: Any, axis: int | None = None) -> Tensor:
    """Index of the minimum (non-differentiable; an int64 tensor). ``axis=None``: of the flattened tensor."""
    return _arg_extreme("argmin", np.argmin, x, axis)


from ..tensor import Tensor, as_tensor as _t  # noqa: E402
from ._checks import axis_in_range, bool_arg, int_arg  # noqa: E402
