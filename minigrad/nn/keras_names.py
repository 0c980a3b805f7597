"""Keras's names for losses, metrics and optimizers, as ``compile`` accepts them.

A name matches whatever its case and underscores: ``"mse"``, ``"MSE"``, ``"mean_squared_error"``
and ``"MeanSquaredError"`` are one loss, as are ``"binary_crossentropy"`` and
``"BinaryCrossentropy"``. The cross-entropy names take *probabilities* (after a sigmoid or softmax
layer), as in Keras; logits go to ``mg.nn.CrossEntropyLoss()`` or ``mg.nn.BCEWithLogitsLoss()``.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import checks
from ..ops import CrossEntropy
from ..tensor import Tensor
from . import functional as F
from .describe import snake_case

__all__ = ["loss_by_name", "metric_by_name", "optimizer_by_name", "canonical", "SPARSE_LOSS", "logits_loss"]

_EPS = 1e-7  # Keras's backend.epsilon(): probabilities are clipped to [eps, 1 - eps]
SPARSE_LOSS = "sparse_categorical_crossentropy"  # the one named loss whose targets are integer labels


def canonical(name: str) -> str:
    """The key a name is looked up by: lower case without underscores ('MeanSquaredError' and
    'mean_squared_error' both give 'meansquarederror')."""
    return name.replace("_", "").lower()


# ---------------------------------------------------------------------------------------------
# losses


def categorical_crossentropy(prob: Tensor, target: Any) -> Tensor:
    """Keras ``categorical_crossentropy`` on probabilities (after a softmax layer):
    L = -mean_n Σ_c y_nc · log(clip(p_nc, ε, 1-ε));  prob, target: (N, C)."""
    return -(target * prob.clip(_EPS, 1 - _EPS).log()).sum(axis=-1).mean()


def sparse_categorical_crossentropy(prob: Tensor, labels: np.ndarray) -> Tensor:
    """Keras ``sparse_categorical_crossentropy`` on probabilities with integer labels:
    L = -mean_n log(clip(p[n, y_n], ε, 1-ε));  prob: (N, C), labels: int (N,)."""
    picked = prob[np.arange(len(labels)), labels]
    return -picked.clip(_EPS, 1 - _EPS).log().mean()


def logits_loss(loss_name: str | None) -> Callable | None:
    """For a softmax output layer: the loss on its *logits* that stands for ``loss_name``, as Keras
    takes the logits under a softmax for its categorical cross-entropies (one fused op, no clip);
    None for other losses. ``fn(logits, y)``: y one-hot rows (N, C) or int64 labels (N,), checked
    by ``fit`` beforehand."""
    if loss_name == "categorical_crossentropy":
        return lambda logits, y: CrossEntropy.apply(logits, y, index=False, reduction="mean")
    if loss_name == SPARSE_LOSS:
        return lambda logits, labels: CrossEntropy.apply(logits, labels, index=True, reduction="mean")
    return None


# (names, the Keras snake-case name compile dispatches on, the function)
_LOSS_ROWS: list[tuple[tuple[str, ...], str, Callable]] = [
    (("mse", "mean_squared_error"), "mean_squared_error", F.mse_loss),
    (("mae", "mean_absolute_error"), "mean_absolute_error", F.l1_loss),
    (("binary_crossentropy",), "binary_crossentropy", F.binary_cross_entropy),
    (("categorical_crossentropy",), "categorical_crossentropy", categorical_crossentropy),
    (("sparse_categorical_crossentropy",), SPARSE_LOSS, sparse_categorical_crossentropy),
]
_LOSSES = {canonical(n): (snake, fn) for names, snake, fn in _LOSS_ROWS for n in names}

# names users bring from PyTorch: a one-line hint instead of a bare "unknown"
_LOSS_HINTS = {
    "crossentropy": "mg.nn.CrossEntropyLoss() for logits, or 'sparse_categorical_crossentropy' / "
                    "'categorical_crossentropy' for softmax outputs",
    "crossentropyloss": "mg.nn.CrossEntropyLoss() (an object, not a string)",
    "bce": "'binary_crossentropy' (on probabilities) or mg.nn.BCEWithLogitsLoss() (on logits)",
    "bceloss": "'binary_crossentropy' or mg.nn.BCELoss()",
    "mseloss": "'mse' or mg.nn.MSELoss()",
    "nllloss": "mg.nn.NLLLoss() (an object, not a string)",
}


def loss_by_name(name: str) -> tuple[str, Callable]:
    """(Keras's snake-case name, the loss function) for a Keras loss name or class name."""
    key = canonical(name)
    if key in _LOSSES:
        return _LOSSES[key]
    known = ", ".join(repr(names[-1]) for names, _, _ in _LOSS_ROWS)
    hint = f"; did you mean {_LOSS_HINTS[key]}?" if key in _LOSS_HINTS else ""
    checks.fail("compile", "loss", name, f"a Keras loss name ({known}, or a class name such as "
                f"'MeanSquaredError') or a callable loss(pred, target){hint}")


# ---------------------------------------------------------------------------------------------
# metrics: each maps (output array, target array) of one batch to (sum, count)


def accuracy(out: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """argmax match for multi-column outputs (targets: int labels or one-hot rows);
    threshold 0.5 on both sides for one column (binary targets)."""
    if out.ndim >= 2 and out.shape[-1] > 1:
        pred = out.argmax(-1)
        truth = y if y.ndim == pred.ndim else y.argmax(-1)
    else:
        pred, truth = out > 0.5, y > 0.5
    if truth.shape != pred.shape:
        truth = truth.reshape(pred.shape)
    return int(np.count_nonzero(pred == truth)), pred.size


def binary_accuracy(out: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """Every element thresholded at 0.5 on both sides (Keras's ``BinaryAccuracy``, multi-label too)."""
    pred, truth = out > 0.5, y.reshape(out.shape) > 0.5
    return int(np.count_nonzero(pred == truth)), pred.size


def mean_squared_error(out: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    d = out - y.reshape(out.shape)
    return float(np.vdot(d, d)), d.size


def mean_absolute_error(out: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    return float(np.abs(out - y.reshape(out.shape)).sum()), out.size


_METRIC_ROWS: list[tuple[tuple[str, ...], Callable]] = [
    (("accuracy", "acc", "categorical_accuracy", "sparse_categorical_accuracy"), accuracy),
    (("binary_accuracy",), binary_accuracy),
    (("mse", "mean_squared_error"), mean_squared_error),
    (("mae", "mean_absolute_error"), mean_absolute_error),
]
_METRICS = {canonical(n): fn for names, fn in _METRIC_ROWS for n in names}


def metric_by_name(name: Any) -> tuple[str, Callable]:
    """(the key ``History`` records it under, the metric) for a Keras metric name or class name.

    The key is the name in Keras's snake case: "accuracy" stays "accuracy", "BinaryAccuracy"
    becomes "binary_accuracy", "MSE" becomes "mse"."""
    if not isinstance(name, str):
        checks.fail("compile", "metrics", name, "a list of metric names, e.g. metrics=['accuracy']",
                    TypeError)
    fn = _METRICS.get(canonical(name))
    if fn is None:
        checks.fail("compile", "metrics", name, "a list of Keras metric names: 'accuracy' (or 'acc'), "
                    "'binary_accuracy', 'mse', 'mae', or class names such as 'MeanSquaredError'")
    return snake_case(name), fn


# ---------------------------------------------------------------------------------------------
# optimizers


def optimizer_by_name(optimizer: Any) -> Any:
    """An optimizer object from ``compile``'s ``optimizer=``: a Keras name ('adam', 'Adam', 'SGD', built
    by ``mg.optim.get`` with Keras's default learning rate) or an optimizer object (returned as is)."""
    from .. import optim  # optim is loaded lazily by minigrad

    if isinstance(optimizer, type) and issubclass(optimizer, optim.Optimizer):
        checks.fail("compile", "optimizer", optimizer, f"an optimizer object, not its class: write "
                    f"optimizer=mg.optim.{optimizer.__name__}() or mg.optim.{optimizer.__name__}(lr=...)",
                    TypeError)
    if isinstance(optimizer, str):
        try:
            return optim.get(optimizer)
        except ValueError as exc:
            checks.fail("compile", "optimizer", optimizer,
                        f"a Keras optimizer name or an optimizer object ({exc})")
    if not callable(getattr(optimizer, "step", None)) or not callable(getattr(optimizer, "zero_grad", None)):
        checks.fail("compile", "optimizer", optimizer, "an optimizer object such as mg.optim.SGD(lr=0.3) "
                    "or a name such as 'sgd' or 'adam'", TypeError)
    return optimizer
