"""Layers: weight initializers, ``Dense``, activation modules, ``Dropout``, ``BatchNorm``, ``LayerNorm``,
``Flatten``.

Every layer is built from minigrad's differentiable ops, so its backward pass is the ops' backward
passes; nothing here writes a gradient by hand. Shapes in docstrings use N for the batch size.
Shape metadata (``input_shape``/``output_shape``, with ``None`` as the batch dimension) is what
``summary()`` and ``plot_model()`` print; ``compute_output_shape`` gives it without running data.
"""
from __future__ import annotations

import math
from numbers import Integral
from typing import Any, Callable

import numpy as np

from .. import checks, functions
from ..ops import Affine, Cast
from ..random import default_rng
from ..tensor import Tensor, get_default_dtype
from . import functional as F
from .module import Module, Parameter

__all__ = [
    "INITIALIZERS", "get_initializer", "Dense", "Identity", "ReLU", "Sigmoid", "Tanh", "Softmax", "LeakyReLU",
    "ELU", "Activation", "Dropout", "BatchNorm", "BatchNorm1d", "LayerNorm", "Flatten",
]


# ---------------------------------------------------------------------------------------------
# initializers: (shape, fan_in, fan_out, rng) -> float64 array


def _glorot_uniform(shape, fan_in, fan_out, rng):
    """U(-l, l), l = √(6 / (fan_in + fan_out))  (Keras default; PyTorch xavier_uniform_)"""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape)


def _glorot_normal(shape, fan_in, fan_out, rng):
    """N(0, σ²), σ = √(2 / (fan_in + fan_out))  (PyTorch xavier_normal_; Keras truncates at 2σ)"""
    return rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), size=shape)


def _he_uniform(shape, fan_in, fan_out, rng):
    """U(-l, l), l = √(6 / fan_in)  (for ReLU layers)"""
    limit = math.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, size=shape)


def _he_normal(shape, fan_in, fan_out, rng):
    """N(0, σ²), σ = √(2 / fan_in)  (PyTorch kaiming_normal_; Keras truncates at 2σ)"""
    return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=shape)


def _normal(shape, fan_in, fan_out, rng):
    """N(0, 1), like the lectures' ``np.random.normal(0, 1, ...)`` and ``tf.random.normal``"""
    return rng.standard_normal(size=shape)


INITIALIZERS: dict[str, Callable] = {
    "glorot_uniform": _glorot_uniform, "glorot_normal": _glorot_normal, "he_uniform": _he_uniform,
    "he_normal": _he_normal, "normal": _normal,
    "zeros": lambda shape, fan_in, fan_out, rng: np.zeros(shape),
    "ones": lambda shape, fan_in, fan_out, rng: np.ones(shape),
}


def get_initializer(init: str | Callable) -> Callable:
    """``fn(shape, rng) -> array`` for a name in ``INITIALIZERS``, or a user callable ``f(shape, rng)``."""
    if isinstance(init, str):
        fn = INITIALIZERS.get(init.lower())
        if fn is None:
            raise ValueError(f"Unknown initializer {init!r}; expected one of {sorted(INITIALIZERS)} or a "
                             f"callable f(shape, rng). Received: kernel_initializer={init!r}")
        return lambda shape, rng: fn(shape, shape[0], shape[-1], rng)
    if callable(init):
        return init
    raise TypeError(f"kernel_initializer must be a name or a callable f(shape, rng); received "
                    f"kernel_initializer={init!r} of type {type(init).__name__}")


# ---------------------------------------------------------------------------------------------
# argument checks (Keras style: say what was received)


def _positive_int(layer: str, name: str, value: Any, allow_none: bool = False) -> Any:
    return checks.integer(layer, name, value, low=1, allow_none=allow_none)


def _shape_tuple(layer: str, name: str, value: Any) -> tuple:
    shape = (value,) if isinstance(value, Integral) else value
    if not isinstance(shape, (tuple, list)) or not shape:
        checks.fail(layer, name, value, "a positive integer or a tuple of them", TypeError)
    return tuple(_positive_int(layer, name, n) for n in shape)


def _float_in(layer: str, name: str, value: Any, lo: float, hi: float) -> float:
    return checks.number(layer, name, value, low=lo, high=None if hi == math.inf else hi)


def _batched(input_shape: Any) -> tuple:
    shape = tuple(input_shape)
    if not shape:
        raise ValueError("an input shape needs at least one dimension besides the batch; received ()")
    return shape


class _ShapePreserving(Module):
    """Base of layers whose output has the input's shape (activations, Dropout, normalisations)."""

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return _batched(input_shape)


# ---------------------------------------------------------------------------------------------
# Dense


class Dense(Module):
    """Fully connected layer: ``y = activation(x @ weight + bias)``;  x: (N, in) -> (N, units).

    ``weight`` (Keras's ``kernel``) has shape (input_dim, units) and ``bias`` shape (units,)
    (zeros). Without ``input_dim`` (or Keras's ``input_shape=(input_dim,)``) the layer builds on its
    first call, drawing its weights from ``rng`` (default: the generator ``mg.manual_seed`` seeds) at
    that moment. ``activation`` is a name from ``mg.nn.functional.ACTIVATIONS`` or a callable.
    An input of another dtype is cast to the layer's (as Keras does), so float64 NumPy data into a
    float32 model computes in float32.
    """

    def __init__(self, units: int, activation: str | Callable | None = None, *, input_dim: int | None = None,
                 use_bias: bool = True, kernel_initializer: str | Callable = "glorot_uniform",
                 rng: np.random.Generator | int | None = None, input_shape: tuple | None = None) -> None:
        super().__init__()
        self.units = _positive_int("Dense", "units", units)
        self.activation = F.get_activation(activation)
        self.input_dim = _positive_int("Dense", "input_dim", input_dim, allow_none=True)
        if input_shape is not None:
            dims = _shape_tuple("Dense", "input_shape", input_shape)
            if self.input_dim is not None and dims[-1] != self.input_dim:
                raise ValueError(f"Dense: input_dim={self.input_dim} and "
                                 f"input_shape={input_shape!r} disagree")
            self.input_dim = dims[-1]
        if not isinstance(use_bias, (bool, np.bool_)):
            raise TypeError(f"Dense: expected `use_bias` to be True or False; "
                            f"Received: use_bias={use_bias!r}")
        self.use_bias = bool(use_bias)
        self._init = get_initializer(kernel_initializer)
        self._init_name = kernel_initializer if isinstance(kernel_initializer, str) else "custom"
        if rng is not None and (isinstance(rng, bool)
                                or not isinstance(rng, (np.random.Generator, Integral))):
            raise TypeError(f"Dense: rng must be a numpy Generator, an int seed or None; "
                            f"Received: rng={rng!r}")
        if isinstance(rng, Integral) and rng < 0:
            raise ValueError(f"Dense: an int seed for rng must be >= 0; Received: rng={rng!r}")
        self._rng = np.random.default_rng(rng) if isinstance(rng, Integral) else rng
        self.built = False
        if self.input_dim is not None:
            leading = tuple(input_shape)[:-1] if input_shape is not None else ()
            self.build((None,) + leading + (self.input_dim,))

    def build(self, input_shape: tuple) -> None:
        """Create ``weight`` (in, units) and ``bias`` (units,) for inputs of ``input_shape``."""
        input_shape = _batched(input_shape)
        n_in = input_shape[-1]
        if isinstance(n_in, bool) or not isinstance(n_in, Integral) or n_in <= 0:
            raise ValueError(f"Dense: the last input dimension must be a known positive size; "
                             f"Received: input_shape={input_shape}")
        if self.input_dim is not None and n_in != self.input_dim:
            raise ValueError(f"Dense(units={self.units}) expects input_dim={self.input_dim}; "
                             f"Received: input_shape={input_shape}")
        rng = self._rng if self._rng is not None else default_rng()
        w = np.asarray(self._init((int(n_in), self.units), rng))
        if w.shape != (n_in, self.units):
            raise ValueError(f"Dense: the kernel initializer returned shape {w.shape}; "
                             f"expected {(n_in, self.units)}")
        self.weight = Parameter(w.astype(get_default_dtype()))
        self.bias = Parameter(np.zeros(self.units, dtype=get_default_dtype())) if self.use_bias else None
        self.input_dim = int(n_in)
        super().build(input_shape)

    @property
    def kernel(self) -> Tensor:
        """Keras's name for ``weight``."""
        return self.weight

    def __getattr__(self, name: str) -> Any:  # only called when normal lookup fails
        if name in ("weight", "bias"):
            raise AttributeError(f"Dense(units={self.__dict__.get('units')}) has not been built yet, "
                                 f"so it has no {name}: pass input_dim=... or call the layer on an "
                                 f"input first")
        raise AttributeError(f"'{type(self).__name__}' object has no attribute {name!r}")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = _batched(input_shape)
        if self.input_dim is not None and input_shape[-1] not in (None, self.input_dim):
            raise ValueError(f"Dense(units={self.units}) expects input_dim={self.input_dim}; "
                             f"Received: input_shape={input_shape}")
        return input_shape[:-1] + (self.units,)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if not self.built:
            if x.ndim == 0:
                raise ValueError(f"Dense(units={self.units}) needs inputs with a feature axis; "
                                 f"received a 0-d input")
            self.build((None,) + x.shape[1:] if x.ndim >= 2 else (None, x.shape[0]))
        weight = self.weight
        if x.dtype != weight.dtype:  # as Keras: inputs take the layer's dtype (a recorded cast)
            x = Cast.apply(x, dtype=weight.dtype)
        try:
            z = Affine.apply(x, weight, self.bias)
        except ValueError:  # say it in the layer's words when the input is the problem
            if x.ndim == 0 or x.shape[-1] != self.input_dim:
                raise ValueError(f"Dense(units={self.units}) expects inputs whose last dimension is "
                                 f"{self.input_dim}; received an input of shape {x.shape}") from None
            raise
        return self.activation(z)

    def _build_from_state(self, prefix: str, state: dict) -> None:
        w = state.get(prefix + "weight")
        if w is not None and np.ndim(w) == 2:
            self.build((None, np.shape(w)[0]))

    def extra_repr(self) -> str:
        s = f"units={self.units}"
        if self.activation is not F.linear:
            s += f", activation={F.activation_name(self.activation)!r}"
        if self.input_dim is not None:
            s += f", input_dim={self.input_dim}"
        if not self.use_bias:
            s += ", use_bias=False"
        return s


# ---------------------------------------------------------------------------------------------
# activation modules


class Identity(_ShapePreserving):
    """y = x"""

    def forward(self, x: Tensor) -> Tensor:
        return x


class ReLU(_ShapePreserving):
    """y = max(x, 0)"""

    def forward(self, x: Tensor) -> Tensor:
        return functions.relu(x)


class Sigmoid(_ShapePreserving):
    """y = 1 / (1 + e⁻ˣ)"""

    def forward(self, x: Tensor) -> Tensor:
        return functions.sigmoid(x)


class Tanh(_ShapePreserving):
    """y = tanh x"""

    def forward(self, x: Tensor) -> Tensor:
        return functions.tanh(x)


class Softmax(_ShapePreserving):
    """y = exp(x) / Σ exp(x) along ``axis`` (stable for large logits)"""

    axis: int

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        if isinstance(axis, bool) or not isinstance(axis, Integral):
            raise TypeError(f"Softmax: expected `axis` to be an integer; Received: axis={axis!r}")
        self.axis = int(axis)

    def forward(self, x: Tensor) -> Tensor:
        return functions.softmax(x, axis=self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LeakyReLU(_ShapePreserving):
    """y = x for x > 0, alpha·x otherwise"""

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = _float_in("LeakyReLU", "alpha", alpha, 0.0, math.inf)

    def forward(self, x: Tensor) -> Tensor:
        return functions.leaky_relu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class ELU(_ShapePreserving):
    """y = x for x > 0, alpha·(eˣ - 1) otherwise"""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = _float_in("ELU", "alpha", alpha, 0.0, math.inf)

    def forward(self, x: Tensor) -> Tensor:
        return functions.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Activation(_ShapePreserving):
    """Keras's ``Activation("relu")``: an activation by name (see ``functional.ACTIVATIONS``) or callable."""

    def __init__(self, activation: str | Callable | None) -> None:
        super().__init__()
        self.activation = F.get_activation(activation)

    def forward(self, x: Tensor) -> Tensor:
        return self.activation(x)

    def extra_repr(self) -> str:
        return repr(F.activation_name(self.activation))


# ---------------------------------------------------------------------------------------------
# Dropout


class Dropout(_ShapePreserving):
    """Inverted dropout: in training, zero each element with probability ``rate`` and scale the
    survivors by 1/(1-rate) (so the expected value is unchanged); identity in eval mode.

    The mask is drawn from ``mg.random.default_rng()`` at each call (``mg.manual_seed`` repeats it).
    """

    def __init__(self, rate: float) -> None:
        super().__init__()
        F._check_rate(rate)
        self.rate = float(rate)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.rate, training=self.training)

    def extra_repr(self) -> str:
        return f"rate={self.rate}"


# ---------------------------------------------------------------------------------------------
# normalisation


class BatchNorm(_ShapePreserving):
    """Batch normalisation of (N, C) inputs, PyTorch semantics:  y = (x - μ) / √(σ² + eps) · weight + bias.

    Training: μ, σ² are the batch mean and *biased* variance per feature, and the buffers follow
    ``running = (1 - momentum)·running + momentum·batch`` (the running variance takes the *unbiased*
    batch variance, σ²·N/(N-1)). Eval: μ, σ² are ``running_mean`` / ``running_var``. ``weight`` (γ)
    starts at ones, ``bias`` (β) at zeros. Without ``num_features`` the layer builds on its first call.
    Keras's ``momentum=0.99`` is this ``momentum=0.01``.
    """

    running_mean: np.ndarray  # buffers (register_buffer), made by build()
    running_var: np.ndarray

    def __init__(self, num_features: int | None = None, *, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        self.num_features = _positive_int("BatchNorm", "num_features", num_features, allow_none=True)
        self.momentum = _float_in("BatchNorm", "momentum", momentum, 0.0, 1.0)
        self.eps = _float_in("BatchNorm", "eps", eps, 0.0, math.inf)
        self.built = False
        if self.num_features is not None:
            self.build((None, self.num_features))

    def build(self, input_shape: tuple) -> None:
        """Create ``weight``, ``bias`` (C,) and the ``running_mean``/``running_var`` buffers."""
        input_shape = tuple(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"BatchNorm expects (N, C) inputs; Received: input_shape={input_shape}")
        c = _positive_int("BatchNorm", "num_features", input_shape[-1])
        if self.num_features is not None and c != self.num_features:
            raise ValueError(f"BatchNorm(num_features={self.num_features}) "
                             f"Received: input_shape={input_shape}")
        dtype = get_default_dtype()
        self.weight = Parameter(np.ones(c, dtype=dtype))
        self.bias = Parameter(np.zeros(c, dtype=dtype))
        self.register_buffer("running_mean", np.zeros(c, dtype=dtype))
        self.register_buffer("running_var", np.ones(c, dtype=dtype))
        self.num_features = c
        super().build(input_shape)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        wrong_c = self.num_features is not None and input_shape[-1:] not in ((None,), (self.num_features,))
        if len(input_shape) != 2 or wrong_c:
            raise ValueError(f"BatchNorm(num_features={self.num_features}) expects (N, C) inputs; "
                             f"Received: input_shape={input_shape}")
        return input_shape

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if x.ndim != 2:
            raise ValueError(f"BatchNorm expects (N, C) inputs; received an input of shape {x.shape}")
        if not self.built:
            self.build((None, x.shape[1]))
        if x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm(num_features={self.num_features}) received an input of "
                             f"shape {x.shape}")
        if self.training:
            n = x.shape[0]
            if n < 2:
                raise ValueError(f"BatchNorm in training mode needs more than 1 sample per batch to "
                                 f"compute a variance; received an input of shape {x.shape} "
                                 f"(use eval() to predict)")
            mean = x.mean(axis=0)
            xc = x - mean
            var = (xc * xc).mean(axis=0)
            x_hat = xc / functions.sqrt(var + self.eps)
            self._update_running(mean.data, var.data, n)
        else:
            shift, scale = self._eval_statistics()
            x_hat = (x - Tensor(shift)) * Tensor(scale)
        return x_hat * self.weight + self.bias

    # The two steps outside the ops, each one method so that mg.jit records and replays them.
    def _update_running(self, mean: np.ndarray, var: np.ndarray, n: int) -> None:
        """running = (1 - momentum)·running + momentum·batch, the variance unbiased (× n/(n-1))."""
        m = self.momentum
        rm, rv = self.running_mean, self.running_var
        # float64 statistics beyond a float32 buffer: inf
        with np.errstate(over="ignore", invalid="ignore"):
            self.running_mean = ((1 - m) * rm + m * mean).astype(rm.dtype)
            self.running_var = ((1 - m) * rv + m * var * (n / (n - 1))).astype(rv.dtype)

    def _eval_statistics(self) -> tuple[np.ndarray, np.ndarray]:
        """(running_mean, 1/√(running_var + eps)): what eval mode subtracts and multiplies by."""
        scale = 1.0 / np.sqrt(self.running_var + self.eps)
        return self.running_mean, scale.astype(self.running_var.dtype)

    def _build_from_state(self, prefix: str, state: dict) -> None:
        w = state.get(prefix + "weight")
        if w is not None and np.ndim(w) == 1:
            self.build((None, np.shape(w)[0]))

    def extra_repr(self) -> str:
        return f"num_features={self.num_features}, momentum={self.momentum}, eps={self.eps}"


BatchNorm1d = BatchNorm


class LayerNorm(_ShapePreserving):
    """Layer normalisation over the last ``len(normalized_shape)`` axes of each sample:
    ``y = (x - μ) / √(σ² + eps) · weight + bias`` with μ, σ² (biased) taken per sample over those axes.
    ``weight`` (ones) and ``bias`` (zeros) have shape ``normalized_shape``; x: (N, *normalized_shape)."""

    def __init__(self, normalized_shape: int | tuple, eps: float = 1e-5) -> None:
        super().__init__()
        self.normalized_shape = _shape_tuple("LayerNorm", "normalized_shape", normalized_shape)
        self.eps = _float_in("LayerNorm", "eps", eps, 0.0, math.inf)
        dtype = get_default_dtype()
        self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
        self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype))

    def _check(self, shape: tuple) -> None:
        k = len(self.normalized_shape)
        if len(shape) < k or tuple(shape[-k:]) != self.normalized_shape:
            raise ValueError(f"LayerNorm(normalized_shape={self.normalized_shape}) expects inputs ending in "
                             f"{self.normalized_shape}; received shape {tuple(shape)}")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check(tuple(input_shape))
        return tuple(input_shape)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(x)
        self._check(x.shape)
        axes = tuple(range(-len(self.normalized_shape), 0))
        xc = x - x.mean(axis=axes, keepdims=True)
        var = (xc * xc).mean(axis=axes, keepdims=True)
        return xc / functions.sqrt(var + self.eps) * self.weight + self.bias

    def extra_repr(self) -> str:
        return f"normalized_shape={self.normalized_shape}, eps={self.eps}"


class Flatten(Module):
    """(N, d1, d2, …) -> (N, d1·d2·…), like Keras ``Flatten`` (e.g. 28×28 images -> 784 features)."""

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = tuple(input_shape)
        rest = shape[1:]
        return (shape[0] if shape else None, None if any(d is None for d in rest) else int(np.prod(rest)))

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(x)
        return x.reshape(x.shape[0], -1) if x.ndim >= 1 else x.reshape(1)
