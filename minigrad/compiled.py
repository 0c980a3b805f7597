"""Compiled steps: ``step = mg.jit(fn)`` records a training step once and replays it.

    step = mg.jit(train_step)      # train_step(x, y): forward, loss, zero_grad, backward, opt.step()
    loss = step(x, y)              # first call with this signature: runs eagerly and records
    loss = step(x, y)              # later calls: replay the recording
    print(step.tape)               # the recorded calls, one per line

A step's graph is the same on every call, so the Python work of eager mode (Tensors, graph nodes,
the backward walk) need not be repeated: the first call runs ``fn`` eagerly while every call that
does work is written down, and later calls run only that list, compiled into one Python function
of NumPy calls (``step.tape.source`` shows it). This module is the whole feature; the eager engine
does not know about it.

How it records (the choices):

* **Ops.** While recording, ``Function.apply`` is wrapped: each op call becomes an entry
  ``Op.forward(ctx, *arrays, **kwargs) -> t5`` over numbered slots. One ``ctx`` per entry is kept
  and reused (its saved arrays are freed after backward, as eager frees them). Slots are the
  step's arguments, the outputs of recorded ops, *external* tensors (parameters and any tensor
  made outside the recorded ops: read afresh on every replay, so optimizer updates are seen) and
  constants (Python numbers, index arrays, closure data: frozen at their recorded values).
* **Backward.** ``Tensor.backward`` runs the engine with ``on_step``, which gives the order the
  nodes ran and the gradient each sent to each input. The replay runs the same backward functions
  in the same order and adds gradients in the same order, so results are bit-identical to eager.
* **Effects.** ``Optimizer.step``/``zero_grad``, ``LRScheduler.step``, BatchNorm's running-statistics
  update and eval statistics, writes of ``.grad``, in-place updates of parameters (``w.mul_(0.9)``)
  and comparisons (``x > 0``, argmax) are recorded as calls and replayed as calls (an ``Adam`` step
  as ``compiled_optim``'s, all parameters at once, bit for bit the same). Dropout draws its
  mask inside its op (``DropoutMask``), so every replay draws a new mask from the generator in
  force: ``mg.manual_seed(n)`` gives eager's run.
* **Replay.** The tape compiles to one generated function (``tape.source``): guards first, then one
  line per call with every slot a local variable, each array deleted after its last use (eager
  frees intermediates as its backward passes them). It runs under one ``np.errstate(all="ignore")``,
  so the ops' own ``@np.errstate`` decorators are unwrapped; gradients are conformed to their input's
  shape and dtype only where the engine had to while recording.
* **Signature.** A tape is chosen by the arguments' shapes, dtypes and ``requires_grad``, grad mode
  and the non-tensor arguments' values; it is replayed only while the modules that ran keep their
  training flags and parameters, and the external tensors their shapes and dtypes. Anything else
  records a new tape (up to ``max_tapes``; a warning says when it keeps re-recording).
* **What cannot be traced is refused, not replayed stale.** Python control flow that depends on
  tensor values is frozen at recording time (as in ``torch.jit.trace`` and tinygrad's ``TinyJit``);
  so that no such value can be read unnoticed, reading a tensor's values in the step's own code
  while recording (``.item()``, ``.data``, ``.numpy()``, ``.grad``, ``float(t)``, ``bool(t)``,
  ``print(t)``, ``np.asarray(t)``, ``mg.randn``…) raises ``JitError``: return the tensor instead and
  read it outside the step. minigrad's own layers, losses and optimizers may read values; an op
  that receives an array equal to an argument's values but not the argument itself (a copy made
  outside the ops, which replay would freeze) raises too. ``check=True`` runs eager alongside every
  replay and raises ``JitCheckError`` naming the first entry that differs.
* **Results.** The step returns fresh Tensors wrapping the replayed arrays (no graph: backward
  already ran inside the step). Arrays given as arguments reach ``fn`` as Tensors (dtype kept).

Recording patches process-wide hooks for its duration, so one recording runs at a time (a lock);
other threads' eager code is not recorded. In anomaly mode (``mg.detect_anomaly()``) the step runs
eagerly.
"""
from __future__ import annotations

import inspect
import itertools
import os
import re
import sys
import threading
import warnings
from typing import Any, Callable

import numpy as np

from . import autograd, checks, creation, ops
from . import random as _random
from .autograd import Function, is_anomaly_enabled, is_grad_enabled, unbroadcast
from .compiled_optim import step_kernel
from .tensor import Tensor

_tensor = sys.modules[Tensor.__module__]  # (the package's name ``tensor`` is the function)

__all__ = ["jit", "Jit", "Tape", "JitError", "JitCheckError"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_MISS = object()  # a tape's guard failed: record anew


class JitError(RuntimeError):
    """Something inside a step would not be replayed faithfully (a value read, a graph from outside)."""


class JitCheckError(AssertionError):
    """``check=True``: a replay gave another result than eager execution."""


_ERRSTATE_CODE = np.errstate()(lambda: None).__code__  # the wrapper @np.errstate(...) puts around a function


def _unwrapped(f: Callable) -> Callable:
    """``f`` without an ``@np.errstate(...)`` decorator: the replay runs under one errstate that
    silences everything (so each op's own silencing is already in force)."""
    while getattr(f, "__code__", None) is _ERRSTATE_CODE and hasattr(f, "__wrapped__"):
        f = f.__wrapped__
    return f


def _array(t: Tensor) -> np.ndarray:
    """A tensor's array without the recording's read hooks (the replay reads ``T._data`` too)."""
    return t._data


def _arrays(ts: Any) -> list:
    """The arrays of Tensors (arrays given as they are)."""
    return [t if type(t) is np.ndarray else t._data for t in ts]


# ---------------------------------------------------------------------------------------------
# tape entries


class _Op:
    """``out = fwd(ctx, *ins, **kw)``; ``ins``/``kw`` hold slot numbers (or _Seq of them)."""

    kind = "op"

    def __init__(self, cls: type[Function], ins: list, kw: dict, out: int, needs: tuple):
        self.cls, self.fwd, self.bwd = cls, _unwrapped(cls.forward), _unwrapped(cls.backward)
        self.ctx: Any = object.__new__(cls)
        self.ctx.needs_input_grad = needs
        self.ctx.inputs = ()
        self.ins, self.kw, self.out = ins, kw, out
        self.in_shapes: list = []  # (shape, dtype) of each input: what backward conforms gradients to
        self.raw: list | None = None  # backward's result when recorded: [is a tuple, [(type, shape, dtype)]]
        self.value: Any = None  # the eager output (kept while checking)


class _Backward:
    """A backward pass from slot ``root``: ``steps`` are (op entry, [(input k, target), …]) in the
    order the engine ran them; a target is ("leaf", slot) or ("node", slot)."""

    kind = "backward"

    def __init__(self, root: int, seed: Any, retain: bool):
        self.root, self.seed, self.retain = root, seed, retain
        self.steps: list = []
        self.leaf_root = False
        self.values: list = []  # the eager grad_out of each step (kept while checking)


class _Call:
    """``outs = func(*args, **kw)``: an effect or a non-differentiable array function."""

    kind = "call"

    def __init__(self, label: str, func: Callable, args: list, kw: dict, outs: list | None, effect: bool):
        self.label, self.func, self.args, self.kw = label, func, args, kw
        self.outs, self.effect = outs, effect
        self.tuple_result = False
        self.target = -1  # the slot an in-place update changes
        self.value: Any = None


class _SetGrad:
    """``tensor.grad = value`` (None or a slot), written by the step's own code."""

    kind = "setgrad"

    def __init__(self, slot: int, value: int | None):
        self.slot, self.value = slot, value


class _Seq:
    """A tuple or list argument holding slots (``t[rows, labels]``'s index)."""

    def __init__(self, typ: type, items: list):
        self.typ, self.items = typ, items


# ---------------------------------------------------------------------------------------------
# the recorder: hooks installed while fn runs


class _Recorder:
    def __init__(self, fn_names: list[str]):
        self.thread = threading.get_ident()
        self.depth = 0  # > 0 inside a recorded primitive (op, backward, optimizer call)
        self.kind: list[str] = []  # per slot: "arg", "ext", "op", "const"
        self.value: list = []  # per slot: the tensor (arg/ext), the constant, or None
        self.shape: list = []  # per slot: (shape, dtype) where it is an array
        self.of_tensor: dict[int, int] = {}
        self.of_array: dict[int, int] = {}
        self.keep: list = []  # objects whose id() is a key above
        self.entries: list = []
        self.node_entry: dict[int, _Op] = {}
        self.modules: dict[int, Any] = {}
        self.top_modules: list = []
        self.module_depth = 0
        self.arg_arrays: list = []
        self.fn_names = fn_names

    def new_slot(self, kind: str, value: Any, arr: np.ndarray | None) -> int:
        s = len(self.kind)
        self.kind.append(kind)
        self.value.append(value)
        self.shape.append(None if arr is None else (arr.shape, arr.dtype))
        if arr is not None:
            self.of_array[id(arr)] = s
            self.keep.append(arr)
        return s

    def add_arg(self, t: Tensor) -> int:
        s = self.new_slot("arg", t, _array(t))
        self.of_tensor[id(t)] = s
        self.keep.append(t)
        self.arg_arrays.append(_array(t))
        return s

    def slot(self, v: Any, where: str) -> Any:
        """The slot of an argument value (registering externals and constants), or a _Seq."""
        if isinstance(v, Tensor):
            s = self.of_tensor.get(id(v))
            if s is None:
                arr = _array(v)
                s = self.of_array.get(id(arr))
                if s is None:
                    s = self.new_slot("ext", v, arr)
                self.of_tensor[id(v)] = s
                self.keep.append(v)
            return s
        if isinstance(v, np.ndarray):
            s = self.of_array.get(id(v))
            if s is None:
                self._refuse_copy_of_argument(v, where)
                s = self.new_slot("const", v, None)
                self.keep.append(v)
            return s
        if isinstance(v, (tuple, list)) and any(isinstance(i, (Tensor, np.ndarray)) for i in v):
            return _Seq(type(v), [self.slot(i, where) for i in v])
        return self.new_slot("const", v, None)

    def _refuse_copy_of_argument(self, v: np.ndarray, where: str) -> None:
        if v.ndim == 0:
            return
        for k, a in enumerate(self.arg_arrays):
            if a.shape == v.shape and np.array_equal(a, v):
                name = self.fn_names[k] if k < len(self.fn_names) else f"x{k}"
                raise JitError(
                    f"mg.jit: {where} received an array equal to the argument {name!r} but not that "
                    f"argument itself (a copy or conversion made outside minigrad's ops, e.g. class "
                    f"labels turned into int64 by cross_entropy). A replay would keep its recorded "
                    f"values. Pass targets as float one-hot rows or compute the loss with ops on the "
                    f"argument; Received: shape {v.shape}, dtype {v.dtype}")

    def op(self, cls: type[Function], args: tuple, kwargs: dict, out: Tensor) -> None:
        where = cls.op_name()
        ins = [self.slot(a, where) for a in args]
        kw = {k: self.slot(v, where) for k, v in kwargs.items()}
        node = out.grad_fn
        needs = node.needs_input_grad if node is not None else (False,) * len(args)
        arr = _array(out)
        s = self.new_slot("op", None, arr)
        self.of_tensor[id(out)] = s
        self.keep.append(out)
        e = _Op(cls, ins, kw, s, needs)
        arrays = [_array(a) if isinstance(a, Tensor) else a for a in args]
        e.in_shapes = [(a.shape, a.dtype) if isinstance(a, np.ndarray) else None for a in arrays]
        e.value = arr
        if node is not None:
            self.node_entry[id(node)] = e
            self.keep.append(node)
            # (an instance attribute: the engine calls node.backward(node, g))
            node.backward = _raw_recorder(e, cls.backward)  # type: ignore[method-assign]
        self.entries.append(e)

    def call(self, label: str, func: Callable, args: tuple, kwargs: dict, result: Any,
             effect: bool) -> None:
        sargs = [self.slot(a, label) for a in args]
        skw = {k: self.slot(v, label) for k, v in kwargs.items()}
        outs: list | None = None
        if result is not None:
            items = result if isinstance(result, tuple) else (result,)
            outs = []
            for r in items:
                arr = _array(r) if isinstance(r, Tensor) else r
                if not isinstance(arr, np.ndarray):
                    raise JitError(f"mg.jit: {label} returned {type(r).__name__}, which cannot be replayed")
                s = self.new_slot("op", None, arr)
                if isinstance(r, Tensor):
                    self.of_tensor[id(r)] = s
                    self.keep.append(r)
                outs.append(s)
        e = _Call(label, func, sargs, skw, outs, effect)
        e.tuple_result = isinstance(result, tuple)
        if result is not None:
            e.value = result if isinstance(result, tuple) else (result,)
        self.entries.append(e)


_state = threading.local()
_lock = threading.RLock()
_active: list = [None]  # the recorder while one records (any thread; each hook checks the thread)


def _recorder() -> _Recorder | None:
    """The recorder if this thread is recording and not inside a recorded primitive."""
    r = _active[0]
    if r is None or r.depth or r.thread != threading.get_ident():
        return None
    return r


def _user_code(frame_depth: int) -> str | None:
    """'file:line' of the caller ``frame_depth`` frames up when it lies outside minigrad, else None."""
    f = sys._getframe(frame_depth)
    if f.f_code.co_filename.startswith(_PACKAGE):
        return None
    return f"{os.path.basename(f.f_code.co_filename)}:{f.f_lineno}"


def _read_error(what: str, where: str) -> JitError:
    return JitError(
        f"mg.jit: {what} read a tensor's values inside the step while it was being recorded ({where}). "
        f"The recording keeps only minigrad's calls: the Python code around that value would not run "
        f"on replay, so it would silently use the recorded value. Return the tensor from the step and "
        f"read it outside (loss = step(x, y); loss.item()), or run this code without mg.jit.")


class _Hooks:
    """Install and remove the recording hooks (all of them, or none)."""

    def __init__(self) -> None:
        self.saved: list = []

    def patch(self, owner: Any, name: str, new: Any) -> None:
        self.saved.append((owner, name, owner.__dict__[name]))
        setattr(owner, name, new)

    def restore(self) -> None:
        for owner, name, old in reversed(self.saved):
            setattr(owner, name, old)
        self.saved.clear()

    def install(self) -> None:
        from . import optim
        from .nn import layers
        from .nn.module import Module, Parameter
        from .optim import lr_scheduler

        apply = Function.__dict__["apply"].__func__

        def rec_apply(cls: type, *args: Any, **kwargs: Any) -> Tensor:
            r = _recorder()
            if r is None:
                return apply(cls, *args, **kwargs)
            out = _nested(r, apply, cls, *args, **kwargs)
            r.op(cls, args, kwargs, out)
            return out

        self.patch(Function, "apply", classmethod(rec_apply))

        backward = Tensor.__dict__["backward"]

        def rec_backward(t: Tensor, grad: Any = None, retain_graph: bool = False) -> None:
            r = _recorder()
            if r is None or not t.requires_grad or (grad is None and t.size != 1):
                return backward(t, grad, retain_graph)  # (its errors)
            _record_backward(r, t, grad, retain_graph)

        self.patch(Tensor, "backward", rec_backward)
        self._reads(Tensor, Parameter)
        self._effects(optim.Optimizer, lr_scheduler.LRScheduler, layers.BatchNorm)

        call = Module.__dict__["__call__"]

        def rec_call(m: Any, *args: Any, **kwargs: Any) -> Any:
            r = _recorder()
            if r is None:
                return call(m, *args, **kwargs)
            if id(m) not in r.modules:
                r.modules[id(m)] = m
                if r.module_depth == 0:
                    r.top_modules.append(m)
            r.module_depth += 1
            try:
                return call(m, *args, **kwargs)
            finally:
                r.module_depth -= 1

        self.patch(Module, "__call__", rec_call)

        rng = creation.__dict__["default_rng"]

        def rec_rng() -> np.random.Generator:
            if _recorder() is not None and _user_code(3) is not None:
                raise JitError("mg.jit: the step draws random numbers outside an op (mg.randn / mg.rand) "
                               "while it is being recorded; a replay would reuse the recorded draw. Draw "
                               "them outside the step and pass them in as an argument.")
            return rng()

        self.patch(creation, "default_rng", rec_rng)

    def _reads(self, tensor_cls: type, param_cls: type) -> None:
        """Value reads from the step's own code raise; ``.grad`` writes there are recorded."""
        for name in ("numpy", "item", "tolist", "__bool__", "__float__", "__int__", "__array__", "__repr__"):
            self.patch(tensor_cls, name, _read_hook(tensor_cls.__dict__[name], f"Tensor.{name}()"))
        for cls in (tensor_cls, param_cls):
            if "data" not in cls.__dict__:  # (a subclass that inherits Tensor.data)
                continue
            prop = cls.__dict__["data"]
            self.patch(cls, "data", property(_read_hook(prop.fget, ".data"), _write_hook(prop.fset)))
        member = tensor_cls.__dict__["grad"]
        grad = property(_read_hook(member.__get__, ".grad"), _grad_hook(member.__set__))
        self.patch(tensor_cls, "grad", grad)
        retain = tensor_cls.__dict__["retain_grad"]

        def no_retain(t: Tensor) -> None:
            if _recorder() is not None:
                raise JitError("mg.jit: retain_grad() inside a step is not replayed; compute that "
                               "gradient without mg.jit")
            retain(t)

        self.patch(tensor_cls, "retain_grad", no_retain)
        compare = tensor_cls.__dict__["_compare"]

        def rec_compare(t: Tensor, other: Any, op: Any) -> Tensor:
            out = compare(t, other, op)
            r = _recorder()
            if r is not None:
                r.call(getattr(op, "__name__", "compare"), _apply_ufunc, (op, t, other), {}, out, False)
            return out

        self.patch(tensor_cls, "_compare", rec_compare)
        for name in ("argmax", "argmin"):
            self.patch(tensor_cls, name, _arg_hook(tensor_cls.__dict__[name], name))

    def _effects(self, opt_cls: type, sched_cls: type, bn_cls: type) -> None:
        for owner, name in ((opt_cls, "step"), (opt_cls, "zero_grad"), (sched_cls, "step"),
                            (bn_cls, "_update_running"), (bn_cls, "_eval_statistics")):
            self.patch(owner, name, _effect_hook(owner.__dict__[name], name))
        update = Tensor.__dict__["_update"]

        def rec_update(t: Tensor, what: str, other: Any, ufunc: Any = None) -> Tensor:
            r = _recorder()
            if r is None:
                return update(t, what, other, ufunc)
            s = r.slot(t, what)
            if r.kind[s] != "ext":
                raise JitError(f"mg.jit: {what}() changes a tensor made inside the step or given to it in "
                               f"place; only tensors from outside the step (parameters) can be changed in "
                               f"place in a recorded step. Received: a tensor of shape {t.shape}")
            _nested(r, update, t, what, other, ufunc)
            r.call(what, _inplace, (t, other, ufunc), {}, None, True)
            r.entries[-1].args[0] = r.new_slot("const", t, None)  # the tensor itself, not its array
            r.entries[-1].target = s
            return t

        self.patch(Tensor, "_update", rec_update)


def _inplace(t: Tensor, other: Any, ufunc: Any) -> None:
    """A recorded in-place update (``w.mul_(0.9)``): recording checked that it may run (grad mode off)."""
    with autograd.no_grad():
        Tensor.__dict__["_update"](t, "in-place update", other, ufunc)


def _raw_recorder(e: _Op, backward: Callable) -> Callable:
    def recording_backward(ctx: Any, grad: np.ndarray) -> Any:
        out = backward(ctx, grad)
        items = out if type(out) is tuple else (out,)
        e.raw = [type(out) is tuple, [(type(g), np.shape(g), getattr(g, "dtype", None)) for g in items],
                 [any(g is not None and g is items[j] for j in range(k)) for k, g in enumerate(items)]]
        return out

    return recording_backward


def _apply_ufunc(op: Any, a: np.ndarray, other: Any) -> np.ndarray:
    return op(a, other)


def _read_hook(get: Callable, what: str) -> Callable:
    def hooked(t: Any, *args: Any) -> Any:
        if _recorder() is not None:
            where = _user_code(2)
            if where is not None:
                raise _read_error(what, where)
        return get(t, *args)

    return hooked


def _write_hook(set_: Callable) -> Callable:
    def hooked(t: Any, value: Any) -> None:
        if _recorder() is not None:
            where = _user_code(2)
            if where is not None:
                raise JitError(f"mg.jit: the step assigns to .data while it is being recorded ({where}); "
                               f"the assignment would not run on replay. Update parameters with an "
                               f"mg.optim optimizer inside the step.")
        set_(t, value)

    return hooked


_TENSOR_FILE = sys.modules[Tensor.__module__].__file__


def _grad_hook(set_: Callable) -> Callable:
    def hooked(t: Any, value: Any) -> None:
        set_(t, value)
        r = _recorder()
        caller = sys._getframe(1).f_code
        if caller.co_name in ("__init__", "_from_op") and caller.co_filename == _TENSOR_FILE:
            return  # a new tensor starts without a gradient: nothing to replay
        if r is not None:
            s = r.slot(t, ".grad")
            if r.kind[s] == "op":
                raise JitError("mg.jit: the step sets .grad of a tensor made inside it; that is not "
                               "replayed. Set gradients of parameters or arguments only.")
            if value is None:
                r.entries.append(_SetGrad(s, None))
            elif isinstance(value, np.ndarray) and id(value) in r.of_array:
                r.entries.append(_SetGrad(s, r.of_array[id(value)]))
            else:
                raise JitError(f"mg.jit: the step sets .grad to a value made outside minigrad's ops "
                               f"({_user_code(2) or 'minigrad'}); a replay would keep the recorded "
                               f"value. Received: {type(value).__name__}")

    return hooked


def _arg_hook(method: Callable, name: str) -> Callable:
    def hooked(t: Tensor, axis: Any = _tensor._ALL, *, dim: Any = _tensor._NO_DIM) -> Tensor:
        out = method(t, axis, dim=dim)
        r = _recorder()
        if r is not None:
            r.call(name, _arg_extreme, (name, t, checks.pick_axis(name, axis, dim)), {}, out, False)
        return out

    return hooked


def _arg_extreme(name: str, a: np.ndarray, axis: Any) -> np.ndarray:
    return np.asarray(ops.arg_extreme(name, a, axis), dtype=np.int64)


def _nested(r: Any, fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` one level deeper in recorder ``r``: what it calls is inside the recorded
    call, not recorded again."""
    r.depth += 1
    try:
        return fn(*args, **kwargs)
    finally:
        r.depth -= 1


def _effect_hook(method: Callable, name: str) -> Callable:
    def hooked(obj: Any, *args: Any, **kwargs: Any) -> Any:
        r = _recorder()
        if r is None:
            return method(obj, *args, **kwargs)
        result = _nested(r, method, obj, *args, **kwargs)
        r.call(name, method, (obj,) + args, kwargs, result, True)
        return result

    return hooked


@np.errstate(all="ignore")
def _record_backward(r: _Recorder, t: Tensor, grad: Any, retain_graph: bool) -> None:
    root = r.slot(t, "backward")
    if grad is None:
        seed = np.ones(t.shape, dtype=t.dtype)
        seed_spec: Any = ("ones", t.shape, t.dtype)
    else:
        garr = _array(grad) if isinstance(grad, Tensor) else grad
        seed = np.array(np.asarray(garr, dtype=t.dtype))
        if seed.shape != t.shape:
            raise ValueError(f"backward: grad has shape {seed.shape} but the tensor has shape {t.shape}")
        seed_spec = ("slot", r.slot(grad, "backward")) if isinstance(grad, (Tensor, np.ndarray)) \
            else ("const", r.slot(seed, "backward"))
    entry = _Backward(root, seed_spec, retain_graph)

    def on_step(node: Any, grad_out: np.ndarray, sent: tuple) -> None:
        e = r.node_entry.get(id(node))
        if e is None:
            raise JitError(f"mg.jit: backward reached {node.op_name()}, an op that ran before the step "
                           f"(a tensor with a graph made outside the step); a replay cannot redo it. "
                           f"Detach that tensor or build it inside the step.")
        routes = []
        for k, g in enumerate(sent):
            if g is None:
                continue
            inp = node.inputs[k]
            s = r.of_tensor[id(inp)]
            if inp.grad_fn is None:
                routes.append((k, ("leaf", s)))
            elif r.kind[s] == "op":
                routes.append((k, ("node", s)))
            else:
                raise JitError("mg.jit: backward reaches a tensor made before the step with a graph; "
                               "detach it or build it inside the step")
        entry.steps.append((e, routes))
        entry.values.append(grad_out)

    entry.leaf_root = t.grad_fn is None
    _nested(r, autograd.run_backward, t, seed, retain_graph, on_step=on_step)
    r.entries.append(entry)


# ---------------------------------------------------------------------------------------------
# the tape: entries, their text, and the compiled replay


class Tape:
    """One recorded signature of a step: its entries (``print(tape)`` lists them) and the replay
    compiled from them (``tape.source``, a plain Python function of NumPy calls)."""

    def __init__(self, r: _Recorder, key: tuple, outputs: Any, arg_names: list[str]):
        self.entries = r.entries
        for e in self.entries:  # the eager values were needed while recording only
            if e.kind == "backward":
                e.values = []
            elif e.kind != "setgrad":
                e.value = None
        self.key = key  # (grad mode, the signature of each argument)
        self.arg_is_tensor = [sig[0] not in ("array", "const") for sig in key[1:]]
        self.kind, self.value, self.shape = r.kind, r.value, r.shape
        self.outputs = outputs  # None, a slot, or a tuple of slots/None
        self.modules = list(r.modules.values())
        self.training = [m.training for m in self.modules]
        self.module_params = [(m, [(k, v) for k, v in vars(m).items() if isinstance(v, Tensor)])
                              for m in self.modules]
        self.names = self._names(r, arg_names)
        self.ext = [s for s, k in enumerate(self.kind) if k == "ext"]
        self.ext_tensors = [self.value[s] for s in self.ext]
        self.replays = 0
        self.kernels = {i: k for i, e in enumerate(self.entries) if e.kind == "call" and e.effect
                        and e.label == "step" and (k := step_kernel(self.value[e.args[0]])) is not None}
        self.source = self._generate(debug=False)
        self._run = self._compile(self.source)
        self._debug_run: Callable | None = None

    # -- text ---------------------------------------------------------------------------------
    def _names(self, r: _Recorder, arg_names: list[str]) -> list[str]:
        known: dict[int, str] = {}
        for m in r.top_modules:
            try:
                for n, p in m.named_parameters():
                    known.setdefault(id(p), n)
            except (RuntimeError, ValueError, AttributeError):
                pass
        names, t_count, p_count = [], itertools.count(), itertools.count()
        for s, k in enumerate(self.kind):
            if k == "arg":
                names.append(arg_names[s] if s < len(arg_names) else f"x{s}")
            elif k == "ext":
                t = self.value[s]
                names.append(known.get(id(t)) or t.name or f"p{next(p_count)}")
            elif k == "op":
                names.append(f"t{next(t_count)}")
            else:
                names.append(_const_text(self.value[s]))
        return names

    def _ref(self, spec: Any) -> str:
        if isinstance(spec, _Seq):
            inner = ", ".join(self._ref(i) for i in spec.items)
            return f"[{inner}]" if spec.typ is list else f"({inner}{',' if len(spec.items) == 1 else ''})"
        return self.names[spec]

    def lines(self) -> list[str]:
        """One line per entry; a backward pass lists its steps indented below it."""
        out = []
        for e in self.entries:
            if e.kind == "op":
                args = [self._ref(i) for i in e.ins] + [f"{k}={self._ref(v)}" for k, v in e.kw.items()]
                out.append(f"{e.cls.op_name()}({', '.join(args)}) -> {self.names[e.out]}")
            elif e.kind == "call":
                out.append(self._call_text(e))
            elif e.kind == "setgrad":
                value = "None" if e.value is None else self.names[e.value]
                out.append(f"{self.names[e.slot]}.grad = {value}")
            else:
                out.append(f"backward({self.names[e.root]})")
                for op, routes in e.steps:
                    sent = ["_"] * len(op.ins)
                    for k, (how, s) in routes:
                        sent[k] = f"{self.names[s]}.grad" if how == "leaf" else f"d{self.names[s]}"
                    out.append(f"    {op.cls.op_name()}.backward(d{self.names[op.out]}) -> {', '.join(sent)}")
        return out

    def _call_text(self, e: _Call) -> str:
        outs = "" if not e.outs else " -> " + ", ".join(self.names[s] for s in e.outs)
        if e.effect and isinstance(self.value[e.args[0]], Tensor):
            return f"{self.names[e.target]}.{e.label}({', '.join(self._ref(a) for a in e.args[1:2])})"
        if e.effect:
            obj = self.value[e.args[0]]
            owner = type(obj).__name__.lower()
            rest = [self._ref(a) for a in e.args[1:]]
            if e.label in ("step", "zero_grad") and isinstance(getattr(obj, "params", None), list):
                rest = ["[" + ", ".join(self._param_name(p, k) for k, p in enumerate(obj.params)) + "]"]
            return f"{owner}.{e.label}({', '.join(rest)}){outs}"
        args = [self._ref(a) for a in e.args[1:]]
        return f"{e.label}({', '.join(args)}){outs}"

    def _param_name(self, p: Tensor, k: int) -> str:
        """The parameter's name in this tape, else its own name, else its position (``params[2]``)."""
        for s in self.ext:
            if self.value[s] is p:
                return self.names[s]
        return p.name or f"params[{k}]"

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return f"<Tape: {len(self.entries)} entries, {self.replays} replays>\n{self}"

    # -- the compiled replay ----------------------------------------------------------------------
    def _generate(self, debug: bool) -> str:
        """Python source of ``replay(args)``: every slot a local ``v<n>``, every call one line."""
        code = ["def replay(args):"]
        add = code.append
        self._guard(add)
        leaf_args = {s for e in self.entries if e.kind == "backward" for _, routes in e.steps
                     for _, (how, s) in routes if how == "leaf" and self.kind[s] == "arg"}
        leaf_args |= {e.slot for e in self.entries if e.kind == "setgrad" and self.kind[e.slot] == "arg"}
        leaf_args |= {e.root for e in self.entries if e.kind == "backward" and e.leaf_root
                      and self.kind[e.root] == "arg"}
        for s in sorted(leaf_args):
            add(f"    T{s} = args[{s}]")
        read_ext = self._read_ext()
        uses_ext, later = [False] * len(self.entries), False
        for i in range(len(self.entries) - 1, -1, -1):
            uses_ext[i] = later
            later = later or self._reads_ext(self.entries[i])
        self._index = {id(e): i for i, e in enumerate(self.entries)}
        for i, e in enumerate(self.entries):
            if e.kind == "op":
                args = [self._v(a) for a in e.ins] + [f"{k}={self._v(v)}" for k, v in e.kw.items()]
                add(f"    v{e.out} = F{i}(C{i}{''.join(', ' + a for a in args)})")
            elif e.kind == "call" and i in self.kernels:  # an optimizer step, in place
                add(f"    STEP{i}({self._v(e.args[0])}, PLAN{i})")
                if self.ext and uses_ext[i]:
                    add(read_ext)
            elif e.kind == "call":
                args = [self._v(a) for a in e.args] + [f"{k}={self._v(v)}" for k, v in e.kw.items()]
                outs = ""
                if e.outs:
                    outs = ", ".join(f"v{s}" for s in e.outs) + ("," if e.tuple_result and len(e.outs) == 1
                                                                 else "") + " = "
                add(f"    {outs}M{i}({', '.join(args)})")
                if e.effect and self.ext and uses_ext[i]:
                    add(read_ext)
            elif e.kind == "setgrad":
                add(f"    {self._tensor(e.slot)}.grad = {'None' if e.value is None else f'v{e.value}'}")
            else:
                self._gen_backward(i, e, add)
        ret = self._out_expr(self.outputs)
        add(f"    return {ret}, locals()" if debug else f"    return {ret}")
        return "\n".join(code if debug else _free_early(code)) + "\n"

    def _guard(self, add: Callable) -> None:
        """The replay's first lines: return _MISS (before any effect) unless the call matches the
        recording: argument types, shapes, dtypes and requires_grad, grad mode, the modules' training
        flags and parameters, the external tensors' shapes and dtypes."""
        n = len(self.key) - 1
        add(f"    if len(args) != {n} or _grad_on() is not {self.key[0]}: return _MISS")
        conds = []
        for k, sig in enumerate(self.key[1:]):
            if sig[0] == "const":
                conds.append(f"type(args[{k}]) is not K{k}[1] or args[{k}] != K{k}[2]")
            elif sig[0] == "array":
                conds.append(f"type(args[{k}]) is not _nd")
            else:
                conds.append(f"not isinstance(args[{k}], _Tensor) or args[{k}].requires_grad is not {sig[2]}")
        for i, (m, flag) in enumerate(zip(self.modules, self.training)):
            conds.append(f"MOD{i}.training is not {flag}")
        for i, (m, own) in enumerate(self.module_params):
            conds += [f"MD{i}.get({k!r}) is not MP{i}_{j}" for j, (k, _) in enumerate(own)]
        for c in conds:
            add(f"    if {c}: return _MISS")
        arg_slots = [s for s, kind in enumerate(self.kind) if kind == "arg"]
        arrays = arg_slots + self.ext
        if self.ext:
            add(self._read_ext())
        if arg_slots and len(arg_slots) == n:
            add(f"    {', '.join(f'v{s}' for s in arg_slots)}{',' if n == 1 else ''} = _arrays(args)")
        else:
            for s in arg_slots:
                add(f"    v{s} = _arrays((args[{s}],))[0]")
        for s in arrays:
            add(f"    if v{s}.shape != SH{s} or v{s}.dtype != DT{s}: return _MISS")

    def _read_ext(self) -> str:
        """The line that reads the external tensors' arrays afresh (``v2, v3 = T2._data, T3._data``)."""
        names = ", ".join(f"v{s}" for s in self.ext)
        arrays = ", ".join(f"T{s}._data" for s in self.ext)
        return f"    {names} = {arrays}"

    def _reads_ext(self, e: Any) -> bool:
        if e.kind == "op":
            specs = list(e.ins) + list(e.kw.values())
        elif e.kind == "call":
            specs = list(e.args) + list(e.kw.values())
        else:
            return False
        flat = [i for s in specs for i in (s.items if isinstance(s, _Seq) else [s])]
        return any(self.kind[s] == "ext" for s in flat)

    def _v(self, spec: Any) -> str:
        if isinstance(spec, _Seq):
            inner = ", ".join(self._v(i) for i in spec.items)
            return f"[{inner}]" if spec.typ is list else f"({inner}{',' if len(spec.items) == 1 else ''})"
        return f"v{spec}"

    def _tensor(self, s: int) -> str:
        return f"T{s}"

    def _gen_backward(self, i: int, e: _Backward, add: Callable) -> None:
        d = f"d{i}_"  # gradient variables of this backward pass
        if e.seed[0] == "ones":
            seed = f"SEED{i}.copy()"
        else:
            seed = f"_copy(v{e.seed[1]})"
        if e.leaf_root:
            add(f"    _acc({self._tensor(e.root)}, {seed})")
            return
        add(f"    {d}{e.root} = {seed}")
        seen = {e.root}
        for j, (op, routes) in enumerate(e.steps):
            k_op = self._index[id(op)]
            call = f"B{k_op}(C{k_op}, {d}{op.out})"
            single = len(op.ins) == 1
            is_tuple, raw, again = op.raw if op.raw is not None else (not single, [], [])
            plain = [k < len(raw) and raw[k] == (np.ndarray,) + tuple(op.in_shapes[k]) for k, _ in routes]
            if len(routes) == 1 and routes[0][1][0] == "node" and routes[0][1][1] not in seen and plain[0]:
                k, (_, s) = routes[0]  # a chain: the gradient goes straight on
                add(f"    {d}{s} = {call}{f'[{k}]' if is_tuple else ''}")
                seen.add(s)
                routes = []
            else:
                add(f"    r = {call}")
            for (k, (how, s)), ok in zip(routes, plain):
                g = f"r[{k}]" if is_tuple else "r"
                if k < len(again) and again[k] and ok:  # one array for two inputs (add): each its own, as
                    g += ".copy()"  # eager; a conformed gradient is a new array already
                if not ok:  # the engine conforms it (sums a broadcast gradient, casts the dtype)
                    add(f"    g = _conform({g}, IS{k_op}_{k}, IT{k_op}_{k})")
                    g = "g"
                if how == "leaf":
                    t = self._tensor(s)
                    add(f"    p = {t}.grad")
                    add(f"    {t}.grad = {g} if p is None else _asarray(p + {g})")
                elif s in seen:
                    add(f"    {d}{s} = _asarray({d}{s} + {g})")
                else:
                    add(f"    {d}{s} = {g}")
                    seen.add(s)
            if not e.retain:
                add(f"    C{k_op}.saved_tensors = None")

    def _out_expr(self, spec: Any) -> str:
        if spec is None:
            return "None"
        if isinstance(spec, tuple):
            return "(" + "".join(self._out_expr(s) + ", " for s in spec) + ")"
        if self.kind[spec] == "ext":
            return f"OUT{spec}"
        if self.kind[spec] == "arg" and self.arg_is_tensor[spec]:
            return f"args[{spec}]"
        return f"_wrap(v{spec})"

    def _compile(self, source: str) -> Callable:
        g: dict[str, Any] = {"_arrays": _arrays, "_nd": np.ndarray, "_asarray": np.asarray, "_ones": np.ones,
                             "_copy": np.array, "_acc": _accumulate, "_conform": _conform, "_wrap": _wrap,
                             "_MISS": _MISS, "_grad_on": is_grad_enabled,
                             "_Tensor": Tensor}
        for k, sig in enumerate(self.key[1:]):
            g[f"K{k}"] = sig
        for i, m in enumerate(self.modules):
            g[f"MOD{i}"] = m
        for i, (m, own) in enumerate(self.module_params):
            g[f"MD{i}"] = m.__dict__
            for j, (_, v) in enumerate(own):
                g[f"MP{i}_{j}"] = v
        for s, what in enumerate(self.kind):
            if what in ("arg", "ext"):
                g[f"SH{s}"], g[f"DT{s}"] = self.shape[s]
        for s, what in enumerate(self.kind):
            if what == "const":
                g[f"v{s}"] = self.value[s]
            elif what == "ext":
                g[f"T{s}"] = g[f"OUT{s}"] = self.value[s]
        for i, e in enumerate(self.entries):
            if e.kind == "op":
                g[f"F{i}"], g[f"B{i}"], g[f"C{i}"] = e.fwd, e.bwd, e.ctx
                for k, sd in enumerate(e.in_shapes):
                    if sd is not None:
                        g[f"IS{i}_{k}"], g[f"IT{i}_{k}"] = sd
            elif e.kind == "call":
                g[f"M{i}"] = _unwrapped(e.func)
                if i in self.kernels:
                    g[f"STEP{i}"], g[f"PLAN{i}"] = self.kernels[i]
            elif e.kind == "backward" and e.seed[0] == "ones":
                g[f"SEED{i}"] = np.ones(e.seed[1], e.seed[2])
        exec(compile(source, "<mg.jit tape>", "exec"), g)
        return g["replay"]

    # -- running ------------------------------------------------------------------------------
    def run(self, args: tuple) -> Any:
        """Replay with ``args``; ``_MISS`` (nothing run) when they or the state do not match the recording."""
        with np.errstate(all="ignore"):  # (as eager's backward; forward ops silence their own)
            out = self._run(args)
        if out is not _MISS:
            self.replays += 1
        return out

    def run_debug(self, args: tuple) -> tuple:
        if self._debug_run is None:
            self._debug_run = self._compile(self._generate(debug=True))
        with np.errstate(all="ignore"):
            return self._debug_run(args)


_NAME = re.compile(r"\b(?:v\d+|d\d+_\d+)\b")


def _free_early(code: list[str]) -> list[str]:
    """``del`` each array local right after its last use, as eager frees an intermediate (and its
    gradient) once nothing needs it: without it, every array of the step would live to the end."""
    assigned = {n for line in code for n in _NAME.findall(line.split(" = ")[0]) if " = " in line}
    last: dict[str, int] = {}
    for i, line in enumerate(code[:-1]):  # (not the return line)
        for n in _NAME.findall(line):
            last[n] = i
    kept = set(_NAME.findall(code[-1]))
    dels: dict[int, list[str]] = {}
    for n, i in last.items():
        if n in assigned and n not in kept and not code[i].lstrip().startswith("if "):
            dels.setdefault(i, []).append(n)
    out = []
    for i, line in enumerate(code):
        out.append(line)
        if i in dels:
            out.append(f"    del {', '.join(sorted(dels[i]))}")
    return out


def _const_text(v: Any) -> str:
    if isinstance(v, np.ndarray):
        if v.ndim == 0:
            return str(v[()])  # (a float32 0.1 reads 0.1, not 0.10000000149011612)
        return f"array{v.shape}"
    if isinstance(v, np.dtype) or isinstance(v, type):
        return getattr(v, "__name__", str(v))
    text = repr(v)
    return text if len(text) <= 30 else f"<{type(v).__name__}>"


def _accumulate(t: Tensor, g: np.ndarray) -> None:
    """``t.grad += g`` out of place (the first gradient is taken as is), as the engine does."""
    old = t.grad
    t.grad = g if old is None else np.asarray(old + g)


def _conform(g: Any, shape: tuple, dtype: np.dtype) -> np.ndarray:
    g = np.asarray(g)
    if g.shape != shape:
        g = unbroadcast(g, shape)
    return g if g.dtype == dtype else g.astype(dtype)


_from_op = getattr(Tensor, "_from_op", None)  # the engine's constructor for op results, where it has one


def _wrap(a: Any) -> Tensor:
    """A replayed result as a Tensor without a graph (dtype kept)."""
    if _from_op is not None:
        return _from_op(a)
    return Tensor(a, dtype=a.dtype) if isinstance(a, np.ndarray) else Tensor(a)


# ---------------------------------------------------------------------------------------------
# the compiled step


class Jit:
    """A step compiled by ``mg.jit(fn)``: call it like ``fn``. See the module docstring.

    ``step.tape`` is the tape of the latest call (``print(step.tape)`` lists its calls),
    ``step.tapes`` all kept tapes, ``step.recordings`` how many times ``fn`` was recorded.
    """

    def __init__(self, fn: Callable, check: bool = False, max_tapes: int = 8):
        if not callable(fn):
            checks.fail("jit", "fn", fn, "a function of Tensors that returns a Tensor or a tuple of them",
                        TypeError)
        self.fn = fn
        self.check = checks.boolean("jit", "check", check)
        self.max_tapes = checks.integer("jit", "max_tapes", max_tapes, low=1)
        self._tapes: dict = {}
        self._order: list = []  # (key, tape), oldest first
        self._last: Tape | None = None
        self.recordings = 0
        self._warned = False
        try:
            params = list(inspect.signature(fn).parameters.values())
            positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            self._arg_names = [p.name for p in params if p.kind in positional]
        except (TypeError, ValueError):
            self._arg_names = []

    @property
    def tape(self) -> Tape:
        """The tape the latest call recorded or replayed."""
        if self._last is None:
            raise RuntimeError("jit: no tape yet; call the step once first")
        return self._last

    @property
    def tapes(self) -> list:
        """The kept tapes, oldest first."""
        return [t for _, t in self._order]

    def __repr__(self) -> str:
        name = getattr(self.fn, "__name__", type(self.fn).__name__)
        replays = sum(t.replays for t in self.tapes)
        return (f"<mg.jit {name}: {len(self._order)} tape(s), {self.recordings} recording(s), "
                f"{replays} replay(s){', check=True' if self.check else ''}>")

    def __call__(self, *args: Any) -> Any:
        r = _active[0]
        if (r is not None and r.thread == threading.get_ident()) or is_anomaly_enabled():
            return self.fn(*_as_tensors(args))  # inside another recording, or anomaly mode: eager
        last = self._last
        if last is not None and not self.check:  # the common case: the same signature as last time
            out = last.run(args)
            if out is not _MISS:
                return out
        key = (is_grad_enabled(),) + tuple(_signature(a) for a in args)
        for tape in self._tapes.get(key, ()):
            if self.check:
                out = self._checked(tape, args)
            else:
                out = tape.run(args)
            if out is not _MISS:
                self._last = tape
                return out
        return self._record(key, args)

    def _trace(self, args: tuple) -> tuple:
        """Run ``fn`` eagerly with the recording hooks installed: (the recorder, fn's result)."""
        targs = _as_tensors(args)
        with _lock:
            r = _Recorder(self._arg_names)
            for t in targs:
                if isinstance(t, Tensor):
                    r.add_arg(t)
                else:
                    r.new_slot("const", t, None)
            hooks = _Hooks()
            _active[0] = r
            try:
                hooks.install()
                return r, self.fn(*targs)
            finally:
                hooks.restore()
                _active[0] = None

    def _record(self, key: tuple, args: tuple) -> Any:
        r, result = self._trace(args)
        tape = Tape(r, key, _output_slots(r, result), self._arg_names)
        self.recordings += 1
        self._tapes.setdefault(key, []).append(tape)
        self._order.append((key, tape))
        if len(self._order) > self.max_tapes:
            old_key, old = self._order.pop(0)
            self._tapes[old_key].remove(old)
            if not self._tapes[old_key]:
                del self._tapes[old_key]
            if not self._warned:
                self._warned = True
                warnings.warn(f"mg.jit({getattr(self.fn, '__name__', 'fn')}) keeps re-recording: "
                              f"{self.recordings} recordings for more than max_tapes={self.max_tapes} "
                              f"signatures (input shapes/dtypes, grad mode, module modes). Each recording "
                              f"runs eagerly; give the step fixed shapes (e.g. drop or pad the last "
                              f"batch)", RuntimeWarning, stacklevel=3)
        self._last = tape
        return result

    # -- check=True ------------------------------------------------------------------------------
    def _checked(self, tape: Tape, args: tuple) -> Any:
        saved = _snapshot(tape, args)
        res = tape.run_debug(args)
        if res is _MISS:
            return _MISS
        tape.replays += 1
        replay_locals = res[1]
        after = _final_state(tape, args)
        _restore(saved)
        r, result = self._trace(args)
        _compare(tape, r, replay_locals, after, _final_state(tape, args))
        return result


def _as_tensors(args: tuple) -> tuple:
    return tuple(Tensor(a, dtype=a.dtype) if isinstance(a, np.ndarray) else a for a in args)


def _signature(a: Any) -> Any:
    if isinstance(a, Tensor):
        arr = _array(a)
        return (arr.shape, arr.dtype, a.requires_grad)
    if isinstance(a, np.ndarray):
        return ("array", a.shape, a.dtype)
    try:
        hash(a)
    except TypeError:
        raise TypeError(f"jit: arguments must be Tensors, arrays or hashable constants; "
                        f"Received: {type(a).__name__}") from None
    return ("const", type(a), a)


def _output_slots(r: _Recorder, result: Any) -> Any:
    if result is None:
        return None
    if isinstance(result, Tensor):
        return r.slot(result, "the step's result")
    if isinstance(result, (tuple, list)) and all(x is None or isinstance(x, Tensor) for x in result):
        return tuple(None if x is None else r.slot(x, "the step's result") for x in result)
    raise JitError(f"mg.jit: the step must return a Tensor, a tuple of Tensors or None; it returned "
                   f"{type(result).__name__}")


def _snapshot(tape: Tape, args: tuple) -> list:
    """What a replay changes, copied: parameters and their gradients, optimizer and scheduler state,
    module buffers, random generators."""
    from .nn.module import Module
    from .optim import Optimizer
    from .optim.lr_scheduler import LRScheduler

    saved: list = []
    for t in tape.ext_tensors + [a for a in args if isinstance(a, Tensor)]:
        arr = _array(t)
        saved.append(("tensor", t, arr, arr.copy(), t.grad))
    gens = {id(_random.default_rng()): _random.default_rng()}
    for s, k in enumerate(tape.kind):
        v = tape.value[s]
        if k != "const":
            continue
        if isinstance(v, Optimizer):
            saved.append(("attrs", v, {"state": [{n: np.copy(x) if isinstance(x, np.ndarray) else x
                                                  for n, x in st.items()} for st in v.state]}))
        elif isinstance(v, LRScheduler):
            saved.append(("attrs", v, dict(vars(v))))
            saved.append(("attrs", v.optimizer, {"lr": v.optimizer.lr}))
        elif isinstance(v, np.random.Generator):
            gens[id(v)] = v
    for m in tape.modules:
        if isinstance(m, Module):
            names = m.__dict__.get("_buffer_names", [])
            saved.append(("attrs", m, {n: getattr(m, n) for n in names}))
    for g in gens.values():
        saved.append(("rng", g, g.bit_generator.state))
    return saved


def _restore(saved: list) -> None:
    for item in saved:
        if item[0] == "tensor":
            _, t, arr, copy, grad = item
            np.copyto(arr, copy)
            if _array(t) is not arr:
                t.data = arr
            t.grad = grad
        elif item[0] == "attrs":
            for n, v in item[2].items():
                setattr(item[1], n, v)
        else:
            item[1].bit_generator.state = item[2]


def _final_state(tape: Tape, args: tuple) -> list:
    tensors = tape.ext_tensors + [a for a in args if isinstance(a, Tensor)]
    return [(i, _array(t).copy(), None if t.grad is None else np.array(t.grad))
            for i, t in enumerate(tensors)]


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")


def _diff(a: Any, b: Any) -> str:
    try:
        return f"max |replay - eager| = {np.max(np.abs(np.asarray(a, float) - np.asarray(b, float))):.3g}"
    except (TypeError, ValueError):
        return (f"replay {np.shape(a)} {getattr(a, 'dtype', '')}, "
                f"eager {np.shape(b)} {getattr(b, 'dtype', '')}")


def _compare(tape: Tape, r: _Recorder, replay: dict, after: list, eager_after: list) -> None:
    """Raise JitCheckError at the first entry whose replayed result differs from eager's."""
    lines = tape.lines()
    def other(a: Any, b: Any) -> bool:
        return b is None or a.kind != b.kind or (a.kind == "op" and a.cls is not b.cls)

    if len(r.entries) != len(tape.entries) or any(other(a, b) for a, b in zip(tape.entries, r.entries)):
        for i, (a, b) in enumerate(zip(tape.entries, r.entries + [None] * len(tape.entries))):
            if other(a, b):
                raise JitCheckError(f"mg.jit(check=True): eager ran other calls than the tape from entry {i} "
                                    f"on ({lines[min(i, len(lines) - 1)]}): Python control flow in the step "
                                    f"took another path than when it was recorded")
    line_of = {}
    n = 0
    for i, e in enumerate(tape.entries):
        line_of[i] = n
        n += 1 + (len(e.steps) if e.kind == "backward" else 0)
    for i, (a, b) in enumerate(zip(tape.entries, r.entries)):
        if a.kind == "op" and not _same(replay.get(f"v{a.out}"), b.value):
            raise JitCheckError(f"mg.jit(check=True): entry {i}, {lines[line_of[i]]}: the replay differs "
                                f"from eager ({_diff(replay.get(f'v{a.out}'), b.value)})")
        if a.kind == "call" and a.outs:
            for s, v in zip(a.outs, b.value):
                v = _array(v) if isinstance(v, Tensor) else v
                if not _same(replay.get(f"v{s}"), v):
                    raise JitCheckError(f"mg.jit(check=True): entry {i}, {lines[line_of[i]]}: the replay "
                                        f"differs from eager")
        if a.kind == "backward":
            for j, ((op, _), value) in enumerate(zip(a.steps, b.values)):
                got = replay.get(f"d{i}_{op.out}")
                if not _same(got, value):
                    raise JitCheckError(f"mg.jit(check=True): entry {i}, {lines[line_of[i] + 1 + j]}: the "
                                        f"gradient arriving there differs from eager ({_diff(got, value)})")
    names = [tape.names[s] for s in tape.ext] + [f"argument {k}" for k in range(len(after) - len(tape.ext))]
    for (k, arr, grad), (_, earr, egrad) in zip(after, eager_after):
        if not _same(arr, earr):
            raise JitCheckError(f"mg.jit(check=True): {names[k]} after the replay differs from eager "
                                f"({_diff(arr, earr)})")
        if not _same(grad, egrad):
            raise JitCheckError(f"mg.jit(check=True): {names[k]}.grad after the replay differs from eager")


def jit(fn: Callable | None = None, *, check: bool = False, max_tapes: int = 8) -> Any:
    """Compile ``fn`` into a recorded step: ``step = mg.jit(fn)`` or ``@mg.jit`` (``@mg.jit(check=True)``).

    ``fn(*tensors_or_arrays)`` returns a Tensor, a tuple of Tensors or None. The first call with a
    new signature runs ``fn`` eagerly and records it; later calls replay the recording and return
    the same values eager execution gives (fresh Tensors without a graph). ``check=True`` runs eager
    alongside every replay and raises ``JitCheckError`` on any difference. See the module docstring
    for what is recorded and what cannot be traced.
    """
    if fn is None:
        return lambda f: Jit(f, check=check, max_tapes=max_tapes)
    return Jit(fn, check=check, max_tapes=max_tapes)
