"""Arithmetic ops: add sub mul div pow neg matmul. Broadcasting is undone by the engine."""
from __future__ import annotations

import numpy as np

from ..autograd import Function


class Add(Function):
    """z = x + y;  dz/dx = 1,  dz/dy = 1"""

    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Function):
    """z = x - y;  dz/dx = 1,  dz/dy = -1"""

    @staticmethod
    def forward(ctx, x, y):
        return x - y

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """z = x * y;  dz/dx = y,  dz/dy = x"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        nx, ny = ctx.needs_input_grad
        return (grad * y if nx else None), (grad * x if ny else None)


class Div(Function):
    """z = x / y;  dz/dx = 1/y,  dz/dy = -x/y²

    Division by zero gives ±inf or NaN silently, as in PyTorch (``mg.detect_anomaly()`` finds it).
    """

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        with np.errstate(all="ignore"):
            return x / y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        nx, ny = ctx.needs_input_grad
        gx = grad / y if nx else None
        gy = -grad * x / (y * y) if ny else None
        return gx, gy


class Pow(Function):
    """z = x ** y;  dz/dx = y·x^(y-1),  dz/dy = x^y·log(x) (defined for x > 0)"""

    @staticmethod
    def forward(ctx, x, y):
        with np.errstate(all="ignore"):  # (-1) ** 0.5 is NaN, 0 ** -1 is inf: silently, as in PyTorch
            out = x ** y
        ctx.save_for_backward(x, y, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, y, out = ctx.saved_tensors
        nx, ny = ctx.needs_input_grad
        gx = np.where(y == 0, 0, grad * y * x ** (y - 1)) if nx else None  # d(x**0)/dx = 0, also at x = 0
        gy = grad * out * np.log(np.where(x > 0, x, 1)) if ny else None  # 0 where x <= 0 (no real derivative)
        return gx, gy


class Neg(Function):
    """z = -x;  dz/dx = -1"""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return -grad


class MatMul(Function):
    """z = x @ y with numpy semantics (1-D, 2-D, batched N-D);  dz/dx = g @ yᵀ,  dz/dy = xᵀ @ g.

    A 1-D operand is treated as a row (left) or column (right) vector and the added axis removed
    again; batch axes that broadcasting added are summed back by the engine.
    """

    @staticmethod
    def forward(ctx, x, y):
        x, y = np.asarray(x), np.asarray(y)  # (a Python number: t @ 2.0 is refused below)
        if x.ndim == 0 or y.ndim == 0:
            raise ValueError(f"matmul: shapes {x.shape} and {y.shape}: both operands need at least one "
                             f"dimension (use * for scalars)")
        kx, ky = x.shape[-1], y.shape[-2] if y.ndim > 1 else y.shape[0]
        if kx != ky:
            raise ValueError(f"matmul: shapes {x.shape} and {y.shape} are not aligned: {kx} "
                             f"(dim {x.ndim - 1}) != {ky} (dim {max(y.ndim - 2, 0)})")
        ctx.save_for_backward(x, y)
        return x @ y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        nx, ny = ctx.needs_input_grad
        x2 = x[None, :] if x.ndim == 1 else x
        y2 = y[:, None] if y.ndim == 1 else y
        g2 = grad[..., None] if y.ndim == 1 else grad  # put back the axes a 1-D operand dropped
        if x.ndim == 1:
            g2 = g2[..., None, :]
        gx = gy = None
        if nx:
            gx = g2 @ np.swapaxes(y2, -1, -2)
            if x.ndim == 1:
                gx = gx[..., 0, :]
        if ny:
            gy = np.swapaxes(x2, -1, -2) @ g2
            if y.ndim == 1:
                gy = gy[..., 0]
        return gx, gy
