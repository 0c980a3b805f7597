"""``Tensor``: a NumPy array that remembers the op that made it, plus the creation functions.

dtype policy: Python scalars and lists, and integer or boolean arrays, become
``get_default_dtype()`` (float32 unless changed); floating NumPy arrays keep their dtype (and are
used without a copy, like ``torch.as_tensor``). An explicit ``dtype=`` wins. In ops, a Python
scalar takes the tensor's dtype, so ``float32_tensor * 2.0`` stays float32; two arrays follow NumPy
promotion (float32 with float64 gives float64).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .autograd import (Function, _apply1, _apply2, _constants, bump_version, const, is_grad_enabled, retain_grad_of,
                       run_backward)
from .random import default_rng

__all__ = [
    "Tensor", "tensor", "zeros", "ones", "full", "randn", "rand", "zeros_like", "ones_like",
    "get_default_dtype", "set_default_dtype",
]

_default_dtype = [np.dtype(np.float32)]
_PY_SCALARS = (float, int, bool)
_F16_MAX = 65504.0  # a Python number smaller than this fits every float dtype (converting it cannot overflow)
_FLOAT_MAX = float(np.finfo(np.float64).max)


def get_default_dtype() -> np.dtype:
    """The float dtype given to Python numbers, lists and integer arrays (float32 by default)."""
    return _default_dtype[0]


def set_default_dtype(dtype: Any) -> None:
    """Set the default float dtype, e.g. ``mg.set_default_dtype(np.float64)`` for gradient checks."""
    d = np.dtype(dtype)
    if d.kind != "f":
        raise TypeError(f"the default dtype must be a floating dtype; received {d}")
    _default_dtype[0] = d


def _to_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Convert user data to an ndarray following the dtype policy, with errors that say what was given."""
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, np.ndarray):
        arr = data
    else:
        if data is None:
            raise TypeError("Tensor data must be numeric (a number, a nested list of numbers or an "
                            "array); received None")
        if isinstance(data, (str, bytes)):
            raise TypeError(f"Tensor data must be numeric; received the string {data!r}")
        try:
            arr = np.asarray(data)
        except ValueError as exc:  # ragged nested lists
            raise ValueError(f"Tensor data must be a rectangular nested list of numbers; "
                             f"received a ragged sequence ({exc})") from None
    kind = arr.dtype.kind
    if kind not in "fiub":
        what = {"O": "objects", "U": "strings", "S": "bytes", "c": "complex numbers"}.get(kind, str(arr.dtype))
        raise TypeError(f"Tensor data must be real numbers (float, int or bool); received an array of "
                        f"{what} (dtype {arr.dtype})")
    if dtype is not None:
        d = np.dtype(dtype)
        if d.kind not in "fiub":
            raise TypeError(f"Tensor dtype must be a real number type (float, int or bool); received dtype={d}")
        return arr if arr.dtype == d else _cast(arr, d)
    if kind == "f" and isinstance(data, (np.ndarray, Tensor)):
        return arr
    return _cast(arr, _default_dtype[0])


def _cast(arr: np.ndarray, dtype: np.dtype) -> np.ndarray:
    with np.errstate(over="ignore"):  # 1e300 as float32 is inf, silently (as in PyTorch)
        return arr.astype(dtype)


class Tensor:
    """An n-dimensional array with reverse-mode autodiff.

    ``Tensor(data, requires_grad=False, dtype=None, name=None)``. After ``y.backward()``, every
    leaf ``x`` with ``requires_grad=True`` that ``y`` depends on holds ``dy/dx`` in ``x.grad``
    (a NumPy array of ``x.shape``; gradients add up over several backward calls, as in PyTorch).
    """

    # (_first_data: set only when .data replaces the array of an op's output; see the data setter)
    __slots__ = ("_data", "grad", "_requires_grad", "grad_fn", "name", "_version", "_first_data", "__weakref__")
    __array_priority__ = 1000  # numpy_array + tensor calls Tensor.__radd__

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None):
        self._data = _to_array(data, dtype)
        self.grad: np.ndarray | None = None
        self.grad_fn: Function | None = None
        self.name = name
        self._version = 0
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # -- the array and its metadata ------------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The underlying ``numpy.ndarray``. Assigning to it bumps the version counter."""
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        old = self._data
        if value is not old:  # (t.data -= x changes the array in place, then assigns it back)
            self._data = _to_array(value, old.dtype if not isinstance(value, np.ndarray) else None)
        if self.grad_fn is not None and self._version == 0 and self._data is not old:
            # the array the op made: nodes that used this tensor at version 0 did not record it
            # (Function.apply skips that for fresh op outputs), so the version check needs it
            self._first_data = old
        bump_version(self)

    shape = property(lambda self: self._data.shape, doc="tuple of dimensions")
    dtype = property(lambda self: self._data.dtype, doc="numpy dtype")
    ndim = property(lambda self: self._data.ndim, doc="number of dimensions")
    size = property(lambda self: self._data.size, doc="number of elements")

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (user-created tensors and parameters)."""
        return self.grad_fn is None

    @property
    def T(self) -> "Tensor":
        """The transpose (axes reversed), like ``ndarray.T``."""
        return _ops.transpose(self)

    def numpy(self) -> np.ndarray:
        return self._data

    def item(self) -> float:
        if self._data.size != 1:
            raise ValueError(f"item() needs a tensor with exactly one element; this one has shape {self.shape}")
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                             f"use .any() or .all() on .data")
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if copy:  # np.array(t) asks for a copy
            return np.array(self._data, dtype=dtype, copy=True)
        return self._data if dtype is None else self._data.astype(dtype)

    __hash__ = object.__hash__  # identity, as in PyTorch (== is elementwise)

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="tensor(", threshold=100)
        extras = [f"dtype={self._data.dtype}"]
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{type(self.grad_fn).__name__}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"tensor({body}, {', '.join(extras)})"

    # -- autograd ------------------------------------------------------------------------------
    def requires_grad_(self, flag: bool = True) -> "Tensor":
        """Set ``requires_grad`` on a leaf (in place); returns self."""
        if flag and self._data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients; this tensor has dtype "
                            f"{self._data.dtype}")
        if not flag and self.grad_fn is not None:
            raise RuntimeError("requires_grad can only be turned off on a leaf; use .detach() on a "
                               "tensor that an op produced")
        self._requires_grad = bool(flag)
        return self

    @property
    def requires_grad(self) -> bool:
        """Whether backward computes a gradient for this tensor. Assigning to it works like
        ``requires_grad_(flag)`` (checked; always stored as a bool, which the engine relies on)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's data, cut from the graph (requires_grad=False)."""
        return Tensor(self._data, dtype=self._data.dtype, name=self.name)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor at the next backward (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        if self.grad_fn is not None:
            retain_grad_of(self)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (sets ``.grad`` to None)."""
        self.grad = None

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Backpropagate from this tensor: every leaf that requires grad gets d(self)/d(leaf) added to
        its ``.grad``. ``grad`` is d(loss)/d(self) for a non-scalar tensor (required then). The graph's
        saved arrays are freed afterwards unless ``retain_graph=True``."""
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad and has no grad_fn: "
                               "no input of the computation has requires_grad=True")
        if grad is None:
            if self._data.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs: backward() on "
                                   f"a tensor of shape {self.shape} needs a gradient, e.g. "
                                   f"y.backward(grad=np.ones({self.shape}))")
            shape = self._data.shape  # () for a loss; np.array is ~5x quicker than np.ones there
            seed = np.array(1, dtype=self._data.dtype) if not shape else np.ones(shape, dtype=self._data.dtype)
        else:
            seed = np.array(_to_array(grad, self._data.dtype))  # a private copy
            if seed.shape != self._data.shape:
                raise ValueError(f"backward: grad has shape {seed.shape} but the tensor has shape {self.shape}")
        run_backward(self, seed, retain_graph)

    # -- in-place updates (non-differentiable; they bump the version counter) -------------------
    def _changed_in_place(self) -> None:
        """Bump the version; if the op that made this tensor saved it for backward, tell that op too
        (its backward() will then refuse to use the changed array)."""
        bump_version(self)
        fn = self.grad_fn
        if fn is not None and fn.saved_tensors and any(a is self._data for a in fn.saved_tensors):
            fn._output_version = self._version

    def _inplace_ok(self, what: str) -> None:
        if self.requires_grad and is_grad_enabled():
            raise RuntimeError(f"{what}: a tensor that requires grad can't be changed in place while grad "
                               f"mode is on; wrap the update in `with mg.no_grad():`")

    def add_(self, other: Any, alpha: float = 1.0) -> "Tensor":
        self._inplace_ok("add_")
        o = other._data if isinstance(other, Tensor) else other
        self._data += o if alpha == 1.0 else alpha * np.asarray(o)
        self._changed_in_place()
        return self

    def sub_(self, other: Any, alpha: float = 1.0) -> "Tensor":
        self._inplace_ok("sub_")
        o = other._data if isinstance(other, Tensor) else other
        self._data -= o if alpha == 1.0 else alpha * np.asarray(o)
        self._changed_in_place()
        return self

    def mul_(self, other: Any) -> "Tensor":
        self._inplace_ok("mul_")
        self._data *= other._data if isinstance(other, Tensor) else other
        self._changed_in_place()
        return self

    def zero_(self) -> "Tensor":
        self._inplace_ok("zero_")
        self._data[...] = 0
        self._changed_in_place()
        return self

    def copy_(self, src: Any) -> "Tensor":
        self._inplace_ok("copy_")
        s = src._data if isinstance(src, Tensor) else np.asarray(src)
        try:
            np.copyto(self._data, np.broadcast_to(s, self._data.shape), casting="same_kind")
        except ValueError:
            raise ValueError(f"copy_: source of shape {np.shape(s)} does not broadcast to {self.shape}") from None
        self._changed_in_place()
        return self

    # -- operators ------------------------------------------------------------------------------
    def _operand(self, other: Any) -> Any:
        """A Tensor stays; a Python number becomes a 0-d array of a float tensor's dtype (what NumPy
        ≥ 2 does with it anyway, so ``float32 * 2.5`` stays float32 — but a Python number takes
        NumPy's weak-scalar path, ~0.3 µs slower, in forward and again in backward); with an integer
        tensor it stays a number (``int * 2.5`` is float64, as in NumPy); anything else follows the
        dtype policy."""
        if type(other) in _PY_SCALARS:
            dtype = self._data.dtype
            if other:  # the usual case, a number seen before: const's cache, looked up inline
                c = _constants.get((other, dtype))
                if c is not None:
                    return c
            return self._scalar(other, dtype)
        if isinstance(other, Tensor):
            return other
        return _to_array(other)

    def _scalar(self, other: float | int, dtype: np.dtype) -> Any:
        """``_operand`` of a Python number not in const's cache. A zero never goes through the cache:
        0.0 == -0.0 would share an entry and lose the sign."""
        if not -_F16_MAX < other < _F16_MAX:  # rare: maybe too big for the tensor's float dtype
            return self._big_scalar(other)
        if dtype.kind != "f":
            return other
        return const(other, dtype) if other else np.asarray(other, dtype)

    def _big_scalar(self, other: float | int) -> Any:
        if type(other) is int and not -_FLOAT_MAX < other < _FLOAT_MAX:
            raise ValueError(f"the Python int {other} is beyond the float range; use a float or a smaller number")
        dtype = self._data.dtype
        if dtype.kind == "f" and abs(other) > float(np.finfo(dtype).max):
            with np.errstate(over="ignore"):  # like PyTorch: inf in a narrower dtype, silently
                return dtype.type(other)
        return other

    def __add__(self, other: Any) -> "Tensor":
        if type(other) is not Tensor:
            other = self._operand(other)
        return _apply2(_ops.Add, self, other)

    def __radd__(self, other: Any) -> "Tensor":
        return _apply2(_ops.Add, self._operand(other), self)

    def __sub__(self, other: Any) -> "Tensor":
        if type(other) is not Tensor:
            other = self._operand(other)
        return _apply2(_ops.Sub, self, other)

    def __rsub__(self, other: Any) -> "Tensor":
        return _apply2(_ops.Sub, self._operand(other), self)

    def __mul__(self, other: Any) -> "Tensor":
        if type(other) is not Tensor:
            other = self._operand(other)
        return _apply2(_ops.Mul, self, other)

    def __rmul__(self, other: Any) -> "Tensor":
        return _apply2(_ops.Mul, self._operand(other), self)

    def __truediv__(self, other: Any) -> "Tensor":
        if type(other) is not Tensor:
            other = self._operand(other)
        return _apply2(_ops.Div, self, other)

    def __rtruediv__(self, other: Any) -> "Tensor":
        return _apply2(_ops.Div, self._operand(other), self)

    def __pow__(self, other: Any) -> "Tensor":
        # a small Python exponent stays a number: NumPy's x ** 2 (squares) and x ** 0.5 have fast paths
        if type(other) is not Tensor and not (type(other) in _PY_SCALARS and -_F16_MAX < other < _F16_MAX):
            other = self._operand(other)
        return _apply2(_ops.Pow, self, other)

    def __rpow__(self, other: Any) -> "Tensor":
        return _apply2(_ops.Pow, self._operand(other), self)

    def __matmul__(self, other: Any) -> "Tensor":
        return _apply2(_ops.MatMul, self, other if type(other) is Tensor else self._operand(other))

    def __rmatmul__(self, other: Any) -> "Tensor":
        return _apply2(_ops.MatMul, self._operand(other), self)

    def __neg__(self) -> "Tensor":
        return _apply1(_ops.Neg, self)

    def __pos__(self) -> "Tensor":
        return self

    def __getitem__(self, idx: Any) -> "Tensor":
        return _ops.getitem(self, idx)

    # comparisons: non-differentiable, results never require grad
    def _compare(self, other: Any, op: Any) -> "Tensor":
        o = other._data if isinstance(other, Tensor) else other if type(other) in _PY_SCALARS else _to_array(other)
        out = op(self._data, o)
        return Tensor(out, dtype=np.bool_)

    def __eq__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __lt__(self, other: Any) -> "Tensor":
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> "Tensor":
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> "Tensor":
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> "Tensor":
        return self._compare(other, np.greater_equal)

    # -- named ops: each forwards to the one definition in minigrad.ops (the one-input ones straight
    #    to the engine with their Function: self needs no conversion, and calls matter in long chains)
    def exp(self) -> "Tensor": return _apply1(_ops.Exp, self)
    def log(self) -> "Tensor": return _apply1(_ops.Log, self)
    def sqrt(self) -> "Tensor": return _apply1(_ops.Sqrt, self)
    def abs(self) -> "Tensor": return _apply1(_ops.Abs, self)
    def sigmoid(self) -> "Tensor": return _apply1(_ops.Sigmoid, self)
    def relu(self) -> "Tensor": return _apply1(_ops.ReLU, self)
    def tanh(self) -> "Tensor": return _apply1(_ops.Tanh, self)
    def leaky_relu(self, alpha: float = 0.01) -> "Tensor": return _ops.leaky_relu(self, alpha)
    def elu(self, alpha: float = 1.0) -> "Tensor": return _ops.elu(self, alpha)
    def softplus(self) -> "Tensor": return _apply1(_ops.Softplus, self)
    def hardtanh(self, min: float = -1.0, max: float = 1.0) -> "Tensor": return _ops.hardtanh(self, min, max)
    def softsign(self) -> "Tensor": return _apply1(_ops.Softsign, self)
    def clip(self, min: float | None = None, max: float | None = None) -> "Tensor": return _ops.clip(self, min, max)
    def maximum(self, other: Any) -> "Tensor": return _ops.maximum(self, other)
    def minimum(self, other: Any) -> "Tensor": return _ops.minimum(self, other)

    def sum(self, axis: Any = None, keepdims: bool = False) -> "Tensor": return _ops.sum(self, axis, keepdims)
    def mean(self, axis: Any = None, keepdims: bool = False) -> "Tensor": return _ops.mean(self, axis, keepdims)
    def var(self, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> "Tensor": return _ops.var(self, axis, ddof, keepdims)
    def max(self, axis: Any = None, keepdims: bool = False) -> "Tensor": return _ops.max(self, axis, keepdims)
    def min(self, axis: Any = None, keepdims: bool = False) -> "Tensor": return _ops.min(self, axis, keepdims)
    def logsumexp(self, axis: Any = -1, keepdims: bool = False) -> "Tensor": return _ops.logsumexp(self, axis, keepdims)
    def softmax(self, axis: int = -1) -> "Tensor": return _ops.softmax(self, axis)
    def log_softmax(self, axis: int = -1) -> "Tensor": return _ops.log_softmax(self, axis)
    def argmax(self, axis: int | None = None) -> "Tensor": return _ops.argmax(self, axis)
    def argmin(self, axis: int | None = None) -> "Tensor": return _ops.argmin(self, axis)

    def reshape(self, *shape: Any) -> "Tensor": return _ops.reshape(self, *shape)
    def transpose(self, *axes: Any) -> "Tensor": return _ops.transpose(self, *axes)
    def flatten(self, start_dim: int = 0) -> "Tensor": return _ops.flatten(self, start_dim)
    def expand_dims(self, axis: int) -> "Tensor": return _ops.expand_dims(self, axis)
    def squeeze(self, axis: Any = None) -> "Tensor": return _ops.squeeze(self, axis)
    def matmul(self, other: Any) -> "Tensor": return _ops.matmul(self, other)


# ---------------------------------------------------------------------------------------------
# creation functions


def as_tensor(x: Any) -> Tensor:
    """``x`` itself when it is a Tensor, else ``Tensor(x)`` (what the ops' function forms take)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None) -> Tensor:
    """Function form of ``Tensor(...)``."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def _shape_arg(shape: Sequence[Any]) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"shape must be non-negative integers; received {tuple(shape)}")
    return tuple(int(n) for n in shape)


def _dtype_or_default(dtype: Any) -> np.dtype:
    return np.dtype(dtype) if dtype is not None else _default_dtype[0]


def full(shape: Any, value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``shape`` filled with ``value``."""
    shape = _shape_arg(shape if isinstance(shape, (tuple, list)) else (shape,))
    d = _dtype_or_default(dtype)
    return Tensor(np.full(shape, value, dtype=d), requires_grad=requires_grad, dtype=d)


def zeros(shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return full(shape, 0, dtype, requires_grad)


def ones(shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return full(shape, 1, dtype, requires_grad)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    a = t._data if isinstance(t, Tensor) else np.asarray(t)
    d = np.dtype(dtype or a.dtype)
    return Tensor(np.zeros(a.shape, dtype=d), requires_grad=requires_grad, dtype=d)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    a = t._data if isinstance(t, Tensor) else np.asarray(t)
    d = np.dtype(dtype or a.dtype)
    return Tensor(np.ones(a.shape, dtype=d), requires_grad=requires_grad, dtype=d)


def randn(*shape: Any, requires_grad: bool = False, rng: np.random.Generator | None = None,
          dtype: Any = None) -> Tensor:
    """Standard-normal samples from ``rng`` (default: the generator ``mg.manual_seed`` seeds)."""
    gen = rng if rng is not None else default_rng()
    data = gen.standard_normal(_shape_arg(shape)).astype(_dtype_or_default(dtype))
    return Tensor(data, requires_grad=requires_grad)


def rand(*shape: Any, requires_grad: bool = False, rng: np.random.Generator | None = None,
         dtype: Any = None) -> Tensor:
    """Uniform samples in [0, 1) from ``rng`` (default: the generator ``mg.manual_seed`` seeds)."""
    gen = rng if rng is not None else default_rng()
    data = gen.random(_shape_arg(shape)).astype(_dtype_or_default(dtype))
    return Tensor(data, requires_grad=requires_grad)


from . import ops as _ops  # noqa: E402  (circular by design: the ops build on Function and Tensor)
