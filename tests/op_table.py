"""The op table: one row per op of minigrad's public surface, and the strategies that draw its calls.

Two test files read it: ``test_ops.py`` (forward against NumPy, backward against float64 central
differences, nothing mutated) and ``test_fuzz.py`` (garbage, special values, dtypes, random graphs
of these rows). A new op needs exactly one ``Op`` row in ``OPS``.

Each strategy takes ``wild``: False draws valid calls only (sides >= 1, axes in range, shapes that
broadcast); True also draws what a careless user passes (size-0 sides, axes out of range, shapes that
do not fit), which the op must answer as NumPy does or refuse with a clear error.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad.nn import functional as F

Shape = tuple[int, ...]
Draw = Any  # hypothesis's st.DataObject, or anything with .draw(strategy, label=...)

REAL = ((-5.0, 5.0),)
POSITIVE = ((0.2, 5.0),)
NONZERO = ((-5.0, -0.5), (0.5, 5.0))
BASE = ((0.5, 2.0),)  # pow: x ** y with both in here stays well-conditioned


# ---------------------------------------------------------------------------------------------
# input shapes: (data, wild, first=None) -> list of shapes, or None when ``first`` cannot be the first


def shape(data: Draw, wild: bool, label: str = "shape", min_dims: int = 0) -> Shape:
    return data.draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=0 if wild else 1, max_side=4),
                     label=label)


def unary(data: Draw, wild: bool, first: Shape | None = None) -> list | None:
    return [shape(data, wild) if first is None else first]


def at_least_1d(data: Draw, wild: bool, first: Shape | None = None) -> list | None:
    """One input of at least one axis (any shape when wild: the axis argument must then be refused)."""
    if first is not None:
        return [first] if first or wild else None
    return [shape(data, wild, min_dims=0 if wild else 1)]


def pair(data: Draw, wild: bool, first: Shape | None = None) -> list | None:
    """Two shapes that broadcast (when wild, now and then two that need not)."""
    a = shape(data, wild, "shape a") if first is None else first
    if wild and data.draw(st.integers(0, 5), label="mismatch?") == 0:
        b = shape(data, wild, "shape b")
    else:
        b = data.draw(hnp.broadcastable_shapes(a, min_side=0 if wild else 1, max_side=4, max_dims=3),
                      label="shape b")
    return [a, b] if first is not None or not data.draw(st.booleans(), label="swap") else [b, a]


def matmul_pair(data: Draw, wild: bool, first: Shape | None = None) -> list | None:
    """(a, b) valid for ``a @ b`` under NumPy's rules: vectors, matrices, broadcast batches."""
    if first is not None:
        if not first:
            return None
        n, p = first[-1], data.draw(st.integers(1, 4), label="p")
        batch = data.draw(hnp.broadcastable_shapes(first[:-2], max_side=4, max_dims=2), label="batch") \
            if len(first) > 2 else ()
        return [first, data.draw(st.sampled_from([(n,), (n, p), batch + (n, p)]), label="b")]
    if wild and data.draw(st.integers(0, 4), label="mismatch?") == 0:
        return [shape(data, wild, "a"), shape(data, wild, "b")]
    s = data.draw(hnp.mutually_broadcastable_shapes(signature="(m?,n),(n,p?)->(m?,p?)", max_dims=2,
                                                    min_side=0 if wild else 1, max_side=4), label="shapes")
    return list(s.input_shapes)


def same_shapes(data: Draw, wild: bool, first: Shape | None = None) -> list | None:
    """One to three inputs of one shape (``stack``); when wild, their shapes may differ."""
    a = shape(data, wild, min_dims=1 if wild else 0) if first is None else first
    n = data.draw(st.integers(1, 3), label="count")
    if not wild:
        return [a] * n
    return [a] + [a if data.draw(st.booleans(), label=f"same {i}") else shape(data, wild, f"shape {i}", 1)
                  for i in range(n - 1)]


def joinable_shapes(data: Draw, wild: bool, first: Shape | None = None) -> list | None:
    """One to three inputs equal but for their first axis (``concatenate``); when wild, any shapes."""
    if wild:
        return same_shapes(data, wild, first)
    a = shape(data, wild, min_dims=1) if first is None else first
    if not a:
        return None
    n = data.draw(st.integers(1, 3), label="count")
    return [a] + [(data.draw(st.integers(1, 3), label=f"rows {i}"),) + a[1:] for i in range(n - 1)]


def matrix(data: Draw, wild: bool, first: Shape | None = None) -> list | None:
    """One (N, C) input: a batch of logits."""
    if first is not None:
        return [first] if len(first) == 2 else None
    lo = 0 if wild else 1
    return [(data.draw(st.integers(lo, 4), label="N"), data.draw(st.integers(lo, 4), label="C"))]


def affine_shapes(data: Draw, wild: bool, first: Shape | None = None) -> list | None:
    """x (N, in), weight (in, units), bias (units,)."""
    if first is not None and len(first) != 2:
        return None
    lo = 0 if wild else 1
    n, k = first or (data.draw(st.integers(lo, 4), label="N"), data.draw(st.integers(lo, 4), label="in"))
    u = data.draw(st.integers(lo, 4), label="units")
    return [(n, k), (k, u), (u,)]


def twins(data: Draw, wild: bool, first: Shape | None = None) -> list | None:
    """Two inputs of one shape (a prediction and its target)."""
    a = shape(data, wild) if first is None else first
    return [a, a]


# ---------------------------------------------------------------------------------------------
# keyword arguments: (data, shapes, wild) -> dict


def no_kwargs(data: Draw, shapes: list, wild: bool) -> dict:
    return {}


def _wild_axis(data: Draw, nd: int, none: bool = True, tuples: bool = True, extra: int = 0) -> Any:
    options = [st.integers(-nd - 1, nd + extra)] + [st.none()] * none
    if tuples and nd:
        options.append(st.lists(st.integers(-nd, nd), max_size=nd + 1).map(tuple))
    return data.draw(st.one_of(*options), label="axis")


def one_axis(data: Draw, shapes: list, wild: bool, extra: int = 0) -> dict:
    """``axis``: one int (``extra`` = 1 where a new axis may be named, as in expand_dims and stack)."""
    nd = len(shapes[0])
    if wild:
        return {"axis": _wild_axis(data, nd, none=False, tuples=False, extra=extra)}
    return {"axis": data.draw(st.integers(-nd - extra, nd - 1 + extra), label="axis")}


def new_axis(data: Draw, shapes: list, wild: bool) -> dict:
    return one_axis(data, shapes, wild, extra=1)


def _reduced_axes(data: Draw, nd: int) -> Any:
    """None, an int, or a tuple of distinct axes (negative ones too) of an ``nd``-axis input."""
    if not nd:
        return data.draw(st.sampled_from([None, ()]), label="axis")
    return data.draw(st.one_of(st.none(), st.integers(-nd, nd - 1),
                               st.lists(st.integers(0, nd - 1), unique=True, max_size=nd).map(
                                   lambda axes: tuple(a - nd if a % 2 else a for a in axes))), label="axis")


def reduction(data: Draw, shapes: list, wild: bool) -> dict:
    """``axis`` (None, an int or a tuple) and ``keepdims``."""
    nd = len(shapes[0])
    axis = _wild_axis(data, nd) if wild else _reduced_axes(data, nd)
    return {"axis": axis, "keepdims": data.draw(st.booleans(), label="keepdims")}


def variance(data: Draw, shapes: list, wild: bool) -> dict:
    """reduction's arguments and ``ddof``, below the count of reduced elements unless wild."""
    kw = reduction(data, shapes, wild)
    s = shapes[0]
    axis = kw["axis"]
    axes = range(len(s)) if axis is None else (axis,) if isinstance(axis, int) else axis
    count = int(np.prod([s[a] for a in axes])) if not wild else 3
    kw["ddof"] = data.draw(st.integers(0, 2 if wild else min(2, count - 1)), label="ddof")
    return kw


def arg_axis(data: Draw, shapes: list, wild: bool) -> dict:
    """argmax/argmin: None or one int."""
    nd = len(shapes[0])
    if wild:
        return {"axis": _wild_axis(data, nd, tuples=False)}
    axis = st.one_of(st.none(), st.integers(-nd, nd - 1)) if nd else st.none()
    return {"axis": data.draw(axis, label="axis")}


def squeeze_axis(data: Draw, shapes: list, wild: bool) -> dict:
    """None, or some of the size-1 axes."""
    s = shapes[0]
    if wild:
        return {"axis": _wild_axis(data, len(s))}
    ones = [i for i, n in enumerate(s) if n == 1]
    some = st.lists(st.sampled_from(ones), unique=True) if ones else st.just([])
    picked = data.draw(some, label="size-1 axes")
    axis = None if not picked and data.draw(st.booleans(), label="None?") else \
        picked[0] if len(picked) == 1 and data.draw(st.booleans(), label="int?") else tuple(picked)
    return {"axis": axis}


def join_axis(data: Draw, shapes: list, wild: bool) -> dict:
    """An axis along which the shapes may differ (all others agree)."""
    if wild:
        return one_axis(data, shapes, wild)
    s0, nd = shapes[0], len(shapes[0])
    ok = [a for a in range(nd) if all(s[:a] + s[a + 1:] == s0[:a] + s0[a + 1:] for s in shapes)]
    a = data.draw(st.sampled_from(ok), label="axis")
    return {"axis": a - nd if data.draw(st.booleans(), label="negative") else a}


def reshape_target(data: Draw, shapes: list, wild: bool) -> dict:
    size = int(np.prod(shapes[0]))
    d = data.draw(st.sampled_from([d for d in range(1, 9) if size % d == 0] or [1]), label="d")
    targets = [(size,), (d, -1), (-1, d, 1), (size // d, d)] + [(size + 1,), (-1, -1)] * wild
    return {"shape": data.draw(st.sampled_from(targets), label="shape")}


def permutation(data: Draw, shapes: list, wild: bool) -> dict:
    nd = len(shapes[0])
    options = [st.none(), st.permutations(range(nd)).map(tuple)]
    if wild:
        options.append(st.lists(st.integers(-nd - 1, nd + 1), max_size=nd + 1).map(tuple))
    return {"axes": data.draw(st.one_of(*options), label="axes")}


def start_dim(data: Draw, shapes: list, wild: bool) -> dict:
    nd = max(len(shapes[0]), 1)
    lo, hi = (-3, 3) if wild else (-nd, nd - 1)
    return {"start_dim": data.draw(st.integers(lo, hi), label="start_dim")}


def alpha(hi: float) -> Callable:
    return lambda data, shapes, wild: {"alpha": data.draw(st.floats(0, hi), label="alpha")}


def bounds(data: Draw, shapes: list, wild: bool, none: bool = True) -> dict:
    """clip's ``min`` and ``max`` (either may be None for clip; min <= max unless wild)."""
    value = on_grid(-3, 3) if not wild else st.floats(-3, 3)
    lo = data.draw(st.one_of(st.none(), value) if none else value, label="min")
    hi = data.draw(st.one_of(st.none(), value) if none else value, label="max")
    if not wild and lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    return {"min": lo, "max": hi}


def hardtanh_bounds(data: Draw, shapes: list, wild: bool) -> dict:
    return bounds(data, shapes, wild, none=wild)


def condition(data: Draw, shapes: list, wild: bool) -> dict:
    """where's ``cond``: booleans of a shape broadcasting with the inputs (a comparison's Tensor too)."""
    out = shapes[0] if wild else np.broadcast_shapes(*shapes)
    s = data.draw(hnp.broadcastable_shapes(out, max_dims=3, min_side=0 if wild else 1, max_side=4),
                  label="cond shape")
    cond = data.draw(hnp.arrays(np.bool_, s), label="cond")
    forms = ["array", "tensor", "list"] if wild else ["array", "tensor"]
    form = data.draw(st.sampled_from(forms), label="cond form")
    return {"cond": {"array": cond, "tensor": mg.tensor(cond.astype(np.float64)) > 0.5,
                     "list": cond.tolist()}[form]}


def index(data: Draw, shapes: list, wild: bool) -> dict:
    """``idx``: an int, a slice, Ellipsis, None, an int list (repeats accumulate), a boolean mask, an int
    Tensor; in range unless wild."""
    s = shapes[0]
    nd, n0 = len(s), (s[0] if s else 0)
    lo, hi = (-n0 - 2, n0 + 2) if wild else (-n0, n0 - 1)
    opts = [st.just(Ellipsis), st.none()] + [st.slices(max(n0, 1))] * (nd > 0 or wild)
    if nd and n0:
        opts += [st.integers(lo, hi), st.lists(st.integers(lo, hi), min_size=0 if wild else 1, max_size=4),
                 st.lists(st.integers(0, n0 - 1), min_size=1, max_size=3).map(
                     lambda v: mg.tensor(np.array(v), dtype=np.int64)), hnp.arrays(np.bool_, s)]
    if nd >= 2 and n0 and s[1]:
        opts.append(st.tuples(st.slices(n0), st.integers(-s[1], s[1] - 1)))
    if wild:
        opts += [st.lists(st.integers(-n0 - 1, n0), max_size=4),
                 st.tuples(st.slices(max(n0, 1)), st.integers(-2, 2))]
        if nd:
            opts.append(hnp.arrays(np.bool_, (max(n0 - 1, 0),)))
    return {"idx": data.draw(st.one_of(*opts), label="idx")}


def mean_sum_none(data: Draw, shapes: list, wild: bool) -> dict:
    return {"reduction": data.draw(st.sampled_from(["mean", "sum", "none"]), label="reduction")}


def class_target(data: Draw, shapes: list, wild: bool) -> dict:
    """cross_entropy's ``target``: class indices (N,) or one-hot rows (N, C); and ``reduction``."""
    n, c = shapes[0]
    lo, hi = (-1, c) if wild else (0, c - 1)
    labels = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(lo, hi)), label="labels")
    one_hot = c and labels.min(initial=0) >= 0 and labels.max(initial=0) < c and data.draw(st.booleans(),
                                                                                           label="one-hot")
    return {"target": np.eye(c)[labels] if one_hot else labels, **mean_sum_none(data, shapes, wild)}


# ---------------------------------------------------------------------------------------------
# references


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _lse(x, axis=-1, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def _reduction_ref(fn: Callable) -> Callable:
    """NumPy accepts axis=0/-1 on a 0-d array in sum and max but not in mean or var; minigrad accepts
    it in every reduction (there is nothing to reduce), so the reference treats it as axis=None."""
    def ref(x, axis=None, **kw):
        if np.ndim(x) == 0 and type(axis) is int and axis in (0, -1):
            axis = None
        return fn(x, axis=axis, **kw)
    return ref


def _flatten_ref(x, start_dim=0):
    """torch.flatten: merge axes start_dim… into one; a 0-d tensor becomes (1,)."""
    nd = max(x.ndim, 1)
    if not -nd <= start_dim < nd:
        raise ValueError("start_dim out of range")
    sd = start_dim % nd
    return x.reshape(x.shape[:sd] + (int(np.prod(x.shape[sd:])),)) if x.ndim else x.reshape(1)


def _clip_ref(x, min=None, max=None):
    return x if min is None and max is None else np.clip(x, min, max)


def _dropout(x, rate=0.5):
    """dropout with a generator seeded afresh on each call: the same mask every time (gradcheck)."""
    return F.dropout(x, rate, rng=np.random.default_rng(0))


def _dropout_ref(x, rate=0.5):
    keep = np.random.default_rng(0).random(np.shape(x)) >= rate
    return x * (keep / (1 - rate))


def _rate(data: Draw, shapes: list, wild: bool) -> dict:
    return {"rate": data.draw(st.sampled_from([0.25, 0.5, 0.9]), label="rate")}


def _plain(v: Any) -> Any:
    """A Tensor argument as NumPy sees it; lists of numbers as arrays (NumPy reads a list index so)."""
    return v.data if isinstance(v, mg.Tensor) else np.asarray(v) if isinstance(v, list) else v


def _reduce(values: np.ndarray, reduction: str) -> np.ndarray:
    return {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](values)


def _cross_entropy_ref(z, target, reduction="mean"):
    c = z.shape[-1]
    if np.ndim(target) == 1 and np.any((target < 0) | (target >= c)):
        raise ValueError("class index out of range")
    t = np.eye(c)[target] if np.ndim(target) == 1 else target
    return _reduce(-(t * (z - _lse(z, -1, keepdims=True))).sum(-1), reduction)


def _t(x: Any) -> mg.Tensor:
    """Methods and operators need a Tensor; the fuzz test hands in arrays, lists and numbers too."""
    return x if isinstance(x, mg.Tensor) else mg.tensor(x)


def _operator(fn: Callable, function: Callable) -> Callable:
    """``a + b`` through Tensor's operators when one side is a Tensor, else the function form."""
    return lambda a, b: fn(a, b) if isinstance(a, mg.Tensor) or isinstance(b, mg.Tensor) else function(a, b)


# ---------------------------------------------------------------------------------------------
# the table


@dataclass(frozen=True)
class Op:
    """One op: how to call it, what NumPy says it gives, and how to draw its inputs."""

    name: str
    fn: Callable                    # minigrad: (*inputs, **kwargs)
    ref: Callable                   # NumPy on float arrays: (*arrays, **kwargs)
    shapes: Callable = unary        # (data, wild, first=None) -> input shapes
    kwargs: Callable = no_kwargs    # (data, shapes, wild) -> keyword arguments
    domain: tuple = REAL            # intervals the input values are drawn from (inside the op's domain)
    kinks: Any = ()                 # non-differentiable points drawn on purpose; or kwargs -> points
    grad: bool = True               # differentiable (comparisons and argmax/argmin are not)
    scalars: bool = False           # inputs may be Python numbers
    deviations: tuple = ()          # words of documented refusals where NumPy answers
    tol: float = 1e-4               # relative tolerance of float32 forward results


OPS = [
    Op("add", _operator(lambda a, b: a + b, mg.add), np.add, pair, scalars=True),
    Op("sub", _operator(lambda a, b: a - b, mg.sub), np.subtract, pair, scalars=True),
    Op("mul", _operator(lambda a, b: a * b, mg.mul), np.multiply, pair, scalars=True),
    Op("div", _operator(lambda a, b: a / b, mg.div), np.divide, pair, domain=NONZERO, scalars=True),
    Op("pow", _operator(lambda a, b: a ** b, mg.pow), np.power, pair, domain=BASE, scalars=True),
    Op("neg", lambda a: -_t(a), np.negative),
    Op("matmul", _operator(lambda a, b: a @ b, mg.matmul), np.matmul, matmul_pair),
    Op("exp", mg.exp, np.exp),
    Op("log", mg.log, np.log, domain=POSITIVE),
    Op("sqrt", mg.sqrt, np.sqrt, domain=POSITIVE),
    Op("abs", mg.abs, np.abs, kinks=(0.0,)),
    Op("sigmoid", mg.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    Op("relu", mg.relu, lambda x: np.maximum(x, 0), kinks=(0.0,)),
    Op("tanh", mg.tanh, np.tanh),
    Op("leaky_relu", mg.leaky_relu, lambda x, alpha=0.01: np.where(x > 0, x, alpha * x), kwargs=alpha(1.0),
       kinks=(0.0,)),
    Op("elu", mg.elu, lambda x, alpha=1.0: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))),
       kwargs=alpha(2.0), kinks=(0.0,)),
    Op("softplus", mg.softplus, lambda x: np.logaddexp(0, x)),
    Op("hardtanh", mg.hardtanh, lambda x, min=-1.0, max=1.0: np.clip(x, min, max), kwargs=hardtanh_bounds,
       kinks=lambda kw: (kw["min"], kw["max"]), deviations=("must not exceed",)),
    Op("softsign", mg.softsign, lambda x: x / (1 + np.abs(x))),
    Op("clip", mg.clip, _clip_ref, kwargs=bounds, kinks=lambda kw: (kw["min"], kw["max"]),
       deviations=("must not exceed",)),
    Op("dropout", _dropout, _dropout_ref, kwargs=_rate),
    Op("maximum", mg.maximum, np.maximum, pair, kinks=(0.0,), scalars=True),
    Op("minimum", mg.minimum, np.minimum, pair, kinks=(0.0,), scalars=True),
    Op("where", lambda a, b, cond: mg.where(cond, a, b), lambda a, b, cond: np.where(_plain(cond), a, b),
       pair, condition, scalars=True),
    Op("sum", mg.sum, _reduction_ref(np.sum), kwargs=reduction),
    Op("mean", mg.mean, _reduction_ref(np.mean), kwargs=reduction),
    Op("var", mg.var, _reduction_ref(np.var), kwargs=variance, deviations=("degrees of freedom",), tol=1e-3),
    Op("max", mg.max, _reduction_ref(np.max), kwargs=reduction, kinks=(0.0,), deviations=("zero-size",)),
    Op("min", mg.min, _reduction_ref(np.min), kwargs=reduction, kinks=(0.0,), deviations=("zero-size",)),
    Op("logsumexp", mg.logsumexp, _lse, kwargs=reduction, deviations=("zero-size",)),
    Op("softmax", mg.softmax, _softmax, at_least_1d, one_axis),
    Op("log_softmax", mg.log_softmax, lambda x, axis=-1: x - _lse(x, axis, keepdims=True), at_least_1d,
       one_axis),
    Op("reshape", lambda x, shape: mg.reshape(x, shape), lambda x, shape: x.reshape(shape),
       kwargs=reshape_target),
    Op("transpose", lambda x, axes: mg.transpose(x, *(axes or ())),
       lambda x, axes: np.transpose(x, axes or None), kwargs=permutation),
    Op("T", lambda x: _t(x).T, np.transpose),
    Op("flatten", mg.flatten, _flatten_ref, kwargs=start_dim),
    Op("expand_dims", mg.expand_dims, np.expand_dims, kwargs=new_axis),
    Op("squeeze", mg.squeeze, np.squeeze, kwargs=squeeze_axis),
    Op("concatenate", lambda *xs, **kw: mg.concatenate(list(xs), **kw),
       lambda *xs, axis=0: np.concatenate(xs, axis), joinable_shapes, join_axis),
    Op("stack", lambda *xs, **kw: mg.stack(list(xs), **kw), lambda *xs, axis=0: np.stack(xs, axis),
       same_shapes, new_axis),
    Op("double", lambda x: _t(x).double(), lambda x: x.astype(np.float64)),
    Op("getitem", lambda x, idx: _t(x)[idx], lambda x, idx: x[_plain(idx)], kwargs=index),
    Op("affine", F.affine, lambda x, w, b: x @ w if b is None else x @ w + b, affine_shapes),
    Op("mse_loss", F.mse_loss, lambda p, t, reduction="mean": _reduce((p - t) ** 2, reduction), twins,
       mean_sum_none),
    Op("cross_entropy", F.cross_entropy, _cross_entropy_ref, matrix, class_target),
    Op("argmax", mg.argmax, np.argmax, kwargs=arg_axis, grad=False, deviations=("zero-size",)),
    Op("argmin", mg.argmin, np.argmin, kwargs=arg_axis, grad=False, deviations=("zero-size",)),
    Op("less", lambda a, b: _t(a) < b, np.less, pair, grad=False),
]
ROWS = {op.name: op for op in OPS}
GRAD_OPS = [op for op in OPS if op.grad]


def kinks_of(op: Op, kwargs: dict) -> tuple:
    points = op.kinks(kwargs) if callable(op.kinks) else op.kinks
    return tuple(float(p) for p in points if p is not None)


def on_grid(lo: float, hi: float) -> st.SearchStrategy:
    """Multiples of 1/1024 in [lo, hi]: two values are equal (a tie, a kink hit) or at least 1e-3 apart,
    never inside one finite-difference step of each other; exact in float16/32/64."""
    return st.integers(int(np.ceil(lo * 1024)), int(np.floor(hi * 1024))).map(lambda k: k / 1024)


def elements(op: Op, kwargs: dict) -> st.SearchStrategy:
    """Values inside the op's domain; one draw in four lands on a kink, if it has any."""
    inside = st.one_of(*(on_grid(lo, hi) for lo, hi in op.domain))
    kinks = kinks_of(op, kwargs)
    return st.one_of(inside, inside, inside, st.sampled_from(kinks)) if kinks else inside


def in_domain(values: np.ndarray, op: Op) -> bool:
    return bool(np.all(np.any([(lo <= values) & (values <= hi) for lo, hi in op.domain], axis=0)))


class Drawer:
    """Lets the strategies above run inside ``st.composite`` (whose ``draw`` takes no label)."""

    def __init__(self, draw: Callable):
        self._draw = draw

    def draw(self, strategy: st.SearchStrategy, label: str | None = None) -> Any:
        return self._draw(strategy)


@st.composite
def valid_calls(draw: Callable, op: Op) -> tuple[list, dict]:
    """(float64 input arrays, keyword arguments) of one valid call of ``op``."""
    data = Drawer(draw)
    shapes = op.shapes(data, False)
    kwargs = op.kwargs(data, shapes, False)
    arrays = [draw(hnp.arrays(np.float64, s, elements=elements(op, kwargs))) for s in shapes]
    return arrays, kwargs


# ---------------------------------------------------------------------------------------------
# random graphs of table rows (test_fuzz.py checks them against NumPy, test_fast_engine.py runs them
# through both engines)


def squash(x: Any, op: Op) -> Any:
    """x mapped smoothly into the op's (last) domain interval: lo + (hi - lo)·sigmoid(x)."""
    lo, hi = op.domain[-1]
    if isinstance(x, mg.Tensor):
        return mg.sigmoid(x) * (hi - lo) + lo
    return lo + (hi - lo) / (1 + np.exp(-x))


@dataclass
class Graph:
    """A random composition of table rows that replays on new leaves. ``program[i]`` says what slot i
    of the pool holds: ("leaf", k), or ("op", row, input slots, which inputs are squashed, kwargs)."""

    leaves: list = field(default_factory=list)   # float64 arrays
    program: list = field(default_factory=list)
    values: list = field(default_factory=list)   # NumPy's value of each slot

    def leaf(self, array: np.ndarray) -> int:
        self.leaves.append(array)
        self.program.append(("leaf", len(self.leaves) - 1))
        self.values.append(array)
        return len(self.values) - 1

    def apply(self, op: Op, slots: list, kwargs: dict) -> None:
        squashed = [not in_domain(self.values[i], op) for i in slots]
        args = [squash(self.values[i], op) if sq else self.values[i] for i, sq in zip(slots, squashed)]
        self.program.append(("op", op, slots, squashed, kwargs))
        self.values.append(np.asarray(op.ref(*args, **kwargs), dtype=np.float64))

    def replay(self, *leaves: mg.Tensor) -> mg.Tensor:
        pool: list = []
        for step in self.program:
            if step[0] == "leaf":
                pool.append(leaves[step[1]])
            else:
                _, op, slots, squashed, kwargs = step
                pool.append(op.fn(*[squash(pool[i], op) if sq else pool[i] for i, sq in zip(slots, squashed)],
                                  **kwargs))
        return pool[-1]


def random_graph(data: Draw) -> Graph | None:
    """A composition of one to five GRAD_OPS rows: inputs shared between ops (their gradients
    accumulate), broadcasting and reductions in between, new leaves of whatever shape a row asks for.
    A value that strays out of the next op's domain goes through a sigmoid into it first. None when
    no row could be drawn."""
    g = Graph()
    g.leaf(data.draw(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3),
                                elements=on_grid(-3, 3)), label="leaf"))
    for k in range(data.draw(st.integers(1, 5), label="ops")):
        op = data.draw(st.sampled_from(GRAD_OPS), label=f"op {k}")
        first = data.draw(st.integers(0, len(g.values) - 1), label=f"first input of op {k}")
        input_shapes = op.shapes(data, False, g.values[first].shape)
        if input_shapes is None:  # the row cannot take that input first
            continue
        kwargs = op.kwargs(data, input_shapes, False)
        slots = [first]
        for j, s in enumerate(input_shapes[1:]):
            same = [i for i, v in enumerate(g.values) if v.shape == s]
            if same and data.draw(st.booleans(), label=f"reuse {k}.{j}"):
                slots.append(data.draw(st.sampled_from(same), label=f"input {k}.{j}"))
            else:
                slots.append(g.leaf(data.draw(hnp.arrays(np.float64, s, elements=elements(op, kwargs)),
                                              label=f"leaf {k}.{j}")))
        g.apply(op, slots, kwargs)
    if g.program[-1][0] != "op":
        return None
    return g
