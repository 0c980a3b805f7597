"""The autograd core: ``Function`` (the op and its graph node) and the backward pass.

Every op is a ``Function`` subclass with two static methods on NumPy arrays::

    forward(ctx, *arrays, **kwargs) -> array        backward(ctx, grad) -> one gradient per input

``Function.apply`` unwraps Tensors, runs ``forward`` and, when grad mode is on and some input
requires grad, records the call: the ``ctx`` object *is* the graph node (``tensor.grad_fn``), keeping
the inputs, keyword arguments and what ``forward`` saved. Backward visits the nodes newest first (a
node is newer than its inputs' nodes, so it runs after all its consumers), sums broadcast gradients
back to each input's shape in one place (``unbroadcast``) and adds into the ``.grad`` of leaves. It
is a loop over a heap, not recursion: a chain of 100,000 ops is fine. The switches it reads (grad
mode, anomaly mode) are in ``modes.py``.

This file is the reference; by default ``_fast.py`` replaces ``Function.apply`` and ``_walk`` with
renditions doing the same with less Python per op (tested equal); ``MINIGRAD_ENGINE=plain`` keeps these.
"""
from __future__ import annotations

import heapq
import itertools
import threading
import weakref
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from .modes import (  # noqa: F401  (the switches are also reachable as mg.autograd.no_grad, ...)
    anomaly_mode,
    check_finite,
    detect_anomaly,
    enable_grad,
    grad_mode,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
    user_frame,
)

if TYPE_CHECKING:
    from .tensor import Tensor
else:
    # The one seam of the core: Function.apply wraps results in Tensors, and Tensor's methods call
    # Function.apply, so each file needs the other. tensor.py imports this module, then hands its
    # class over right after defining it (``autograd.Tensor = Tensor``); nothing else crosses back.
    Tensor = None

__all__ = [
    "Function", "no_grad", "enable_grad", "is_grad_enabled", "set_grad_enabled",
    "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "unbroadcast", "run_backward",
]

# ---------------------------------------------------------------------------------------------
# Function: the op and its graph node

_creation = itertools.count()  # creation order of nodes: a node is always newer than its inputs' nodes
_changes = [0]  # in-place changes of any tensor so far: backward checks versions only if it moved


def note_inplace_change() -> None:
    """Count an in-place change of some tensor (``Tensor._bump_version`` calls it)."""
    _changes[0] += 1


class Function:
    """Base class of every op: subclass it with static ``forward(ctx, ...)`` and ``backward(ctx, grad)``.

    ``forward`` receives NumPy arrays for Tensor arguments (other values as given) and keyword
    arguments untouched. ``backward`` receives the gradient of the output (an array of its shape)
    and returns one gradient per positional input, a tuple when there are several; ``None`` means
    no gradient. Gradients may have the broadcast output shape: the engine sums them back.
    ``ctx.save_for_backward(*arrays)`` keeps arrays for ``backward`` (``ctx.saved_tensors``);
    ``ctx.needs_input_grad`` (one bool per input) lets ``backward`` skip needless work. ``backward``
    runs with NumPy's floating-point warnings silenced, as in PyTorch (``mg.detect_anomaly()``
    reports NaN and inf instead).
    """

    inputs: tuple = ()  # the positional arguments of the call, Tensors and constants as given
    kwargs: dict = {}  # its keyword arguments
    needs_input_grad: tuple = ()
    saved_tensors: tuple | None = ()  # None once backward freed them
    seq = 0  # creation number (see _creation)
    clock = 0  # _changes at forward
    versions: Sequence[int] = ()  # the inputs' versions at forward, kept when forward saved something
    arrays: Sequence[Any] = ()  # the arrays forward received, kept with versions
    output_counter: list | None = None  # the output's version counter, kept when forward saved the output
    created_at: str | None = None  # the user's source line, recorded in anomaly mode
    _retained: Any = None  # a weak reference to the output, set by Tensor.retain_grad()

    def save_for_backward(self, *arrays: Any) -> None:
        self.saved_tensors = arrays

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Any, grad: np.ndarray) -> Any:
        raise NotImplementedError

    @classmethod
    def op_name(cls) -> str:
        """The name shown in graphs and error messages: the class name in lower case."""
        return cls.__name__.lower()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # MySigmoid(x): the PyTorch habit misapplied
        raise TypeError(f"{type(self).__name__} is a Function: call {type(self).__name__}.apply(...) "
                        f"to run it on tensors")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Tensor:
        """Run ``forward`` on the unwrapped arguments; return a Tensor that remembers this call."""
        ctx = object.__new__(cls)  # the node (__init__ is the error above)
        arrays, needs, versions = [], [], []
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a._data)
                needs.append(a._requires_grad)
                versions.append(a._version_counter[0])
            else:
                arrays.append(a)
                needs.append(False)
                versions.append(0)
        try:
            out = Tensor._from_op(cls.forward(ctx, *arrays, **kwargs))
        except ValueError as exc:
            raise _forward_error(cls, args, exc) from None
        if out._data.base is not None:  # a view of an input (reshape, .T, a slice): one version counter
            _share_version(out, args)
        if True in needs and grad_mode.enabled:
            ctx.inputs, ctx.kwargs, ctx.needs_input_grad = args, kwargs, tuple(needs)
            ctx.seq = next(_creation)
            if ctx.saved_tensors:  # backward refuses to run if a saved input or output changed since
                ctx.clock, ctx.arrays, ctx.versions = _changes[0], arrays, versions
                for s in ctx.saved_tensors:
                    if s is out._data:
                        ctx.output_counter = out._version_counter  # (at version 0 now)
            out.grad_fn, out._requires_grad = ctx, True
        if anomaly_mode.enabled:
            check_finite("forward output", cls.op_name(), out._data)
            ctx.created_at = user_frame()
        return out


def _share_version(out: Tensor, args: tuple) -> None:
    """Give a view the version counter of the input it views, so in-place writes through either count."""
    for a in args:
        if isinstance(a, Tensor) and np.may_share_memory(out._data, a._data):
            out._version_counter = a._version_counter
            return


def _forward_error(cls: type[Function], args: tuple, exc: ValueError) -> ValueError:
    """The error of a ``forward`` that refused its inputs: its own when it names the op already (ops
    name both shapes), else one that adds the op's name and the input shapes."""
    if str(exc).startswith(cls.op_name()):
        return exc
    shapes = " and ".join(str(np.shape(a._data if isinstance(a, Tensor) else a)) for a in args)
    return ValueError(f"{cls.op_name()} (input shapes {shapes}): {exc}")


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` (of a broadcast result's shape) back down to ``shape``: the axes broadcasting
    added in front are summed away, and axes where ``shape`` has 1 are summed keeping the axis.
    The only place in minigrad that undoes broadcasting."""
    lead = grad.ndim - len(shape)
    kept = tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    axes = tuple(range(lead)) + kept
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


# ---------------------------------------------------------------------------------------------
# the backward pass

_grad_lock = threading.Lock()  # two threads may backpropagate into one shared leaf


def run_backward(root: Tensor, grad: np.ndarray, retain_graph: bool = False,
                 on_step: Callable | None = None) -> None:
    """Backpropagate ``grad`` (d loss / d root, an array of root's shape) through root's graph.

    ``on_step(node, grad_out, grads_in)``, when given, is called after each node's backward with
    the gradient of its output and the gradient sent to each input (None where none is sent), in
    the order the nodes run (``mg.backward_steps`` shows them).
    """
    if root.grad_fn is None:  # a leaf: its gradient is the seed itself
        _accumulate(root, grad)
    else:
        _walk(root.grad_fn, grad, retain_graph, on_step)


@np.errstate(all="ignore")  # inf and NaN in gradients arise silently (mg.detect_anomaly() reports them)
def _walk(root: Function, grad: np.ndarray, retain_graph: bool, on_step: Callable | None) -> None:
    pending = {root: grad}  # the gradient of each waiting node's output, summed so far
    heap = [(-root.seq, root)]  # the waiting nodes, newest first
    while heap:
        node = heapq.heappop(heap)[1]
        g = pending.pop(node)
        grads = run_node(node, g, retain_graph)
        inputs, needs = node.inputs, node.needs_input_grad
        sent: list = [None] * len(inputs)  # the gradient sent to each input (None: none)
        for i in range(len(inputs)):
            gi, inp = grads[i], inputs[i]
            if gi is None or not needs[i]:
                continue
            data = inp._data
            if type(gi) is not np.ndarray or gi.shape != data.shape or gi.dtype is not data.dtype:
                gi = _conform(gi, data, node)
            for s in sent:
                if gi is s:  # one array handed to two inputs (Add): each gets its own
                    gi = gi.copy()
            if anomaly_mode.enabled:
                check_finite("backward gradient", node.op_name(), gi, node.created_at)
            sent[i] = gi
            fn = inp.grad_fn
            if fn is None:  # a leaf that requires grad
                _accumulate(inp, gi)
            elif fn in pending:
                pending[fn] = np.asarray(pending[fn] + gi)  # (0-d + 0-d gives a NumPy scalar)
            else:
                pending[fn] = gi
                heapq.heappush(heap, (-fn.seq, fn))
        if on_step is not None:
            on_step(node, g, tuple(sent))


def run_node(node: Function, g: np.ndarray, retain_graph: bool) -> tuple:
    """Run ``node.backward`` on ``g``, the gradient of its output; returns one gradient (or None) per
    input. Refuses a graph already freed and an array forward saved that changed in place since;
    stores the gradient of a ``retain_grad()`` tensor; frees the saved arrays unless ``retain_graph``."""
    if node.saved_tensors is None:
        raise RuntimeError(f"Trying to backward through the graph a second time (through "
                           f"{node.op_name()}): its saved arrays were freed after the first backward(). "
                           "Specify retain_graph=True on the first backward() call to backward through "
                           "it again.")
    if node.clock != _changes[0] and node.versions:  # something changed in place since forward
        _check_versions(node)
    if node._retained is not None and node._retained() is not None:
        _accumulate(node._retained(), g.copy())  # a non-leaf's .grad, asked for by retain_grad()
    grads = node.backward(node, g)
    if not retain_graph:
        node.saved_tensors = None
    if type(grads) is not tuple:
        grads = (grads,)
    if len(grads) != len(node.inputs):
        raise RuntimeError(f"{node.op_name()}.backward returned {len(grads)} gradients for "
                           f"{len(node.inputs)} inputs; return one per positional input of forward")
    return grads


def _check_versions(node: Function) -> None:
    """Refuse to run ``node`` if an array its forward saved was changed in place since (the version
    counter of that tensor, shared with its views and detach(), moved on)."""
    saved = node.saved_tensors or ()
    for inp, version, arr in zip(node.inputs, node.versions, node.arrays):
        if isinstance(inp, Tensor) and inp._version != version and any(s is arr for s in saved):
            _version_error(f"an input of {node.op_name()} (shape {inp.shape})", inp._version, version)
    if node.output_counter is not None and node.output_counter[0] != 0:
        _version_error(f"the output of {node.op_name()}", node.output_counter[0], 0)


def _version_error(what: str, now: int, expected: int) -> None:
    raise RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {what} is at version {now}; expected version {expected} instead. Do not change a "
        f"tensor (or a view or detach() of it) in place between its use in forward and backward().")


def _conform(gi: Any, data: np.ndarray, node: Function) -> np.ndarray:
    """A gradient from ``backward`` as an array of the input's shape and dtype (those of ``data``)."""
    gi = np.asarray(gi)
    if gi.shape != data.shape:
        try:
            gi = unbroadcast(gi, data.shape)
        except ValueError:
            raise RuntimeError(f"{node.op_name()}.backward returned a gradient of shape {gi.shape} for an "
                               f"input of shape {data.shape}, which does not broadcast to it") from None
    return gi if gi.dtype == data.dtype else gi.astype(data.dtype)


def _accumulate(t: Tensor, g: np.ndarray) -> None:
    """Add ``g`` into ``t.grad``, out of place, so no array handed out earlier changes."""
    with _grad_lock:
        if t.grad is None:  # a leaf's first gradient: an array of its own
            t.grad = g.copy() if g.base is not None or not g.flags.writeable else g
        else:
            t.grad = np.asarray(t.grad + g)  # (0-d + 0-d gives a NumPy scalar)


def retain_grad_of(t: Tensor, node: Function) -> None:
    """Make backward store the gradient of non-leaf ``t`` (made by ``node``) in ``t.grad`` (a weak
    reference: no cycle)."""
    node._retained = weakref.ref(t)
