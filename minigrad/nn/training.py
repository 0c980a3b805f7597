"""Keras-style training for models: compile / fit / evaluate / predict / summary.

The lectures train with Keras::

    model.compile(optimizer=SGD(lr=0.3), loss="mse")
    history = model.fit(x, y, epochs=400, batch_size=1)
    model.predict(x); model.summary(); model.weights

``Model`` is a mixin that gives any ``Module`` (``Sequential`` inherits it) that same API on top
of the autograd loop ``out = model(x); loss = loss_fn(out, y); opt.zero_grad(); loss.backward();
opt.step()``. ``fit`` adds only what Keras adds: batching, shuffling, running averages for the
log, validation, and checks of the whole data set before the first batch (``inputs.py``). Names
of losses, metrics and optimizers are in ``keras_names.py``, ``History`` in ``history.py``, the
progress output in ``progress.py`` and the summary's table in ``describe.py``.
"""
from __future__ import annotations

import contextlib
import math
import time
import warnings
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from .. import checks
from .. import random as _random
from ..autograd import no_grad
from ..tensor import Tensor
from . import inputs as _in
from .describe import summary_lines
from .history import History, Tally
from .keras_names import SPARSE_LOSS, logits_loss, loss_by_name, metric_by_name, optimizer_by_name
from .progress import Progress

__all__ = ["Model", "History", "NonFiniteLossError"]


class NonFiniteLossError(FloatingPointError, ValueError):
    """``fit`` stopped because the loss became NaN or inf. A ``FloatingPointError`` (as in
    ``mg.detect_anomaly``) that is also a ``ValueError``, so either ``except`` catches it."""


class _Compiled:
    """What ``compile`` chose. Kept in one plain object so that Module's attribute scan does not
    register a loss Module or the optimizer's parameter list as parts of the model."""

    def __init__(self, optimizer: Any, loss: Any, loss_fn: Callable, loss_name: str | None,
                 metrics: list[tuple[str, Callable]], jit_compile: bool = False):
        self.optimizer, self.loss, self.loss_fn, self.loss_name = optimizer, loss, loss_fn, loss_name
        self.metrics = metrics
        self.bind_pending = _is_unbound(optimizer)  # compile binds the model's parameters (now or at fit)
        self.jit_compile = jit_compile
        self.steps: dict[str, Callable] = {}  # "train", "eval", "predict": the step functions, made once


class Model:
    """Mixin that gives a Module the Keras training API. ``Sequential`` inherits it.

    It relies only on the Module API: ``__call__``, ``parameters()``, ``named_buffers()``,
    ``modules()``, ``children()``, ``train()`` and ``training``.
    """

    history: History | None = None  # the latest fit's History, kept up to date epoch by epoch

    if TYPE_CHECKING:  # what the mixin uses of Module
        def __call__(self, *args: Any) -> Any: ...
        def parameters(self) -> list: ...
        def modules(self) -> list: ...

    # -- compile -------------------------------------------------------------------------------
    def compile(self, optimizer: Any, loss: Any, metrics: Sequence[str] | None = None,
                jit_compile: bool = False) -> None:
        """Choose the optimizer, the loss and the metrics that ``fit``/``evaluate`` report.

        optimizer: an optimizer object, bound to this model's parameters or not (``mg.optim.SGD(lr=0.3)``:
            the model's parameters are bound here), or a Keras name ("sgd", "adam", "Adam", … built by
            ``mg.optim.get`` with Keras's default learning rate). An optimizer that holds another
            model's parameters is refused (it would train nothing here).
        loss: a Keras name or class name, any case — "mse"/"MeanSquaredError", "mae", "binary_crossentropy"
            (on probabilities), "categorical_crossentropy" (on probabilities, one-hot targets),
            "sparse_categorical_crossentropy" (on probabilities, integer labels) — or any callable
            ``loss(pred, target) -> scalar Tensor`` (``mg.nn.CrossEntropyLoss()``, a function…).
        metrics: names among "accuracy"/"acc" (argmax match for multi-column outputs, threshold
            0.5 for one column), "binary_accuracy", "mse", "mae", or Keras class names.
        jit_compile: True makes ``fit``, ``evaluate`` and ``predict`` run compiled steps (``mg.jit``):
            each batch shape is recorded once and replayed after, with the same results. A step that
            cannot be traced (see ``minigrad/compiled.py``) runs eagerly, with a warning saying why.

        With a softmax output layer, "categorical_crossentropy" and "sparse_categorical_crossentropy"
        are computed on the logits under the softmax (one fused op, as Keras does).
        """
        if isinstance(loss, str):
            loss_name, loss_fn = loss_by_name(loss)
        elif callable(loss) and not isinstance(loss, type):
            loss_fn, loss_name = loss, None
        else:
            checks.fail("compile", "loss", loss, "a Keras loss name or a callable loss(pred, target) such as "
                        "mg.nn.CrossEntropyLoss()", TypeError)
        if isinstance(metrics, str):
            metrics = [metrics]
        elif metrics is not None and not isinstance(metrics, (list, tuple)):
            checks.fail("compile", "metrics", metrics, "a list of metric names, e.g. metrics=['accuracy']",
                        TypeError)
        chosen = [metric_by_name(m) for m in metrics or ()]
        optimizer = optimizer_by_name(optimizer)
        jit_compile = checks.boolean("compile", "jit_compile", jit_compile)
        self._compiled = _Compiled(optimizer, loss, loss_fn, loss_name, chosen, jit_compile)
        if _built(self):
            self._bind_optimizer("compile")

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

    def _bind_optimizer(self, where: str) -> None:
        """Hand the model's parameters to an optimizer compiled without them (a model whose layers
        build on their first call has none before ``fit``), then check that the optimizer holds this
        model's parameters only."""
        cfg = self._compiled
        if cfg.bind_pending and _is_unbound(cfg.optimizer):
            cfg.optimizer.bind(list(self.parameters()))
        cfg.bind_pending = False
        _in.check_optimizer(self, cfg.optimizer, where)

    def _require_compiled(self, where: str) -> _Compiled:
        cfg = getattr(self, "_compiled", None)
        if cfg is None:
            raise RuntimeError(f"{where}: the model must be compiled first, e.g. "
                               f"model.compile(optimizer=mg.optim.SGD(lr=0.3), loss='mse')")
        return cfg

    def _prepare(self, x: Any, y: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
        """Check and convert one (x, y) pair (see ``inputs.py``); returns arrays ready for slicing."""
        cfg = self._compiled
        xa, ya = _in.as_array(x, "x", where), _in.as_array(y, "y", where)
        _in.check_input_shape(self, xa, where)
        if len(xa) != len(ya):
            raise ValueError(f"{where}: x and y must have the same number of samples; received x with "
                             f"{len(xa)} (shape {xa.shape}) and y with {len(ya)} (shape {ya.shape})")
        if len(xa) == 0:
            raise ValueError(f"{where}: x and y are empty (0 samples)")
        _in.check_finite(xa, "x", where)
        _in.check_finite(ya, "y", where)
        first = _in.model_dtype(self)
        with np.errstate(all="ignore"):  # beyond float32's range becomes inf: named below
            cast = xa.astype(first, copy=False)
            out = _in.probe(self, cast, where)
        self._bind_optimizer(where)  # the probe built any lazily built layer
        dtype = _in.model_dtype(self)  # a lazy model knows its dtype only now
        if dtype != first:
            with np.errstate(over="ignore"):
                cast = xa.astype(dtype, copy=False)
        if cast is not xa:  # (x itself was checked above)
            _in.check_finite(cast, f"x (as {cast.dtype})", where)  # numbers beyond float32's range became inf
        xa = cast
        ya = _in.targets(ya, out, cfg.loss_name, cfg.loss, dtype, where)
        if cfg.loss_name is None:
            _in.check_loss(cfg.loss_fn, cfg.loss, out, ya, where)
        return xa, ya

    # -- fit -----------------------------------------------------------------------------------
    def fit(self, x: Any, y: Any, epochs: int = 1, batch_size: int = 32, validation_data: Any = None,
            shuffle: bool = True, verbose: int | str = 1, seed: int | None = None) -> History:
        """Train for ``epochs`` passes over (x, y) in mini-batches; returns a ``History``.

        x: (N, ...) and y: (N, ...) as NumPy arrays, Tensors or nested lists. Each batch runs
        forward, the compiled loss, ``zero_grad``, ``backward`` and the optimizer's ``step``.
        The epoch's "loss" (and each metric) is the mean over its samples of the per-batch values,
        computed while the weights change (as Keras reports it); "val_loss"/"val_<metric>" are
        computed on ``validation_data=(x_val, y_val)`` after each epoch, in eval mode. The History
        is also ``model.history``, filled as epochs finish: after an error or Ctrl-C it holds the
        finished epochs.

        shuffle: a new sample order each epoch. seed: when given, shuffling and dropout inside this
        call draw from their own ``np.random.default_rng(seed)`` (installed for this thread only),
        so two runs from the same initial weights give identical histories; when None they draw from
        ``mg.manual_seed``'s generator. verbose ("auto" is 1): 0 silent, 1 a live progress bar on a
        terminal or in Jupyter and plain lines in a log, 2 one line per epoch (see ``progress.py``).
        A model with BatchNorm never trains on a batch of one sample: a last batch of one joins the
        batch before it.

        Raises ``ValueError`` (before any training) when x and y differ in length, x does not fit the
        model, y does not fit the loss, x/y hold NaN/inf, or the optimizer holds another model's
        parameters; ``NonFiniteLossError`` (a ``FloatingPointError`` and a ``ValueError``) naming
        the epoch and batch when the loss becomes NaN/inf — the step that would have spread it into
        the weights is not taken.
        """
        self._require_compiled("fit")
        epochs = checks.integer("fit", "epochs", epochs, low=0)
        batch_size = checks.integer("fit", "batch_size", batch_size, low=1)
        verbose = 1 if verbose == "auto" else verbose
        if isinstance(verbose, bool) or verbose not in (0, 1, 2):
            checks.fail("fit", "verbose", verbose, "0, 1, 2 or 'auto'")
        seed = checks.integer("fit", "seed", seed, low=0, allow_none=True)
        xa, ya = self._prepare(x, y, "fit")
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                checks.fail("fit", "validation_data", validation_data, "a pair (x_val, y_val)")
            val = self._prepare(validation_data[0], validation_data[1], "fit: validation_data")
        bounds = _in.batch_bounds(self, len(xa), batch_size, "fit")
        self.history = history = History({"epochs": epochs, "steps": len(bounds) - 1, "verbose": verbose})
        progress = Progress(epochs, len(bounds) - 1, verbose)
        rng = np.random.default_rng(seed) if seed is not None else _random.default_rng()
        seeded = _random.using_rng(rng) if seed is not None else contextlib.nullcontext()
        # a diverging run ends with NonFiniteLossError naming epoch and batch, not NumPy's overflow warnings
        try:
            with seeded, _in.eval_mode(self, training=True), np.errstate(over="ignore", invalid="ignore"):
                for epoch in range(epochs):
                    t0 = time.perf_counter()
                    logs = self._train_epoch(xa, ya, bounds, rng if shuffle else None, epoch, progress)
                    if val is not None:
                        logs.update(("val_" + k, v) for k, v in self._evaluate(*val, batch_size).items())
                    history._append(epoch, logs)
                    progress.end_epoch(epoch, logs, time.perf_counter() - t0)
        finally:
            progress.close()
        return history

    def _train_epoch(self, x: np.ndarray, y: np.ndarray, bounds: list[int], rng: np.random.Generator | None,
                     epoch: int, progress: Progress) -> dict[str, float]:
        """One pass over the data in the batches ``bounds`` gives. This is the hot path: no checks
        but the loss's finiteness."""
        cfg = self._compiled
        step, update = self._step("train"), self._step("update")
        wrap_y = cfg.loss_name != SPARSE_LOSS  # int labels stay arrays
        if rng is not None:  # the draw mg.data.batches makes, so fit follows a hand-written loop
            order = rng.permutation(len(x))
            x, y = x[order], y[order]
        tally = Tally(cfg.metrics)
        for b in range(len(bounds) - 1):
            start, stop = bounds[b], bounds[b + 1]
            xb, yb = x[start:stop], y[start:stop]
            loss, out = step(Tensor(xb), Tensor(yb) if wrap_y else yb)  # forward, loss, zero_grad, backward
            value = loss.item()
            if not math.isfinite(value):
                raise NonFiniteLossError(
                    f"fit: the loss became {value} at epoch {epoch + 1}, batch {b + 1} (samples {start} to "
                    f"{stop - 1} of this epoch's order); stopped before the update. Try a smaller learning "
                    f"rate, scaled inputs, or a loss that clips probabilities.")
            update()  # opt.step()
            tally.add(value, out.data, yb)
            if progress.live:
                progress.batch(b + 1, tally.logs)
        return tally.logs()

    # -- evaluate / predict --------------------------------------------------------------------
    def evaluate(self, x: Any, y: Any, batch_size: int = 32) -> float | list[float]:
        """The compiled loss on (x, y) in eval mode without a graph, averaged over samples; a list
        ``[loss, *metrics]`` when metrics were compiled (Keras's order)."""
        cfg = self._require_compiled("evaluate")
        batch_size = checks.integer("evaluate", "batch_size", batch_size, low=1)
        logs = self._evaluate(*self._prepare(x, y, "evaluate"), batch_size)
        return logs["loss"] if not cfg.metrics else list(logs.values())

    def _evaluate(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> dict[str, float]:
        cfg = self._compiled
        wrap_y = cfg.loss_name != SPARSE_LOSS
        step = self._step("eval")
        tally = Tally(cfg.metrics)
        with _in.eval_mode(self), no_grad():
            for start in range(0, len(x), batch_size):
                xb, yb = x[start:start + batch_size], y[start:start + batch_size]
                loss, out = step(Tensor(xb), Tensor(yb) if wrap_y else yb)
                tally.add(loss.item(), out.data, yb)
        return tally.logs()

    def predict(self, x: Any, batch_size: int | None = None) -> np.ndarray:
        """The model's outputs for x as a NumPy array, computed in eval mode (dropout off, batch norm
        on running statistics) without recording a graph, in batches of ``batch_size`` (None: 32,
        Keras's default). Needs no ``compile``. x must have the model's input rank: one sample of a
        model built for (N, d) is ``x.reshape(1, -1)``."""
        batch_size = checks.integer("predict", "batch_size", 32 if batch_size is None else batch_size, low=1)
        xa = _in.inputs(self, x, "predict")
        if len(xa) == 0:
            raise ValueError("predict: x is empty (0 samples)")
        cfg = getattr(self, "_compiled", None)
        step = self._step("predict") if cfg is not None else self
        with _in.eval_mode(self), no_grad():
            outs = [step(Tensor(xa[s:s + batch_size])).data for s in range(0, len(xa), batch_size)]
        return outs[0] if len(outs) == 1 else np.concatenate(outs)

    # -- the step functions (compiled with mg.jit when compile(jit_compile=True)) ---------------
    def _step(self, kind: str) -> Callable:
        """The function fit ("train": forward, loss, zero_grad, backward -> (loss, output); "update":
        the optimizer's step once the loss is known to be finite), evaluate ("eval": -> (loss, output))
        or predict ("predict": -> output) runs per batch, made once per compile: ``mg.jit`` of it under
        ``jit_compile=True``. The output is the softmax's for metrics when the loss is taken on the
        logits under it (``logits_loss``)."""
        cfg = self._compiled
        if kind in cfg.steps:
            return cfg.steps[kind]
        head = _softmax_head(self)
        fused = logits_loss(cfg.loss_name) if head is not None else None
        loss_fn, opt, metrics = cfg.loss_fn, cfg.optimizer, bool(cfg.metrics)

        def forward(x: Tensor, y: Any) -> tuple:
            if fused is None:
                out = self(x)
                return loss_fn(out, y), out
            logits = head(x)  # type: ignore[misc]
            loss = fused(logits, y)
            if metrics:  # (the loss alone needs no softmax)
                with no_grad():
                    return loss, logits.softmax(axis=-1)
            return loss, logits

        def train(x: Tensor, y: Any) -> tuple:
            loss, out = forward(x, y)
            opt.zero_grad()
            loss.backward()
            return loss, out

        def update() -> None:
            opt.step()  # (looked up at each call: mg.jit's recording hooks Optimizer.step)

        steps: dict[str, Callable] = {"train": train, "update": update, "eval": forward,  # type: ignore[dict-item]
                                      "predict": self}
        fn = steps[kind]
        cfg.steps[kind] = _jitted(fn, kind, self) if cfg.jit_compile else fn
        return cfg.steps[kind]

    # -- summary -------------------------------------------------------------------------------
    def summary(self, print_fn: Callable[[str], Any] | None = None) -> None:
        """Print a Keras-like table — Layer (type) | Output Shape | Param #, then total, trainable and
        non-trainable counts — and return None, as Keras does. ``print_fn(line)`` is called for each
        line instead of ``print`` when given. Non-trainable counts buffers such as BatchNorm's running
        statistics and frozen parameters."""
        emit = print if print_fn is None else print_fn
        for line in summary_lines(self):
            emit(line)


def _jitted(fn: Callable, kind: str, model: Any) -> Callable:
    """``mg.jit(fn)``, falling back to ``fn`` (with a warning naming the reason) when a batch cannot
    be traced; that batch is then computed eagerly from the state before the failed recording (the
    model's buffers and the random generator are put back: the recording ran part of the step)."""
    from ..compiled import JitError, jit

    compiled = jit(fn)
    state: dict[str, Callable] = {"step": compiled}

    def step(*args: Any) -> Any:
        if state["step"] is fn:
            return fn(*args)
        saved = _buffers_and_rng(model) if compiled.recordings == 0 else None
        try:
            return compiled(*args)
        except JitError as exc:
            warnings.warn(f"jit_compile=True: the {kind} step cannot be compiled and runs eagerly: {exc}",
                          RuntimeWarning, stacklevel=4)
            state["step"] = fn
            if saved is not None:
                saved()
            return fn(*args)

    step.compiled = compiled  # type: ignore[attr-defined]
    return step


def _buffers_and_rng(model: Any) -> Callable[[], None]:
    """A function that puts the model's buffers (BatchNorm's running statistics) and the default random
    generator back as they are now."""
    rng = _random.default_rng()
    rng_state = rng.bit_generator.state
    buffers = [(m, n, getattr(m, n)) for m in model.modules() for n in vars(m).get("_buffer_names", ())]

    def restore() -> None:
        rng.bit_generator.state = rng_state
        for m, n, value in buffers:
            setattr(m, n, value)

    return restore


def _softmax_head(model: Any) -> Callable | None:
    """``logits(x)`` for a Sequential whose last layer is a softmax over the last axis (a Dense with
    activation "softmax", a Softmax or an Activation("softmax") layer): the model's output before
    that softmax. None for any other model."""
    from .functional import ACTIVATIONS, linear
    from .layers import Activation, Dense, Softmax

    layers = list(getattr(model, "layers", ()) or ())
    if not layers:
        return None
    last, softmax = layers[-1], ACTIVATIONS["softmax"]
    if isinstance(last, Dense) and last.activation is softmax:
        def logits(x: Tensor) -> Tensor:
            last.activation = linear  # Dense's own forward, without its activation
            try:
                return model(x)
            finally:
                last.activation = softmax

        return logits
    if (isinstance(last, Softmax) and last.axis == -1) or (isinstance(last, Activation)
                                                           and last.activation is softmax):
        def before(x: Tensor) -> Tensor:
            for layer in layers[:-1]:
                x = layer(x)
            return x

        return before
    return None


def _built(model: Any) -> bool:
    """True when the model's parameters can be listed (every layer is built)."""
    try:
        model.parameters()
    except (RuntimeError, ValueError, AttributeError):
        return False
    return True


def _is_unbound(opt: Any) -> bool:
    """True for an optimizer created without parameters (``SGD(lr=0.3)``) that ``compile`` must bind."""
    return callable(getattr(opt, "bind", None)) and not getattr(opt, "params", None)
