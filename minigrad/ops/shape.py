"""Shape ops: reshape transpose flatten expand_dims squeeze concatenate stack and indexing.

flatten, expand_dims and squeeze are reshapes (one op, one backward); indexing scatters its
gradient back with ``np.add.at`` so repeated integer indices accumulate.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import checks
from ..autograd import Function


class Reshape(Function):
    """y = x viewed with a new shape (same elements, row-major);  dx = g reshaped back"""

    @staticmethod
    def forward(ctx, x, shape=()):
        if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in shape):
            checks.fail("reshape", "shape", tuple(shape), "integers", TypeError)
        shape = tuple(int(n) for n in shape)
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
        ints = axes is None or all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes)
        if not ints:
            checks.fail("transpose", "axes", tuple(axes), "integers", TypeError)
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
        if isinstance(idx, int) and (x.ndim == 0 or not -x.shape[0] <= idx < x.shape[0]):
            if x.ndim == 0:
                raise TensorIndexError("getitem: a 0-d tensor cannot be indexed with an integer")
            raise TensorIndexError(f"getitem: index {idx} is out of range for axis 0 of a tensor of shape "
                                   f"{x.shape}")
        try:
            return x[idx]
        except IndexError as exc:  # out of range: still an IndexError, so iteration stops cleanly
            raise TensorIndexError(f"getitem: index {idx!r} is invalid for a tensor of shape {x.shape}: "
                                   f"{exc}; Received: idx={idx!r} ({type(idx).__name__})") from None
        except TypeError as exc:
            raise ValueError(f"getitem: index {idx!r} is invalid for a tensor of shape {x.shape}: {exc}; "
                             f"Received: idx={idx!r} ({type(idx).__name__})") from None

    @staticmethod
    def backward(ctx, grad):
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        np.add.at(out, ctx.idx, grad)
        return out

    @classmethod
    def op_name(cls) -> str:
        return "getitem"


class TensorIndexError(IndexError, ValueError):
    """An integer index out of range: an ``IndexError`` (so ``for row in t`` and ``a, b = t`` stop where
    Python expects) that is also a ``ValueError``, like the other errors of bad arguments."""


def flattened_shape(shape: tuple, start_dim: Any) -> tuple:
    """The shape ``flatten(start_dim)`` gives: axes ``start_dim`` … last merged (a 0-d tensor: (1,))."""
    start = checks.axis("flatten", "start_dim", start_dim, max(len(shape), 1))
    return shape[:start] + (math.prod(shape[start:]),)


def expanded_shape(shape: tuple, axis: Any) -> tuple:
    """The shape ``expand_dims(axis)`` gives: a 1 inserted at ``axis`` (-ndim-1 … ndim, as in NumPy)."""
    a = checks.axis("expand_dims", "axis", axis, len(shape) + 1)
    return shape[:a] + (1,) + shape[a:]


def squeezed_shape(shape: tuple, axis: Any) -> tuple:
    """The shape ``squeeze(axis)`` gives: axes of size 1 removed (only ``axis``, an int or a tuple)."""
    if axis is None:
        return tuple(n for n in shape if n != 1)
    if not shape and axis in (0, -1):  # NumPy's rule for 0-d arrays
        return ()
    given = axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = [checks.axis("squeeze", "axis", a, len(shape)) for a in given]
    if len(set(axes)) != len(axes):
        raise ValueError(f"squeeze: repeated axis; Received: axis={axis!r}")
    for a in axes:
        if shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} of a tensor of shape {shape} does not have size 1")
    return tuple(n for i, n in enumerate(shape) if i not in axes)
