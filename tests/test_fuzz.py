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

One exception is written down here: the hot arithmetic ops (``+ - * @``, ``sum``, ``mean``, the fused
``Affine`` and ``MSE`` nodes, and the losses and layers built from them) skip
``np.errstate`` for speed, so ``inf - inf``, ``inf * 0`` or an overflow there gives NumPy's own
``RuntimeWarning`` ("invalid value encountered in multiply"; "in dot" for ``@`` and ``Affine`` on
2-D operands, which run as ``np.dot``), exactly as the same NumPy code would.
``HOT_IEEE_WARNING`` accepts that warning only for those ops and only when an input is non-finite
or huge; the result is then checked with the warning silenced.

About 4,800 examples in all, ~20 s on two cores; ``MINIGRAD_FUZZ_SCALE=20`` multiplies every count.
"""
from __future__ import annotations

import contextlib
import math
import os
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
HOT_IEEE_WARNING = re.compile(r"(invalid value|overflow) encountered in (scalar )?(add|subtract|multiply|matmul|"
                              r"reduce|vdot|dot)")


FUZZ_SCALE = float(os.environ.get("MINIGRAD_FUZZ_SCALE", "1"))  # e.g. 20 for a long nightly run


def fuzz(examples: int) -> settings:
    return settings(max_examples=max(1, int(examples * FUZZ_SCALE)), deadline=None,
                    suppress_health_check=list(HealthCheck), print_blob=True)



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
    if (form == "scalar" or form == "list" and shape == ()) and dtype.kind == "f":  # (a 0-d list: a number)
        # A Python number takes the other operand's dtype (NEP 50), float16 included: keep it inside
        # that range. Beyond it NumPy itself warns "overflow encountered in cast"; that case is pinned
        # in test_reliability.py.
        with np.errstate(all="ignore"):
            arr = np.where(np.abs(arr) > 6e4, np.sign(arr) * np.inf, arr).astype(dtype)
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
    with np.errstate(over="ignore"):  # the reference's conversion: 1e300 as float32 is inf, as in minigrad
        if form == "list" and arr.size:
            lst = arr.tolist()
            return Drawn(lst, np.asarray(lst).astype(mg.get_default_dtype()), mg.get_default_dtype(), special,
                         False)
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
       differentiable=False),
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
    # backward is always silent (the engine runs it under one np.errstate): no exception for hot ops
    status, err = run(lambda: out.backward(cot), ())
    assert status == "ok", err
    for d in drawn[:op.grad_inputs]:
        if d.tensor and d.arg.requires_grad:
            g = d.arg.grad
            assert g is not None and g.shape == d.arg.shape and g.dtype == d.arg.dtype
            if not special and d.arg.dtype != np.float16:
                assert np.all(np.isfinite(g)), f"non-finite gradient for finite inputs: {g}"


# ---------------------------------------------------------------------------------------------
# layer constructors and layer calls


@dataclass
class Arg:
    """Values for one constructor argument: ``valid`` ones must be accepted, ``invalid`` ones refused
    with an error that names the argument (or quotes the value)."""

    valid: list
    invalid: list = field(default_factory=list)


ACTIVATION = Arg([None, "linear", "relu", "sigmoid", "tanh", "softmax", "leaky_relu", "elu", "softplus",
                  "hardtanh", "softsign", "ReLU", mg.tanh], ["relux", 5, [], ""])
EPS = Arg([1e-5, 0.0, 1e-3], [-1.0, math.nan, "a", None])
REDUCTION = Arg(["mean", "sum", "none"], ["avg", 5, None, "MEAN "])
LAYERS: dict[Any, dict[str, Arg]] = {
    nn.Dense: {"units": Arg([1, 2, 4, np.int64(3)], [0, -1, "3", 3.0, None, True]),
               "activation": ACTIVATION,
               "input_dim": Arg([None, 1, 3, 4], [0, "2", 2.5, -3]),
               "use_bias": Arg([True, False], ["no", None, 1.5]),
               "kernel_initializer": Arg(["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "normal",
                                          "zeros", "ones"], ["x", 5, None]),
               "rng": Arg([None, 0, 42, np.random.default_rng(0)], ["a", -1, 1.5, True])},
    nn.Dropout: {"rate": Arg([0, 0.0, 0.3, 0.99], [1, 1.5, -0.1, math.nan, "a", None, [0.5]])},
    nn.BatchNorm: {"num_features": Arg([None, 1, 3], [0, "3", 2.5, -2]),
                   "momentum": Arg([0.0, 0.1, 1.0], [-0.1, 2, "a", math.nan, None]), "eps": EPS},
    nn.LayerNorm: {"normalized_shape": Arg([1, 3, (3,), (2, 3), [2, 3]], [0, "a", (), (2, 0), None, 2.5, -1]),
                   "eps": EPS},
    nn.LeakyReLU: {"alpha": Arg([0.0, 0.01, 1.0, 2], [-1.0, "a", math.nan, None])},
    nn.ELU: {"alpha": Arg([0.0, 1.0, 0.5], [-1.0, "a", math.nan, None])},
    nn.Softmax: {"axis": Arg([-1, 0, 1], ["a", 1.5, None])},
    nn.Activation: {"activation": ACTIVATION},
    nn.ReLU: {}, nn.Sigmoid: {}, nn.Tanh: {}, nn.Identity: {}, nn.Flatten: {},
}


REQUIRED = {"units", "rate", "normalized_shape", "activation"}  # (Dense's activation has a default; giving
# it always is harmless)


def draw_kwargs(data: st.DataObject, spec: dict[str, Arg], label: str) -> tuple[dict, list]:
    """Keyword arguments for ``spec``; each is valid, or now and then invalid. Returns (kwargs, the names
    given invalid values)."""
    kwargs, bad = {}, []
    for name, arg in spec.items():
        if arg.invalid and data.draw(st.integers(0, 4), label=f"{label} {name} bad?") == 0:
            kwargs[name] = data.draw(st.sampled_from(arg.invalid), label=f"{label} {name}")
            bad.append(name)
        elif name in REQUIRED or data.draw(st.booleans(), label=f"{label} {name} given?"):
            kwargs[name] = data.draw(st.sampled_from(arg.valid), label=f"{label} {name}")
    return kwargs, bad


def draw_array(data: st.DataObject, shape: tuple, label: str) -> tuple[np.ndarray, bool]:
    """A float32/float64 array; now and then with NaN/inf/huge values (then ``special`` is True)."""
    dtype = data.draw(st.sampled_from([np.float32, np.float64]), label=f"{label} dtype")
    special = data.draw(st.integers(0, 5), label=f"{label} special?") == 0
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arr = data.draw(hnp.arrays(dtype, shape, elements=st.one_of(MODERATE, SPECIAL) if special else MODERATE),
                        label=label)
    return arr, special


@pytest.mark.parametrize("cls", list(LAYERS), ids=[c.__name__ for c in LAYERS])
@fuzz(60)
@given(data=st.data())
def test_layer_constructor_and_call_accept_valid_and_name_bad_arguments(cls: Any, data: st.DataObject):
    kwargs, bad = draw_kwargs(data, LAYERS[cls], cls.__name__)
    words = tuple(bad) + tuple(repr(kwargs[b])[:20] for b in bad)
    status, layer = run(lambda: cls(**kwargs), words)
    assert (status == "error") == bool(bad), f"{cls.__name__}({kwargs}) -> {status}: {layer}"
    if status == "error":
        return
    if data.draw(st.booleans(), label="eval?"):
        layer.eval()
    # call it on an input that fits (mostly) or not: a clear error naming the shapes, or an output
    ndim = data.draw(st.integers(1, 3), label="ndim")
    shape = data.draw(hnp.array_shapes(min_dims=ndim, max_dims=ndim, min_side=0, max_side=4), label="shape")
    for name in ("input_dim", "num_features"):
        if kwargs.get(name) and data.draw(st.booleans(), label="fit the layer"):
            shape = shape[:-1] + (kwargs[name],)
    if "normalized_shape" in kwargs and data.draw(st.booleans(), label="fit the layer"):
        ns = kwargs["normalized_shape"]
        shape = shape[:1] + (tuple(ns) if isinstance(ns, (tuple, list)) else (ns,))
    x, special = draw_array(data, shape, "x")
    special = special or kwargs.get("eps") == 0  # eps=0: x / √0 for constant rows makes inf and NaN inside
    xt = mg.tensor(x, requires_grad=data.draw(st.booleans(), label="x requires_grad"))
    status, out = run(lambda: layer(xt), (cls.__name__, "shape", "dimension", "input", str(shape), "sample",
                                          "axis", "feature", "received"), hot_ok=special)
    if status == "error":
        assert not isinstance(out, FloatingPointError)
        return
    assert isinstance(out, mg.Tensor)
    if cls is nn.Dense:
        assert out.shape == shape[:-1] + (layer.units,)
    elif cls is nn.Flatten:
        assert out.shape == ((shape[0], int(np.prod(shape[1:]))) if len(shape) >= 1 else (1,))
    else:
        assert out.shape == shape
    if cls in (nn.Dense, nn.Identity, nn.ReLU) and not special and layer.training is False or cls is nn.Identity:
        pass  # values: the op tests and test_nn_layers.py check them
    if out.requires_grad:
        cot = np.ones(out.shape)
        status, err = run(lambda: out.backward(cot), ())
        assert status == "ok", err
        for name, p in layer.named_parameters():
            assert p.grad is not None and p.grad.shape == p.shape, name
            if not special and x.size:
                assert np.all(np.isfinite(p.grad)), f"non-finite gradient of {name} for finite inputs"
        if xt.requires_grad:
            assert xt.grad.shape == xt.shape and xt.grad.dtype == xt.dtype


@fuzz(100)
@given(data=st.data())
def test_sequential_of_random_layers_builds_or_names_the_layer_that_does_not_fit(data: st.DataObject):
    n = data.draw(st.integers(1, 4), label="layers")
    layers = []
    for i in range(n):
        kind = data.draw(st.sampled_from(["dense", "dense", "relu", "bn", "ln", "dropout", "garbage"]), label="kind")
        if kind == "dense":
            kw = {"units": data.draw(st.integers(1, 4), label="units")}
            if i == 0 and data.draw(st.booleans(), label="input_dim?"):
                kw["input_dim"] = data.draw(st.integers(1, 4), label="input_dim")
            layers.append(nn.Dense(**kw, activation=data.draw(st.sampled_from([None, "relu", "tanh"]), label="a")))
        elif kind == "relu":
            layers.append(nn.ReLU())
        elif kind == "bn":
            layers.append(nn.BatchNorm(data.draw(st.one_of(st.none(), st.integers(1, 4)), label="bn features")))
        elif kind == "ln":
            layers.append(nn.LayerNorm(data.draw(st.integers(1, 4), label="ln shape")))
        elif kind == "dropout":
            layers.append(nn.Dropout(0.5))
        else:
            layers.append(data.draw(st.sampled_from([g.value for g in GARBAGE_DATA]), label="garbage layer"))
    status, model = run(lambda: nn.Sequential(*layers), ("Sequential", "layer", "Received", "shape"))
    if status == "error":
        return
    x, special = draw_array(data, (data.draw(st.integers(2, 4), label="n"), data.draw(st.integers(1, 4), label="k")),
                            "x")
    status, out = run(lambda: model(mg.tensor(x)), ("shape", "expects", "input", "received", "Received"),
                      hot_ok=special)
    if status == "ok" and out.requires_grad:
        assert out.shape[0] == x.shape[0]
        status, total = run(lambda: out.sum(), (), hot_ok=True)
        status, err = run(lambda: total.backward(), ())
        assert status == "ok", err


# ---------------------------------------------------------------------------------------------
# losses


LOSSES = {
    "mse_loss": (F.mse_loss, nn.MSELoss, lambda p, t: (p - t) ** 2, "same"),
    "l1_loss": (F.l1_loss, nn.L1Loss, lambda p, t: np.abs(p - t), "same"),
    "binary_cross_entropy": (F.binary_cross_entropy, nn.BCELoss,
                             lambda p, t: -(t * np.log(np.clip(p, 1e-7, 1 - 1e-7))
                                            + (1 - t) * np.log(1 - np.clip(p, 1e-7, 1 - 1e-7))), "same"),
    "binary_cross_entropy_with_logits": (F.binary_cross_entropy_with_logits, nn.BCEWithLogitsLoss,
                                         lambda z, t: np.logaddexp(0, z) - z * t, "same"),
    "cross_entropy": (F.cross_entropy, nn.CrossEntropyLoss,
                      lambda z, t: -(t * (z - _lse(z, -1, keepdims=True))).sum(-1), "classes"),
    "nll_loss": (F.nll_loss, nn.NLLLoss, lambda lp, t: -(t * lp).sum(-1), "classes"),
}


@pytest.mark.parametrize("name", list(LOSSES))
@fuzz(120)
@given(data=st.data())
def test_loss_gives_the_formula_or_names_the_mismatch(name: str, data: st.DataObject):
    fn, module, formula, kind = LOSSES[name]
    shape = data.draw(shapes(min_dims=0, max_dims=3), label="pred shape")
    pred, special = draw_array(data, shape, "pred")
    if name == "binary_cross_entropy" and not special:
        pred = np.asarray(np.clip(np.abs(pred) / 6, 0, 1), dtype=pred.dtype)  # probabilities
    target_kind = data.draw(st.sampled_from(["same", "same", "indices", "other", "garbage"]), label="target kind")
    if target_kind == "indices" and shape:
        target = data.draw(hnp.arrays(np.int64, shape[:-1], elements=st.integers(-1, max(shape[-1], 1))),
                           label="target")
    elif target_kind == "other":
        target, _ = draw_array(data, data.draw(shapes(), label="target shape"), "target")
    elif target_kind == "garbage":
        target = data.draw(st.sampled_from([g.value for g in GARBAGE_DATA]), label="target")
    else:
        target = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(0, 1)), label="target")
        if kind == "classes" and shape and shape[-1] and data.draw(st.booleans(), label="one-hot"):
            target = np.eye(shape[-1])[np.argmax(target, axis=-1)] if target.size else target
    reduction = data.draw(st.sampled_from(REDUCTION.valid + REDUCTION.invalid), label="reduction")
    use_module = data.draw(st.booleans(), label="module")
    p = mg.tensor(pred, requires_grad=True)
    call = (lambda: module(reduction=reduction)(p, target)) if use_module else (lambda: fn(p, target, reduction))
    words = ("shape", "reduction", "target", "class", "Tensor data must be", "input")
    status, out = run(call, words, hot_ok=special or target_kind != "same")
    if status == "error":
        assert reduction not in REDUCTION.valid or target_kind != "same" or shape == () or (
            kind == "classes" and shape[-1] == 0), f"valid call refused: {out}"
        return
    assert reduction in REDUCTION.valid, f"reduction={reduction!r} accepted"
    # the value: the formula per element (per sample for the class losses), then the reduction
    t = np.asarray(target._data if isinstance(target, mg.Tensor) else target)
    if kind == "classes" and t.shape == shape[:-1]:  # class indices (integral values, checked by the loss)
        t = np.eye(shape[-1])[t.astype(np.int64)] if t.size else np.zeros(shape)
    with np.errstate(all="ignore"):
        per = formula(pred, t.astype(pred.dtype))  # in pred's dtype (BCE's clip bound rounds in float32)
        expected = {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](per) if per.size or \
            reduction != "mean" else np.float64(np.nan)
    assert out.shape == np.shape(expected)
    if not special and target_kind == "same" and (name != "nll_loss"):
        tol = 1e-9 if pred.dtype == np.float64 else 2e-4
        np.testing.assert_allclose(out.data, expected, rtol=tol, atol=tol, equal_nan=True)
    status, err = run(lambda: out.backward(np.ones(out.shape)), ())
    assert status == "ok", err
    assert p.grad.shape == p.shape and p.grad.dtype == p.dtype
    if not special and target_kind == "same" and np.all(np.isfinite(out.data)):
        assert np.all(np.isfinite(p.grad)), "non-finite gradient of a finite loss"


# ---------------------------------------------------------------------------------------------
# optimizers and schedulers

LR = Arg([0.0, 0.01, 0.5, np.float32(0.1), 1], [-1, -0.1, math.nan, math.inf, "0.1", None, True, [0.1]])
UNIT = Arg([0.0, 0.5, 0.9], [-0.1, 1.0, 1.5, math.nan, "a", None])
POSITIVE_EPS = Arg([1e-8, 0.0, 1e-3], [-1e-8, math.nan, "a", None])
OPTIMIZERS: dict[Any, dict[str, Arg]] = {
    mg.optim.SGD: {"lr": LR, "momentum": Arg([0.0, 0.9, 2.0], [-0.5, "a", math.nan]),
                   "nesterov": Arg([False], ["no", None]), "weight_decay": Arg([0.0, 1e-4], [-1, "a", math.inf])},
    mg.optim.Momentum: {"lr": LR, "beta": UNIT, "weight_decay": Arg([0.0, 0.1], [-0.1])},
    mg.optim.Adagrad: {"lr": LR, "eps": POSITIVE_EPS, "initial_accumulator_value": Arg([0.0, 0.1], [-1, "a"])},
    mg.optim.RMSProp: {"lr": LR, "rho": UNIT, "eps": POSITIVE_EPS},
    mg.optim.Adam: {"lr": LR, "betas": Arg([(0.9, 0.999), (0.0, 0.5), [0.5, 0.5]],
                                           [0.9, (0.9,), (0.9, 1.0), (-0.1, 0.9), ("a", 0.9), None, (0.9, 0.9, 0.9)]),
                    "eps": POSITIVE_EPS, "weight_decay": Arg([0.0, 1e-2], [-1e-2, None])},
}


@pytest.mark.parametrize("cls", list(OPTIMIZERS), ids=[c.__name__ for c in OPTIMIZERS])
@fuzz(100)
@given(data=st.data())
def test_optimizer_steps_or_names_the_bad_hyperparameter(cls: Any, data: st.DataObject):
    kwargs, bad = draw_kwargs(data, OPTIMIZERS[cls], cls.__name__)
    n = data.draw(st.integers(0, 3), label="n params")
    params = [nn.Parameter(draw_array(data, data.draw(shapes(), label=f"shape {i}"), f"p{i}")[0]) for i in range(n)]
    params_arg = data.draw(st.sampled_from(["list", "list", "list", "module", "none", "garbage", "tensor", "lr"]),
                           label="params form")
    if params_arg == "garbage" or params_arg == "lr":
        plist = data.draw(st.sampled_from([5, "abc", [1.0], [[nn.Parameter([1.0])]], {"a": 1}, 0.01]),
                          label="params")
    elif params_arg == "tensor":
        plist = params[0] if params else mg.tensor([1.0])
    elif params_arg == "module":
        plist = nn.Sequential(nn.Dense(2, input_dim=3))
        params = plist.parameters()
    elif params_arg == "none":
        plist = None
    else:
        plist = params
    bad_params = params_arg in ("garbage", "lr", "tensor") or (params_arg == "list" and not params)
    words = tuple(bad) + tuple(repr(kwargs[b])[:20] for b in bad) + ("params", "parameter", "Tensor")
    status, opt = run(lambda: cls(plist, **kwargs), words)
    assert (status == "error") == bool(bad or bad_params), f"{cls.__name__}({plist!r:.40}, {kwargs}) -> {opt}"
    if status == "error":
        return
    if plist is None:
        status, err = run(opt.step, ("bind", "no parameters"))
        assert status == "error"
        opt.bind(params if params else [nn.Parameter([1.0])])
        params = opt.params
    # three steps with drawn gradients: None (skipped), finite, NaN/inf/huge, or the wrong shape
    for step in range(3):
        wrong = False
        for i, p in enumerate(params):
            kind = data.draw(st.sampled_from(["none", "ok", "ok", "ok", "wrong shape"]), label=f"grad {step} {i}")
            if kind == "none":
                p.grad = None
            elif kind == "wrong shape":
                p.grad, wrong = np.ones(p.shape + (2,)), True
            else:
                with np.errstate(over="ignore"):
                    p.grad = draw_array(data, p.shape, f"g{step}.{i}")[0].astype(p.dtype)
        before = [(p.data.copy(), p._version) for p in params]
        status, err = run(opt.step, ("shape", "params[", "grad"))
        assert (status == "error") == wrong, err
        if wrong:
            return
        for p, (old, version) in zip(params, before):
            assert p.shape == old.shape and p.dtype == old.dtype
            if p.grad is not None:
                assert p._version == version + 1  # the engine's in-place check sees the step
            else:
                np.testing.assert_array_equal(p.data, old)
    # its state survives a round trip; garbage states are refused naming what is wrong
    state = opt.state_dict()
    fresh = cls(params, **kwargs)
    status, err = run(lambda: fresh.load_state_dict(state), ())
    assert status == "ok", err
    garbage = data.draw(st.sampled_from(["abc", None, 5, {"optimizer": "Nope"}, {**state, "lr": "fast"},
                                         {**state, "num_params": len(params) + 1}, [1, 2]]), label="bad state")
    status, err = run(lambda: fresh.load_state_dict(garbage), ("load_state_dict", "state", "lr", "parameters"))
    assert status == "error"


SCHEDULERS = {
    mg.optim.lr_scheduler.StepLR: {"step_size": Arg([1, 3], [0, -1, "3", 2.5, None]),
                                   "gamma": Arg([0.1, 1.0], [-0.1, "a", math.nan])},
    mg.optim.lr_scheduler.MultiStepLR: {"milestones": Arg([[1, 3], (2,), []], [None, "ab", [1.5], [-1], 5]),
                                        "gamma": Arg([0.1], [-1.0, "x"])},
    mg.optim.lr_scheduler.ExponentialLR: {"gamma": Arg([0.9, 1.0], [-0.5, "a", None, math.inf])},
}


@pytest.mark.parametrize("cls", list(SCHEDULERS), ids=[c.__name__ for c in SCHEDULERS])
@fuzz(40)
@given(data=st.data())
def test_scheduler_follows_its_formula_or_names_the_bad_argument(cls: Any, data: st.DataObject):
    kwargs, bad = draw_kwargs(data, {**SCHEDULERS[cls], **({} if "gamma" in SCHEDULERS[cls] else {})}, cls.__name__)
    for name, arg in SCHEDULERS[cls].items():  # every argument given: step_size and milestones are required
        kwargs.setdefault(name, arg.valid[0])
    opt = mg.optim.SGD([nn.Parameter([1.0])], lr=0.5)
    target = data.draw(st.sampled_from(["opt", "opt", "opt", "none", "model"]), label="optimizer")
    given_opt = {"opt": opt, "none": None, "model": nn.Dense(2)}[target]
    words = tuple(bad) + ("milestone", "optimizer")
    status, sched = run(lambda: cls(given_opt, **kwargs), words)
    assert (status == "error") == bool(bad or target != "opt"), sched
    if status == "ok":
        for epoch in range(1, 5):
            sched.step()
            assert opt.lr == pytest.approx(sched.lr_at(epoch)) and math.isfinite(opt.lr) and opt.lr >= 0


# ---------------------------------------------------------------------------------------------
# fit

FIT_LOSSES = ["mse", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
              "mae", "cross_entropy_module"]


@fuzz(100)
@given(data=st.data())
def test_fit_trains_or_names_the_bad_argument(data: st.DataObject):
    k = data.draw(st.integers(1, 3), label="features")
    out_dim = data.draw(st.integers(1, 3), label="outputs")
    loss = data.draw(st.sampled_from(FIT_LOSSES), label="loss")
    act = "softmax" if loss in ("categorical_crossentropy", "sparse_categorical_crossentropy") else \
        "sigmoid" if loss == "binary_crossentropy" else None
    first = nn.Dense(3, activation="tanh", input_dim=k if data.draw(st.booleans(), label="input_dim") else None,
                     rng=0)
    model = nn.Sequential(first, nn.Dense(out_dim, activation=act, rng=1))
    model.compile(optimizer=data.draw(st.sampled_from(["sgd", "adam", "rmsprop"]), label="optimizer"),
                  loss=nn.CrossEntropyLoss() if loss == "cross_entropy_module" else loss)
    n = data.draw(st.integers(0, 6), label="n")
    xk = k if data.draw(st.integers(0, 5), label="x fits?") else data.draw(st.integers(1, 4), label="x features")
    x, x_special = draw_array(data, (n, xk), "x")
    # (float64 values beyond float32's range: fit's first cast warns before its check names x; pinned
    # as a strict xfail in test_reliability.py)
    x = np.where(np.abs(x) > 3e38, np.inf, x).astype(x.dtype)
    if loss in ("sparse_categorical_crossentropy", "cross_entropy_module"):
        y = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, out_dim - 1)), label="labels")
    else:
        y = data.draw(hnp.arrays(np.float64, (n, out_dim), elements=st.floats(0, 1)), label="y")
    if data.draw(st.integers(0, 5), label="y mismatch?") == 0:
        y = data.draw(hnp.arrays(np.float64, data.draw(shapes(min_dims=1), label="y shape"),
                                 elements=st.floats(0, 1)), label="y bad")
    form = data.draw(st.sampled_from(["array", "array", "tensor", "list", "garbage"]), label="x form")
    xs = {"array": x, "tensor": mg.tensor(x), "list": x.tolist(),
          "garbage": data.draw(st.sampled_from([g.value for g in GARBAGE_DATA]), label="x garbage")}[form]
    kwargs = {"verbose": 0}
    bad = []
    for name, arg in {"epochs": Arg([0, 1, 2], [-1, "2", 1.5, None]), "batch_size": Arg([1, 2, 32], [0, "a", 2.5]),
                      "verbose": Arg([0], [3, "x", None]), "shuffle": Arg([True, False], []),
                      "seed": Arg([None, 0, 7], ["a", -1, 1.5, True])}.items():
        if arg.invalid and data.draw(st.integers(0, 6), label=f"{name} bad?") == 0:
            kwargs[name] = data.draw(st.sampled_from(arg.invalid), label=name)
            bad.append(name)
        elif data.draw(st.booleans(), label=f"{name} given?"):
            kwargs[name] = data.draw(st.sampled_from(arg.valid), label=name)
    if data.draw(st.integers(0, 3), label="validation?") == 0:
        kwargs["validation_data"] = data.draw(st.sampled_from([(x, y), (x,), "abc", (x[:1], y[:1])]),
                                              label="validation_data")
    words = tuple(bad) + ("fit: x", "fit: y", "shape", "sample", "label", "validation_data", "loss")
    status, history = run(lambda: model.fit(xs, y, **kwargs), words, hot_ok=x_special)
    if status == "error":
        # a valid call must not be refused unless the data is at fault
        assert bad or form == "garbage" or n == 0 or xk != k or x_special or y.shape[:1] != (n,) or \
            isinstance(history, FloatingPointError) or "validation_data" in kwargs or \
            y.ndim != (1 if loss in ("sparse_categorical_crossentropy", "cross_entropy_module") else 2) or \
            (y.ndim == 2 and y.shape[1] != out_dim), f"valid fit refused: {history}"
        return
    assert not bad and form != "garbage", f"fit accepted {kwargs} / x={form}"
    assert np.all(np.isfinite(x)), "fit trained on NaN/inf data"
    losses = history.history.get("loss", [])
    assert len(losses) == kwargs.get("epochs", 1) and all(math.isfinite(v) for v in losses)
    for p in model.parameters():
        assert np.all(np.isfinite(p.data))
