"""The checks ``fit``, ``evaluate`` and ``predict`` make once per call, before any weight changes.

Everything that could fail in the middle of training is tried here on the whole data set, so an
error names the data and the argument instead of surfacing at batch 3 after some updates: shapes,
NaN/inf, every target against the loss (a custom loss runs once on all targets), the loss's
result (a scalar Tensor), the optimizer's parameters (this model's), and batch norm's need for two
samples per batch.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

import numpy as np

from .. import checks
from ..autograd import no_grad
from ..tensor import Tensor, get_default_dtype
from .describe import shape_text
from .keras_names import SPARSE_LOSS
from .layers import BatchNorm

__all__ = ["as_array", "check_finite", "model_dtype", "inputs", "check_input_shape", "probe", "targets",
           "check_loss", "check_optimizer", "batch_bounds", "eval_mode"]


def as_array(a: Any, what: str, where: str) -> np.ndarray:
    """User data (ndarray, Tensor, nested list) as an ndarray with a batch dimension."""
    try:
        arr = a.data if isinstance(a, Tensor) else np.asarray(a)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{where}: {what} must be a rectangular array of numbers; received a ragged "
                         f"sequence ({exc})") from None
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{where}: {what} must hold numbers; received an array of dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{where}: {what} must have a batch dimension; received a scalar")
    return arr


def check_finite(arr: np.ndarray, what: str, where: str) -> None:
    """Refuse NaN and inf in the data, naming how many and where the first is."""
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = ~np.isfinite(arr)
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        kind = "NaN" if np.isnan(arr[first]) else "inf"
        raise ValueError(f"{where}: {what} holds {np.count_nonzero(bad)} non-finite value(s) "
                         f"({kind} first at index {first}); clean or impute the data before training")


@contextlib.contextmanager
def eval_mode(model: Any, training: bool = False) -> Iterator[None]:
    """Put every module in training (or eval) mode for a while, then give each its own mode back."""
    saved = [(m, m.training) for m in model.modules()]
    model.train(training)
    try:
        yield
    finally:
        for m, mode in saved:
            m.training = mode


def model_dtype(model: Any) -> np.dtype:
    """The float dtype of the model's first parameter (the default dtype while it has none)."""
    try:
        for p in model.parameters():
            if p.dtype.kind == "f":
                return p.dtype
    except (RuntimeError, ValueError, AttributeError):  # a lazy layer not built yet
        pass
    return get_default_dtype()


def expected_input(model: Any) -> tuple | None:
    shape = getattr(model, "input_shape", None)
    if shape is None:
        first = next(iter(model.children()), None)
        shape = getattr(first, "input_shape", None)
    return tuple(shape) if isinstance(shape, (tuple, list)) else None


def check_input_shape(model: Any, x: np.ndarray, where: str) -> None:
    """x must have the rank and feature sizes of the model's input: a 1-D x given to a model built for
    (N, d) is refused, not split into samples."""
    want = expected_input(model)
    if want is not None and (len(want) != x.ndim or any(
            w is not None and w != s for w, s in zip(want[1:], x.shape[1:]))):
        hint = ""
        if x.ndim == len(want) - 1 and x.shape == tuple(want[1:]):
            hint = "; for one sample add the batch dimension: x.reshape(1, -1) or x[None]"
        raise ValueError(f"{where}: x of shape {x.shape} does not fit the model (it expects inputs of shape "
                         f"{shape_text(want)}){hint}")


def inputs(model: Any, x: Any, where: str) -> np.ndarray:
    """x as an array of the model's float dtype (Keras casts inputs too): a float64 NumPy array
    fed to a float32 model would otherwise turn every activation into float64."""
    arr = as_array(x, "x", where)
    check_input_shape(model, arr, where)
    with np.errstate(over="ignore"):  # beyond float32's range becomes inf; check_finite then names x
        return arr.astype(model_dtype(model), copy=False)


def probe(model: Any, x: np.ndarray, where: str) -> np.ndarray:
    """Run one sample through the model (eval mode, no graph) to learn the output shape and to
    turn a shape mismatch into an error that names the data, before any training happens."""
    want = expected_input(model)
    expect = f" (it expects inputs of shape {shape_text(want)})" if want else ""
    try:
        with eval_mode(model), no_grad():
            out = model(Tensor(x[:1]))
    except (ValueError, RuntimeError, TypeError, IndexError) as exc:
        raise ValueError(f"{where}: x of shape {x.shape} does not fit the model{expect}: {exc}") from None
    return out.data if isinstance(out, Tensor) else np.asarray(out)


def targets(y: np.ndarray, out: np.ndarray, loss_name: str | None, given: Any, dtype: np.dtype,
            where: str) -> np.ndarray:
    """y in the form the compiled loss takes: int labels (N,) for the sparse loss, else floats of
    the output's shape. A 1-D y for a one-column output becomes a column, as in Keras.

    ``loss_name`` is the Keras name of a named loss (None for a callable); ``given`` is what the
    user passed to compile, for messages; ``out`` is the model's output for one sample."""
    out_shape = (None,) + out.shape[1:]
    if loss_name == SPARSE_LOSS:
        labels = y.reshape(len(y)) if y.ndim == 2 and y.shape[1] == 1 else y
        whole = labels.dtype.kind in "iub" or (labels.dtype.kind == "f"
                                               and bool(np.all(labels == np.round(labels))))
        if labels.ndim != 1 or not whole:
            raise ValueError(f"{where}: loss {given!r} needs integer class labels of shape (N,); received y "
                             f"of shape {y.shape} and dtype {y.dtype}")
        labels = labels.astype(np.int64)
        n_classes = out.shape[-1] if out.ndim >= 2 else 1
        if labels.min() < 0 or labels.max() >= n_classes:
            raise ValueError(f"{where}: labels must lie in [0, {n_classes}) for outputs of shape "
                             f"{out_shape}; received labels from {labels.min()} to {labels.max()}")
        return labels
    y = y.astype(dtype, copy=False)
    if loss_name is None:
        return y
    if y.ndim == 1 and out.shape[1:] == (1,):
        y = y[:, None]
    if y.shape[1:] != out.shape[1:]:
        hint = ""
        if loss_name == "categorical_crossentropy" and y.ndim == 1:
            hint = ("; for integer labels use loss='sparse_categorical_crossentropy' or one-hot "
                    "targets from mg.data.one_hot(y)")
        raise ValueError(f"{where}: y of shape {y.shape} does not fit the model's output of shape "
                         f"{out_shape} for loss {given!r}{hint}")
    return y


def check_loss(loss_fn: Any, given: Any, out: np.ndarray, y: np.ndarray, where: str) -> None:
    """Run a user's loss once on ALL targets (against the probe's output repeated for every sample),
    so a bad label at sample 2 surfaces now, not at batch 3; the result must be a scalar Tensor."""
    full = np.broadcast_to(out, (len(y),) + out.shape[1:])
    try:
        with no_grad():
            value = loss_fn(Tensor(full), Tensor(y))
    except (ValueError, RuntimeError, TypeError, IndexError) as exc:
        raise ValueError(f"{where}: y of shape {y.shape} does not fit the loss {given!r} for outputs of "
                         f"shape {(None,) + out.shape[1:]}: {exc}") from None
    if not isinstance(value, Tensor):
        checks.fail(where, "loss", given, f"a callable that returns a scalar Tensor (a graph to "
                    f"backpropagate); it returned {type(value).__name__} {value!r}", TypeError)
    if value.size != 1:
        checks.fail(where, "loss", given, f"a callable that returns a scalar Tensor; it returned a Tensor of "
                    f"shape {value.shape} (a loss module with reduction='none'? use 'mean' or 'sum')")


def check_optimizer(model: Any, optimizer: Any, where: str) -> None:
    """The optimizer must update this model's parameters only. One that holds other tensors trains
    nothing here: an optimizer made for a model object that was since rebuilt (a notebook's model
    cell run again, not the optimizer's), or one optimizer compiled into two models."""
    held = getattr(optimizer, "params", None)
    if not held:
        return
    own = {id(p) for p in model.parameters()}
    foreign = sum(id(p) not in own for p in held)
    if foreign:
        name = type(optimizer).__name__
        raise ValueError(
            f"{where}: the optimizer holds {foreign} of its {len(held)} parameters that are not this "
            f"model's, so fit would not train this model. It was made for (or compiled into) another model "
            f"object, e.g. a notebook's model cell run again without the optimizer's cell. Give this model "
            f"its own optimizer: model.compile(optimizer=mg.optim.{name}(lr=...), ...) or "
            f"{name}(model.parameters(), ...)")


def batch_bounds(model: Any, n: int, batch_size: int, where: str) -> list[int]:
    """The start of every batch, then n. Batch norm cannot train on one sample: a last batch of one
    joins the one before it (batches of 32, …, 32, 33); a data set or batch size of one is refused."""
    bounds = list(range(0, n, batch_size)) + [n]
    if any(isinstance(m, BatchNorm) for m in model.modules()):
        if batch_size == 1:
            checks.fail(where, "batch_size", batch_size, "at least 2 for a model with BatchNorm (it "
                        "computes a variance over each training batch)")
        if n == 1:
            raise ValueError(f"{where}: a model with BatchNorm needs at least 2 training samples (it "
                             f"computes a variance over each training batch); received x with 1 sample")
        if bounds[-1] - bounds[-2] == 1:
            del bounds[-2]
    return bounds
