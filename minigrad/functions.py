"""The function forms of the ops: ``mg.exp(x)``, ``mg.add(a, b)``, ``mg.sum(x, axis=0)``, ...

Each turns its arguments into Tensors (lists and arrays follow the dtype policy) and calls the
Tensor method of the same name, so an op is defined once, in ``minigrad/ops``.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from . import checks, ops
from .tensor import _ALL, _FIRST, _LAST, _NO_DIM, _PY_NUMBERS, Tensor, as_tensor

__all__ = [
    "add", "sub", "mul", "div", "pow", "neg", "matmul", "exp", "log", "sqrt", "abs", "sigmoid", "relu",
    "tanh", "leaky_relu", "elu", "softplus", "hardtanh", "softsign", "clip", "maximum", "minimum", "where",
    "sum", "mean", "var", "max", "min", "logsumexp", "softmax", "log_softmax", "argmax", "argmin",
    "reshape", "transpose", "flatten", "expand_dims", "squeeze", "concatenate", "stack",
]


def _pair(a: Any, b: Any) -> tuple:
    """Two operands as (Tensor, operand): a Python number takes the other one's dtype, so
    ``mg.sub(2.0, float16_array)`` stays float16."""
    if isinstance(a, Tensor):
        return a, a._operand(b)
    if isinstance(b, Tensor) or isinstance(a, _PY_NUMBERS):
        b = as_tensor(b)
        return b._operand(a), b
    a = Tensor(a)
    return a, a._operand(b)


# binary ops with NumPy broadcasting (matmul: NumPy's 1-D, 2-D and batched semantics;
# maximum/minimum: ties split the gradient evenly)
def add(a: Any, b: Any) -> Tensor: return ops.Add.apply(*_pair(a, b))
def sub(a: Any, b: Any) -> Tensor: return ops.Sub.apply(*_pair(a, b))
def mul(a: Any, b: Any) -> Tensor: return ops.Mul.apply(*_pair(a, b))
def div(a: Any, b: Any) -> Tensor: return ops.Div.apply(*_pair(a, b))
def pow(a: Any, b: Any) -> Tensor: return ops.Pow.apply(*_pair(a, b))
def matmul(a: Any, b: Any) -> Tensor: return ops.MatMul.apply(*_pair(a, b))
def maximum(a: Any, b: Any) -> Tensor: return ops.Maximum.apply(*_pair(a, b))
def minimum(a: Any, b: Any) -> Tensor: return ops.Minimum.apply(*_pair(a, b))


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``cond`` is true, else ``b`` (all three broadcast); ``cond`` gets no gradient.
    ``cond`` is boolean (e.g. ``x > 0``) or numeric (non-zero is true)."""
    a, b = _pair(a, b)
    if isinstance(cond, Tensor):
        c = cond.data
    elif isinstance(cond, np.ndarray) and cond.dtype.kind in "biuf":
        c = cond
    else:  # lists and the like: the Tensor conversion's checks and messages, then bool
        try:
            c = Tensor(cond, dtype=np.bool_).data
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"where: cond must be boolean (e.g. x > 0) or numeric: {exc}") from None
    return ops.Where.apply(c, a, b)


def neg(x: Any) -> Tensor: return -as_tensor(x)
def exp(x: Any) -> Tensor: return as_tensor(x).exp()
def log(x: Any) -> Tensor: return as_tensor(x).log()
def sqrt(x: Any) -> Tensor: return as_tensor(x).sqrt()
def abs(x: Any) -> Tensor: return as_tensor(x).abs()
def sigmoid(x: Any) -> Tensor: return as_tensor(x).sigmoid()
def relu(x: Any) -> Tensor: return as_tensor(x).relu()
def tanh(x: Any) -> Tensor: return as_tensor(x).tanh()
def softplus(x: Any) -> Tensor: return as_tensor(x).softplus()
def softsign(x: Any) -> Tensor: return as_tensor(x).softsign()
def leaky_relu(x: Any, alpha: float = 0.01) -> Tensor: return as_tensor(x).leaky_relu(alpha)
def elu(x: Any, alpha: float = 1.0) -> Tensor: return as_tensor(x).elu(alpha)


def clip(x: Any, min: float | None = None, max: float | None = None) -> Tensor:
    """Clamp to [min, max]; either bound may be None. Gradient 1 strictly inside, else 0."""
    return as_tensor(x).clip(min, max)


def hardtanh(x: Any, min: float = -1.0, max: float = 1.0) -> Tensor:
    """``clip(x, min, max)`` with tanh's bounds by default (same op, same gradient)."""
    return as_tensor(x).clip(min, max)


def sum(x: Any, axis: Any = _ALL, keepdims: bool = False, *, dim: Any = _NO_DIM) -> Tensor:
    """Sum over ``axis`` (None = all axes)."""
    return as_tensor(x).sum(axis, keepdims, dim=dim)


def mean(x: Any, axis: Any = _ALL, keepdims: bool = False, *, dim: Any = _NO_DIM) -> Tensor:
    """Mean over ``axis``; the mean of zero elements is NaN (as in NumPy)."""
    return as_tensor(x).mean(axis, keepdims, dim=dim)


def var(x: Any, axis: Any = _ALL, ddof: int = 0, keepdims: bool = False, *, dim: Any = _NO_DIM) -> Tensor:
    """Variance over ``axis``; ``ddof=0`` is the biased (population) variance, as in NumPy."""
    return as_tensor(x).var(axis, ddof, keepdims, dim=dim)


def max(x: Any, axis: Any = _ALL, keepdims: bool = False, *, dim: Any = _NO_DIM) -> Tensor:
    """Maximum over ``axis``; ties share the gradient evenly."""
    return as_tensor(x).max(axis, keepdims, dim=dim)


def min(x: Any, axis: Any = _ALL, keepdims: bool = False, *, dim: Any = _NO_DIM) -> Tensor:
    """Minimum over ``axis``; ties share the gradient evenly."""
    return as_tensor(x).min(axis, keepdims, dim=dim)


def logsumexp(x: Any, axis: Any = _LAST, keepdims: bool = False, *, dim: Any = _NO_DIM) -> Tensor:
    """log Σ exp(x) over ``axis``, without overflow."""
    return as_tensor(x).logsumexp(axis, keepdims, dim=dim)


def softmax(x: Any, axis: Any = _LAST, *, dim: Any = _NO_DIM) -> Tensor:
    """exp(x) / Σ exp(x) along ``axis``, stable for large logits."""
    return as_tensor(x).softmax(axis, dim=dim)


def log_softmax(x: Any, axis: Any = _LAST, *, dim: Any = _NO_DIM) -> Tensor:
    """x - logsumexp(x) along ``axis``, stable for large logits."""
    return as_tensor(x).log_softmax(axis, dim=dim)


def argmax(x: Any, axis: Any = _ALL, *, dim: Any = _NO_DIM) -> Tensor:
    """Index of the maximum (not differentiable, int64); ``axis=None``: of the flattened tensor."""
    return as_tensor(x).argmax(axis, dim=dim)


def argmin(x: Any, axis: Any = _ALL, *, dim: Any = _NO_DIM) -> Tensor:
    """Index of the minimum (not differentiable, int64); ``axis=None``: of the flattened tensor."""
    return as_tensor(x).argmin(axis, dim=dim)


def reshape(x: Any, *shape: Any) -> Tensor:
    """Same elements in a new shape; one axis may be -1."""
    return as_tensor(x).reshape(*shape)


def transpose(x: Any, *axes: Any) -> Tensor:
    """Permute axes (reverse them when none are given), like ``numpy.transpose``."""
    return as_tensor(x).transpose(*axes)


def flatten(x: Any, start_dim: int = 0) -> Tensor:
    """Merge axes ``start_dim`` … last into one."""
    return as_tensor(x).flatten(start_dim)


def expand_dims(x: Any, axis: Any = _ALL, *, dim: Any = _NO_DIM) -> Tensor:
    """Insert an axis of size 1 at ``axis``."""
    return as_tensor(x).expand_dims(axis, dim=dim)


def squeeze(x: Any, axis: Any = _ALL, *, dim: Any = _NO_DIM) -> Tensor:
    """Remove axes of size 1 (only ``axis`` when given)."""
    return as_tensor(x).squeeze(axis, dim=dim)


def _tensors(op: str, ts: Any) -> list:
    """The tensors of ``concatenate``/``stack``: a non-empty list or tuple."""
    if isinstance(ts, (Tensor, np.ndarray)) or not isinstance(ts, (list, tuple)):
        what = type(ts).__name__ + (f" of shape {ts.shape}" if hasattr(ts, "shape") else "")
        raise TypeError(f"{op} expects a list or tuple of tensors, e.g. mg.{op}([a, b]); Received: a {what}")
    if len(ts) == 0:
        checks.fail(op, "ts", ts, "at least one tensor")
    return [as_tensor(t) for t in ts]


def concatenate(ts: Sequence[Any], axis: Any = _FIRST, *, dim: Any = _NO_DIM) -> Tensor:
    """Join tensors along an existing axis; shapes must match except along ``axis``."""
    tensors = _tensors("concatenate", ts)
    if tensors[0].ndim == 0:
        raise ValueError("concatenate: 0-d tensors cannot be concatenated (use mg.stack to make a new axis)")
    axis = checks.axis("concatenate", "axis", checks.pick_axis("concatenate", axis, dim), tensors[0].ndim)
    return ops.Concatenate.apply(*tensors, axis=axis)


def stack(ts: Sequence[Any], axis: Any = _FIRST, *, dim: Any = _NO_DIM) -> Tensor:
    """Join tensors of one shape along a new ``axis``."""
    tensors = _tensors("stack", ts)
    axis = checks.axis("stack", "axis", checks.pick_axis("stack", axis, dim), tensors[0].ndim + 1)
    return ops.Stack.apply(*tensors, axis=axis)
