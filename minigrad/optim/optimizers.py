"""Optimizers: ``Optimizer`` (the loop over parameters) and SGD, Momentum, Adagrad, RMSProp, Adam.

Each optimizer's update is its docstring; ``update(p, g, state)`` is that formula on NumPy arrays.
The base class does the rest of a step, the same for all of them:

    for each parameter p (position i) whose p.grad is not None:
        g = p.grad + weight_decay * p          # L2 penalty, PyTorch's (coupled) weight decay
        state[i]["step"] += 1
        update(p.data, g, state[i])            # in place, in p's dtype
        bump_version(p)                        # so backward() notices a stale graph

Conventions follow PyTorch (``torch.optim``): epsilon outside the square root, Adam bias-corrected.
Each class docstring says where Keras and lecture 04 differ.
"""
from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

from ..autograd import bump_version, const
from ..tensor import Tensor

__all__ = ["Optimizer", "SGD", "Momentum", "Adagrad", "RMSProp", "Adam", "get"]


class _Default(float):
    """A default value that remembers it was not passed, so ``lr=`` and ``learning_rate=`` given
    together can be told apart from ``learning_rate=`` alone. Equal to the float it holds."""

    __slots__ = ()


def _check_range(owner: str, name: str, value: Any, low: float, high: float | None = None) -> float:
    """``value`` as a finite float in ``[low, high)`` (``[low, inf)`` without ``high``), else a
    TypeError (not a real number: strings and bools too) or a ValueError (out of range, NaN, inf)."""
    if isinstance(value, (str, bytes, bool, np.bool_)) or not isinstance(value, (Real, np.ndarray)):
        raise TypeError(f"{owner}: {name} must be a number; received {name}={value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: {name} must be a number; received {name}={value!r}") from None
    if not (low <= v < math.inf and (high is None or v < high)):  # `not` so that NaN fails too
        bound = f"in [{low:g}, {high:g})" if high is not None else f">= {low:g}"
        raise ValueError(f"{owner}: {name} must be {bound}; received {name}={value!r}")
    return v


def _buffer(state: dict, key: str, p: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """``state[key]``, created on first use as an array like ``p`` filled with ``fill``
    (not ``setdefault``, which would allocate a new array on every step)."""
    buf = state.get(key)
    if buf is None:
        buf = state[key] = np.full_like(p, fill)
    return buf


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
                raise TypeError(f"{type(self).__name__}: got both lr={lr!r} and learning_rate={learning_rate!r}; "
                                f"they are the same setting (learning_rate is Keras's name), give one")
            lr = learning_rate
        self.lr = lr
        self.weight_decay = _check_range(type(self).__name__, "weight_decay", weight_decay, 0.0)
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
        self._lr = _check_range(type(self).__name__, "lr", value, 0.0)

    # -- parameters ------------------------------------------------------------------------------
    def bind(self, params: Any) -> "Optimizer":
        """Attach the parameters to optimize (a Module or an iterable of Tensors); returns self.

        Binding again replaces the parameters and forgets all per-parameter state.
        """
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params must be an iterable of Tensors or a Module; received a single "
                            f"Tensor of shape {params.shape}: wrap it in a list, [t]")
        if isinstance(params, (int, float)):
            raise TypeError(f"{name}: params must be an iterable of Tensors or a Module; received "
                            f"{params!r}. For the learning rate write lr={params!r} (or learning_rate=).")
        if hasattr(params, "parameters") and callable(params.parameters):
            params = params.parameters()
        try:
            plist = list(params)
        except TypeError:
            raise TypeError(f"{name}: params must be an iterable of Tensors or a Module; received "
                            f"{type(params).__name__}") from None
        seen: dict[int, int] = {}
        for i, p in enumerate(plist):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: params[{i}] is a {type(p).__name__}, not a Tensor")
            if p.dtype.kind != "f":
                raise TypeError(f"{name}: params[{i}] has dtype {p.dtype}; only floating tensors can be optimized")
            if id(p) in seen:
                raise ValueError(f"{name}: the same tensor appears twice in params, at positions {seen[id(p)]} "
                                 f"and {i}; it would be updated twice per step")
            seen[id(p)] = i
        if not plist:
            raise ValueError(f"{name}: got an empty parameter list; there is nothing to optimize")
        self.params = plist
        self.state = [{} for _ in plist]
        return self

    def _bound_params(self, what: str) -> list[Tensor]:
        if self.params is None:
            raise RuntimeError(f"{type(self).__name__}.{what}: this optimizer has no parameters yet. Pass them "
                               f"when creating it, {type(self).__name__}(model.parameters(), ...), or attach "
                               f"them with .bind(model) (model.compile(optimizer=...) does this).")
        return self.params

    # -- the step ----------------------------------------------------------------------------------
    def zero_grad(self) -> None:
        """Forget every parameter's gradient (sets ``.grad`` to None, as PyTorch does by default)."""
        for p in self._bound_params("zero_grad()"):
            p.grad = None

    @np.errstate(over="ignore", invalid="ignore", divide="ignore")  # (divide: eps=0, g=0)
    def step(self) -> None:
        """Update every parameter that has a gradient, in place (see the module docstring).

        Overflow to inf and NaN from inf gradients happen silently, as in PyTorch (``fit`` stops on a
        non-finite loss); the ``errstate`` is set once per step, not per parameter (as a decorator:
        ~1 µs less per call than a with-block)."""
        update, states, wd = self.update, self.state, self.weight_decay
        for i, p in enumerate(self._bound_params("step()")):
            g = p.grad
            if g is None:
                continue
            data = p._data
            if type(g) is not np.ndarray or g.dtype is not data.dtype or g.shape != data.shape:
                g = self._checked_grad(i, g, data)
            if wd:  # into a new array (p.grad is never changed); out= keeps 0-d an array
                g = np.add(g, wd * data, out=np.empty_like(data))
            state = states[i]
            state["step"] = state.get("step", 0) + 1
            update(data, g, state)
            bump_version(p)

    def _checked_grad(self, i: int, g: Any, data: np.ndarray) -> np.ndarray:
        """``params[i].grad`` as an array of the parameter's dtype (the arithmetic stays in it) and shape."""
        try:
            arr = np.asarray(g, dtype=data.dtype)
        except (TypeError, ValueError):
            raise TypeError(f"{type(self).__name__}.step(): params[{i}].grad must be a numeric array; "
                            f"received {type(g).__name__}: {g!r:.60}") from None
        if arr.shape != data.shape:
            raise ValueError(f"{type(self).__name__}.step(): params[{i}] has shape {data.shape} but its "
                             f"grad has shape {arr.shape}")
        return arr

    def update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        """Change ``p`` in place from gradient ``g``; ``state`` persists between steps. Do not modify ``g``."""
        raise NotImplementedError(f"{type(self).__name__} must implement update(p, g, state)")

    # -- checkpoints -------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: a flat dict of name -> number, tuple or array (copies).

        ``{"optimizer": "Adam", "lr": 0.001, "betas": (0.9, 0.999), ..., "num_params": 2,
        "state.0.step": 3, "state.0.m": array, ...}``. Flat so that ``mg.save(opt.state_dict(), path)``
        can write it as ``.npz``; ``load_state_dict`` accepts what ``mg.load`` gives back (0-d arrays).
        """
        out: dict[str, Any] = {"optimizer": type(self).__name__}
        for h in self.hyperparameters:
            out[h] = getattr(self, h)
        if self.params is not None:
            out["num_params"] = len(self.params)
            for i, st in enumerate(self.state):
                for k, v in st.items():
                    out[f"state.{i}.{k}"] = v.copy() if isinstance(v, np.ndarray) else v
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and per-parameter state saved by ``state_dict()``.

        Checks the optimizer class, the number of parameters and every array's shape before changing
        anything; raises ValueError naming what does not match.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict):
            raise TypeError(f"{name}.load_state_dict expects the dict made by state_dict(); received "
                            f"{type(state_dict).__name__}")
        sd = dict(state_dict)
        saved_type = str(sd.pop("optimizer", name))
        if saved_type != name:
            raise ValueError(f"{name}.load_state_dict: the state was saved from a {saved_type} optimizer")
        missing = [h for h in self.hyperparameters if h not in sd]
        if missing:
            raise ValueError(f"{name}.load_state_dict: missing hyperparameters {missing}")
        hyper = {h: sd.pop(h) for h in self.hyperparameters}
        num_params = sd.pop("num_params", None)
        new_state: list[dict[str, Any]] = []
        if num_params is not None or sd:
            params = self._bound_params("load_state_dict()")
            if num_params is not None and int(num_params) != len(params):
                raise ValueError(f"{name}.load_state_dict: the state is for {int(num_params)} parameters; this "
                                 f"optimizer has {len(params)}")
            new_state = [{} for _ in params]
            problems = []
            for key, value in sd.items():
                parts = key.split(".")
                if (len(parts) != 3 or parts[0] != "state" or not parts[1].isdigit()
                        or int(parts[1]) >= len(params) or parts[2] not in ("step",) + self.state_names):
                    problems.append(f"unexpected key {key!r}")
                    continue
                i, k = int(parts[1]), parts[2]
                if k == "step":
                    new_state[i][k] = int(value)
                    continue
                arr = np.asarray(value)
                if arr.shape != params[i].shape:
                    problems.append(f"{key} has shape {arr.shape} but params[{i}] has shape {params[i].shape}")
                    continue
                new_state[i][k] = np.array(arr, dtype=params[i].dtype)  # a private copy in the param's dtype
            if problems:
                raise ValueError(f"{name}.load_state_dict: " + "; ".join(problems))
        old = {h: getattr(self, h) for h in self.hyperparameters}
        try:
            for h, v in hyper.items():
                try:
                    setattr(self, h, _like(old[h], v))
                except (TypeError, ValueError):
                    raise ValueError(f"{name}.load_state_dict: {h} must be like {old[h]!r}; received {h}={v!r}") \
                        from None
            self._validate()
        except (TypeError, ValueError):
            for h, v in old.items():
                setattr(self, h, v)
            raise
        if self.params is not None:
            self.state = new_state or [{} for _ in self.params]

    def _validate(self) -> None:
        """Check the hyperparameters (subclasses add theirs); raises ValueError naming a bad value."""
        self.lr = self.lr
        self.weight_decay = _check_range(type(self).__name__, "weight_decay", self.weight_decay, 0.0)

    def __repr__(self) -> str:
        hp = ", ".join(f"{h}={getattr(self, h)!r}" for h in self.hyperparameters)
        bound = "unbound" if self.params is None else f"{len(self.params)} params"
        return f"{type(self).__name__}({hp}; {bound})"


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
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"SGD: nesterov must be True or False; received nesterov={nesterov!r}")
        self.nesterov = bool(nesterov)
        self._validate()

    def _validate(self) -> None:
        super()._validate()
        self.momentum = _check_range("SGD", "momentum", self.momentum, 0.0)
        if self.nesterov and self.momentum == 0:
            raise ValueError("SGD: nesterov=True needs a momentum > 0; received momentum=0.0")

    def update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        if self.momentum:
            b = state.get("momentum_buffer")
            if b is None:
                state["momentum_buffer"] = b = np.array(g)  # a copy: g may be p.grad itself
            else:
                b *= self.momentum
                b += g
            g = g + self.momentum * b if self.nesterov else b
        p -= const(self._lr, p.dtype) * g  # (lr as a 0-d array of p's dtype: see autograd.const)


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
        self.beta = _check_range("Momentum", "beta", self.beta, 0.0, 1.0)

    def update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        m = _buffer(state, "m", p)
        m *= self.beta
        m += (1 - self.beta) * g
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
        self.eps = _check_range("Adagrad", "eps", self.eps, 0.0)
        self.initial_accumulator_value = _check_range("Adagrad", "initial_accumulator_value",
                                                      self.initial_accumulator_value, 0.0)

    def update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        s = _buffer(state, "sum", p, self.initial_accumulator_value)
        s += g * g
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
        self.rho = _check_range("RMSProp", "rho", self.rho, 0.0, 1.0)
        self.eps = _check_range("RMSProp", "eps", self.eps, 0.0)

    def update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        v = _buffer(state, "v", p)
        v *= self.rho
        v += (1 - self.rho) * g * g
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

    def __init__(self, params: Any = None, lr: float = _Default(0.001), betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, *, learning_rate: float | None = None):
        super().__init__(params, lr, weight_decay, learning_rate=learning_rate)
        self.betas = betas
        self.eps = eps
        self._validate()

    def _validate(self) -> None:
        super()._validate()
        try:
            b1, b2 = self.betas
        except (TypeError, ValueError):
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2); received betas={self.betas!r}") from None
        self.betas = (_check_range("Adam", "betas[0]", b1, 0.0, 1.0),
                      _check_range("Adam", "betas[1]", b2, 0.0, 1.0))
        self.eps = _check_range("Adam", "eps", self.eps, 0.0)

    def update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        b1, b2 = self.betas
        t = state["step"]
        m = _buffer(state, "m", p)
        v = _buffer(state, "v", p)
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


# Keras names, each with Keras's default learning rate (SPEC §8)
_KERAS_NAMES: dict[str, tuple[type[Optimizer], float]] = {
    "sgd": (SGD, 0.01),
    "momentum": (Momentum, 0.01),
    "adagrad": (Adagrad, 0.001),
    "rmsprop": (RMSProp, 0.001),
    "adam": (Adam, 0.001),
}


def get(identifier: Any) -> Optimizer:
    """An optimizer from a Keras name (case-insensitive) or an Optimizer instance (returned as is).

    ``get("adam")`` is an unbound ``Adam(lr=0.001)``; the names are ``sgd`` and ``momentum``
    (lr 0.01) and ``adagrad``, ``rmsprop``, ``adam`` (lr 0.001, Keras's defaults). Other
    hyperparameters keep this module's (PyTorch's) defaults.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    names = ", ".join(repr(n) for n in _KERAS_NAMES)
    if isinstance(identifier, str) and identifier.lower() in _KERAS_NAMES:
        cls, lr = _KERAS_NAMES[identifier.lower()]
        return cls(lr=lr)
    hint = ""
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        hint = f" (pass an instance, {identifier.__name__}(), not the class)"
    raise ValueError(f"unknown optimizer {identifier!r}{hint}; use one of {names} or an Optimizer instance")
