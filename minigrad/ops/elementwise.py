"""Elementwise ops: exp log sqrt abs sigmoid relu tanh leaky_relu elu softplus hardtanh softsign
clip maximum minimum where. Subgradients at kinks: relu'(0) = 0, abs'(0) = 0, clip/hardtanh pass
gradient only strictly inside the bounds, maximum/minimum split it evenly on ties."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function, _apply1, const


class Exp(Function):
    """y = eˣ;  dy/dx = y"""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):  # exp(1000) is inf, silently (mg.detect_anomaly() reports it)
            y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class Log(Function):
    """y = ln x;  dy/dx = 1/x.  log 0 = -inf and log of a negative number = NaN, without a warning
    (as in PyTorch); ``mg.detect_anomaly()`` turns them into errors that name the op."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


class Sqrt(Function):
    """y = √x;  dy/dx = 1/(2√x).  √(negative) = NaN and the slope at 0 is inf, without a warning."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            y = np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad / (2 * y)


class Abs(Function):
    """y = |x|;  dy/dx = sign(x)  (0 at x = 0)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * np.sign(x)


class Sigmoid(Function):
    """y = 1/(1+e⁻ˣ);  dy/dx = y(1-y)

    float64 computes it as written (e⁻ˣ overflows to inf for x < -709, and 1/inf = 0 is the right
    limit); other dtypes as ½·tanh(x/2) + ½, which never overflows. Each is the quicker form in
    NumPy for its dtype: float64 tanh costs twice float64 exp, float32 tanh less than float32 exp.
    """

    @staticmethod
    def forward(ctx, x):
        if x.dtype == np.float64:
            one = const(1.0, x.dtype)
            y = np.negative(x, out=np.empty_like(x))  # (out=: a 0-d x stays an array, not a scalar)
            with np.errstate(over="ignore", under="ignore"):
                np.exp(y, out=y)
            y += one
            np.divide(one, y, out=y)
        else:
            half = const(0.5, x.dtype)
            y = np.tanh(x * half)
            y *= half
            y += half
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        gy = grad * y
        gy -= gy * y  # g·y(1 - y) without a Python number in the arithmetic (see const)
        return gy


class ReLU(Function):
    """y = max(x, 0);  dy/dx = 1 for x > 0, else 0"""

    @staticmethod
    def forward(ctx, x):
        y = np.maximum(x, const(0, x.dtype))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (y > const(0, y.dtype))


class Tanh(Function):
    """y = tanh x;  dy/dx = 1 - y²"""

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad - grad * y * y  # g·(1 - y²) without a Python number in the arithmetic (see const)


class LeakyReLU(Function):
    """y = x for x > 0, alpha·x otherwise;  dy/dx = 1 or alpha"""

    @staticmethod
    def forward(ctx, x, alpha=0.01):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        if alpha == 0 or (-1e-4 < alpha < 1e-4 and x.dtype.type(alpha) == 0):  # (0 once rounded to x's dtype)
            return np.maximum(x, 0)  # plain relu: x·0 would be NaN, and warn, at ±inf
        return np.where(x > 0, x, x * np.asarray(alpha, dtype=x.dtype))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * np.where(x > 0, 1, ctx.alpha).astype(grad.dtype)


class ELU(Function):
    """y = x for x > 0, alpha·(eˣ - 1) otherwise;  dy/dx = 1 or y + alpha"""

    @staticmethod
    def forward(ctx, x, alpha=1.0):
        y = np.where(x > 0, x, np.asarray(alpha, dtype=x.dtype) * np.expm1(np.minimum(x, 0)))
        ctx.save_for_backward(x, y)
        ctx.alpha = alpha
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * np.where(x > 0, 1, y + ctx.alpha).astype(grad.dtype)


class Softplus(Function):
    """y = ln(1 + eˣ), computed as logaddexp(0, x);  dy/dx = sigmoid(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):  # logaddexp(0, NaN) warns; the answer is NaN all the same
            return np.logaddexp(0, x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (0.5 * np.tanh(0.5 * x) + 0.5)


class Softsign(Function):
    """y = x / (1 + |x|);  dy/dx = 1 / (1 + |x|)²  (softsign(±inf) = ±1, its limit)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            y = x / (1 + np.abs(x))
        if not np.isfinite(y).all():  # inf / inf: put the limit back (NaN inputs stay NaN)
            y = np.where(np.isinf(x), np.sign(x), y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        d = 1 + np.abs(x)
        return grad / (d * d)


class Clip(Function):
    """y = min(max(x, min), max);  dy/dx = 1 strictly inside (min, max), else 0. None = no bound."""

    @staticmethod
    def forward(ctx, x, min=None, max=None):
        if min is not None and max is not None and min > max:
            raise ValueError(f"clip: min must not exceed max; received min={min}, max={max}")
        ctx.save_for_backward(x)
        ctx.bounds = (min, max)
        return np.clip(x, min, max) if (min is not None or max is not None) else x.copy()

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        inside = np.ones(x.shape, dtype=bool)
        if lo is not None:
            inside &= x > lo
        if hi is not None:
            inside &= x < hi
        return grad * inside


class Maximum(Function):
    """z = max(x, y) elementwise;  the gradient goes to the larger input, split evenly on ties"""

    pick, wins = np.maximum, np.greater  # Minimum swaps these two and nothing else

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return type(ctx).pick(x, y)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        share = type(ctx).wins(x, y) + 0.5 * (x == y)
        return grad * share, grad * (1 - share)


class Minimum(Maximum):
    """z = min(x, y) elementwise;  the gradient goes to the smaller input, split evenly on ties"""

    pick, wins = np.minimum, np.less


class Where(Function):
    """z = a where cond else b;  dz/da = cond,  dz/db = not cond  (cond gets no gradient)"""

    @staticmethod
    def forward(ctx, cond, a, b):
        cond = np.asarray(cond, dtype=bool)
        ctx.save_for_backward(cond)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, grad):
        (cond,) = ctx.saved_tensors
        return None, grad * cond, grad * ~cond


def exp(x: Any) -> Tensor: return _apply1(Exp, _t(x))
def log(x: Any) -> Tensor: return _apply1(Log, _t(x))
def sqrt(x: Any) -> Tensor: return _apply1(Sqrt, _t(x))
def abs(x: Any) -> Tensor: return _apply1(Abs, _t(x))
def sigmoid(x: Any) -> Tensor: return _apply1(Sigmoid, _t(x))
def relu(x: Any) -> Tensor: return _apply1(ReLU, _t(x))
def tanh(x: Any) -> Tensor: return _apply1(Tanh, _t(x))
def softplus(x: Any) -> Tensor: return _apply1(Softplus, _t(x))
def softsign(x: Any) -> Tensor: return _apply1(Softsign, _t(x))


def leaky_relu(x: Any, alpha: float = 0.01) -> Tensor:
    if type(alpha) is not float:
        alpha = float_arg("leaky_relu", "alpha", alpha)
    return LeakyReLU.apply(_t(x), alpha=alpha)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    if type(alpha) is not float:
        alpha = float_arg("elu", "alpha", alpha)
    return ELU.apply(_t(x), alpha=alpha)


def _bounds(op: str, lo: Any, hi: Any) -> tuple:
    lo = float_arg(op, "min", lo, allow_none=True)
    hi = float_arg(op, "max", hi, allow_none=True)
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"{op}: min must not exceed max; received min={lo}, max={hi}")
    return lo, hi


def clip(x: Any, min: float | None = None, max: float | None = None) -> Tensor:
    """Clamp to [min, max]; either bound may be None."""
    min, max = _bounds("clip", min, max)
    return Clip.apply(_t(x), min=min, max=max)


def hardtanh(x: Any, min: float = -1.0, max: float = 1.0) -> Tensor:
    """clip(x, min, max) with the bounds of tanh by default (same op, same gradient)."""
    min, max = _bounds("hardtanh", min, max)
    return Clip.apply(_t(x), min=min, max=max)


def maximum(a: Any, b: Any) -> Tensor:
    return Maximum.apply(*_operands(a, b))


def minimum(a: Any, b: Any) -> Tensor:
    return Minimum.apply(*_operands(a, b))


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Elementwise choice: ``a`` where ``cond`` is true, else ``b`` (all three broadcast).

    ``cond`` is a boolean (or numeric: non-zero is true) array, list or Tensor."""
    a, b = _operands(a, b)
    if isinstance(cond, Tensor):
        c = cond._data
    elif isinstance(cond, np.ndarray) and cond.dtype.kind in "biuf":
        c = cond
    else:  # lists and the like: the Tensor conversion's checks and messages, then bool
        try:
            c = Tensor(cond, dtype=np.bool_)._data
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"where: cond must be boolean (e.g. x > 0) or numeric: {exc}") from None
    return Where.apply(c, a, b)


from ..tensor import Tensor, as_tensor as _t  # noqa: E402
from ._checks import float_arg  # noqa: E402
from .arithmetic import _operands  # noqa: E402
