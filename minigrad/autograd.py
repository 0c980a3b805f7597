"""The autograd core: grad mode, ``Function`` (the op node), and the backward engine.

Every differentiable op, built-in or user-defined, is a ``Function`` subclass with two static
methods on NumPy arrays::

    forward(ctx, *arrays, **kwargs) -> array        backward(ctx, grad) -> grad or tuple of grads

``Function.apply`` unwraps Tensors, runs ``forward``, and, when grad mode is on and some input
requires grad, records the call: the ``ctx`` object *is* the graph node (``tensor.grad_fn``). It
holds the input Tensors (``ctx.inputs``) and what ``forward`` saved, and nothing points back from a
node to its output, so a graph is a tree of plain references that dies with its last tensor
(no reference cycles for Python's cyclic garbage collector to chase).

``backward`` walks the graph with an explicit stack (no recursion: depth 100,000 is fine), sums
broadcast gradients back to each input's shape in one place (``unbroadcast``), accumulates into the
``.grad`` of leaves, and frees what ``forward`` saved unless ``retain_graph=True``.
"""
from __future__ import annotations

import itertools
import threading
import traceback
import weakref
from heapq import heappop, heappush
from typing import Any

import numpy as np

__all__ = [
    "Function", "no_grad", "enable_grad", "is_grad_enabled", "set_grad_enabled",
    "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "unbroadcast", "bump_version", "const",
]

# ---------------------------------------------------------------------------------------------
# grad mode (thread-local) and anomaly mode

class _ThreadState(threading.local):
    grad_enabled = True  # each new thread starts with grad mode on


_local = _ThreadState()
# How many threads have grad mode off. While none has, every op may skip reading the thread-local
# flag (~75 ns an op: 2 % of a chain of tiny ops). Changed under a lock, read without one: a
# thread turns its own mode off before its next op, so it always sees a count above zero.
_threads_without_grad = [0]
_mode_lock = threading.Lock()


def is_grad_enabled() -> bool:
    """True when ops record a graph in this thread (the default)."""
    return _local.grad_enabled


def set_grad_enabled(mode: bool) -> None:
    """Switch graph recording on or off for the current thread."""
    mode = bool(mode)
    with _mode_lock:
        if _local.grad_enabled != mode:
            _threads_without_grad[0] += -1 if mode else 1
            _local.grad_enabled = mode


class _GradMode:
    """Context manager and decorator that sets grad mode for the current thread, then restores it."""

    mode = True

    def __enter__(self) -> None:
        self._prev = _local.grad_enabled
        set_grad_enabled(self.mode)

    def __exit__(self, *exc: Any) -> None:
        set_grad_enabled(self._prev)

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """``with mg.no_grad():`` (or ``@mg.no_grad()``): ops inside record nothing; results need no grad."""

    mode = False


class enable_grad(_GradMode):
    """``with mg.enable_grad():`` turns recording back on inside a ``no_grad`` block."""

    mode = True


_anomaly = [False]  # a list so the hot path reads one global without a function call


def set_detect_anomaly(flag: bool) -> None:
    """Turn NaN/inf checks on every op's forward output and backward gradients on or off."""
    _anomaly[0] = bool(flag)


def is_anomaly_enabled() -> bool:
    return _anomaly[0]


class detect_anomaly:
    """``with mg.detect_anomaly():`` — any op whose forward output or backward gradient holds NaN or
    inf raises ``FloatingPointError`` naming the op (and, for backward, the user line that created it).
    Also usable as a decorator."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled

    def __enter__(self) -> None:
        self._prev = _anomaly[0]
        _anomaly[0] = self.enabled

    def __exit__(self, *exc: Any) -> None:
        _anomaly[0] = self._prev

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.enabled):
                return fn(*args, **kwargs)

        return wrapper


def _user_frame() -> str:
    """The innermost stack frame outside the minigrad package, as 'file:line in func: code'."""
    import os

    pkg = os.path.dirname(os.path.abspath(__file__))
    for frame in reversed(traceback.extract_stack()[:-2]):
        if not os.path.abspath(frame.filename).startswith(pkg):
            return f'File "{frame.filename}", line {frame.lineno}, in {frame.name}: {frame.line}'
    return "<unknown>"


def _check_finite(what: str, op: str, arr: np.ndarray, created_at: str | None = None) -> None:
    if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
        bad = "NaN" if np.isnan(arr).any() else "inf"
        msg = f"{op}: {what} holds {bad} (shape {arr.shape})"
        if created_at:
            msg += f"; the op was created at {created_at}"
        raise FloatingPointError(msg)


# ---------------------------------------------------------------------------------------------
# Function: the op node


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` (of a broadcast result's shape) back down to ``shape``.

    Leading axes that broadcasting added are summed away; axes where ``shape`` has 1 are summed
    with keepdims. This is the only place in minigrad that undoes broadcasting.
    """
    lead = grad.ndim - len(shape)
    if lead == 1 and grad.shape[1:] == shape:  # the common case: a bias added to a batch
        if grad.ndim == 2 and grad.dtype.char in "fd":  # column sums as ones @ grad: BLAS does them
            return np.dot(ones_vector(grad.shape[0], grad.dtype), grad)  # 2-4x quicker (9 -> 2.5 µs for 256x100)
        return np.add.reduce(grad, axis=0)  # (= grad.sum(axis=0) without its Python wrapper)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape) if grad.shape != shape else grad


def ones_vector(n: int, dtype: np.dtype) -> np.ndarray:
    """A fresh vector of ``n`` ones (``np.ones`` without its Python wrapper: 0.7 instead of 1.4 µs).
    Sums as products with it (``ones @ g``, ``x @ ones``) run in BLAS, several times quicker than
    NumPy's reductions over a short axis."""
    v = np.empty(n, dtype)
    v.fill(1)
    return v


_constants: dict = {}


def const(value: float, dtype: np.dtype) -> Any:
    """``value`` as a read-only 0-d array of a float ``dtype`` (made once, then cached); for any other
    dtype the number itself.

    Ops write their constants with it (``x * const(0.5, x.dtype)``), and Tensor operators use it
    for a user's Python number (``Tensor._operand``): NumPy ≥ 2 computes ``x * 0.5`` like
    ``x * c`` with ``c`` a 0-d array of x's dtype (the number is cast to x's dtype, NEP 50), but a
    Python number takes the weak-scalar path, about 0.3 µs slower per call on small arrays. Keys
    compare by value, so ``const(-0.0, ...)`` may return +0.0: pass zeros whose sign matters to
    ``np.asarray`` instead.
    """
    c = _constants.get((value, dtype))
    if c is None:
        if dtype.kind != "f":  # (not cached: 1 and 1.0 would share an entry, and int * 1.0 is float)
            return value
        if len(_constants) > 256:  # values such as learning rates change: keep the cache small
            _constants.clear()
        c = _constants[value, dtype] = np.array(value, dtype)
        c.flags.writeable = False  # shared by every op that uses this number
    return c


class Function:
    """Base class of every op. Subclass it with static ``forward(ctx, ...)`` and ``backward(ctx, grad)``.

    In ``forward`` the positional arguments are NumPy arrays (Tensors are unwrapped; other values
    pass through as given) and keyword arguments pass through untouched. ``backward`` receives the
    gradient of the output (an array of the output's shape) and returns one gradient per positional
    input, a tuple when there are several; ``None`` means "no gradient". Returned gradients may have
    the broadcast output shape: the engine sums them back to each input's shape.

    The ``ctx`` object offers ``save_for_backward(*arrays)``, ``saved_tensors`` and
    ``needs_input_grad`` (a tuple of bools, one per positional input, to skip needless work).
    ``backward`` runs under one ``np.errstate`` that the engine sets for the whole pass, so inf/NaN
    arithmetic in it is silent (``mg.detect_anomaly()`` reports it); ops need no errstate of their own.
    """

    __slots__ = ("inputs", "saved_tensors", "needs_input_grad", "_seq", "_versions", "__dict__")
    _retained = None  # a weak reference to the output, set by Tensor.retain_grad()
    _output_version = 0  # set when the output, saved by forward, was changed in place
    _created_at = None  # the user's source line, recorded in anomaly mode

    def save_for_backward(self, *arrays: Any) -> None:
        self.saved_tensors = arrays

    @staticmethod
    def forward(ctx: "Function", *args: Any, **kwargs: Any) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: "Function", grad: np.ndarray) -> Any:
        raise NotImplementedError

    @classmethod
    def op_name(cls) -> str:
        """The name shown in graphs and error messages: the class name in lower case."""
        return cls.__name__.lower()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> "Tensor":
        """Run ``forward`` on the unwrapped arguments and return a Tensor that remembers this call.

        The work is done by ``_apply1``/``_apply2``/``_apply_n`` (one, two, any number of inputs),
        module functions with fixed signatures that Tensor's operators and methods call directly:
        through this classmethod a call also builds a bound method, an argument tuple and a keyword
        dict (~150 ns, 7 % of a chain of tiny ops)."""
        n = len(args)
        if n == 2:
            return _apply2(cls, args[0], args[1], kwargs)
        if n == 1:
            return _apply1(cls, args[0], kwargs)
        return _apply_n(cls, args, kwargs)


# The three _apply functions below repeat the tail that makes the output Tensor and records the
# node on purpose: a shared helper would cost what their fixed signatures save. Inputs are
# unwrapped (a Tensor gives its array; anything else passes as given); the node records the inputs
# as given (graph drawing shows constants too), which need a gradient, its creation number and,
# when forward saved something, the inputs' versions and arrays so that backward can tell if a
# saved one changed. That record is skipped when every Tensor input is an op's output still at
# version 0 (most inputs in a graph): _check_node knows both then. Constants have version -1.
_NO_KWARGS: dict = {}  # (shared and never changed: forward receives keywords unpacked)


def _apply1(cls: type, a: Any, kwargs: dict = _NO_KWARGS) -> "Tensor":
    """``cls.apply(a, **kwargs)``."""
    ctx = _new(cls)
    ctx.saved_tensors = ()
    if isinstance(a, Tensor):
        xa, na, va = a._data, a._requires_grad, a._version
    else:
        xa, na, va = a, False, -1
    try:
        out = cls.forward(ctx, xa, **kwargs) if kwargs else cls.forward(ctx, xa)
    except ValueError as exc:
        raise _forward_error(cls, (a,), exc) from None
    if type(out) is not _ndarray:
        out = np.asarray(out)
    t = _new(Tensor)
    t._data = out
    t.grad = None
    t._version = 0
    t.name = None
    if na and (not _threads_without_grad[0] or _local.grad_enabled):
        t._requires_grad = True
        t.grad_fn = ctx
        ctx.inputs = (a,)
        ctx.needs_input_grad = _NEEDS1
        ctx._seq = next(_sequence)
        if ctx.saved_tensors and (va or a.grad_fn is None):
            ctx._versions = (va, xa)
    else:
        t._requires_grad = False
        t.grad_fn = None
    if _anomaly[0]:
        _check_forward(cls, ctx, t)
    return t


def _apply2(cls: type, a: Any, b: Any, kwargs: dict = _NO_KWARGS) -> "Tensor":
    """``cls.apply(a, b, **kwargs)``."""
    ctx = _new(cls)
    ctx.saved_tensors = ()
    if isinstance(a, Tensor):
        xa, na, va = a._data, a._requires_grad, a._version
    else:
        xa, na, va = a, False, -1
    if isinstance(b, Tensor):
        xb, nb, vb = b._data, b._requires_grad, b._version
    else:
        xb, nb, vb = b, False, -1
    try:
        out = cls.forward(ctx, xa, xb, **kwargs) if kwargs else cls.forward(ctx, xa, xb)
    except ValueError as exc:
        raise _forward_error(cls, (a, b), exc) from None
    if type(out) is not _ndarray:
        out = np.asarray(out)
    t = _new(Tensor)
    t._data = out
    t.grad = None
    t._version = 0
    t.name = None
    if (na or nb) and (not _threads_without_grad[0] or _local.grad_enabled):
        t._requires_grad = True
        t.grad_fn = ctx
        ctx.inputs = (a, b)
        ctx.needs_input_grad = _NEEDS2[na][nb]
        ctx._seq = next(_sequence)
        if ctx.saved_tensors and ((va >= 0 and (va or a.grad_fn is None)) or (vb >= 0 and (vb or b.grad_fn is None))):
            ctx._versions = (va, vb, xa, xb)
    else:
        t._requires_grad = False
        t.grad_fn = None
    if _anomaly[0]:
        _check_forward(cls, ctx, t)
    return t


def _apply_n(cls: type, args: tuple, kwargs: dict = _NO_KWARGS) -> "Tensor":
    """``cls.apply(*args, **kwargs)`` for any number of inputs (a plain loop: generator expressions
    and comprehensions cost a frame each)."""
    ctx = _new(cls)
    ctx.saved_tensors = ()
    arrays, needs, versions = [], [], []
    for a in args:
        if isinstance(a, Tensor):
            arrays.append(a._data)
            needs.append(a._requires_grad)
            versions.append(a._version)
        else:
            arrays.append(a)
            needs.append(False)
            versions.append(-1)
    try:
        out = cls.forward(ctx, *arrays, **kwargs)
    except ValueError as exc:
        raise _forward_error(cls, args, exc) from None
    if type(out) is not _ndarray:
        out = np.asarray(out)
    t = _new(Tensor)
    t._data = out
    t.grad = None
    t._version = 0
    t.name = None
    needs = tuple(needs)
    if True in needs and (not _threads_without_grad[0] or _local.grad_enabled):
        t._requires_grad = True
        t.grad_fn = ctx
        ctx.inputs = args
        ctx.needs_input_grad = needs
        ctx._seq = next(_sequence)
        if ctx.saved_tensors:
            ctx._versions = tuple(versions + arrays)
    else:
        t._requires_grad = False
        t.grad_fn = None
    if _anomaly[0]:
        _check_forward(cls, ctx, t)
    return t


def _forward_error(cls: type, args: tuple, exc: ValueError) -> ValueError:
    """The error to raise when ``forward`` refused its inputs: its own when it names the op already
    (ops name both shapes), else one that adds the op's name and the input shapes."""
    if str(exc).startswith(cls.op_name()):
        return exc
    shapes = " and ".join(str(np.shape(a._data if isinstance(a, Tensor) else a)) for a in args)
    return ValueError(f"{cls.op_name()} (input shapes {shapes}): {exc}")


def _check_forward(cls: type, ctx: Function, t: "Tensor") -> None:
    """Anomaly mode: a NaN or inf in the output raises; a recorded node keeps the user's line."""
    _check_finite("forward output", cls.op_name(), t._data)
    if t.grad_fn is not None:
        ctx._created_at = _user_frame()


_new = object.__new__
_ndarray = np.ndarray  # (a module global: reading np.ndarray in the hot path costs ~100 ns)
# needs_input_grad of recorded one- and two-input ops (two-input: indexed by the always-bool
# requires_grad flags): shared tuples, so the hot path allocates (and the GC tracks) one object less
_NEEDS1 = (True,)
_NEEDS2 = (((False, False), (False, True)), ((True, False), (True, True)))
_FIRST_ONLY, _SECOND_ONLY = _NEEDS2[1][0], _NEEDS2[0][1]
_sequence = itertools.count()  # creation order of nodes: a node is always newer than its inputs' nodes
# The number (from the same sequence) of the latest in-place change of any tensor or retain_grad
# call. A node made after it cannot have a changed input, so backward skips the per-input version
# checks for it (see bump_version and _check_node).
_last_change = [-1]


def bump_version(t: "Tensor") -> None:
    """Record an in-place change of ``t``: its version counter goes up, and so does the sequence."""
    t._version += 1
    _last_change[0] = next(_sequence)


# ---------------------------------------------------------------------------------------------
# the backward engine


def run_backward(root: "Tensor", grad: np.ndarray, retain_graph: bool = False) -> None:
    """Backpropagate ``grad`` (d root / d root, of root's shape) through root's graph.

    Nodes are processed newest first (a max-heap on their creation number), so a node runs
    ``backward`` once, after every node that consumes its output has delivered its gradient:
    one pass, an explicit heap instead of the call stack. When a node's gradient goes to a single
    node and nothing else waits, that node runs next without a trip through the heap.
    """
    node = root.grad_fn
    if node is None:  # a leaf: its gradient is the seed itself
        _accumulate(root, grad)
        return
    _backward_from(node, grad, retain_graph)


# inf/NaN in gradients arise silently, as in PyTorch; mg.detect_anomaly() turns them into errors.
# (np.errstate as a decorator costs ~1 µs less per call than a with-block, which builds an object.)
@np.errstate(over="ignore", invalid="ignore", divide="ignore")
def _backward_from(node: Function, grad: np.ndarray, retain_graph: bool) -> None:
    anomaly = _anomaly[0]
    last_change = _last_change[0]
    grads = {}  # creation number -> gradient of that node's output, summed so far (nodes in the heap)
    nodes = {}
    heap = []
    g = grad
    while True:
        if node.saved_tensors is None:  # freed by an earlier backward()
            raise RuntimeError(
                f"Trying to backward through the graph a second time (through {node.op_name()}): its "
                "saved arrays were freed after the first backward(). Specify retain_graph=True on the "
                "first backward() call if you need to backward through the graph again.")
        if node._seq < last_change:  # something changed in place since this node was made
            _check_node(node, g)
        in_grads = node.backward(node, g)
        if not retain_graph:
            node.saved_tensors = None
        inputs = node.inputs
        if not heap and not anomaly:
            # A step of a chain: one input needs a gradient (a one-input op, or x * c) and nothing
            # else is pending. An array of that input's dtype and shape goes straight on to the op
            # that made the input, as the loop below would hand it on, without its bookkeeping
            # (~60 of ~150 opcodes a node). Anything else takes the loop.
            if type(in_grads) is not tuple:
                k = 0
                gi = in_grads if len(inputs) == 1 else None  # (else: the loop reports the count)
            else:
                needs = node.needs_input_grad
                k = 0 if needs is _FIRST_ONLY else 1 if needs is _SECOND_ONLY else -1
                gi = in_grads[k] if k >= 0 and len(in_grads) == 2 else None
            if gi is not None:
                inp = inputs[k]
                fn = inp.grad_fn
                data = inp._data
                if fn is not None and type(gi) is _ndarray and gi.dtype is data.dtype and gi.shape == data.shape:
                    node, g = fn, gi
                    continue
        if type(in_grads) is not tuple:
            in_grads = (in_grads,)
        n = len(inputs)
        if len(in_grads) != n:
            raise RuntimeError(f"{node.op_name()}.backward returned {len(in_grads)} gradients for "
                               f"{n} inputs; return one per positional input of forward")
        if n > 2 and len(set(map(id, in_grads))) < n:  # some array (or None) handed out twice
            in_grads = _own_arrays(in_grads)
        needs = node.needs_input_grad
        prev = nxt = nxt_g = None
        i = -1
        for gi in in_grads:  # (an index, not zip(): zip's iterators cost ~40% of this loop)
            i += 1
            if gi is None or not needs[i]:
                continue
            inp = inputs[i]
            data = inp._data
            if type(gi) is not _ndarray or gi.dtype is not data.dtype or gi.shape != data.shape:
                gi = _conform(gi, data, node)
            if gi is prev:  # the same array handed to both inputs (Add): give each its own
                gi = gi.copy()
            prev = gi
            if anomaly:
                _check_finite("backward gradient", node.op_name(), gi, node._created_at)
            fn = inp.grad_fn
            if fn is None:
                _accumulate(inp, gi)
            elif fn is nxt:
                nxt_g = nxt_g + gi
            elif nxt is None and not heap:
                # Nothing else is waiting (an empty heap means no gradients are pending either), so
                # fn is the newest pending node: it runs next, handed on directly (a chain, the
                # common case, never touches the heap and its dicts).
                nxt, nxt_g = fn, gi
            else:
                key = fn._seq
                old = grads.get(key)
                if old is not None:
                    grads[key] = old + gi
                else:
                    if nxt is not None:  # a second branch: both wait in the heap
                        grads[nxt._seq], nodes[nxt._seq] = nxt_g, nxt
                        heappush(heap, -nxt._seq)
                        nxt = None
                    grads[key], nodes[key] = gi, fn
                    heappush(heap, -key)
        if nxt is not None:
            node, g = nxt, nxt_g
        elif heap:
            seq = -heappop(heap)
            node, g = nodes.pop(seq), grads.pop(seq)
        else:
            return


def _check_node(node: Function, g: np.ndarray) -> None:
    """The rare per-node work, done only for nodes older than the latest in-place change: refuse a
    saved array that changed since forward, and store the gradient of a ``retain_grad()`` tensor."""
    if node._output_version:
        _version_error(node, None, 0, node._output_version)
    if node.saved_tensors:  # (forward recorded _versions, n versions then the n arrays, unless all were fresh)
        inputs = node.inputs
        n = len(inputs)
        versions = getattr(node, "_versions", None)
        if versions is None:  # every Tensor input was an op's output at version 0, with its first array
            versions = [0 if isinstance(inp, Tensor) else -1 for inp in inputs] + [
                _first_array(inp) if isinstance(inp, Tensor) else inp for inp in inputs]
        for inp, v, arr in zip(inputs, versions[:n], versions[n:]):
            if v >= 0 and inp._version != v and any(s is arr for s in node.saved_tensors):
                _version_error(node, inp, v)
    if node._retained is not None:
        out = node._retained()
        if out is not None:
            _accumulate(out, g.copy())


def _first_array(t: "Tensor") -> np.ndarray:
    """The array ``t`` had at version 0 (``.data =`` may have replaced it since; see Tensor.data)."""
    first = getattr(t, "_first_data", None)
    return t._data if first is None else first


def _conform(gi: Any, data: np.ndarray, node: Function) -> np.ndarray:
    """Turn a gradient a backward returned into an array of the input's shape and dtype."""
    gi = np.asarray(gi)
    if gi.shape != data.shape:
        gi = _fit_shape(gi, data.shape, node)
    if gi.dtype != data.dtype:
        with np.errstate(over="ignore"):  # a float64 gradient beyond float32's range becomes inf
            gi = gi.astype(data.dtype)
    return gi


def _own_arrays(grads: tuple) -> tuple:
    """Copy any array that a backward returned for more than one input, so no two leaves share a .grad."""
    out = []
    for g in grads:
        out.append(g.copy() if g is not None and any(g is o for o in out) else g)
    return tuple(out)


def _fit_shape(gi: np.ndarray, shape: tuple, node: Function) -> np.ndarray:
    try:
        return unbroadcast(gi, shape)
    except ValueError:
        raise RuntimeError(f"{node.op_name()}.backward returned a gradient of shape {gi.shape} for an "
                           f"input of shape {shape}, which does not broadcast to it") from None


def _accumulate(t: "Tensor", g: np.ndarray) -> None:
    """Add ``g`` into ``t.grad`` (out of place, so no array handed out earlier changes)."""
    if t.grad is None:
        t.grad = g.copy() if g.base is not None or not g.flags.writeable else g
    else:
        t.grad = t.grad + g


def _version_error(node: Function, inp: "Tensor | None", v: int, now: int | None = None) -> None:
    what = f"the output of {node.op_name()}" if inp is None else f"an input of {node.op_name()} (shape {inp.shape})"
    raise RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: {what} is at version {inp._version if inp is not None else now}; "
        f"expected version {v} instead. Do not change a tensor in place (an "
        f"optimizer step, .data assignment, add_/mul_/…) between its use in forward and "
        f"backward().")


def retain_grad_of(t: "Tensor") -> None:
    """Make the engine store the gradient of non-leaf ``t`` in ``t.grad`` (a weak reference: no cycle)."""
    t.grad_fn._retained = weakref.ref(t)
    _last_change[0] = next(_sequence)  # so backward looks at this node's extras (see _check_node)


from .tensor import Tensor  # noqa: E402  (circular by design: Tensor methods call Function.apply)
