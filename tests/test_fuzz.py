"""Hypothesis fuzzing of the public API: every op, layer constructor, loss, optimizer and ``fit``.

Each example draws shapes (0-size included), dtypes, values (NaN, ±inf and huge numbers included)
and, now and then, a garbage argument (None, a string, a dict, a ragged list, an object array, a
float where an int belongs…). The only acceptable outcomes are:

* a correct result: for ops, NumPy's answer on the same inputs (checked value by value when the
  inputs are moderate), gradients of each input's shape and dtype, finite where the inputs are
  finite and inside the op's domain; or
* a ``TypeError``/``ValueError``/``RuntimeError``/``FloatingPointError`` whose message names the
  offending argument (its name, its value or its type) or, for shape errors, the shapes.

Never an ``AttributeError``/``KeyError``/bare ``IndexError`` from inside minigrad, and never a NumPy
warning: every call runs under ``warnings.simplefilter("error")`` with NumPy's default error state.

One exception is written down here: the hot arithmetic ops (``+ - * @``, ``sum``, ``mean``) skip
``np.errstate`` for speed, so ``inf - inf``, ``inf * 0`` or an overflow there gives NumPy's own
``RuntimeWarning`` ("invalid value encountered in multiply"), exactly as the same NumPy code would.
The engine's cast of a float64 gradient to a float32 input (mixed-precision inputs) can overflow
the same way ("overflow encountered in cast"). ``HOT_IEEE_WARNING`` accepts these warnings only for
those ops and only when an input is non-finite or huge; the result is then checked with the warning
silenced. test_reliability.py pins the engine cast (a strict xfail until the core silences it).
"""
from __future__ import annotations

import contextlib
import math
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

ALLOWED = (TypeError, ValueError, RuntimeError, FloatingPointError)
INTERNAL = (AttributeError, KeyError, IndexError, ZeroDivisionError, RecursionError, AssertionError)
HOT = {"add", "sub", "mul", "neg", "matmul", "sum", "mean"}
HOT_IEEE_WARNING = re.compile(r"(invalid value|overflow) encountered in (add|subtract|multiply|matmul|reduce|cast)")


def fuzz(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)



class Garbage:
    """A value that is not what the argument wants; ``words`` are what an error message may quote."""

    def __init__(self, value: Any, *words: str):
        self.value = value
        self.words = words or (type(value).__name__, repr(value)[:20])

    def __repr__(self) -> str:
        return f"Garbage({self.value!r})"


GARBAGE_DATA = [
    Garbage(None, "None"), Garbage("abc", "'abc'", "str"), Garbage(b"xy", "bytes"), Garbage(object(), "object"),
    Garbage({"a": 1}, "dict", "object"), Garbage([1, [2, 3]], "ragged"), Garbage(["a", "b"], "string"),
    Garbage(1 + 2j, "complex"), Garbage(np.array(["x"]), "string"), Garbage(np.array([object()]), "object"),
    Garbage({1, 2}, "set", "object"), Garbage(np.array(["2020-01-01"], dtype="datetime64[D]"), "datetime64"),
]
GARBAGE_INT = [Garbage("1"), Garbage(1.5), Garbage([0.5], "[0.5]", "list"), Garbage(object(), "object"),
               Garbage(2 + 0j, "complex", "(2+0j)")]
GARBAGE_FLOAT = [Garbage("x", "'x'", "str"), Garbage([1, 2], "[1, 2]", "list"), Garbage(object(), "object"),
                 Garbage(1 + 1j, "complex", "(1+1j)"), Garbage({}, "dict", "{}")]
GARBAGE_BOOL = [Garbage("yes", "'yes'", "str"), Garbage(2, "2"), Garbage([True], "list", "[True]"),
                Garbage(None, "None")]


@contextlib.contextmanager
def strict(quiet_ieee: bool = False):
    """Warnings become errors, under NumPy's default error state (whatever an earlier test set);
    ``quiet_ieee`` silences invalid/overflow (for the documented hot-op exception)."""
    level = "ignore" if quiet_ieee else "warn"
    with warnings.catch_warnings(), np.errstate(divide="warn", over=level, invalid=level, under="ignore"):
        warnings.simplefilter("error")
        yield


def run(fn: Callable[[], Any], words: tuple, *, hot_ok: bool = False, _quiet: bool = False) -> tuple[str, Any]:
    """Call ``fn`` strictly. Returns ("ok", value) or ("error", exc) after checking that an error is an
    allowed type and names one of ``words``; any other exception or warning fails the test."""
    try:
        with strict(_quiet):
            return "ok", fn()
    except RuntimeWarning as w:
        if hot_ok and HOT_IEEE_WARNING.search(str(w)):
            return run(fn, words, _quiet=True)
        raise AssertionError(f"a NumPy warning leaked out: {type(w).__name__}: {w}") from w
    except Warning as w:
        raise AssertionError(f"a warning leaked out: {type(w).__name__}: {w}") from w
    except ALLOWED as exc:
        if type(exc) in INTERNAL or isinstance(exc, (AttributeError, KeyError)):
            raise AssertionError(f"internal error type {type(exc).__name__}: {exc}") from exc
        msg = str(exc)
        assert any(w and w in msg for w in words), f"{type(exc).__name__} does not name any of {words}: {msg}"
        return "error", exc
    except INTERNAL as exc:
        raise AssertionError(f"internal error leaked: {type(exc).__name__}: {exc}") from exc


# ---------------------------------------------------------------------------------------------
# values and inputs

MODERATE = st.floats(-6, 6, allow_nan=False, allow_infinity=False)
SPECIAL = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, 3e38, -3e38, 1e300])
FLOAT_DTYPES = [np.float32, np.float64, np.float16]
OTHER_DTYPES = [np.int32, np.int64, np.uint8, np.bool_]


def shapes(min_dims: int = 0, max_dims: int = 3) -> st.SearchStrategy:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=0, max_side=4)


@dataclass
class Drawn:
    """One drawn input: what is passed to minigrad, and what NumPy's reference gets (the same values,
    converted as minigrad's dtype policy converts them; Python numbers stay Python numbers)."""

    arg: Any
    ref: Any
    dtype: np.dtype | None  # the dtype minigrad should give it (None for Python scalars)
    special: bool
    tensor: bool


def draw_input(data: st.DataObject, shape: tuple, domain: st.SearchStrategy, label: str,
               scalar_ok: bool = False) -> Drawn:
    """An input of ``shape``: a Tensor (maybe requiring grad), a NumPy array, a nested list or a scalar."""
    dtype = np.dtype(data.draw(st.sampled_from(FLOAT_DTYPES + OTHER_DTYPES) if data.draw(st.integers(0, 9),
                                                                                         label=f"{label} kind") == 0
                               else st.sampled_from(FLOAT_DTYPES[:2]), label=f"{label} dtype"))
    special = dtype.kind == "f" and data.draw(st.integers(0, 4), label=f"{label} special?") == 0
    elements = st.one_of(domain, SPECIAL) if special else domain
    if dtype.kind != "f":
        elements = st.integers(0, 5) if dtype.kind in "iu" else st.booleans()
        special = True  # may hold 0, outside the domain of log, sqrt, div
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arr = data.draw(hnp.arrays(dtype, shape, elements=elements), label=label)
    if dtype.kind != "f":
        special = bool(np.any(arr == 0))
    form = data.draw(st.sampled_from(["tensor", "tensor", "tensor", "array", "list"] + ["scalar"] * scalar_ok),
                     label=f"{label} form")
    if form in ("list", "scalar") and dtype.kind == "f":
        # Python numbers become float32 (a list) or take the other operand's dtype, float16 included
        # (a scalar): keep them inside that range. A Python float beyond it makes NumPy warn "overflow
        # encountered in cast"; that case has its own tests in test_reliability.py.
        limit = 3e38 if form == "list" else 6e4
        with np.errstate(all="ignore"):
            arr = np.where(np.abs(arr) > limit, np.sign(arr) * np.inf, arr).astype(dtype)
    policy = dtype if dtype.kind == "f" else mg.get_default_dtype()
    if form in ("scalar", "list") and shape == ():  # a 0-d "list" is a Python number
        value = float(arr) if dtype.kind == "f" else int(arr)
        if scalar_ok:
            return Drawn(value, value, None, special, False)
        default = mg.get_default_dtype()  # a lone Python number becomes a default-dtype tensor
        return Drawn(value, np.asarray(value).astype(default), default, special, False)
    if form == "tensor":
        grad = dtype.kind == "f" and data.draw(st.booleans(), label=f"{label} requires_grad")
        t = mg.tensor(arr, requires_grad=grad)
        return Drawn(t, t.data.copy(), t.dtype, special, True)
    if form == "list" and arr.size:
        lst = arr.tolist()
        return Drawn(lst, np.asarray(lst).astype(mg.get_default_dtype()), mg.get_default_dtype(), special, False)
    return Drawn(arr, arr.astype(policy), np.dtype(policy), special, False)


# ---------------------------------------------------------------------------------------------
# the op table


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _lse(x, axis=-1, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def _axis(data, shapes, name="axis", allow_none=True, tuples=True, extra=0):
    nd = len(shapes[0])
    options = [st.integers(-nd - 1, nd + extra)]
    if allow_none:
        options.append(st.none())
    if tuples and nd:
        options.append(st.lists(st.integers(-nd, nd), max_size=nd + 1).map(tuple))
    return {name: data.draw(st.one_of(*options), label=name)}


def _reduce(data, shapes, ddof=False):
    kw = _axis(data, shapes)
    kw["keepdims"] = data.draw(st.booleans(), label="keepdims")
    if ddof:
        kw["ddof"] = data.draw(st.integers(0, 2), label="ddof")
    return kw


def _unary(data):
    return [data.draw(shapes(), label="shape")]


def _pair(data):
    a = data.draw(shapes(), label="shape a")
    if data.draw(st.integers(0, 5), label="mismatch?") == 0:
        b = data.draw(shapes(), label="shape b")
    else:
        b = data.draw(hnp.broadcastable_shapes(a, min_side=0, max_side=4, max_dims=3), label="shape b")
    return [a, b]


def _matmul_pair(data):
    if data.draw(st.integers(0, 4), label="mismatch?") == 0:
        return [data.draw(shapes(), label="a"), data.draw(shapes(), label="b")]
    s = data.draw(hnp.mutually_broadcastable_shapes(signature="(m?,n),(n,p?)->(m?,p?)", max_dims=2,
                                                    min_side=0, max_side=4), label="shapes")
    return list(s.input_shapes)


def _triple(data):
    a = data.draw(shapes(), label="shape")
    return [data.draw(hnp.broadcastable_shapes(a, min_side=0, max_side=4, max_dims=3), label=f"shape {i}")
            for i in range(2)] + [a]


def _several(data):
    a = data.draw(shapes(min_dims=1), label="shape")
    n = data.draw(st.integers(1, 3), label="count")
    out = [a]
    for i in range(n - 1):
        if data.draw(st.booleans(), label=f"same {i}"):
            out.append(a)
        else:
            out.append(data.draw(shapes(min_dims=1), label=f"shape {i}"))
    return out


def _index(data, shapes):
    shape = shapes[0]
    nd = len(shape)
    n0 = shape[0] if nd else 0
    opts = [st.integers(-n0 - 2, n0 + 2), st.slices(max(n0, 1)), st.just(Ellipsis), st.none(),
            st.lists(st.integers(-n0 - 1, n0), min_size=0, max_size=4),
            st.tuples(st.slices(max(n0, 1)), st.integers(-2, 2))]
    if nd:
        opts.append(hnp.arrays(np.bool_, shape))
        opts.append(hnp.arrays(np.bool_, (max(n0 - 1, 0),)))
        opts.append(st.lists(st.integers(0, max(n0 - 1, 0)), min_size=1, max_size=3).map(
            lambda v: mg.tensor(np.array(v), dtype=np.int64)))
    return {"idx": data.draw(st.one_of(*opts), label="idx")}


def _getitem_ref(x, idx=None):
    return x[idx._data if isinstance(idx, mg.Tensor) else (np.asarray(idx) if isinstance(idx, list) else idx)]


def _flatten_ref(x, start_dim=0):
    """torch.flatten: merge axes start_dim… into one; a 0-d tensor becomes (1,)."""
    nd = max(x.ndim, 1)
    if not -nd <= start_dim < nd:
        raise ValueError("start_dim out of range")
    sd = start_dim % nd
    return x.reshape(x.shape[:sd] + (int(np.prod(x.shape[sd:])),)) if x.ndim else x.reshape(1)


def _reduction_ref(fn):
    """NumPy accepts axis=0/-1 on a 0-d array in sum and max but not in mean or var; minigrad accepts
    it in every reduction (there is nothing to reduce), so the reference treats it as axis=None."""
    def ref(x, axis=None, **kw):
        if np.ndim(x) == 0 and type(axis) is int and axis in (0, -1):
            axis = None
        return fn(x, axis=axis, **kw)
    return ref


def _operator(a, b, operator, function):
    """``a + b`` through Tensor's operators when one side is a Tensor, else the function form."""
    return operator(a, b) if isinstance(a, mg.Tensor) or isinstance(b, mg.Tensor) else function(a, b)


def _cond(c):
    """where's condition from a drawn input: ``c > 0`` (garbage passes through untouched)."""
    if isinstance(c, mg.Tensor):
        return c > 0
    try:
        return np.asarray(c, dtype=float) > 0
    except (TypeError, ValueError):
        return c


def _reshape_kw(data, shapes):
    size = int(np.prod(shapes[0]))
    divisors = [d for d in range(1, 9) if size % d == 0] or [1]
    d = data.draw(st.sampled_from(divisors), label="d")
    target = data.draw(st.sampled_from([(size,), (d, -1), (-1, d, 1), (size + 1,), (-1, -1), (size // d, d)]),
                       label="shape")
    return {"shape": target}


def _transpose_kw(data, shapes):
    nd = len(shapes[0])
    axes = data.draw(st.one_of(st.none(), st.permutations(range(nd)).map(tuple),
                               st.lists(st.integers(-nd - 1, nd + 1), max_size=nd + 1).map(tuple)), label="axes")
    return {"axes": axes}


def _clip_kw(data, shapes):
    lo = data.draw(st.one_of(st.none(), st.floats(-3, 3)), label="min")
    hi = data.draw(st.one_of(st.none(), st.floats(-3, 3)), label="max")
    return {"min": lo, "max": hi}


@dataclass
class Op:
    name: str
    fn: Callable                       # minigrad: (*inputs, **kwargs)
    ref: Callable                      # NumPy on float64 arrays: (*arrays, **kwargs)
    shapes: Callable = _unary          # data -> list of input shapes
    domain: st.SearchStrategy = MODERATE  # moderate values inside the op's domain
    kwargs: Callable = lambda data, shapes: {}  # noqa: E731
    int_kw: tuple = ()                 # keyword arguments that take ints (garbage: strings, floats…)
    float_kw: tuple = ()
    bool_kw: tuple = ()
    scalar_ok: bool = False            # Python numbers allowed as inputs
    differentiable: bool = True
    deviations: tuple = ()             # documented cases where minigrad raises and NumPy answers
    tol: float = 1e-4                  # float32 relative tolerance
    dtype_inputs: int = 3              # how many leading inputs decide the result's dtype
    grad_inputs: int = 3               # how many leading inputs receive a gradient
    garbage: bool = True               # throw garbage arguments at it
    raw_inputs: tuple = ()             # inputs minigrad uses as given (no dtype policy): the reference too


POSITIVE = st.floats(0.1, 6)
NONZERO = st.one_of(st.floats(-6, -0.1), st.floats(0.1, 6))

OPS = [
    Op("add", lambda a, b: _operator(a, b, lambda x, y: x + y, mg.add), np.add, _pair, scalar_ok=True),
    Op("sub", mg.sub, np.subtract, _pair, scalar_ok=True),
    Op("mul", lambda a, b: _operator(a, b, lambda x, y: x * y, mg.mul), np.multiply, _pair, scalar_ok=True),
    Op("div", mg.div, np.divide, _pair, NONZERO, scalar_ok=True),
    Op("pow", mg.pow, np.power, _pair, st.floats(0.1, 2.5), scalar_ok=True),
    Op("neg", mg.neg, np.negative),
    Op("matmul", mg.matmul, np.matmul, _matmul_pair),
    Op("exp", mg.exp, np.exp),
    Op("log", mg.log, np.log, domain=POSITIVE),
    Op("sqrt", mg.sqrt, np.sqrt, domain=POSITIVE),
    Op("abs", mg.abs, np.abs),
    Op("sigmoid", mg.sigmoid, lambda x: 0.5 * np.tanh(0.5 * x) + 0.5),
    Op("relu", mg.relu, lambda x: np.maximum(x, 0)),
    Op("tanh", mg.tanh, np.tanh),
    Op("leaky_relu", mg.leaky_relu, lambda x, alpha=0.01: np.where(x > 0, x, alpha * x),
       kwargs=lambda d, s: {"alpha": d.draw(st.floats(0, 1), label="alpha")}, float_kw=("alpha",)),
    Op("elu", mg.elu, lambda x, alpha=1.0: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))),
       kwargs=lambda d, s: {"alpha": d.draw(st.floats(0, 2), label="alpha")}, float_kw=("alpha",)),
    Op("softplus", mg.softplus, lambda x: np.logaddexp(0, x)),
    Op("softsign", mg.softsign, lambda x: np.where(np.isinf(x), np.sign(x), x / (1 + np.abs(x)))),
    Op("hardtanh", mg.hardtanh, lambda x, min=-1.0, max=1.0: np.clip(x, min, max), kwargs=_clip_kw,
       float_kw=("min", "max"), deviations=("must not exceed",)),
    Op("clip", mg.clip, lambda x, min=None, max=None: np.clip(x, min, max) if (min, max) != (None, None) else x,
       kwargs=_clip_kw, float_kw=("min", "max"), deviations=("must not exceed",)),
    Op("maximum", mg.maximum, np.maximum, _pair, scalar_ok=True),
    Op("minimum", mg.minimum, np.minimum, _pair, scalar_ok=True),
    Op("where", lambda a, b, c: mg.where(_cond(c), a, b), lambda a, b, c: np.where(_cond(c), a, b), _triple,
       dtype_inputs=2, grad_inputs=2, raw_inputs=(2,), scalar_ok=True),
    Op("sum", mg.sum, _reduction_ref(np.sum), kwargs=_reduce, int_kw=("axis",), bool_kw=("keepdims",)),
    Op("mean", mg.mean, _reduction_ref(np.mean), kwargs=_reduce, int_kw=("axis",), bool_kw=("keepdims",)),
    Op("var", mg.var, _reduction_ref(np.var), kwargs=lambda d, s: _reduce(d, s, ddof=True), int_kw=("axis", "ddof"),
       bool_kw=("keepdims",), deviations=("degrees of freedom",), tol=1e-3),
    Op("max", mg.max, _reduction_ref(np.max), kwargs=_reduce, int_kw=("axis",), bool_kw=("keepdims",),
       deviations=("zero-size",)),
    Op("min", mg.min, _reduction_ref(np.min), kwargs=_reduce, int_kw=("axis",), bool_kw=("keepdims",),
       deviations=("zero-size",)),
    Op("logsumexp", mg.logsumexp, _lse, kwargs=lambda d, s: _reduce(d, s), int_kw=("axis",),
       bool_kw=("keepdims",), deviations=("zero-size",)),
    Op("softmax", mg.softmax, _softmax, kwargs=lambda d, s: _axis(d, s, allow_none=False, tuples=False),
       int_kw=("axis",)),
    Op("log_softmax", mg.log_softmax, lambda x, axis=-1: x - _lse(x, axis, keepdims=True),
       kwargs=lambda d, s: _axis(d, s, allow_none=False, tuples=False), int_kw=("axis",)),
    Op("reshape", lambda x, shape: mg.reshape(x, shape), lambda x, shape: x.reshape(shape), kwargs=_reshape_kw,
       int_kw=("shape",)),
    Op("transpose", lambda x, axes: mg.transpose(x, *(axes or ())), lambda x, axes: np.transpose(x, axes or None),
       kwargs=_transpose_kw, int_kw=("axes",)),
    Op("flatten", mg.flatten, _flatten_ref, kwargs=lambda d, s: {"start_dim": d.draw(st.integers(-3, 3), label="sd")},
       int_kw=("start_dim",)),
    Op("expand_dims", mg.expand_dims, np.expand_dims, kwargs=lambda d, s: _axis(d, s, allow_none=False,
                                                                                tuples=False, extra=1),
       int_kw=("axis",)),
    Op("squeeze", mg.squeeze, np.squeeze, kwargs=lambda d, s: _axis(d, s), int_kw=("axis",)),
    Op("concatenate", lambda *xs, axis=0: mg.concatenate(list(xs), axis=axis),
       lambda *xs, axis=0: np.concatenate(xs, axis=axis), _several,
       kwargs=lambda d, s: _axis(d, s, allow_none=False, tuples=False), int_kw=("axis",)),
    Op("stack", lambda *xs, axis=0: mg.stack(list(xs), axis=axis), lambda *xs, axis=0: np.stack(xs, axis=axis),
       _several, kwargs=lambda d, s: _axis(d, s, allow_none=False, tuples=False, extra=1), int_kw=("axis",)),
    Op("getitem", lambda x, idx: x[idx] if isinstance(x, mg.Tensor) else mg.tensor(x)[idx], _getitem_ref,
       kwargs=_index),
    Op("argmax", mg.argmax, np.argmax, kwargs=lambda d, s: _axis(d, s, tuples=False), int_kw=("axis",),
       differentiable=False, deviations=("zero-size",)),
    Op("compare", lambda a, b: (a if isinstance(a, mg.Tensor) else mg.tensor(a)) < b, np.less, _pair,
       differentiable=False, garbage=False, raw_inputs=(1,)),  # garbage: test_reliability (core, strict xfail)
]


GENERIC_WORDS = ("shape", "axis", "axes", "ddof", "index", "dimension", "start_dim", "min", "max", "tensor")


def numpy_answer(op: Op, drawn: list, args: list, kwargs: dict) -> tuple[bool, Any]:
    """(True, NumPy's answer) or (False, the exception NumPy raised), on the converted inputs."""
    ref_args = [(a.data if isinstance(a, mg.Tensor) else a) if i in op.raw_inputs or a is not d.arg else d.ref
                for i, (d, a) in enumerate(zip(drawn, args))]
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return True, np.asarray(op.ref(*ref_args, **kwargs))
    except Exception as exc:  # noqa: BLE001 - any refusal
        return False, exc


@pytest.mark.parametrize("op", OPS, ids=[o.name for o in OPS])
@fuzz(60)
@given(data=st.data())
def test_op_gives_numpys_answer_or_a_clear_error(op: Op, data: st.DataObject):
    shape_list = op.shapes(data)
    drawn = [draw_input(data, s, op.domain, f"x{i}", op.scalar_ok) for i, s in enumerate(shape_list)]
    kwargs = op.kwargs(data, shape_list)
    args = [d.arg for d in drawn]
    clean_ok, _ = numpy_answer(op, drawn, args, kwargs)
    # an error must name the culprit: the op, a shape or the argument at fault
    words = (op.name,) + GENERIC_WORDS + tuple(str(np.shape(d.ref)) for d in drawn) + op.deviations
    garbage = None
    if op.garbage and data.draw(st.integers(0, 5), label="garbage?") == 0:
        slots = [f"x{i}" for i in range(len(args))] + [k for k in kwargs if k in op.int_kw + op.float_kw
                                                        + op.bool_kw]
        where = data.draw(st.sampled_from(slots), label="garbage slot")
        pool = (GARBAGE_DATA if where.startswith("x") and where[1:].isdigit() else
                GARBAGE_INT if where in op.int_kw else GARBAGE_FLOAT if where in op.float_kw else GARBAGE_BOOL)
        garbage = data.draw(st.sampled_from(pool), label="garbage")
        if where in kwargs:
            kwargs[where] = garbage.value
        else:
            args[int(where[1:])] = garbage.value
        # now the error must name the garbage (or, if the example was invalid anyway, that problem)
        words = garbage.words + (where, "Tensor data must be") + op.deviations + (words if not clean_ok else ())
    special = any(d.special for d in drawn)
    status, out = run(lambda: op.fn(*args, **kwargs), words, hot_ok=op.name in HOT and special)
    ok, expected = numpy_answer(op, drawn, args, kwargs)
    if status == "error":
        assert garbage is not None or not ok or any(k in str(out) for k in op.deviations), (
            f"minigrad raised {type(out).__name__}: {out}, but NumPy's answer is {expected!r}")
        return
    assert ok, f"NumPy raised {type(expected).__name__}: {expected}, but minigrad returned {out!r}"
    assert isinstance(out, mg.Tensor), f"{op.name} returned {type(out).__name__}"
    assert out.shape == expected.shape, f"shape {out.shape}, NumPy {expected.shape}"
    if op.differentiable and garbage is None:  # the dtype policy: Python numbers never upcast
        dts = [d.dtype for d in drawn[:op.dtype_inputs] if d.dtype is not None] or [mg.get_default_dtype()]
        assert out.dtype == np.result_type(*dts), f"dtype {out.dtype} from inputs {dts}"
    if not special and out.dtype != np.float16 and all(d.dtype != np.float16 for d in drawn):
        ex = expected.astype(out.dtype) if out.dtype.kind == "f" else expected
        tol = 1e-9 if out.dtype == np.float64 else op.tol
        np.testing.assert_allclose(out.data, ex, rtol=tol, atol=tol, equal_nan=True)

    # backward: gradients of each input's shape and dtype, finite for finite in-domain inputs
    if not (op.differentiable and out.requires_grad):
        return
    cot = np.asarray(data.draw(hnp.arrays(np.float64, out.shape, elements=st.floats(-2, 2)), label="cotangent"))
    # retain_graph: the documented hot-op warning may interrupt the first try half-way
    status, err = run(lambda: out.backward(cot, retain_graph=True), (), hot_ok=op.name in HOT and special)
    assert status == "ok", err
    for d in drawn[:op.grad_inputs]:
        if d.tensor and d.arg.requires_grad:
            g = d.arg.grad
            assert g is not None and g.shape == d.arg.shape and g.dtype == d.arg.dtype
            if not special and d.arg.dtype != np.float16:
                assert np.all(np.isfinite(g)), f"non-finite gradient for finite inputs: {g}"
