"""Optimizers: ``Optimizer`` (the loop over parameters) and SGD, Momentum, Adagrad, RMSProp, Adam.

Each optimizer's update is its docstring; ``update(p, g, state)`` is that formula on NumPy arrays.
The base class does the rest of a step, the same for all of them:

    for each parameter p (position i) whose p.grad is not None:
        g = p.grad + weight_decay * p          # L2 penalty, PyTorch's (coupled) weight decay
        state[i]["step"] += 1
        update(p.data, g, state[i])            # in place, in p's dtype
        p._bump_version()                      # so backward() notices a stale graph

Conventions follow PyTorch (``torch.optim``): epsilon outside the square root, Adam bias-corrected.
Each class docstring says where Keras and lecture 04 differ.

``state_dict()`` is flat and holds numbers and arrays only, so ``mg.save`` writes it as ``.npz``:
``{"lr": 0.001, "betas": (0.9, 0.999), ..., "num_params": 2, "state.0.step": 3, "state.0.m": array,
...}`` — the hyperparameters by name, then ``state.<i>.<name>`` for parameter ``i``'s step count and
arrays.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import checks
from ..tensor import Tensor

__all__ = ["Optimizer", "SGD", "Momentum", "Adagrad", "RMSProp", "Adam", "get"]


class _Default(float):
    """A default value that remembers it was not passed, so ``lr=`` and ``learning_rate=`` given
    together can be told apart from ``learning_rate=`` alone. Equal to the float it holds."""

    __slots__ = ()


def _number(owner: str, name: str, value: Any, high: float | None = None) -> float:
    """``value`` as a finite float in ``[0, high)`` (``[0, inf)`` without ``high``)."""
    return checks.number(owner, name, value, low=0.0, high=high, high_open=high is not None)


class Optimizer:
    """Base class: holds the parameters, their per-parameter state, ``lr`` and ``weight_decay``.

    ``params`` is an iterable of Tensors (Parameters) or a Module (anything with ``.parameters()``).
    It may be left out and attached later with ``bind(params)``: this is what
    ``model.compile(optimizer=SGD(lr=0.3))`` does. ``learning_rate=`` is Keras's name for ``lr``.

    A subclass lists its hyperparameters in ``hyperparameters`` and implements
    ``update(p, g, state)``: change the array ``p`` in place from the gradient ``g`` (already
    including weight decay), keeping what it needs between steps in the dict ``state``
    (``state["step"]`` is the number of updates of this parameter, this one included).
    """

    hyperparameters: tuple[str, ...] = ("lr", "weight_decay")
    state_names: tuple[str, ...] = ()  # the per-parameter arrays that update() keeps in state

    def __init__(self, params: Any = None, lr: float = _Default(0.01), weight_decay: float = 0.0, *,
                 learning_rate: float | None = None):
        if learning_rate is not None:
            if not isinstance(lr, _Default):
                raise TypeError(f"{type(self).__name__}: give lr= or learning_rate= (Keras's name for the "
                                f"same setting), not both; "
                                f"Received: lr={lr!r}, learning_rate={learning_rate!r}")
            lr = learning_rate
        self.lr = lr
        self.weight_decay = _number(type(self).__name__, "weight_decay", weight_decay)
        self.params: list[Tensor] | None = None
        self.state: list[dict[str, Any]] = []
        if params is not None:
            self.bind(params)

    # -- lr: a validated, mutable attribute (schedulers and users change it between steps) ---------
    @property
    def lr(self) -> float:
        """The learning rate used by the next ``step()``; may be changed at any time."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _number(type(self).__name__, "lr", value)

    # -- parameters ------------------------------------------------------------------------------
    def bind(self, params: Any) -> "Optimizer":
        """Attach the parameters to optimize (a Module or an iterable of Tensors); returns self.

        Binding again replaces the parameters and forgets all per-parameter state.
        """
        name = type(self).__name__
        what = "an iterable of Tensors or a Module"
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params must be {what} (wrap a single tensor in a list, [t]); "
                            f"Received: a single Tensor of shape {params.shape}")
        if isinstance(params, (int, float)):
            checks.fail(name, "params", params, f"{what}; for the learning rate write lr={params!r} "
                        f"(or learning_rate={params!r})", TypeError)
        if hasattr(params, "parameters") and callable(params.parameters):
            params = params.parameters()
        try:
            plist = list(params)
        except TypeError:
            checks.fail(name, "params", params, what, TypeError)
        seen: dict[int, int] = {}
        for i, p in enumerate(plist):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: params[{i}] must be a Tensor; Received: a {type(p).__name__}")
            if p.dtype.kind != "f":
                raise TypeError(f"{name}: params[{i}] must be a floating tensor (only those can be "
                                f"optimized); Received: dtype {p.dtype}")
            if id(p) in seen:
                raise ValueError(f"{name}: the same tensor appears twice in params, at positions "
                                 f"{seen[id(p)]} and {i}; it would be updated twice per step")
            seen[id(p)] = i
        if not plist:
            checks.fail(name, "params", plist, f"{what} holding at least one tensor (nothing to optimize)")
        self.params = plist
        self.state = [{} for _ in plist]
        return self

    def _bound_params(self, what: str) -> list[Tensor]:
        if self.params is None:
            name = type(self).__name__
            raise RuntimeError(f"{name}.{what}: this optimizer has no parameters yet. Pass them when "
                               f"creating it, {name}(model.parameters(), ...), or attach them with "
                               f".bind(model) (model.compile(optimizer=...) does this).")
        return self.params

    # -- the step ----------------------------------------------------------------------------------
    def zero_grad(self) -> None:
        """Forget every parameter's gradient (sets ``.grad`` to None, as PyTorch does by default)."""
        for p in self._bound_params("zero_grad()"):
            p.grad = None

    @np.errstate(over="ignore", invalid="ignore", divide="ignore")  # (divide: eps=0 and g=0)
    def step(self) -> None:
        """Update every parameter that has a gradient, in place (see the module docstring).

        Overflow to inf and NaN from inf gradients happen silently, as in PyTorch (``fit`` stops on a
        non-finite loss)."""
        for i, p in enumerate(self._bound_params("step()")):
            if p.grad is not None:
                self._step_param(i, p)

    def _step_param(self, i: int, p: Tensor) -> None:
        """One parameter's part of ``step()``: check its gradient, add weight decay, count, update."""
        name = type(self).__name__
        data = p.data
        try:  # the arithmetic stays in the parameter's dtype
            g = np.asarray(p.grad, dtype=data.dtype)
        except (TypeError, ValueError):
            raise TypeError(f"{name}.step(): params[{i}].grad must be a numeric array; "
                            f"Received: {type(p.grad).__name__} {p.grad!r:.60}") from None
        if g.shape != data.shape:
            raise ValueError(f"{name}.step(): params[{i}].grad must have the parameter's shape "
                             f"{data.shape}; Received: grad of shape {g.shape}")
        if self.weight_decay:
            g = g + self.weight_decay * data  # a new array: p.grad itself is never changed
        state = self.state[i]
        state["step"] = state.get("step", 0) + 1
        self.update(data, g, state)
        p._bump_version()

    def update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        """Change the parameter's array ``p`` in place from gradient ``g`` (do not modify ``g``);
        ``state`` is this parameter's dict, kept between steps."""
        raise NotImplementedError(f"{type(self).__name__} must implement update(p, g, state)")

    # -- checkpoints -------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume, as a flat dict of numbers and arrays (copies).

        ``{"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0.0, "num_params": 2,
        "state.0.step": 3, "state.0.m": array, "state.0.v": array, ...}``: no strings or objects, so
        ``mg.save(opt.state_dict(), path)`` writes it as ``.npz``, and ``load_state_dict`` takes back
        what ``mg.load`` returns (numbers as 0-d arrays).
        """
        out: dict[str, Any] = {h: getattr(self, h) for h in self.hyperparameters}
        if self.params is not None:
            out["num_params"] = len(self.params)
            for i, st in enumerate(self.state):
                for k, v in st.items():
                    out[f"state.{i}.{k}"] = int(v) if k == "step" else np.array(v)
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and per-parameter state saved by ``state_dict()``.

        Checks the keys (another optimizer's state is refused), the number of parameters and every
        array's shape before changing anything; raises ValueError naming what does not match.
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict):
            checks.fail(name, "state_dict", state_dict, "the dict made by state_dict() (or mg.load of its "
                        "file)", TypeError)
        sd = dict(state_dict)
        saved_type = sd.pop("optimizer", None)  # written by older versions; not an array, so no longer saved
        if saved_type is not None and str(saved_type) != type(self).__name__:
            raise ValueError(f"{name}: the state was saved from a {saved_type} optimizer")
        missing = [h for h in self.hyperparameters if h not in sd]
        hyper = {h: sd.pop(h) for h in self.hyperparameters if h in sd}
        num_params = sd.pop("num_params", None)
        unexpected = [k for k in sd if not k.startswith("state.")]
        if missing or unexpected:
            found = (f"missing hyperparameter(s) {', '.join(missing)}" if missing else "") + \
                ("; " if missing and unexpected else "") + \
                (f"unexpected key(s) {', '.join(map(repr, unexpected))}" if unexpected else "")
            raise ValueError(f"{name}: {found} (is it the state of another optimizer?)")
        new_state = self._parameter_state(name, num_params, sd) if num_params is not None or sd else None
        old = {h: getattr(self, h) for h in self.hyperparameters}
        try:
            for h, v in hyper.items():
                try:
                    setattr(self, h, _like(old[h], v))
                except (TypeError, ValueError):
                    raise ValueError(f"{name}: {h} must be like {old[h]!r}; Received: {h}={v!r}") from None
            self._validate()
        except (TypeError, ValueError):
            for h, v in old.items():
                setattr(self, h, v)
            raise
        if self.params is not None:
            self.state = new_state if new_state is not None else [{} for _ in self.params]

    def _parameter_state(self, name: str, num_params: Any, sd: dict[str, Any]) -> list[dict[str, Any]]:
        """The per-parameter state from the ``state.<i>.<name>`` entries of ``sd``, checked and copied."""
        params = self._bound_params("load_state_dict()")
        if num_params is not None and _as_int(num_params) != len(params):
            raise ValueError(f"{name}: the state is for {num_params} parameters; this optimizer has "
                             f"{len(params)}")
        new_state: list[dict[str, Any]] = [{} for _ in params]
        problems = []
        for key, value in sd.items():
            parts = key.split(".")
            if (len(parts) != 3 or not parts[1].isdigit() or int(parts[1]) >= len(params)
                    or parts[2] not in ("step",) + self.state_names):
                problems.append(f"unexpected key {key!r}")
                continue
            i, k = int(parts[1]), parts[2]
            if k == "step":
                step = _as_int(value)
                if step is None or step < 1:
                    problems.append(f"{key} must be a positive integer; Received: {key}={value!r}")
                else:
                    new_state[i][k] = step
                continue
            arr = np.asarray(value)
            if arr.dtype.kind not in "biuf":
                problems.append(f"{key} must be a numeric array; Received: dtype {arr.dtype}")
            elif arr.shape != params[i].shape:
                problems.append(f"{key} has shape {arr.shape} but params[{i}] has shape {params[i].shape}")
            else:
                new_state[i][k] = np.array(arr, dtype=params[i].dtype)  # a private copy in the param's dtype
        if problems:
            raise ValueError(f"{name}: " + "; ".join(problems))
        return new_state

    def _validate(self) -> None:
        """Check the hyperparameters (subclasses add theirs); raises ValueError naming a bad value."""
        self.lr = self.lr
        self.weight_decay = _number(type(self).__name__, "weight_decay", self.weight_decay)

    def __repr__(self) -> str:
        hp = ", ".join(f"{h}={getattr(self, h)!r}" for h in self.hyperparameters)
        bound = "unbound" if self.params is None else f"{len(self.params)} params"
        return f"{type(self).__name__}({hp}; {bound})"


def _as_int(value: Any) -> int | None:
    """A whole number (int, or a 0-d integer array from ``mg.load``) as an int, else None."""
    arr = np.asarray(value)
    return int(arr) if arr.ndim == 0 and arr.dtype.kind in "iu" else None


def _like(current: Any, value: Any) -> Any:
    """Convert a loaded value (maybe a 0-d or 1-d array from .npz) to the type of the current one."""
    if isinstance(current, bool):
        return bool(value)
    if isinstance(current, tuple):
        return tuple(float(x) for x in np.ravel(value))
    return float(value)


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (PyTorch's ``torch.optim.SGD``).

        b = momentum*b + g        (b = g on the first step)
        p -= lr*b                 nesterov:  p -= lr*(g + momentum*b)

    Keras writes the same thing as a velocity that already holds the learning rate,
    ``v = momentum*v - lr*g; p += v`` — identical while ``lr`` is constant. Keras's ``weight_decay``
    is decoupled (``p -= lr*wd*p``); here, as in PyTorch, ``wd*p`` is added to the gradient.
    """

    hyperparameters = ("lr", "momentum", "nesterov", "weight_decay")
    state_names = ("momentum_buffer",)

    def __init__(self, params: Any = None, lr: float = _Default(0.01), momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0, *, learning_rate: float | None = None):
        super().__init__(params, lr, weight_decay, learning_rate=learning_rate)
        self.momentum = momentum
        self.nesterov = checks.boolean("SGD", "nesterov", nesterov)
        self._validate()

    def _validate(self) -> None:
        super()._validate()
        self.momentum = _number("SGD", "momentum", self.momentum)
        self.nesterov = checks.boolean("SGD", "nesterov", self.nesterov)
        if self.nesterov and self.momentum == 0:
            checks.fail("SGD", "momentum", self.momentum, "> 0 when nesterov=True")

    def update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        if self.momentum:
            b = state.get("momentum_buffer")
            state["momentum_buffer"] = b = g.copy() if b is None else self.momentum * b + g
            g = g + self.momentum * b if self.nesterov else b
        p -= self.lr * g


class Momentum(Optimizer):
    """Momentum as lecture 04 writes it: an exponential moving average of the gradients.

        m = beta*m + (1-beta)*g   (m starts at 0)
        p -= lr*m

    This differs from ``SGD(momentum=beta)``, which sums ``b = beta*b + g`` (no ``1-beta``), so its
    steps are ``1/(1-beta)`` times larger once they settle. Keras has no such class.
    """

    hyperparameters = ("lr", "beta", "weight_decay")
    state_names = ("m",)

    def __init__(self, params: Any = None, lr: float = _Default(0.01), beta: float = 0.9,
                 weight_decay: float = 0.0, *, learning_rate: float | None = None):
        super().__init__(params, lr, weight_decay, learning_rate=learning_rate)
        self.beta = beta
        self._validate()

    def _validate(self) -> None:
        super()._validate()
        self.beta = _number("Momentum", "beta", self.beta, high=1.0)

    def update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        state["m"] = m = self.beta * state.get("m", 0.0) + (1 - self.beta) * g
        p -= self.lr * m


class Adagrad(Optimizer):
    """Adagrad: each element's step shrinks with the sum of its squared gradients.

        s += g²                   (s starts at initial_accumulator_value)
        p -= lr*g / (sqrt(s) + eps)

    This is ``torch.optim.Adagrad`` (eps outside the root). Lecture 04 and Keras put eps inside,
    ``p -= lr*g / sqrt(s + eps)``; Keras's defaults are lr=0.001, initial_accumulator_value=0.1,
    epsilon=1e-7.
    """

    hyperparameters = ("lr", "eps", "initial_accumulator_value", "weight_decay")
    state_names = ("sum",)

    def __init__(self, params: Any = None, lr: float = _Default(0.01), eps: float = 1e-10,
                 initial_accumulator_value: float = 0.0, weight_decay: float = 0.0, *,
                 learning_rate: float | None = None):
        super().__init__(params, lr, weight_decay, learning_rate=learning_rate)
        self.eps = eps
        self.initial_accumulator_value = initial_accumulator_value
        self._validate()

    def _validate(self) -> None:
        super()._validate()
        self.eps = _number("Adagrad", "eps", self.eps)
        self.initial_accumulator_value = _number("Adagrad", "initial_accumulator_value",
                                                 self.initial_accumulator_value)

    def update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        state["sum"] = s = state.get("sum", self.initial_accumulator_value) + g * g
        p -= self.lr * g / (np.sqrt(s) + self.eps)


class RMSProp(Optimizer):
    """RMSProp: Adagrad with a moving average of squared gradients instead of a sum.

        v = rho*v + (1-rho)*g²    (v starts at 0)
        p -= lr*g / (sqrt(v) + eps)

    This is ``torch.optim.RMSprop`` (which calls rho ``alpha``; defaults lr=0.01, rho=0.99, eps
    outside the root). Keras's ``RMSprop`` defaults to lr=0.001, rho=0.9, epsilon=1e-7 and, like
    lecture 04, puts epsilon inside the root: ``p -= lr*g / sqrt(v + eps)``.
    """

    hyperparameters = ("lr", "rho", "eps", "weight_decay")
    state_names = ("v",)

    def __init__(self, params: Any = None, lr: float = _Default(0.01), rho: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, *, learning_rate: float | None = None):
        super().__init__(params, lr, weight_decay, learning_rate=learning_rate)
        self.rho = rho
        self.eps = eps
        self._validate()

    def _validate(self) -> None:
        super()._validate()
        self.rho = _number("RMSProp", "rho", self.rho, high=1.0)
        self.eps = _number("RMSProp", "eps", self.eps)

    def update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        state["v"] = v = self.rho * state.get("v", 0.0) + (1 - self.rho) * g * g
        p -= self.lr * g / (np.sqrt(v) + self.eps)


class Adam(Optimizer):
    """Adam: momentum on g and RMSProp on g², both bias-corrected (``torch.optim.Adam``).

        m = b1*m + (1-b1)*g;   v = b2*v + (1-b2)*g²        (m, v start at 0; t = step number)
        m̂ = m/(1-b1ᵗ);   v̂ = v/(1-b2ᵗ);   p -= lr*m̂ / (sqrt(v̂) + eps)

    Keras's ``Adam`` (default epsilon=1e-7) uses "epsilon hat": ``p -= lr*sqrt(1-b2ᵗ)/(1-b1ᵗ) * m /
    (sqrt(v) + eps)``, the same as here with eps scaled by ``sqrt(1-b2ᵗ)``. Lecture 04 shows Adam
    without bias correction and with eps inside the root.
    """

    hyperparameters = ("lr", "betas", "eps", "weight_decay")
    state_names = ("m", "v")

    def __init__(self, params: Any = None, lr: float = _Default(0.001),
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0, *,
                 learning_rate: float | None = None):
        super().__init__(params, lr, weight_decay, learning_rate=learning_rate)
        self.betas = betas
        self.eps = eps
        self._validate()

    def _validate(self) -> None:
        super()._validate()
        if isinstance(self.betas, (str, bytes)) or not hasattr(self.betas, "__len__") or len(self.betas) != 2:
            checks.fail("Adam", "betas", self.betas, "a pair (beta1, beta2) of numbers in [0, 1)")
        b1, b2 = self.betas
        self.betas = (_number("Adam", "betas[0]", b1, high=1.0), _number("Adam", "betas[1]", b2, high=1.0))
        self.eps = _number("Adam", "eps", self.eps)

    def update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        b1, b2 = self.betas
        t = state["step"]
        state["m"] = m = b1 * state.get("m", 0.0) + (1 - b1) * g
        state["v"] = v = b2 * state.get("v", 0.0) + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


# Keras names, each with Keras's default learning rate
_KERAS_NAMES: dict[str, tuple[type[Optimizer], float]] = {
    "sgd": (SGD, 0.01),
    "momentum": (Momentum, 0.01),
    "adagrad": (Adagrad, 0.001),
    "rmsprop": (RMSProp, 0.001),
    "adam": (Adam, 0.001),
}


def get(identifier: Any) -> Optimizer:
    """An optimizer from a Keras name or an Optimizer instance (returned as is).

    Names are case-insensitive, so Keras's class names work too: ``get("adam")`` and ``get("Adam")``
    are an unbound ``Adam(lr=0.001)``. The names are ``sgd`` and ``momentum`` (lr 0.01) and ``adagrad``,
    ``rmsprop``, ``adam`` (lr 0.001, Keras's defaults); other hyperparameters keep this module's
    (PyTorch's) defaults. An unknown name raises ``ValueError``, anything else ``TypeError``.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    names = ", ".join(repr(n) for n in _KERAS_NAMES)
    if isinstance(identifier, str):
        if identifier.lower() not in _KERAS_NAMES:
            checks.fail("optim.get", "optimizer", identifier, f"an optimizer name ({names}, any case)")
        cls, lr = _KERAS_NAMES[identifier.lower()]
        return cls(lr=lr)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        checks.fail("optim.get", "optimizer", identifier, f"an optimizer object, {identifier.__name__}(), "
                    f"not the class, or a name ({names})", TypeError)
    checks.fail("optim.get", "optimizer", identifier, f"an Optimizer object or a name ({names})", TypeError)
