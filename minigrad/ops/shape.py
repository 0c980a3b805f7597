"""Shape ops: reshape transpose flatten expand_dims squeeze concatenate stack and indexing.

flatten, expand_dims and squeeze are reshapes (one op, one backward); indexing scatters its
gradient back with ``np.add.at`` so repeated integer indices accumulate.
"""
from __future__ import annotations

import builtins
from typing import Any, Sequence

import numpy as np

from ..autograd import Function


class Reshape(Function):
    """y = x viewed with a new shape (same elements, row-major);  dx = g reshaped back"""

    @staticmethod
    def forward(ctx, x, shape=()):
        ctx.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                             f"into shape {tuple(shape)}") from None

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


class Transpose(Function):
    """y = x with axes permuted;  dx = g with the inverse permutation"""

    @staticmethod
    def forward(ctx, x, axes=None):
        if axes is not None and sorted(int(a) % builtins.max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of the {x.ndim} axes "
                             f"of a tensor of shape {x.shape}")
        ctx.axes = axes
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, grad):
        if ctx.axes is None:
            return np.transpose(grad)
        return np.transpose(grad, np.argsort([a % grad.ndim for a in ctx.axes]))


class Concatenate(Function):
    """y = [x₁, x₂, …] joined along ``axis``;  dxᵢ = the matching slice of g"""

    @staticmethod
    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        ctx.splits = np.cumsum([x.shape[axis] for x in xs])[:-1]
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.split(grad, ctx.splits, axis=ctx.axis))


class Stack(Function):
    """y = [x₁, x₂, …] stacked along a new ``axis``;  dxᵢ = g taken at index i of that axis"""

    @staticmethod
    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        return np.stack(xs, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.moveaxis(grad, ctx.axis, 0))


class GetItem(Function):
    """y = x[idx] (basic slices, integer arrays, boolean masks);  dx = g scattered back, summed on repeats"""

    @staticmethod
    def forward(ctx, x, idx=None):
        ctx.idx, ctx.shape, ctx.dtype = idx, x.shape, x.dtype
        try:
            return x[idx]
        except IndexError as exc:
            raise ValueError(f"index {idx!r} is invalid for a tensor of shape {x.shape}: {exc}") from None

    @staticmethod
    def backward(ctx, grad):
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        np.add.at(out, ctx.idx, grad)
        return out

    @classmethod
    def op_name(cls) -> str:
        return "getitem"


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def reshape(x: Any, *shape: Any) -> Tensor:
    """Same elements in a new shape: ``t.reshape(2, 3)`` or ``t.reshape((2, 3))``; one axis may be -1."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Reshape.apply(_t(x), shape=shape)


def transpose(x: Any, *axes: Any) -> Tensor:
    """Permute axes (reverse them when none are given), like ``numpy.transpose``."""
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    return Transpose.apply(_t(x), axes=axes or None)


def flatten(x: Any, start_dim: int = 0) -> Tensor:
    """Merge axes ``start_dim`` … last into one: (N, C, H, W) with start_dim=1 -> (N, C·H·W)."""
    x = _t(x)
    if x.ndim == 0:
        return reshape(x, 1)
    if not -x.ndim <= start_dim < x.ndim:
        raise ValueError(f"flatten: start_dim={start_dim} is out of range for a tensor of shape {x.shape}")
    start = start_dim % x.ndim
    return reshape(x, x.shape[:start] + (-1,) if x.size else x.shape[:start] + (int(np.prod(x.shape[start:])),))


def expand_dims(x: Any, axis: int) -> Tensor:
    """Insert an axis of size 1 at ``axis``."""
    x = _t(x)
    return reshape(x, np.expand_dims(np.empty(x.shape, dtype=bool), axis).shape)


def squeeze(x: Any, axis: Any = None) -> Tensor:
    """Remove axes of size 1 (only ``axis`` when given; it must have size 1)."""
    x = _t(x)
    try:
        shape = np.squeeze(np.empty(x.shape, dtype=bool), axis).shape
    except ValueError:
        raise ValueError(f"squeeze: axis {axis} of a tensor of shape {x.shape} does not have size 1") from None
    return reshape(x, shape)


def _check_join(ts: Sequence[Tensor], op: str) -> None:
    if len(ts) == 0:
        raise ValueError(f"{op} needs at least one tensor")


def concatenate(ts: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis; shapes must match except along ``axis``."""
    ts = [_t(t) for t in ts]
    _check_join(ts, "concatenate")
    return Concatenate.apply(*ts, axis=axis)


def stack(ts: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis."""
    ts = [_t(t) for t in ts]
    _check_join(ts, "stack")
    return Stack.apply(*ts, axis=axis)


def getitem(x: Tensor, idx: Any) -> Tensor:
    """``x[idx]``: Tensors inside ``idx`` are used as index arrays."""
    if isinstance(idx, Tensor):
        idx = idx._data
    elif isinstance(idx, tuple):
        idx = tuple(i._data if isinstance(i, Tensor) else i for i in idx)
    elif isinstance(idx, list):
        idx = np.asarray(idx)
    return GetItem.apply(x, idx=idx)


from ..tensor import Tensor  # noqa: E402
