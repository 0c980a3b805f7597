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
        if axes is not None and sorted(a % x.ndim if -x.ndim <= a < x.ndim else a - 2 * x.ndim - 1
                                       for a in axes) != list(range(x.ndim)):
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
        out = np.concatenate(xs, axis=axis)  # NumPy checks the shapes and the axis
        ctx.axis = axis
        ctx.splits = np.cumsum([x.shape[axis] for x in xs])[:-1]
        return out

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
        ctx.idx, ctx.shape = idx, x.shape
        try:
            return x[idx]
        except IndexError as exc:  # out of range: still an IndexError, so iteration stops cleanly
            raise TensorIndexError(f"getitem: index {idx!r} is invalid for a tensor of shape {x.shape}: {exc}") from None
        except TypeError as exc:
            raise ValueError(f"getitem: index {idx!r} is invalid for a tensor of shape {x.shape}: {exc}") from None

    @staticmethod
    def backward(ctx, grad):
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        np.add.at(out, ctx.idx, grad)
        return out

    @classmethod
    def op_name(cls) -> str:
        return "getitem"


def _own_data(x: Tensor, out: Tensor) -> Tensor:
    """Give a view of a parameter (a leaf that requires grad) its own copy of the data.

    An op that uses ``W.T`` or ``W[0]`` saves that view; an optimizer step changes ``W`` in place
    and bumps ``W``'s version, but not the view's, so a later ``backward()`` through the old graph
    would mix new weights into old activations without the in-place check noticing. With a copy it
    computes the old graph's gradient, consistently. (Views of non-leaf tensors stay views: they
    only change through ``add_``/``mul_``… under ``no_grad``.)
    """
    if x.requires_grad and x.grad_fn is None and out._data.base is not None:
        out._data = out._data.copy()
    return out


class TensorIndexError(IndexError, ValueError):
    """An integer index out of range: an ``IndexError`` (so ``for row in t`` and ``a, b = t`` stop where
    Python expects) that is also a ``ValueError``, like the other errors of bad arguments."""


def _int_tuple(op: str, name: str, values: Sequence[Any]) -> tuple:
    for v in values:  # the common case, plain ints, costs one type check each
        if type(v) is not int:
            break
    else:
        return tuple(values)
    if any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in values):
        raise TypeError(f"{op}: {name} must be integers; received {name}={tuple(values)!r}")
    return tuple(int(v) for v in values)


def reshape(x: Any, *shape: Any) -> Tensor:
    """Same elements in a new shape: ``t.reshape(2, 3)`` or ``t.reshape((2, 3))``; one axis may be -1."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    x = _t(x)
    return _own_data(x, Reshape.apply(x, shape=_int_tuple("reshape", "shape", shape)))


def transpose(x: Any, *axes: Any) -> Tensor:
    """Permute axes (reverse them when none are given), like ``numpy.transpose``."""
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    if len(axes) == 1 and axes[0] is None:
        axes = ()
    x = _t(x)
    return _own_data(x, Transpose.apply(x, axes=_int_tuple("transpose", "axes", axes) or None))


def flatten(x: Any, start_dim: int = 0) -> Tensor:
    """Merge axes ``start_dim`` … last into one: (N, C, H, W) with start_dim=1 -> (N, C·H·W).
    A 0-d tensor becomes shape (1,) (``start_dim`` 0 or -1)."""
    x = _t(x)
    if x.ndim == 0:
        axis_in_range("flatten", "start_dim", start_dim, 1)
        return reshape(x, 1)
    start = axis_in_range("flatten", "start_dim", start_dim, x.ndim)
    return reshape(x, x.shape[:start] + (-1,) if x.size else x.shape[:start] + (int(np.prod(x.shape[start:])),))


def expand_dims(x: Any, axis: int) -> Tensor:
    """Insert an axis of size 1 at ``axis`` (-ndim-1 … ndim, as in NumPy)."""
    x = _t(x)
    a = axis_in_range("expand_dims", "axis", axis, x.ndim + 1)
    return reshape(x, x.shape[:a] + (1,) + x.shape[a:])


def squeeze(x: Any, axis: Any = None) -> Tensor:
    """Remove axes of size 1 (only ``axis`` when given, an int or a tuple; each must have size 1)."""
    x = _t(x)
    if axis is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    if x.ndim == 0 and type(axis) is int and axis in (0, -1):  # NumPy's rule for 0-d arrays
        return reshape(x, ())
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = [axis_in_range("squeeze", "axis", a, x.ndim) for a in axes]
    if len(set(axes)) != len(axes):
        raise ValueError(f"squeeze: repeated axis in axis={axis!r}")
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} of a tensor of shape {x.shape} does not have size 1")
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def concatenate(ts: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis; shapes must match except along ``axis``."""
    ts = tensor_list("concatenate", ts)
    if ts[0].ndim == 0:
        raise ValueError("concatenate: 0-d tensors cannot be concatenated (use mg.stack to make a new axis)")
    axis = axis_in_range("concatenate", "axis", axis, ts[0].ndim)
    return Concatenate.apply(*ts, axis=axis)


def stack(ts: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis."""
    ts = tensor_list("stack", ts)
    axis = axis_in_range("stack", "axis", axis, ts[0].ndim + 1)
    return Stack.apply(*ts, axis=axis)


def getitem(x: Tensor, idx: Any) -> Tensor:
    """``x[idx]``: Tensors inside ``idx`` are used as index arrays. An integer out of range raises
    ``TensorIndexError`` (an ``IndexError`` and a ``ValueError``), so iteration over a tensor stops."""
    if isinstance(idx, Tensor):
        idx = idx._data
    elif isinstance(idx, tuple):
        idx = tuple(i._data if isinstance(i, Tensor) else i for i in idx)
    elif isinstance(idx, list):
        idx = np.asarray(idx)
    elif type(idx) is int:
        n = x.shape[0] if x.ndim else 0
        if not -n <= idx < n:
            raise TensorIndexError(f"index {idx} is out of range for axis 0 of a tensor of shape {x.shape}"
                                   if x.ndim else "a 0-d tensor cannot be indexed with an integer")
    return _own_data(x, GetItem.apply(x, idx=idx))


from ..tensor import Tensor, as_tensor as _t  # noqa: E402
from ._checks import axis_in_range, tensor_list  # noqa: E402
