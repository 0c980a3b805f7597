"""Fused ops: one graph node for a small graph that layers and losses compute on every step.

Each stands for a composed graph of basic ops, given by its ``formula`` and built for real by
``composed(*inputs, **kwargs)`` (graph drawing can show a fused node expanded into its parts; the
tests check both give the same values and gradients). One node instead of three or four means
fewer intermediate arrays and less bookkeeping per step.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function


class Affine(Function):
    """y = x @ weight + bias (what ``Dense`` computes before its activation; PyTorch's addmm);
    dx = g·weightᵀ,  dweight = xᵀ·g,  dbias = Σ g over the batch axes.
    x: (..., in), weight: (in, units), bias: (units,) or None -> y: (..., units)."""

    formula = "x @ W + b"

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        if weight.ndim != 2:
            raise ValueError(f"affine: weight must be 2-D (in, units); received shape {weight.shape}")
        if x.ndim == 0 or x.shape[-1] != weight.shape[0]:
            raise ValueError(f"affine: shapes {x.shape} and {weight.shape} are not aligned: x must end with "
                             f"weight.shape[0] = {weight.shape[0]} features")
        ctx.save_for_backward(x, weight)
        y = x @ weight
        return y if bias is None else y + bias

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad
        shape = x.shape
        if grad.ndim != 2:  # batch axes flattened: (batch, units) and (batch, in)
            x, grad = x.reshape(-1, x.shape[-1]), grad.reshape(-1, grad.shape[-1])
        gx = (grad @ w.T).reshape(shape) if nx else None
        gw = x.T @ grad if nw else None
        gb = grad.sum(axis=0) if nb else None
        return gx, gw, gb

    @staticmethod
    def composed(x: Any, weight: Any, bias: Any = None) -> Any:
        return x @ weight if bias is None else x @ weight + bias


class MSE(Function):
    """loss = (p - t)², averaged ("mean"), added ("sum") or kept ("none");
    dp = 2(p - t)·g (divided by n for "mean"),  dt = -dp."""

    formula = "mean((p - t) ** 2)"

    @staticmethod
    @np.errstate(over="ignore", invalid="ignore")  # (3e38)² is inf in float32, silently as in PyTorch
    def forward(ctx, pred, target, reduction="mean"):
        d = pred - target
        ctx.save_for_backward(d)
        ctx.reduction = reduction
        if reduction == "none":
            return d * d
        total = (d * d).sum()
        if reduction == "sum":
            return total
        return total / d.size if d.size else np.full((), np.nan, d.dtype)

    @staticmethod
    def backward(ctx, grad):
        (d,) = ctx.saved_tensors
        scale = 2 / max(d.size, 1) if ctx.reduction == "mean" else 2
        gp = d * (grad * scale).astype(d.dtype)
        return gp, (-gp if ctx.needs_input_grad[1] else None)

    @staticmethod
    def composed(pred: Any, target: Any, reduction: str = "mean") -> Any:
        sq = (pred - target) ** 2
        return sq.mean() if reduction == "mean" else sq.sum() if reduction == "sum" else sq


class CrossEntropy(Function):
    """Softmax cross-entropy over the last axis, reduction included.

    forward:  ℓᵢ = -Σ_c yᵢc · log_softmax(zᵢ)_c   (yᵢ one-hot for an index target), then reduce
    backward: dℓ/dz = softmax(z)·Σ_c y_c - y  (= softmax(z) - y for rows that sum to 1; lecture 05:
              ∂L/∂z = a - y), times g, divided by N for "mean";  dℓ/dy = -log_softmax(z) · g
    """

    formula = "-mean(sum(y * log_softmax(z), axis=-1))"

    @staticmethod
    def forward(ctx, z, y, index=False, reduction="mean"):
        with np.errstate(all="ignore"):  # a +inf logit gives NaN (inf - inf) silently, as in PyTorch
            shifted = z - z.max(axis=-1, keepdims=True)
            e = np.exp(shifted)
            total = e.sum(axis=-1, keepdims=True)  # log_softmax(z) = shifted - log(total)
            if index:  # the target's log-probability (a -inf logit elsewhere gives no NaN)
                losses = np.log(total[..., 0]) - np.take_along_axis(shifted, y[..., None], axis=-1)[..., 0]
            else:  # 0 · log 0 = 0: classes with zero target weight do not count
                losses = -np.where(y == 0, 0, y * (shifted - np.log(total))).sum(axis=-1)
        ctx.save_for_backward(shifted, e, total, y)
        ctx.reduction, ctx.n, ctx.index = reduction, losses.size, index
        if reduction == "mean":
            return losses.mean() if losses.size else np.full((), np.nan, z.dtype)
        return losses.sum() if reduction == "sum" else losses

    @staticmethod
    def backward(ctx, grad):
        shifted, e, total, y = ctx.saved_tensors
        if ctx.reduction == "none":
            g = grad[..., None]
        else:
            g = grad / max(ctx.n, 1) if ctx.reduction == "mean" else grad
        p = e / total  # softmax(z)
        if ctx.index:  # y holds class indices: softmax - one_hot, as 1 taken off at each row's target
            p.reshape(-1, p.shape[-1])[np.arange(y.size), y.reshape(-1)] -= 1  # (p is fresh: a view)
            p *= g
            return p, None
        dz = (p * y.sum(axis=-1, keepdims=True) - y) * g  # soft targets need not sum to 1
        dy = -(shifted - np.log(total)) * g if ctx.needs_input_grad[1] else None
        return dz, dy

    @classmethod
    def op_name(cls) -> str:
        return "cross_entropy"

    @staticmethod
    def composed(z: Any, y: Any, index: bool = False, reduction: str = "mean") -> Any:
        logp = z.log_softmax(axis=-1)
        if index:  # y: class indices as an int array
            onehot = np.zeros(logp.shape, logp.dtype)
            np.put_along_axis(onehot, np.asarray(y)[..., None], 1, axis=-1)
            y = onehot
        losses = -(logp * y).sum(axis=-1)
        return losses.mean() if reduction == "mean" else losses.sum() if reduction == "sum" else losses
