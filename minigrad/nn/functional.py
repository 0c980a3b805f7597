"""Functional forms: activations (and their lookup by name), dropout, and the losses.

Every loss takes ``reduction="mean" | "sum" | "none"``: "none" keeps one value per element (per
sample for the cross-entropies), "sum" adds them, "mean" averages them. ``pred`` and ``target`` must
have the same shape (a ``ValueError`` names both otherwise); targets may be Tensors, arrays or
lists and receive no gradient unless they are Tensors that require it.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import checks
from .. import functions as ops
from ..functions import (
    elu,
    hardtanh,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    softplus,
    softsign,
    tanh,
)
from ..ops import MSE, Affine, Cast, CrossEntropy, DropoutMask
from ..tensor import Tensor, as_tensor

__all__ = [
    "get_activation", "ACTIVATIONS", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "leaky_relu", "elu",
    "softplus", "hardtanh", "softsign", "linear", "dropout", "DropoutMask", "affine", "Affine", "MSE",
    "mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "nll_loss", "CrossEntropy",
]


# ---------------------------------------------------------------------------------------------
# the Dense layer's pre-activation, as one node (see ops/fused.py)


def affine(x: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weight + bias`` as a single op (what ``Dense`` computes before its activation)."""
    return Affine.apply(as_tensor(x), as_tensor(weight), None if bias is None else as_tensor(bias))


# ---------------------------------------------------------------------------------------------
# activations


def linear(x: Tensor) -> Tensor:
    """The identity activation (Keras's ``"linear"``)."""
    return x


# an activation name stands for the Tensor method of that name (layers apply it to Tensors)
ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "linear": linear, "relu": Tensor.relu, "sigmoid": Tensor.sigmoid, "tanh": Tensor.tanh,
    "softmax": Tensor.softmax, "leaky_relu": Tensor.leaky_relu, "elu": Tensor.elu,
    "softplus": Tensor.softplus, "hardtanh": Tensor.hardtanh, "softsign": Tensor.softsign,
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
    raise TypeError(f"activation must be a name, a callable or None; Received: activation={activation!r} "
                    f"of type {type(activation).__name__}")


def activation_name(fn: Callable) -> str:
    """The registered name of an activation function, else its ``__name__`` (used in reprs)."""
    for name, f in ACTIVATIONS.items():
        if f is fn:
            return name
    return getattr(fn, "__name__", type(fn).__name__)


def dropout(x: Tensor, rate: float = 0.5, training: bool = True,
            rng: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: zero each element with probability ``rate``, scale survivors by 1/(1-rate).

    Identity when ``training`` is False or ``rate == 0``. The mask comes from ``rng`` (default: the
    generator ``mg.manual_seed`` seeds), drawn inside the ``DropoutMask`` op; dropped elements get
    zero gradient.
    """
    _check_rate(rate)
    if not training or rate == 0:
        return x
    x = _as_tensor(x)
    if rng is not None and not isinstance(rng, np.random.Generator):
        checks.fail("dropout", "rng", rng, "a numpy Generator (np.random.default_rng(seed)) or None",
                    TypeError)
    return DropoutMask.apply(x, rate=rate, rng=rng)


def _check_rate(rate: Any) -> None:
    checks.number("Dropout", "rate", rate, low=0, high=1, high_open=True)


# ---------------------------------------------------------------------------------------------
# helpers shared by the losses

_REDUCTIONS = ("mean", "sum", "none")


def _as_tensor(x: Any, like: Tensor | None = None) -> Tensor:
    """``x`` as a Tensor; data that is not a Tensor yet takes the float dtype of ``like`` (Keras casts
    ``y_true`` to ``y_pred``'s dtype), so a float64 NumPy target does not promote a float32 model."""
    if isinstance(x, Tensor):
        return x
    if like is not None and like.dtype.kind == "f":
        return Tensor(x, dtype=like.dtype)
    return Tensor(x)


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_reduction(name: str, reduction: Any) -> None:
    if type(reduction) is not str or reduction not in _REDUCTIONS:
        checks.one_of(name, "reduction", reduction, _REDUCTIONS)  # raises, naming what it received


def _pair(name: str, pred: Any, target: Any, reduction: str) -> tuple:
    """Tensors for (pred, target), after checking that the shapes agree and the reduction exists.
    The target takes a float prediction's dtype (as in Keras; a Tensor target through a recorded cast)."""
    _check_reduction(name, reduction)
    pred = _as_tensor(pred)
    target = _as_tensor(target, like=pred)
    dtype = pred.dtype
    if target.dtype != dtype and dtype.kind == "f":
        target = Cast.apply(target, dtype=dtype)
    if pred.shape != target.shape:
        raise ValueError(f"{name}: input shape {pred.shape} and target shape {target.shape} differ; they "
                         f"must be equal (reshape one, e.g. y.reshape(-1, 1))")
    return pred, target


# ---------------------------------------------------------------------------------------------
# regression losses


def mse_loss(pred: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error: ``mean((pred - target)²)`` (one graph node, ``MSE``)."""
    pred, target = _pair("mse_loss", pred, target, reduction)
    return MSE.apply(pred, target, reduction=reduction)


def l1_loss(pred: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error: ``mean(|pred - target|)`` (subgradient 0 where they are equal)."""
    pred, target = _pair("l1_loss", pred, target, reduction)
    return _reduce(ops.abs(pred - target), reduction)


# ---------------------------------------------------------------------------------------------
# binary cross-entropy


def _bce_eps(dtype: np.dtype) -> float:
    """The clip of ``binary_cross_entropy``: 1e-7, or float16's epsilon where 1e-7 would round away."""
    return 1e-7 if dtype.itemsize >= 4 else float(np.finfo(dtype).eps)


def binary_cross_entropy(prob: Any, target: Any, reduction: str = "mean") -> Tensor:
    """``-(y·log p + (1-y)·log(1-p))`` on probabilities ``p``, clipped to [ε, 1-ε] first with
    ε = 1e-7 (as Keras does; float16 uses its own epsilon, 9.8e-4, since 1e-7 rounds away there),
    so p = 0 or 1 gives a large finite loss. Where the clip is active the gradient is 0.
    On sigmoid outputs the gradient on the pre-activation is ``(p - y)`` (divided by n for "mean")."""
    prob, target = _pair("binary_cross_entropy", prob, target, reduction)
    eps = _bce_eps(prob.dtype)
    p = ops.clip(prob, eps, 1 - eps)
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
    sshape = scores.shape
    if not sshape:
        raise ValueError(f"{name}: input must have a class axis (the last); received a 0-d input")
    raw = target.data if isinstance(target, Tensor) else target
    if not isinstance(raw, np.ndarray):
        try:
            raw = np.asarray(raw)
        except ValueError as exc:
            raise ValueError(f"{name}: target must be a rectangular array of class indices or probabilities; "
                             f"received a ragged sequence ({exc})") from None
    tshape = raw.shape
    out_of_range: int | np.integer | np.bool_  # a count or a flag: only its truth is read
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


def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of ``logits`` (N, C) — the class axis is the last — against ``target``:
    class indices (N,) or one-hot/probability rows (N, C). One fused op, stable for any logit
    magnitude; its gradient on the logits is ``softmax(logits) - y`` (÷N for "mean", which averages
    over samples). "none" returns the (N,) per-sample losses."""
    _check_reduction("cross_entropy", reduction)
    logits = _as_tensor(logits)
    kind, y = _class_target("cross_entropy", logits, target)
    return CrossEntropy.apply(logits, y, index=kind == "index", reduction=reduction)


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
