"""Elementwise ops: exp log sqrt abs sigmoid relu tanh leaky_relu elu softplus hardtanh softsign
clip maximum minimum where, and dropout's random mask. Subgradients at kinks: relu'(0) = 0,
abs'(0) = 0, clip/hardtanh pass gradient only strictly inside the bounds, maximum/minimum split it
evenly on ties."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import checks
from ..autograd import Function
from ..random import default_rng


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
    """y = 1/(1+e⁻ˣ);  dy/dx = y(1-y).  (e⁻ˣ overflows to inf for very negative x, and 1/inf = 0
    is the right limit.)"""

    @staticmethod
    @np.errstate(over="ignore")
    def forward(ctx, x):
        y = 1 / (1 + np.exp(-x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y * (1 - y)


class ReLU(Function):
    """y = max(x, 0);  dy/dx = 1 for x > 0, 0 for x <= 0 (and NaN passes its gradient, as in PyTorch)"""

    @staticmethod
    def forward(ctx, x):
        y = np.maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (y != 0)  # (y is 0 or positive or NaN)


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
        return grad - grad * y * y  # g·(1 - y²)


class LeakyReLU(Function):
    """y = x for x > 0, alpha·x otherwise;  dy/dx = 1 or alpha"""

    @staticmethod
    def forward(ctx, x, alpha=0.01):
        alpha = checks.number("leaky_relu", "alpha", alpha)
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
        alpha = checks.number("elu", "alpha", alpha)
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
        min = checks.number("clip", "min", min, allow_none=True)
        max = checks.number("clip", "max", max, allow_none=True)
        if min is not None and max is not None and min > max:
            raise ValueError(f"clip: min must not exceed max; Received: min={min}, max={max}")
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

    pick: Any = np.maximum  # Minimum swaps these two and nothing else
    wins: Any = np.greater

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

    pick: Any = np.minimum
    wins: Any = np.less


class Cast(Function):
    """y = x as another float dtype (``t.float()``, ``t.double()``);  dx = g in x's dtype"""

    @staticmethod
    @np.errstate(over="ignore")  # 1e300 as float32 is inf, silently (as in PyTorch)
    def forward(ctx, x, dtype=np.float32):
        return x.astype(dtype)  # (always a copy)

    @staticmethod
    def backward(ctx, grad):
        return grad  # (the engine casts it back to the input's dtype)


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


class DropoutMask(Function):
    """y = x · mask / (1 - rate), mask ~ Bernoulli(1 - rate) drawn in ``forward``;  dy/dx = mask / (1 - rate).

    The draw happens inside the op, from ``rng`` (None: the generator in force when forward runs,
    ``mg.random.default_rng()``), so a replayed op (``mg.jit``) draws a new mask each time."""

    @staticmethod
    @np.errstate(over="ignore", invalid="ignore")  # 3e38 / 0.75 is inf, inf · 0 NaN: silently, as PyTorch
    def forward(ctx, x, rate=0.5, rng=None):
        gen = rng if rng is not None else default_rng()
        keep = gen.random(x.shape) >= rate
        scale = (keep / (1.0 - rate)).astype(x.dtype if x.dtype.kind == "f" else np.float32)
        ctx.save_for_backward(scale)
        return x * scale

    @staticmethod
    def backward(ctx, grad):
        (scale,) = ctx.saved_tensors
        return grad * scale

    @classmethod
    def op_name(cls) -> str:
        return "dropout"
