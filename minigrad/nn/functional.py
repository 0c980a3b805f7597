"""Functional forms: activations (and their lookup by name), dropout, and the losses.

Every loss takes ``reduction="mean" | "sum" | "none"``: "none" keeps one value per element (per
sample for the cross-entropies), "sum" adds them, "mean" averages them. ``pred`` and ``target`` must
have the same shape (a ``ValueError`` names both otherwise); targets may be Tensors, arrays or
lists and receive no gradient unless they are Tensors that require it.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import ops
from ..autograd import Function, _apply2, _apply_n
from ..ops import elu, hardtanh, leaky_relu, log_softmax, relu, sigmoid, softmax, softplus, softsign, tanh
from ..ops.reduce import max_last, sum_last
from ..random import default_rng
from ..tensor import Tensor

__all__ = [
    "get_activation", "ACTIVATIONS", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "leaky_relu", "elu",
    "softplus", "hardtanh", "softsign", "linear", "dropout", "affine", "Affine", "MSE",
    "mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "nll_loss", "CrossEntropy",
]


# ---------------------------------------------------------------------------------------------
# the Dense layer's pre-activation, as one node


class Affine(Function):
    """y = x @ weight + bias (one graph node, as PyTorch's addmm);  dx = g·weightᵀ,  dweight = xᵀ·g,
    dbias = Σ g over the batch axes.  x: (..., in), weight: (in, units), bias: (units,) or None."""

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        if weight.ndim != 2:
            raise ValueError(f"affine: weight must be 2-D (in, units); received shape {weight.shape}")
        if x.ndim == 0 or x.shape[-1] != weight.shape[0]:
            raise ValueError(f"affine: shapes {x.shape} and {weight.shape} are not aligned: x must end with "
                             f"weight.shape[0] = {weight.shape[0] if weight.ndim else '?'} features")
        ctx.save_for_backward(x, weight)
        # np.dot is the same product for x of at most 2 dimensions, without matmul's ufunc
        # machinery (~0.35 µs less per call: one sample at a time is the lectures' habit)
        y = np.dot(x, weight) if x.ndim <= 2 else x @ weight
        if bias is not None:
            if bias.dtype is y.dtype:
                y += bias  # in place on the fresh product: one array less
            else:
                y = y + bias
        return y

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad
        if grad.ndim == 2:
            g2, x2 = grad, x
        else:  # batch axes flattened: g2 (batch, units), x2 (batch, in)
            g2, x2 = grad.reshape(-1, grad.shape[-1]), x.reshape(-1, x.shape[-1])
        gx = (np.dot(grad, w.T) if grad.ndim <= 2 else grad @ w.T) if nx else None
        gw = np.dot(x2.T, g2) if nw else None
        if nb:  # (one sample, the lectures' batch_size=1: the sum is that row, ~1 µs sooner than .sum)
            gb = g2[0] if len(g2) == 1 else g2.sum(axis=0)
        else:
            gb = None
        return gx, gw, gb


def affine(x: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weight + bias`` as a single op (what ``Dense`` computes before its activation)."""
    return _apply_n(Affine, (x if isinstance(x, Tensor) else Tensor(x), weight, bias))


# ---------------------------------------------------------------------------------------------
# activations


def linear(x: Tensor) -> Tensor:
    """The identity activation (Keras's ``"linear"``)."""
    return x


ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "linear": linear, "relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax,
    "leaky_relu": leaky_relu, "elu": elu, "softplus": softplus, "hardtanh": hardtanh, "softsign": softsign,
}


def get_activation(activation: str | Callable | None) -> Callable[[Tensor], Tensor]:
    """The activation function for a name in ``ACTIVATIONS`` (None means ``"linear"``) or a callable.

    Raises ``ValueError`` for an unknown name and ``TypeError`` for anything else, naming what it got.
    """
    if activation is None:
        return linear
    if isinstance(activation, str):
        fn = ACTIVATIONS.get(activation.lower())
        if fn is None:
            raise ValueError(f"Unknown activation {activation!r}; expected one of "
                             f"{sorted(ACTIVATIONS)} or a callable. Received: activation={activation!r}")
        return fn
    if callable(activation):
        return activation
    raise TypeError(f"activation must be a name, a callable or None; received activation={activation!r} "
                    f"of type {type(activation).__name__}")


def activation_name(fn: Callable) -> str:
    """The registered name of an activation function, else its ``__name__`` (used in reprs)."""
    for name, f in ACTIVATIONS.items():
        if f is fn:
            return name
    return getattr(fn, "__name__", type(fn).__name__)


def dropout(x: Tensor, rate: float = 0.5, training: bool = True, rng: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: zero each element with probability ``rate``, scale survivors by 1/(1-rate).

    Identity when ``training`` is False or ``rate == 0``. The mask comes from ``rng`` (default: the
    generator ``mg.manual_seed`` seeds); dropped elements get zero gradient.
    """
    _check_rate(rate)
    if not training or rate == 0:
        return x
    x = _as_tensor(x)
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"dropout: rng must be a numpy Generator (np.random.default_rng(seed)) or None; "
                        f"received rng={rng!r}")
    gen = rng if rng is not None else default_rng()
    keep = gen.random(x.shape) >= rate
    scale = (keep / (1.0 - rate)).astype(x.dtype if x.dtype.kind == "f" else np.float32)
    return x * Tensor(scale)


def _check_rate(rate: Any) -> None:
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.integer, np.floating)):
        raise TypeError(f"Dropout rate must be a number in [0, 1); received rate={rate!r}")
    if not 0 <= rate < 1:
        raise ValueError(f"Dropout rate must be in [0, 1); received rate={rate}")


# ---------------------------------------------------------------------------------------------
# helpers shared by the losses

_REDUCTIONS = ("mean", "sum", "none")


def _as_tensor(x: Any, like: Tensor | None = None) -> Tensor:
    """``x`` as a Tensor; data that is not a Tensor yet takes the float dtype of ``like`` (Keras casts
    ``y_true`` to ``y_pred``'s dtype), so a float64 NumPy target does not promote a float32 model."""
    if isinstance(x, Tensor):
        return x
    if like is not None and like.dtype.kind == "f":
        return Tensor(np.asarray(x), dtype=like.dtype)
    return Tensor(x)


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_reduction(name: str, reduction: Any) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {list(_REDUCTIONS)}; received reduction={reduction!r}")


def _pair(name: str, pred: Any, target: Any, reduction: str) -> tuple:
    """Tensors for (pred, target), after checking that the shapes agree and the reduction exists."""
    _check_reduction(name, reduction)
    if type(pred) is not Tensor:
        pred = _as_tensor(pred)
    if type(target) is not Tensor:
        target = _as_tensor(target, like=pred)
    if pred._data.shape != target._data.shape:
        raise ValueError(f"{name}: input shape {pred.shape} and target shape {target.shape} differ; they "
                         f"must be equal (reshape one, e.g. y.reshape(-1, 1))")
    return pred, target


# ---------------------------------------------------------------------------------------------
# regression losses


class MSE(Function):
    """loss = (p - t)², averaged ("mean"), added ("sum") or kept ("none");  dp = 2(p - t)·g (/ n for
    "mean"),  dt = -dp. One node instead of sub, mul and mean."""

    @staticmethod
    def forward(ctx, pred, target, reduction="mean"):
        # a hot op like sub and mul: no np.errstate, so inf - inf or an overflow warns as NumPy does
        d = pred - target
        ctx.save_for_backward(d)
        ctx.reduction = reduction
        if reduction == "none":
            return d * d
        total = np.vdot(d, d)  # Σ d² of the flattened d, one call
        if reduction == "sum":
            return np.asarray(total, dtype=d.dtype)
        return np.asarray(float(total) / d.size if d.size else np.nan, dtype=d.dtype)  # (Python floats: quicker)

    @staticmethod
    def backward(ctx, grad):
        (d,) = ctx.saved_tensors
        if ctx.reduction == "none":
            gp = d * (grad * 2.0)
        else:  # grad is the loss's 0-d gradient: scale it as a Python float, then one array product
            scale = 2.0 / max(d.size, 1) if ctx.reduction == "mean" else 2.0  # (no elements: an empty gradient)
            gp = d * np.asarray(scale * float(grad), d.dtype)
        return gp, (-gp if ctx.needs_input_grad[1] else None)


def mse_loss(pred: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error: ``mean((pred - target)²)`` (one graph node, ``MSE``)."""
    pred, target = _pair("mse_loss", pred, target, reduction)
    return _apply2(MSE, pred, target, {"reduction": reduction})


def l1_loss(pred: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error: ``mean(|pred - target|)`` (subgradient 0 where they are equal)."""
    pred, target = _pair("l1_loss", pred, target, reduction)
    return _reduce(ops.abs(pred - target), reduction)


# ---------------------------------------------------------------------------------------------
# binary cross-entropy

_BCE_EPS = 1e-7


def binary_cross_entropy(prob: Any, target: Any, reduction: str = "mean") -> Tensor:
    """``-(y·log p + (1-y)·log(1-p))`` on probabilities ``p``, clipped to [1e-7, 1-1e-7] first
    (as Keras does), so p = 0 or 1 gives a large finite loss. Where the clip is active the gradient is 0.
    On sigmoid outputs the gradient on the pre-activation is ``(p - y)`` (divided by n for "mean")."""
    prob, target = _pair("binary_cross_entropy", prob, target, reduction)
    p = ops.clip(prob, _BCE_EPS, 1 - _BCE_EPS)
    loss = -(target * ops.log(p) + (1 - target) * ops.log(1 - p))
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(logits: Any, target: Any, reduction: str = "mean") -> Tensor:
    """BCE on logits z: ``softplus(z) - y·z`` = ``-(y·log σ(z) + (1-y)·log(1-σ(z)))``.

    ``softplus`` is computed as ``logaddexp(0, z)``, so any logit (1e4, -1e4) gives a finite loss;
    the gradient is exactly ``σ(z) - y`` (no kinks).
    """
    logits, target = _pair("binary_cross_entropy_with_logits", logits, target, reduction)
    return _reduce(ops.softplus(logits) - logits * target, reduction)


# ---------------------------------------------------------------------------------------------
# categorical cross-entropy (fused) and NLL


def _class_target(name: str, scores: Tensor, target: Any) -> tuple:
    """Return ("index", int array) or ("dense", Tensor) for a target of class indices or probabilities.

    Class indices have the scores' shape without the last (class) axis; probabilities/one-hot rows
    have the scores' shape. Integral floats (``mg.tensor([0, 2])`` is float32) count as indices.
    """
    sshape = scores._data.shape
    if not sshape:
        raise ValueError(f"{name}: input must have a class axis (the last); received a 0-d input")
    raw = target._data if isinstance(target, Tensor) else target
    tshape = raw.shape if isinstance(raw, np.ndarray) else np.shape(raw)
    if tshape == sshape[:-1]:
        raw = np.asarray(raw)
        n_classes = sshape[-1]
        kind = raw.dtype.kind
        if kind == "f":
            if not np.all(np.isfinite(raw)) or not np.all(raw == np.round(raw)):
                raise ValueError(f"{name}: a target of shape {tshape} holds class indices, which must be "
                                 f"integers; received non-integer values")
            # checked before the cast: 3e38 does not fit an int64
            out_of_range = np.count_nonzero((raw < 0) | (raw >= n_classes))
            labels = raw.astype(np.int64)
        elif kind in "iu":
            labels = raw.astype(np.int64)  # a private copy: backward must see the labels of forward
            # one reduction for both ends: read as unsigned, a negative label is a huge number (and
            # a uint64 beyond int64's range wraps negative in the cast, so it is caught too)
            out_of_range = labels.size and np.maximum.reduce(labels.view(np.uint64), axis=None) >= n_classes
        else:
            raise TypeError(f"{name}: class-index targets must be integers; received dtype {raw.dtype}")
        if out_of_range:
            bad = (raw < 0) | (raw >= n_classes)
            raise ValueError(f"{name}: target class {raw[bad].flat[0]:g} is out of range for "
                             f"{n_classes} classes (valid: 0 … {n_classes - 1})")
        return "index", labels
    if tshape == scores.shape:
        return "dense", _as_tensor(target, like=scores)
    raise ValueError(f"{name}: input shape {scores.shape} and target shape {tshape} do not fit: the target "
                     f"must be class indices of shape {scores.shape[:-1]} or probabilities of shape "
                     f"{scores.shape}")


class CrossEntropy(Function):
    """Fused softmax cross-entropy over the last axis, reduction included.

    forward:  ℓᵢ = -Σ_c yᵢc · log_softmax(zᵢ)_c   (yᵢ one-hot for an index target), then reduce
    backward: dℓ/dz = softmax(z) - y   (lecture 05: ∂L/∂z = a - y), times g, divided by N for "mean";
              (for rows y that do not sum to 1 it is softmax(z)·Σ_c y_c - y)
              dℓ/dy = -log_softmax(z) · g   (for probability targets that require grad)
    """

    @staticmethod
    @np.errstate(all="ignore")  # a +inf logit gives NaN (inf - inf) silently, as in PyTorch
    def forward(ctx, z, y, index=False, reduction="mean"):
        logp = z - max_last(z)  # (the row max and sum helpers: NumPy is slow on 10-class rows)
        logp -= np.log(sum_last(np.exp(logp)))
        if index:  # pick the target's log-probability (a -inf logit elsewhere is no NaN)
            rows = logp.reshape(-1, logp.shape[-1])
            losses = -rows[np.arange(rows.shape[0]), y.reshape(-1)].reshape(y.shape)
        else:  # 0 · log 0 = 0: classes with zero target weight do not count
            losses = -np.where(y == 0, 0, y * logp).sum(axis=-1)
        ctx.save_for_backward(logp, y)
        ctx.reduction, ctx.n, ctx.index = reduction, losses.size, index
        if reduction == "mean":  # (sum / n: ndarray.mean costs a few µs of Python on top)
            total = np.add.reduce(losses, axis=None)  # (= losses.sum() without its Python wrapper)
            return total / losses.dtype.type(losses.size) if losses.size else np.array(np.nan, dtype=z.dtype)
        return np.add.reduce(losses, axis=None) if reduction == "sum" else losses

    @staticmethod
    def backward(ctx, grad):
        logp, y = ctx.saved_tensors
        if ctx.reduction == "none":
            g = np.asarray(grad)[..., None]
        else:  # the loss's 0-d gradient, scaled as a Python float (see autograd.const)
            g = np.asarray(float(grad) / max(ctx.n, 1) if ctx.reduction == "mean" else float(grad), logp.dtype)
        p = np.exp(logp)
        if ctx.index:  # y holds class indices: softmax - one_hot, without building the one-hot
            dz = p
            dz *= g
            rows = dz.reshape(-1, dz.shape[-1])  # a view: dz is fresh and contiguous
            g_rows = np.broadcast_to(g, y.shape + (1,)).reshape(-1) if ctx.reduction == "none" else g
            rows[np.arange(rows.shape[0]), y.reshape(-1)] -= g_rows
            return dz, None
        p = p * y.sum(axis=-1, keepdims=True)  # soft targets need not sum to 1
        dz = (p - y) * g
        dy = -logp * g if ctx.needs_input_grad[1] else None
        return dz, dy

    @classmethod
    def op_name(cls) -> str:
        return "cross_entropy"


def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of ``logits`` (N, C) — the class axis is the last — against ``target``:
    class indices (N,) or one-hot/probability rows (N, C). One fused op, stable for any logit
    magnitude; its gradient on the logits is ``softmax(logits) - y`` (÷N for "mean", which averages
    over samples). "none" returns the (N,) per-sample losses."""
    _check_reduction("cross_entropy", reduction)
    logits = _as_tensor(logits)
    kind, y = _class_target("cross_entropy", logits, target)
    return _apply2(CrossEntropy, logits, y, {"index": kind == "index", "reduction": reduction})


def nll_loss(log_probs: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood ``-log_probs[i, target_i]`` for class indices (N,), or
    ``-Σ_c y_ic · log_probs_ic`` for probability rows (N, C). Feed it ``log_softmax`` outputs
    (``nll_loss(log_softmax(z), t) == cross_entropy(z, t)``); "mean" averages over samples."""
    _check_reduction("nll_loss", reduction)
    log_probs = _as_tensor(log_probs)
    kind, y = _class_target("nll_loss", log_probs, target)
    if kind == "index":
        lead = np.indices(y.shape, sparse=True)
        picked = log_probs[tuple(lead) + (y,)]
    else:
        picked = (log_probs * y).sum(axis=-1)
    return _reduce(-picked, reduction)
