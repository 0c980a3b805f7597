"""``Tensor``: a NumPy array that remembers the op that made it (creation functions: creation.py).

dtype policy: Python scalars and lists, and integer or boolean arrays, become
``get_default_dtype()`` (float32 unless changed); floating NumPy arrays keep their dtype (and are
used without a copy, like ``torch.as_tensor``). An explicit ``dtype=`` wins. In ops, a Python
number takes the tensor's dtype, so ``float32_tensor * 2.0`` stays float32; two arrays follow NumPy
promotion (float32 with float64 gives float64).

Every differentiable method hands its work to one ``Function`` in ``minigrad/ops`` through
``Function.apply``: ``x.sigmoid()`` runs ``Sigmoid.forward``, and ``backward()`` runs
``Sigmoid.backward``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import autograd, checks, ops
from .autograd import Function, is_grad_enabled, retain_grad_of, run_backward

__all__ = ["Tensor", "get_default_dtype", "set_default_dtype", "as_tensor"]

_default_dtype = [np.dtype(np.float32)]
_PY_NUMBERS = (float, int, bool)
# defaults of axis= where dim= may be given instead (they show as None, -1 and 0)
_ALL, _LAST, _FIRST = checks.Default(None), checks.Default(-1), checks.Default(0)
_NO_DIM = checks.Default(None)


def get_default_dtype() -> np.dtype:
    """The float dtype given to Python numbers, lists and integer arrays (float32 by default)."""
    return _default_dtype[0]


def set_default_dtype(dtype: Any) -> None:
    """Set the default float dtype, e.g. ``mg.set_default_dtype(np.float64)`` for gradient checks."""
    d = np.dtype(dtype)
    if d.kind != "f":
        checks.fail("set_default_dtype", "dtype", dtype, "a floating dtype", TypeError)
    _default_dtype[0] = d


def _to_array(data: Any, dtype: Any = None) -> np.ndarray:
    """User data as a base-class ndarray following the dtype policy; errors say what was given."""
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, np.ma.MaskedArray):
        raise TypeError("Tensor data cannot be a masked array: minigrad would ignore its mask; fill the "
                        "masked values first (arr.filled(value)) or pass arr.data")
    elif data is None or isinstance(data, (str, bytes)):
        what = "None" if data is None else f"the {'string' if isinstance(data, str) else 'bytes'} {data!r}"
        raise TypeError(f"Tensor data must be numeric (a number, a nested list of numbers or an array); "
                        f"received {what}")
    else:
        try:
            arr = np.asarray(data)  # (also turns ndarray subclasses such as np.matrix into plain arrays)
        except ValueError as exc:  # ragged nested lists
            raise ValueError(f"Tensor data must be a rectangular nested list of numbers; received a "
                             f"ragged sequence ({exc})") from None
    kind = arr.dtype.kind
    if kind not in "fiub":
        names = {"O": "objects", "U": "strings", "S": "bytes", "c": "complex numbers"}
        what = names.get(kind, str(arr.dtype))
        raise TypeError(f"Tensor data must be real numbers (float, int or bool); received an array of "
                        f"{what} (dtype {arr.dtype})")
    if dtype is not None:
        d = np.dtype(dtype)
        if d.kind not in "fiub":
            checks.fail("Tensor", "dtype", d, "a real number type (float, int or bool)", TypeError)
    elif kind == "f" and isinstance(data, (np.ndarray, Tensor)):
        return arr
    else:
        d = _default_dtype[0]
    with np.errstate(over="ignore"):  # 1e300 as float32 is inf, silently (as in PyTorch)
        return arr if arr.dtype == d else arr.astype(d)


class Tensor:
    """An n-dimensional array with reverse-mode autodiff.

    ``Tensor(data, requires_grad=False, dtype=None, name=None)``. After ``y.backward()``, every
    leaf ``x`` with ``requires_grad=True`` that ``y`` depends on holds ``dy/dx`` in ``x.grad``
    (a NumPy array of ``x.shape``; gradients add up over several backward calls, as in PyTorch).
    """

    __slots__ = ("_data", "grad", "_requires_grad", "grad_fn", "name", "_version_counter", "__weakref__")
    __array_priority__ = 1000  # numpy_array + tensor calls Tensor.__radd__

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None):
        self._data = _to_array(data, dtype)
        self.grad: np.ndarray | None = None
        self.grad_fn: Function | None = None
        self.name = name
        # How often the array was changed in place; shared with views and detach() of this tensor,
        # so backward can refuse an array that changed after forward saved it.
        self._version_counter = [0]
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _from_op(data: Any) -> Tensor:
        """Wrap an op's result as it is (no dtype policy: an op's output keeps its dtype)."""
        t = object.__new__(Tensor)
        t._data = data if type(data) is np.ndarray else np.asarray(data)
        t.grad, t.grad_fn, t.name = None, None, None
        t._version_counter, t._requires_grad = [0], False
        return t

    # -- the array and its metadata ------------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The underlying ``numpy.ndarray``. Assigning to it bumps the version counter."""
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        if value is not self._data:  # (t.data -= x changes the array in place, then assigns it back)
            self._data = _to_array(value, None if isinstance(value, np.ndarray) else self._data.dtype)
        self._bump_version()

    @property
    def _version(self) -> int:
        return self._version_counter[0]

    def _bump_version(self) -> None:
        """Record an in-place change of this tensor's array (and so of its views)."""
        self._version_counter[0] += 1
        autograd.note_inplace_change()

    shape = property(lambda self: self._data.shape, doc="tuple of dimensions")
    dtype = property(lambda self: self._data.dtype, doc="numpy dtype")
    ndim = property(lambda self: self._data.ndim, doc="number of dimensions")
    size = property(lambda self: self._data.size, doc="number of elements")

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (user-created tensors and parameters)."""
        return self.grad_fn is None

    @property
    def T(self) -> Tensor:
        """The transpose (axes reversed), like ``ndarray.T``."""
        return self.transpose()

    def numpy(self) -> np.ndarray:
        return self._data

    def item(self) -> float:
        if self._data.size != 1:
            raise ValueError(f"item() needs a tensor with exactly one element; this one has shape "
                             f"{self.shape}")
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
    def requires_grad_(self, flag: bool = True) -> Tensor:
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
        """Whether backward computes a gradient for this tensor (assigning works like ``requires_grad_``)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data and version counter, cut from the graph."""
        t = Tensor._from_op(self._data)
        t.name, t._version_counter = self.name, self._version_counter
        return t

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor at the next backward (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        if self.grad_fn is not None:
            retain_grad_of(self, self.grad_fn)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (sets ``.grad`` to None)."""
        self.grad = None

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Backpropagate from this tensor: every leaf that requires grad gets d(self)/d(leaf) added to
        its ``.grad``. ``grad`` is d(loss)/d(self), required for a non-scalar tensor. The graph's
        saved arrays are freed afterwards unless ``retain_graph=True``."""
        run_backward(self, self._seed(grad), retain_graph)

    def _seed(self, grad: Any) -> np.ndarray:
        """The gradient backward starts from: ``grad`` checked (a private copy), or 1 for a scalar."""
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad and has no grad_fn: "
                               "no input of the computation has requires_grad=True")
        if grad is None:
            if self._data.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs: backward() on "
                                   f"a tensor of shape {self.shape} needs a gradient, e.g. "
                                   f"y.backward(grad=np.ones({self.shape}))")
            return np.ones(self._data.shape, dtype=self._data.dtype)
        seed = np.array(_to_array(grad, self._data.dtype))
        if seed.shape != self._data.shape:
            raise ValueError(f"backward: grad has shape {seed.shape} but the tensor has shape {self.shape}")
        return seed

    # -- in-place updates (not recorded; they bump the version counter) -------------------------
    def _update(self, what: str, other: Any, ufunc: Any = None) -> Tensor:
        """``array = ufunc(array, other)`` in place (``other`` copied in when no ufunc), checked."""
        if self.requires_grad and is_grad_enabled():
            raise RuntimeError(f"{what}: a tensor that requires grad can't be changed in place while grad "
                               f"mode is on; wrap the update in `with mg.no_grad():`")
        try:
            o = _plain(other)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{what}: {exc}; Received: {other!r}") from None
        kind = np.result_type(self._data, o)
        if not np.can_cast(kind, self._data.dtype, "same_kind"):
            raise TypeError(f"{what}: a result of type {kind} can't be stored in this {self._data.dtype} "
                            f"tensor; Received: {other!r}")
        try:
            o = np.broadcast_to(o, self._data.shape)
        except ValueError:
            raise ValueError(f"{what}: an operand of shape {np.shape(o)} does not broadcast to this "
                             f"tensor's shape {self.shape}") from None
        if ufunc is None:
            np.copyto(self._data, o, casting="same_kind")
        else:
            ufunc(self._data, o, out=self._data, casting="same_kind")
        self._bump_version()
        return self

    def add_(self, other: Any, alpha: float = 1.0) -> Tensor:
        return self._update("add_", other if alpha == 1.0 else alpha * _as_operand(other), np.add)

    def sub_(self, other: Any, alpha: float = 1.0) -> Tensor:
        return self._update("sub_", other if alpha == 1.0 else alpha * _as_operand(other), np.subtract)

    def mul_(self, other: Any) -> Tensor:
        return self._update("mul_", other, np.multiply)

    def zero_(self) -> Tensor:
        return self._update("zero_", 0)

    def copy_(self, src: Any) -> Tensor:
        return self._update("copy_", src)

    # -- operators ------------------------------------------------------------------------------
    def _operand(self, other: Any) -> Any:
        """The other operand of a binary op: a Tensor stays; a Python number becomes a 0-d array of a
        float tensor's dtype (so ``float32 * 2.5`` stays float32; with an integer tensor it stays a
        number, so ``int * 2.5`` is float64 as in NumPy); anything else follows the dtype policy."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, _PY_NUMBERS):
            if self._data.dtype.kind != "f":
                return other
            if -65504.0 < other < 65504.0:  # fits every float dtype
                return np.array(other, self._data.dtype)
            if isinstance(other, int) and abs(other) > 2 ** 1024:
                raise ValueError(f"the Python int {other} is beyond the float range; use a float or a "
                                 f"smaller number")
            with np.errstate(over="ignore"):  # like PyTorch: inf in a narrower dtype, silently
                return np.array(other, self._data.dtype)
        return _to_array(other)

    def __add__(self, other: Any) -> Tensor: return ops.Add.apply(self, self._operand(other))
    def __radd__(self, other: Any) -> Tensor: return ops.Add.apply(self._operand(other), self)
    def __sub__(self, other: Any) -> Tensor: return ops.Sub.apply(self, self._operand(other))
    def __rsub__(self, other: Any) -> Tensor: return ops.Sub.apply(self._operand(other), self)
    def __mul__(self, other: Any) -> Tensor: return ops.Mul.apply(self, self._operand(other))
    def __rmul__(self, other: Any) -> Tensor: return ops.Mul.apply(self._operand(other), self)
    def __truediv__(self, other: Any) -> Tensor: return ops.Div.apply(self, self._operand(other))
    def __rtruediv__(self, other: Any) -> Tensor: return ops.Div.apply(self._operand(other), self)
    def __pow__(self, other: Any) -> Tensor: return ops.Pow.apply(self, self._operand(other))
    def __rpow__(self, other: Any) -> Tensor: return ops.Pow.apply(self._operand(other), self)
    def __matmul__(self, other: Any) -> Tensor: return ops.MatMul.apply(self, self._operand(other))
    def __rmatmul__(self, other: Any) -> Tensor: return ops.MatMul.apply(self._operand(other), self)
    def __neg__(self) -> Tensor: return ops.Neg.apply(self)
    def __pos__(self) -> Tensor: return self

    def __getitem__(self, idx: Any) -> Tensor:
        """``t[idx]``: basic slices, integer arrays (Tensors too) and boolean masks."""
        if isinstance(idx, tuple):
            idx = tuple(i._data if isinstance(i, Tensor) else i for i in idx)
        elif isinstance(idx, (Tensor, list)):
            idx = _to_array(idx, np.asarray(idx).dtype) if isinstance(idx, list) else idx._data
        return ops.GetItem.apply(self, idx=idx)

    # comparisons: not differentiable, results never require grad
    def _compare(self, other: Any, op: Any) -> Tensor:
        return Tensor(op(self._data, _plain(other)), dtype=np.bool_)

    def __eq__(self, other: Any) -> Tensor: return self._compare(other, np.equal)  # type: ignore[override]
    def __ne__(self, other: Any) -> Tensor: return self._compare(other, np.not_equal)  # type: ignore[override]
    def __lt__(self, other: Any) -> Tensor: return self._compare(other, np.less)
    def __le__(self, other: Any) -> Tensor: return self._compare(other, np.less_equal)
    def __gt__(self, other: Any) -> Tensor: return self._compare(other, np.greater)
    def __ge__(self, other: Any) -> Tensor: return self._compare(other, np.greater_equal)

    # -- named ops: each one Function in minigrad/ops ---------------------------------------------
    def exp(self) -> Tensor: return ops.Exp.apply(self)
    def log(self) -> Tensor: return ops.Log.apply(self)
    def sqrt(self) -> Tensor: return ops.Sqrt.apply(self)
    def abs(self) -> Tensor: return ops.Abs.apply(self)
    def sigmoid(self) -> Tensor: return ops.Sigmoid.apply(self)
    def relu(self) -> Tensor: return ops.ReLU.apply(self)
    def tanh(self) -> Tensor: return ops.Tanh.apply(self)
    def softplus(self) -> Tensor: return ops.Softplus.apply(self)
    def softsign(self) -> Tensor: return ops.Softsign.apply(self)
    def leaky_relu(self, alpha: float = 0.01) -> Tensor: return ops.LeakyReLU.apply(self, alpha=alpha)
    def elu(self, alpha: float = 1.0) -> Tensor: return ops.ELU.apply(self, alpha=alpha)
    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        return ops.Clip.apply(self, min=min, max=max)
    def hardtanh(self, min: float = -1.0, max: float = 1.0) -> Tensor: return self.clip(min, max)
    def maximum(self, other: Any) -> Tensor: return ops.Maximum.apply(self, self._operand(other))
    def minimum(self, other: Any) -> Tensor: return ops.Minimum.apply(self, self._operand(other))
    def float(self) -> Tensor: return ops.Cast.apply(self, dtype=np.float32)
    def double(self) -> Tensor: return ops.Cast.apply(self, dtype=np.float64)
    def matmul(self, other: Any) -> Tensor: return self @ other

    # reductions and the softmax family take NumPy's axis= or PyTorch's dim= (not both)
    def sum(self, axis: Any = _ALL, keepdims: bool = False, *, dim: Any = _NO_DIM) -> Tensor:
        return ops.Sum.apply(self, axis=checks.pick_axis("sum", axis, dim), keepdims=keepdims)

    def mean(self, axis: Any = _ALL, keepdims: bool = False, *, dim: Any = _NO_DIM) -> Tensor:
        return ops.Mean.apply(self, axis=checks.pick_axis("mean", axis, dim), keepdims=keepdims)

    def var(self, axis: Any = _ALL, ddof: int = 0, keepdims: bool = False, *, dim: Any = _NO_DIM) -> Tensor:
        return ops.Var.apply(self, axis=checks.pick_axis("var", axis, dim), ddof=ddof, keepdims=keepdims)

    def max(self, axis: Any = _ALL, keepdims: bool = False, *, dim: Any = _NO_DIM) -> Tensor:
        return ops.Max.apply(self, axis=checks.pick_axis("max", axis, dim), keepdims=keepdims)

    def min(self, axis: Any = _ALL, keepdims: bool = False, *, dim: Any = _NO_DIM) -> Tensor:
        return ops.Min.apply(self, axis=checks.pick_axis("min", axis, dim), keepdims=keepdims)

    def logsumexp(self, axis: Any = _LAST, keepdims: bool = False, *, dim: Any = _NO_DIM) -> Tensor:
        return ops.LogSumExp.apply(self, axis=checks.pick_axis("logsumexp", axis, dim), keepdims=keepdims)

    def softmax(self, axis: Any = _LAST, *, dim: Any = _NO_DIM) -> Tensor:
        return ops.Softmax.apply(self, axis=checks.pick_axis("softmax", axis, dim))

    def log_softmax(self, axis: Any = _LAST, *, dim: Any = _NO_DIM) -> Tensor:
        return ops.LogSoftmax.apply(self, axis=checks.pick_axis("log_softmax", axis, dim))

    def argmax(self, axis: Any = _ALL, *, dim: Any = _NO_DIM) -> Tensor:
        """Index of the maximum (not differentiable; int64). ``axis=None``: of the flattened tensor."""
        axis = checks.pick_axis("argmax", axis, dim)
        return Tensor(ops.arg_extreme("argmax", self._data, axis), dtype=np.int64)

    def argmin(self, axis: Any = _ALL, *, dim: Any = _NO_DIM) -> Tensor:
        """Index of the minimum (not differentiable; int64). ``axis=None``: of the flattened tensor."""
        axis = checks.pick_axis("argmin", axis, dim)
        return Tensor(ops.arg_extreme("argmin", self._data, axis), dtype=np.int64)

    # shape ops: all of them reshapes or transposes (views that share the version counter)
    def reshape(self, *shape: Any) -> Tensor:
        """Same elements in a new shape: ``t.reshape(2, 3)`` or ``t.reshape((2, 3))``; one axis may be -1."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.Reshape.apply(self, shape=shape)

    def transpose(self, *axes: Any) -> Tensor:
        """Permute axes (reverse them when none are given), like ``numpy.transpose``."""
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = tuple(axes[0] or ())
        return ops.Transpose.apply(self, axes=axes or None)

    def flatten(self, start_dim: int = 0) -> Tensor:
        """Merge axes ``start_dim`` … last into one: (N, C, H, W) with start_dim=1 -> (N, C·H·W)."""
        return self.reshape(ops.flattened_shape(self.shape, start_dim))

    def expand_dims(self, axis: Any = _ALL, *, dim: Any = _NO_DIM) -> Tensor:
        """Insert an axis of size 1 at ``axis`` (-ndim-1 … ndim, as in NumPy)."""
        return self.reshape(ops.expanded_shape(self.shape, checks.pick_axis("expand_dims", axis, dim)))

    def squeeze(self, axis: Any = _ALL, *, dim: Any = _NO_DIM) -> Tensor:
        """Remove axes of size 1 (only ``axis`` when given, an int or a tuple; each must have size 1)."""
        return self.reshape(ops.squeezed_shape(self.shape, checks.pick_axis("squeeze", axis, dim)))


autograd.Tensor = Tensor  # type: ignore[misc]  # the seam: Function.apply makes Tensors (see autograd.py)


def _plain(other: Any) -> Any:
    """The other operand of an in-place update or a comparison: a Tensor's array, a Python number as
    it is (NumPy casts it to the tensor's dtype), anything else through the dtype policy."""
    return other._data if isinstance(other, Tensor) else other if isinstance(other, _PY_NUMBERS) \
        else _to_array(other)


def _as_operand(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def as_tensor(x: Any) -> Tensor:
    """``x`` itself when it is a Tensor, else ``Tensor(x)``."""
    return x if isinstance(x, Tensor) else Tensor(x)
