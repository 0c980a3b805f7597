"""Keras-style training for models: compile / fit / evaluate / predict / summary (SPEC §9).

The lectures train with Keras::

    model.compile(optimizer=SGD(lr=0.3), loss="mse")
    history = model.fit(x, y, epochs=400, batch_size=1)
    model.predict(x); model.summary(); model.weights

``Model`` is a mixin that gives any ``Module`` (``Sequential`` inherits it) that same API on top
of the autograd loop ``out = model(x); loss = loss_fn(out, y); opt.zero_grad(); loss.backward();
opt.step()``. ``fit`` adds only what Keras adds: batching, shuffling, running averages for the
log, validation, and input checks done once before the first batch (the per-batch path stays as
lean as a hand-written loop).
"""
from __future__ import annotations

import contextlib
import math
import re
import sys
import time
from typing import Any, Callable, Sequence

import numpy as np

from .. import random as _random
from ..autograd import no_grad
from ..data import batches
from ..tensor import Tensor, get_default_dtype

__all__ = ["Model", "History", "NonFiniteLossError"]

_EPS = 1e-7  # Keras's backend.epsilon(): probabilities are clipped to [eps, 1 - eps]


class NonFiniteLossError(FloatingPointError, ValueError):
    """``fit`` stopped because the loss became NaN or inf. A ``FloatingPointError`` (as in
    ``mg.detect_anomaly``) that is also a ``ValueError``, so either ``except`` catches it."""


# ---------------------------------------------------------------------------------------------
# losses by Keras name


def _categorical_crossentropy(prob: Tensor, target: Any) -> Tensor:
    """Keras ``categorical_crossentropy`` on probabilities (after a softmax layer):
    L = -mean_n Σ_c y_nc · log(clip(p_nc, ε, 1-ε));  prob, target: (N, C)."""
    return -(target * prob.clip(_EPS, 1 - _EPS).log()).sum(axis=-1).mean()


def _sparse_categorical_crossentropy(prob: Tensor, labels: np.ndarray) -> Tensor:
    """Keras ``sparse_categorical_crossentropy`` on probabilities with integer labels:
    L = -mean_n log(clip(p[n, y_n], ε, 1-ε));  prob: (N, C), labels: int (N,)."""
    picked = prob[np.arange(len(labels)), labels]
    return -picked.clip(_EPS, 1 - _EPS).log().mean()


def _loss_by_name(name: str) -> Callable:
    from . import functional as F

    table = {
        "mse": F.mse_loss, "mean_squared_error": F.mse_loss,
        "mae": F.l1_loss, "mean_absolute_error": F.l1_loss,
        "binary_crossentropy": F.binary_cross_entropy,
        "categorical_crossentropy": _categorical_crossentropy,
        "sparse_categorical_crossentropy": _sparse_categorical_crossentropy,
    }
    if name not in table:
        raise ValueError(f"compile: unknown loss {name!r}; known names: {', '.join(table)} "
                         f"(or pass a callable loss(pred, target) such as mg.nn.CrossEntropyLoss())")
    return table[name]


# ---------------------------------------------------------------------------------------------
# metrics: each maps (output array, target array) of one batch to (sum, count)


def _accuracy(out: np.ndarray, y: np.ndarray) -> tuple[float, int]:
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


def _mse_metric(out: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    d = out - y.reshape(out.shape)
    return float(np.vdot(d, d)), d.size


def _mae_metric(out: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    return float(np.abs(out - y.reshape(out.shape)).sum()), out.size


_METRICS = {"accuracy": _accuracy, "acc": _accuracy, "mse": _mse_metric, "mean_squared_error": _mse_metric,
            "mae": _mae_metric, "mean_absolute_error": _mae_metric}


class _Tally:
    """Sample-weighted running means of the loss and the metrics over one pass through the data."""

    def __init__(self, metrics: list[tuple[str, Callable]]):
        self.metrics = metrics
        self.loss, self.samples = 0.0, 0
        self.sums, self.counts = [0.0] * len(metrics), [0] * len(metrics)

    def add(self, loss: float, out: np.ndarray, y: np.ndarray) -> None:
        self.loss += loss * len(out)
        self.samples += len(out)
        for i, (_, fn) in enumerate(self.metrics):
            s, c = fn(out, y)
            self.sums[i] += s
            self.counts[i] += c

    def logs(self) -> dict[str, float]:
        out = {"loss": self.loss / max(self.samples, 1)}
        out.update((m, float(s / max(c, 1))) for (m, _), s, c in zip(self.metrics, self.sums, self.counts))
        return out


class _Compiled:
    """What ``compile`` chose. Kept in one plain object so that Module's attribute scan does not
    register a loss Module or the optimizer's parameter list as parts of the model."""

    def __init__(self, optimizer: Any, loss: Any, loss_fn: Callable, loss_name: str | None,
                 metrics: list[tuple[str, Callable]]):
        self.optimizer, self.loss, self.loss_fn, self.loss_name = optimizer, loss, loss_fn, loss_name
        self.metrics = metrics
        self.bound = False


# ---------------------------------------------------------------------------------------------
# History


class History:
    """What ``fit`` returns: ``history.history`` maps "loss" (and "accuracy", "val_loss",
    "val_accuracy", … when asked for) to one float per epoch; ``history.epoch`` lists the epoch
    indices (0-based, as in Keras); ``history.params`` holds epochs, steps and verbose."""

    def __init__(self, params: dict | None = None):
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.params = dict(params or {})

    def _append(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)

    def __repr__(self) -> str:
        return f"<History epochs={len(self.epoch)} keys={list(self.history)}>"

    def plot(self, title: str | None = None):
        """Draw loss (and val_loss) per epoch, plus accuracy (and val_accuracy) beside it when
        recorded; returns the ``matplotlib.figure.Figure`` (``fig.savefig("loss.png")``)."""
        try:
            from matplotlib.figure import Figure
        except ImportError:
            raise ImportError("History.plot needs matplotlib: pip install matplotlib "
                              "(or pip install 'minigrad[examples]')") from None
        groups = [k for k in self.history if not k.startswith("val_")]
        fig = Figure(figsize=(5 * max(len(groups), 1), 3.6), layout="constrained")
        axes = fig.subplots(1, max(len(groups), 1), squeeze=False)[0]
        epochs = np.arange(1, len(self.epoch) + 1)
        for ax, key in zip(axes, groups):
            ax.plot(epochs, self.history[key], label=key)
            if "val_" + key in self.history:
                ax.plot(epochs, self.history["val_" + key], label="val_" + key)
            ax.set_xlabel("epoch")
            ax.set_ylabel(key)
            ax.legend()
            ax.grid(alpha=0.3)
        if title:
            fig.suptitle(title)
        return fig


# ---------------------------------------------------------------------------------------------
# small helpers


def _count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; received {name}={value!r}")
    return int(value)


def _array(a: Any, what: str, where: str) -> np.ndarray:
    """User data (ndarray, Tensor, nested list) as an ndarray with a batch dimension."""
    try:
        arr = a._data if isinstance(a, Tensor) else np.asarray(a)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{where}: {what} must be a rectangular array of numbers; received a ragged "
                         f"sequence ({exc})") from None
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{where}: {what} must hold numbers; received an array of dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{where}: {what} must have a batch dimension; received a scalar")
    return arr


def _check_finite(arr: np.ndarray, what: str, where: str) -> None:
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = ~np.isfinite(arr)
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        kind = "NaN" if np.isnan(arr[first]) else "inf"
        raise ValueError(f"{where}: {what} holds {np.count_nonzero(bad)} non-finite value(s) "
                         f"({kind} first at index {first}); clean or impute the data before training")


def _fmt_shape(shape: Any) -> str:
    return "?" if shape is None else str(tuple(shape))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _size(a: Any) -> int:
    return int(np.size(getattr(a, "_data", a)))


# ---------------------------------------------------------------------------------------------
# the mixin


class Model:
    """Mixin that gives a Module the Keras training API. ``Sequential`` inherits it.

    It relies only on the Module API: ``__call__``, ``parameters()``, ``named_buffers()``,
    ``children()``, ``train()``/``eval()`` and ``training``.
    """

    # -- compile -------------------------------------------------------------------------------
    def compile(self, optimizer: Any, loss: Any, metrics: Sequence[str] | None = None) -> None:
        """Choose the optimizer, the loss and the metrics that ``fit``/``evaluate`` report.

        optimizer: an optimizer object, bound to parameters or not (``mg.optim.SGD(lr=0.3)``: the
            model's parameters are bound here), or a Keras name ("sgd", "adam", …, built by
            ``mg.optim.get`` with Keras's default learning rate).
        loss: a Keras name — "mse"/"mean_squared_error", "mae", "binary_crossentropy" (on
            probabilities), "categorical_crossentropy" (on probabilities, one-hot targets),
            "sparse_categorical_crossentropy" (on probabilities, integer labels) — or any callable
            ``loss(pred, target) -> scalar Tensor`` (``mg.nn.CrossEntropyLoss()``, a function…).
        metrics: names among "accuracy"/"acc" (argmax match for multi-column outputs, threshold
            0.5 for one column), "mse", "mae".
        """
        if isinstance(loss, str):
            loss_fn, loss_name = _loss_by_name(loss), loss
        elif callable(loss):
            loss_fn, loss_name = loss, None
        else:
            raise TypeError(f"compile: loss must be a Keras loss name or a callable loss(pred, target); "
                            f"received {loss!r}")
        if isinstance(metrics, str):
            metrics = [metrics]
        elif metrics is not None and not isinstance(metrics, (list, tuple)):
            raise TypeError(f"compile: metrics must be a list of metric names, e.g. metrics=['accuracy']; "
                            f"received metrics={metrics!r}")
        chosen = []
        for m in metrics or ():
            if m not in _METRICS:
                raise ValueError(f"compile: unknown metric {m!r}; known names: {', '.join(_METRICS)}")
            chosen.append((m, _METRICS[m]))
        if isinstance(optimizer, str):
            from .. import optim

            optimizer = optim.get(optimizer)
        if not callable(getattr(optimizer, "step", None)):
            raise TypeError(f"compile: optimizer must be an optimizer object or a name such as 'sgd' or "
                            f"'adam'; received {optimizer!r}")
        self._compiled = _Compiled(optimizer, loss, loss_fn, loss_name, chosen)
        self._bind_optimizer(required=False)

    @property
    def optimizer(self) -> Any:
        """The optimizer given to ``compile`` (None before)."""
        cfg = getattr(self, "_compiled", None)
        return cfg.optimizer if cfg else None

    @property
    def loss(self) -> Any:
        """The loss given to ``compile`` (a name or a callable; None before)."""
        cfg = getattr(self, "_compiled", None)
        return cfg.loss if cfg else None

    @property
    def weights(self) -> list:
        """The model's parameters, in order (Keras: ``model.weights``)."""
        return list(self.parameters())

    def _bind_optimizer(self, required: bool) -> None:
        """Hand the model's parameters to an optimizer created without them. A model whose layers
        build on their first call has no parameters yet: then binding waits for ``fit``."""
        cfg = self._compiled
        if cfg.bound:
            return
        opt = cfg.optimizer
        if not _is_unbound(opt):
            cfg.bound = True
            return
        try:
            params = list(self.parameters())
        except (RuntimeError, ValueError, AttributeError):
            if required:
                raise
            return
        opt.bind(params)
        cfg.bound = True

    @contextlib.contextmanager
    def _mode(self, training: bool):
        """Put every module in training (or eval) mode for a while, then give each its own mode back."""
        saved = [(m, m.training) for m in self.modules()]
        self.train(training)
        try:
            yield
        finally:
            for m, mode in saved:
                m.training = mode

    def _require_compiled(self, where: str) -> _Compiled:
        cfg = getattr(self, "_compiled", None)
        if cfg is None:
            raise RuntimeError(f"{where}: the model must be compiled first, e.g. "
                               f"model.compile(optimizer=mg.optim.SGD(lr=0.3), loss='mse')")
        return cfg

    # -- data checks (once per call, never per batch) --------------------------------------------
    def _dtype(self) -> np.dtype:
        try:
            for p in self.parameters():
                if p.dtype.kind == "f":
                    return p.dtype
        except (RuntimeError, ValueError, AttributeError):
            pass
        return get_default_dtype()

    def _expected_input(self) -> tuple | None:
        shape = getattr(self, "input_shape", None)
        if shape is None:
            first = next(iter(self.children()), None)
            shape = getattr(first, "input_shape", None)
        return tuple(shape) if isinstance(shape, (tuple, list)) else None

    def _probe(self, x: np.ndarray, where: str) -> np.ndarray:
        """Run one sample through the model (eval mode, no graph) to learn the output shape and to
        turn a shape mismatch into an error that names the data, before any training happens."""
        want = self._expected_input()
        expect = f" (it expects inputs of shape {_fmt_shape(want)})" if want else ""
        if want is not None and (len(want) != x.ndim or any(
                w is not None and w != s for w, s in zip(want[1:], x.shape[1:]))):
            raise ValueError(f"{where}: x of shape {x.shape} does not fit the model{expect}")
        try:
            with self._mode(training=False), no_grad():
                out = self(Tensor(x[:1]))
        except (ValueError, RuntimeError, TypeError, IndexError) as exc:
            raise ValueError(f"{where}: x of shape {x.shape} does not fit the model{expect}: {exc}") from None
        return out._data if isinstance(out, Tensor) else np.asarray(out)

    def _inputs(self, x: Any, where: str) -> np.ndarray:
        """x as an array of the model's float dtype (Keras casts inputs too): a float64 NumPy array
        fed to a float32 model would otherwise turn every activation into float64."""
        with np.errstate(over="ignore"):  # beyond float32's range becomes inf; _prepare then names x
            return _array(x, "x", where).astype(self._dtype(), copy=False)

    def _prepare(self, x: Any, y: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
        """Check and convert one (x, y) pair; returns arrays ready for slicing."""
        cfg = self._compiled
        xa, ya = self._inputs(x, where), _array(y, "y", where)
        if len(xa) != len(ya):
            raise ValueError(f"{where}: x and y must have the same number of samples; received x with "
                             f"{len(xa)} (shape {xa.shape}) and y with {len(ya)} (shape {ya.shape})")
        if len(xa) == 0:
            raise ValueError(f"{where}: x and y are empty (0 samples)")
        _check_finite(xa, "x", where)
        _check_finite(ya, "y", where)
        out = self._probe(xa, where)
        self._bind_optimizer(required=True)  # the probe built any lazily built layer
        with np.errstate(over="ignore"):  # a lazy model knows its dtype only now
            xa = xa.astype(self._dtype(), copy=False)
        _check_finite(xa, f"x (as {xa.dtype})", where)  # numbers beyond float32's range became inf
        ya = self._targets(ya, out, where)
        if cfg.loss_name is None:  # a user's loss: try it once so a mismatch surfaces here
            try:
                with no_grad():
                    cfg.loss_fn(Tensor(out), Tensor(ya[:1]))
            except (ValueError, RuntimeError, TypeError, IndexError) as exc:
                raise ValueError(f"{where}: y of shape {ya.shape} does not fit the loss "
                                 f"{cfg.loss!r} for outputs of shape {(None,) + out.shape[1:]}: {exc}") from None
        return xa, ya

    def _targets(self, ya: np.ndarray, out: np.ndarray, where: str) -> np.ndarray:
        """y in the form the compiled loss takes: int labels (N,) for the sparse loss, else floats of
        the output's shape. A 1-D y for a one-column output becomes a column, as in Keras."""
        name = self._compiled.loss_name
        out_shape = (None,) + out.shape[1:]
        if name == "sparse_categorical_crossentropy":
            labels = ya.reshape(len(ya)) if ya.ndim == 2 and ya.shape[1] == 1 else ya
            ok_values = labels.dtype.kind in "iub" or (labels.dtype.kind == "f" and np.all(labels == np.round(labels)))
            if labels.ndim != 1 or not ok_values:
                raise ValueError(f"{where}: loss 'sparse_categorical_crossentropy' needs integer class labels of "
                                 f"shape (N,); received y of shape {ya.shape} and dtype {ya.dtype}")
            labels = labels.astype(np.int64)
            n_classes = out.shape[-1] if out.ndim >= 2 else 1
            if labels.min() < 0 or labels.max() >= n_classes:
                raise ValueError(f"{where}: labels must lie in [0, {n_classes}) for outputs of shape "
                                 f"{out_shape}; received labels from {labels.min()} to {labels.max()}")
            return labels
        ya = ya.astype(self._dtype(), copy=False) if ya.dtype != self._dtype() else ya
        if name is None:
            return ya
        if ya.ndim == 1 and out.shape[1:] == (1,):
            ya = ya[:, None]
        if ya.shape[1:] != out.shape[1:]:
            hint = ""
            if name == "categorical_crossentropy" and ya.ndim == 1:
                hint = ("; for integer labels use loss='sparse_categorical_crossentropy' or one-hot "
                        "targets from mg.data.one_hot(y)")
            raise ValueError(f"{where}: y of shape {ya.shape} does not fit the model's output of shape "
                             f"{out_shape} for loss {name!r}{hint}")
        return ya

    # -- fit -----------------------------------------------------------------------------------
    def fit(self, x: Any, y: Any, epochs: int = 1, batch_size: int = 32, validation_data: Any = None,
            shuffle: bool = True, verbose: int = 1, seed: int | None = None) -> History:
        """Train for ``epochs`` passes over (x, y) in mini-batches; returns a ``History``.

        x: (N, ...) and y: (N, ...) as NumPy arrays, Tensors or nested lists. Each batch runs
        forward, the compiled loss, ``zero_grad``, ``backward`` and the optimizer's ``step``.
        The epoch's "loss" (and each metric) is the mean over its samples of the per-batch values,
        computed while the weights change (as Keras reports it); "val_loss"/"val_<metric>" are
        computed on ``validation_data=(x_val, y_val)`` after each epoch, in eval mode.

        shuffle: a new sample order each epoch. seed: when given, shuffling and dropout inside this
        call draw from their own ``np.random.default_rng(seed)`` (installed for this thread only),
        so two runs from the same initial weights give identical histories; when None they draw from
        ``mg.manual_seed``'s generator. verbose: 0 silent, 1 a progress bar per epoch (tqdm; one
        line per epoch without tqdm; beyond 100 epochs the bars share one live line and only the
        last one stays on screen), 2 one line per epoch.

        Raises ``ValueError`` (before any training) when x and y differ in length, x does not fit the
        model, y does not fit the loss, or x/y hold NaN/inf; ``NonFiniteLossError`` (a
        ``FloatingPointError`` and a ``ValueError``) naming the epoch and batch when the loss
        becomes NaN/inf — the step that would have spread it into the weights is not taken.
        """
        cfg = self._require_compiled("fit")
        epochs = _count("epochs", epochs, 0)
        batch_size = _count("batch_size", batch_size, 1)
        if verbose == "auto":
            verbose = 1
        if verbose not in (0, 1, 2):
            raise ValueError(f"verbose must be 0, 1 or 2; received verbose={verbose!r}")
        xa, ya = self._prepare(x, y, "fit")
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("fit: validation_data must be a pair (x_val, y_val)")
            val = self._prepare(*validation_data, "fit: validation_data")
        steps = -(-len(xa) // batch_size)
        history = History({"epochs": epochs, "steps": steps, "verbose": verbose})
        bar_factory = _progress_bar() if verbose == 1 else None
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ValueError(f"fit: seed must be None or a non-negative integer; received seed={seed!r}")
        rng = np.random.default_rng(seed) if seed is not None else _random.default_rng()
        seeded = _random.using_rng(rng) if seed is not None else contextlib.nullcontext()
        # a diverging run ends with NonFiniteLossError naming epoch and batch, not NumPy's overflow warnings
        with seeded, self._mode(training=True), np.errstate(over="ignore", invalid="ignore"):
            for epoch in range(epochs):
                t0 = time.perf_counter()
                # up to 100 epochs every bar stays, as in Keras; longer runs keep one live line (and the last bar)
                keep = epochs <= 100 or epoch == epochs - 1
                bar = bar_factory(steps, f"Epoch {epoch + 1}/{epochs}", keep) if bar_factory else None
                logs = self._train_epoch(xa, ya, batch_size, rng if shuffle else None, epoch, bar)
                if val is not None:
                    logs.update(("val_" + k, v) for k, v in self._evaluate(*val, batch_size).items())
                history._append(epoch, logs)
                if verbose:
                    text = " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())
                    if bar is not None:
                        bar.set_postfix_str(text, refresh=False)
                        bar.close()
                    else:
                        print(f"Epoch {epoch + 1}/{epochs} - {time.perf_counter() - t0:.2f}s - {text}",
                              flush=True)
        return history

    def _train_epoch(self, x: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator | None,
                     epoch: int, bar: Any) -> dict[str, float]:
        """One pass over the data. This is the hot path: no checks but the loss's finiteness."""
        cfg = self._compiled
        opt, loss_fn = cfg.optimizer, cfg.loss_fn
        wrap_y = cfg.loss_name != "sparse_categorical_crossentropy"  # int labels stay arrays
        tally, last_draw, n = _Tally(cfg.metrics), time.perf_counter(), len(x)
        for b, (xb, yb) in enumerate(batches(x, y, batch_size, shuffle=rng is not None, rng=rng)):
            start = b * batch_size
            out = self(Tensor(xb))
            loss = loss_fn(out, Tensor(yb) if wrap_y else yb)
            value = float(loss._data)
            if not math.isfinite(value):
                raise NonFiniteLossError(
                    f"fit: the loss became {value} at epoch {epoch + 1}, batch {b + 1} (samples {start} to "
                    f"{start + len(xb) - 1} of this epoch's order); stopped before the update. Try a smaller "
                    f"learning rate, scaled inputs, or a loss that clips probabilities.")
            opt.zero_grad()
            loss.backward()
            opt.step()
            tally.add(value, out._data, yb)
            if bar is not None:
                now = time.perf_counter()
                if now - last_draw >= 0.1 or start + batch_size >= n:  # redraw at most ~10 times a second
                    last_draw = now
                    bar.set_postfix_str(" - ".join(f"{k}: {v:.4f}" for k, v in tally.logs().items()), refresh=False)
                    bar.update(b + 1 - bar.n)
        return tally.logs()

    # -- evaluate / predict --------------------------------------------------------------------
    def evaluate(self, x: Any, y: Any, batch_size: int = 32) -> float | list[float]:
        """The compiled loss on (x, y) in eval mode without a graph, averaged over samples; a list
        ``[loss, *metrics]`` when metrics were compiled (Keras's order)."""
        cfg = self._require_compiled("evaluate")
        batch_size = _count("batch_size", batch_size, 1)
        logs = self._evaluate(*self._prepare(x, y, "evaluate"), batch_size)
        return logs["loss"] if not cfg.metrics else list(logs.values())

    def _evaluate(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> dict[str, float]:
        cfg = self._compiled
        wrap_y = cfg.loss_name != "sparse_categorical_crossentropy"
        tally = _Tally(cfg.metrics)
        with self._mode(training=False), no_grad():
            for start in range(0, len(x), batch_size):
                xb, yb = x[start:start + batch_size], y[start:start + batch_size]
                out = self(Tensor(xb))
                tally.add(float(cfg.loss_fn(out, Tensor(yb) if wrap_y else yb)._data), out._data, yb)
        return tally.logs()

    def predict(self, x: Any, batch_size: int | None = None) -> np.ndarray:
        """The model's outputs for x as a NumPy array, computed in eval mode (dropout off, batch norm
        on running statistics) without recording a graph, in batches of ``batch_size`` (None: 32,
        Keras's default). Needs no ``compile``."""
        batch_size = 32 if batch_size is None else _count("batch_size", batch_size, 1)
        xa = self._inputs(x, "predict")
        with self._mode(training=False), no_grad():
            outs = [self(Tensor(xa[s:s + batch_size]))._data for s in range(0, len(xa), batch_size)]
        if not outs:
            raise ValueError("predict: x is empty (0 samples)")
        return outs[0] if len(outs) == 1 else np.concatenate(outs)

    # -- summary -------------------------------------------------------------------------------
    def summary(self, print_fn: Callable[[str], Any] | None = print) -> str:
        """Print (with ``print_fn``; None prints nothing) and return a Keras-like table:
        Layer (type) | Output Shape | Param #, then total, trainable and non-trainable counts.
        Non-trainable counts buffers such as BatchNorm running statistics and frozen parameters."""
        rows, seen = [], {}
        for layer in self.children():
            base = _snake(type(layer).__name__)
            k = seen.get(base, 0)
            seen[base] = k + 1
            name = base if k == 0 else f"{base}_{k}"
            try:
                n = sum(p.size for p in layer.parameters())
            except (RuntimeError, ValueError, AttributeError) as exc:
                raise ValueError(f"summary: layer {name!r} is not built yet ({exc}); give the first layer its "
                                 f"input size (e.g. input_dim=...) or run the model on data once") from None
            n += sum(_size(b) for _, b in _buffers(layer))
            rows.append((f"{name} ({type(layer).__name__})", _fmt_shape(getattr(layer, "output_shape", None)),
                         f"{n:,}"))
        params = list(self.parameters())
        trainable = sum(p.size for p in params if p.requires_grad)
        frozen = sum(p.size for p in params if not p.requires_grad) + sum(_size(b) for _, b in _buffers(self))
        head = ("Layer (type)", "Output Shape", "Param #")
        w0 = max([29] + [len(r[0]) + 3 for r in rows])  # Keras's column widths, widened to fit
        w1 = max([26] + [len(r[1]) + 3 for r in rows])
        width = max(65, w0 + w1 + 10)
        line = lambda r: f" {r[0]:<{w0 - 1}}{r[1]:<{w1}}{r[2]}".rstrip()  # noqa: E731
        name = getattr(self, "name", None) or _snake(type(self).__name__)
        out = [f'Model: "{name}"', "_" * width, line(head), "=" * width]
        out += [line(r) for r in rows]
        out += ["=" * width, f"Total params: {trainable + frozen:,}", f"Trainable params: {trainable:,}",
                f"Non-trainable params: {frozen:,}", "_" * width]
        text = "\n".join(out)
        if print_fn is not None:
            print_fn(text)
        return text


def _buffers(module: Any) -> list:
    named = getattr(module, "named_buffers", None)
    return list(named()) if callable(named) else []


def _is_unbound(opt: Any) -> bool:
    """True for an optimizer created without parameters (``SGD(lr=0.3)``) that ``compile`` must bind."""
    if not callable(getattr(opt, "bind", None)):
        return False
    flag = getattr(opt, "bound", None)
    if isinstance(flag, bool):
        return not flag
    params = getattr(opt, "params", None)
    return params is None or len(params) == 0


def _progress_bar() -> Callable | None:
    """A factory of per-epoch tqdm bars, or None when tqdm is missing (fit prints lines instead)."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None

    def make(total: int, desc: str, leave: bool = True):
        return tqdm(total=total, desc=desc, unit="batch", leave=leave, file=sys.stdout, mininterval=0.1,
                    dynamic_ncols=True)

    return make
