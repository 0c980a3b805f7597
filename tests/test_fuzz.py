"""Hypothesis fuzzing of the public API: every op, layer constructor, loss, optimizer and ``fit``.

The ops are the rows of tests/op_table.py (the table test_ops.py reads too): each row is called alone
with wild arguments, and random graphs of rows are checked against NumPy and finite differences.

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

``MINIGRAD_FUZZ_SCALE=20`` multiplies every example count (for a long nightly run).
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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_table import OPS, Op, _lse, elements, random_graph

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

ALLOWED = (TypeError, ValueError, RuntimeError, FloatingPointError)
INTERNAL = (AttributeError, KeyError, IndexError, ZeroDivisionError, RecursionError, AssertionError)
HOT = {"add", "sub", "mul", "neg", "matmul", "sum", "mean", "affine"}  # warn on inf/NaN as NumPy does
HOT_IEEE_WARNING = re.compile(r"(invalid value|overflow) encountered in (scalar )?"
                              r"(add|subtract|multiply|matmul|reduce|vdot|dot)")


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
    Garbage(None, "None"), Garbage("abc", "'abc'", "str"), Garbage(b"xy", "bytes"),
    Garbage(object(), "object"),
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


def run(fn: Callable[[], Any], words: tuple, *, hot_ok: bool = False,
        _quiet: bool = False) -> tuple[str, Any]:
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
    any_dtype = data.draw(st.integers(0, 9), label=f"{label} kind") == 0
    dtypes = FLOAT_DTYPES + OTHER_DTYPES if any_dtype else FLOAT_DTYPES[:2]
    dtype = np.dtype(data.draw(st.sampled_from(dtypes), label=f"{label} dtype"))
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
    forms = ["tensor", "tensor", "tensor", "array", "list"] + ["scalar"] * scalar_ok
    form = data.draw(st.sampled_from(forms), label=f"{label} form")
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
# ops: the rows of tests/op_table.py, one call at a time, then random graphs of them


GENERIC_WORDS = ("shape", "axis", "axes", "ddof", "index", "dimension", "start_dim", "min", "max", "tensor")


# Where a row's result dtype is not NumPy's promotion of its inputs' dtypes:
RESULT_DTYPE = {"double": lambda *dts: np.dtype(np.float64),
                "mse_loss": lambda pred, *target: pred}  # the target follows the prediction (as in Keras)


def garbage_pool(value: Any) -> list | None:
    """The garbage a keyword argument gets, by the kind of its valid value (None: it gets none)."""
    if isinstance(value, (bool, np.bool_)):
        return GARBAGE_BOOL
    ints = isinstance(value, tuple) and all(type(v) is int for v in value)  # axes, a shape
    if isinstance(value, (int, np.integer)) or ints:
        return GARBAGE_INT
    if isinstance(value, float):
        return GARBAGE_FLOAT
    if isinstance(value, (np.ndarray, mg.Tensor, list)):
        return GARBAGE_DATA
    return None


def numpy_answer(op: Op, drawn: list, args: list, kwargs: dict) -> tuple[bool, Any]:
    """(True, NumPy's answer) or (False, the exception NumPy raised), on the converted inputs."""
    ref_args = [d.ref if a is d.arg else a for d, a in zip(drawn, args)]
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
    shape_list = op.shapes(data, True)
    kwargs = op.kwargs(data, shape_list, True)
    drawn = [draw_input(data, s, elements(op, kwargs), f"x{i}", op.scalars) for i, s in enumerate(shape_list)]
    args = [d.arg for d in drawn]
    clean_ok, _ = numpy_answer(op, drawn, args, kwargs)
    # an error must name the culprit: the op, a shape or the argument at fault
    words = (op.name,) + GENERIC_WORDS + tuple(str(np.shape(d.ref)) for d in drawn) + op.deviations
    garbage = None
    if data.draw(st.integers(0, 5), label="garbage?") == 0:
        slots = [f"x{i}" for i in range(len(args))] + [k for k, v in kwargs.items() if garbage_pool(v)]
        where = data.draw(st.sampled_from(slots), label="garbage slot")
        pool = garbage_pool(kwargs[where]) if where in kwargs else GARBAGE_DATA
        garbage = data.draw(st.sampled_from(pool), label="garbage")
        if where in kwargs:
            kwargs[where] = garbage.value
        else:
            args[int(where[1:])] = garbage.value
        # now the error must name the garbage (or, if the example was invalid anyway, that problem)
        words = garbage.words + (where, "Tensor data must be") + op.deviations + (() if clean_ok else words)
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
    if op.grad and garbage is None:  # the dtype policy: Python numbers never upcast
        dts = [d.dtype for d in drawn if d.dtype is not None] or [mg.get_default_dtype()]
        want = RESULT_DTYPE.get(op.name, np.result_type)(*dts)
        assert out.dtype == want, f"dtype {out.dtype} from inputs {dts}"
    if not special and out.dtype != np.float16 and all(d.dtype != np.float16 for d in drawn):
        ex = expected.astype(out.dtype) if out.dtype.kind == "f" else expected
        tol = 1e-9 if out.dtype == np.float64 else op.tol
        np.testing.assert_allclose(out.data, ex, rtol=tol, atol=tol, equal_nan=True)

    # backward: gradients (ndarrays) of each input's shape and dtype, finite for finite in-domain inputs
    if not (op.grad and out.requires_grad):
        return
    cot = data.draw(hnp.arrays(np.float64, out.shape, elements=st.floats(-2, 2)), label="cotangent")
    # backward is always silent (the engine runs it under one np.errstate): no exception for hot ops
    status, err = run(lambda: out.backward(cot), ())
    assert status == "ok", err
    for d in drawn:
        if d.tensor and d.arg.requires_grad:
            g = d.arg.grad
            assert type(g) is np.ndarray and g.shape == d.arg.shape and g.dtype == d.arg.dtype
            if not special and d.arg.dtype != np.float16:
                assert np.all(np.isfinite(g)), f"non-finite gradient for finite inputs: {g}"


@fuzz(100)
@given(data=st.data())
def test_random_graphs_of_table_ops_match_numpy_and_finite_differences(data: st.DataObject):
    """Compositions of one to five rows (op_table.random_graph)."""
    g = random_graph(data)
    if g is None:
        return
    leaves = [mg.tensor(a.copy(), requires_grad=True) for a in g.leaves]
    out = g.replay(*leaves)
    np.testing.assert_allclose(out.data, g.values[-1], rtol=1e-9, atol=1e-9)
    assert mg.gradcheck(g.replay, leaves)
    out.backward(np.ones(out.shape))
    for t in leaves:  # (a leaf the output does not depend on keeps grad None)
        assert t.grad is None or type(t.grad) is np.ndarray and t.grad.shape == t.shape


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
               "kernel_initializer": Arg(["glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
                                          "normal", "zeros", "ones"], ["x", 5, None]),
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
        values = st.one_of(MODERATE, SPECIAL) if special else MODERATE
        arr = data.draw(hnp.arrays(dtype, shape, elements=values), label=label)
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
        kind = data.draw(st.sampled_from(["dense", "dense", "relu", "bn", "ln", "dropout", "garbage"]),
                         label="kind")
        if kind == "dense":
            kw = {"units": data.draw(st.integers(1, 4), label="units")}
            if i == 0 and data.draw(st.booleans(), label="input_dim?"):
                kw["input_dim"] = data.draw(st.integers(1, 4), label="input_dim")
            act = data.draw(st.sampled_from([None, "relu", "tanh"]), label="a")
            layers.append(nn.Dense(**kw, activation=act))
        elif kind == "relu":
            layers.append(nn.ReLU())
        elif kind == "bn":
            features = data.draw(st.one_of(st.none(), st.integers(1, 4)), label="bn features")
            layers.append(nn.BatchNorm(features))
        elif kind == "ln":
            layers.append(nn.LayerNorm(data.draw(st.integers(1, 4), label="ln shape")))
        elif kind == "dropout":
            layers.append(nn.Dropout(0.5))
        else:
            layers.append(data.draw(st.sampled_from([g.value for g in GARBAGE_DATA]), label="garbage layer"))
    status, model = run(lambda: nn.Sequential(*layers), ("Sequential", "layer", "Received", "shape"))
    if status == "error":
        return
    n, k = data.draw(st.integers(2, 4), label="n"), data.draw(st.integers(1, 4), label="k")
    x, special = draw_array(data, (n, k), "x")
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
    target_kind = data.draw(st.sampled_from(["same", "same", "indices", "other", "garbage"]),
                            label="target kind")
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
    call = (lambda: module(reduction=reduction)(p, target)) if use_module else \
        (lambda: fn(p, target, reduction))
    words = ("shape", "reduction", "target", "class", "Tensor data must be", "input")
    status, out = run(call, words, hot_ok=special or target_kind != "same")
    if status == "error":
        assert reduction not in REDUCTION.valid or target_kind != "same" or shape == () or (
            kind == "classes" and shape[-1] == 0), f"valid call refused: {out}"
        return
    assert reduction in REDUCTION.valid, f"reduction={reduction!r} accepted"
    # the value: the formula per element (per sample for the class losses), then the reduction
    t = np.asarray(target.data if isinstance(target, mg.Tensor) else target)
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
                   "nesterov": Arg([False], ["no", None]),
                   "weight_decay": Arg([0.0, 1e-4], [-1, "a", math.inf])},
    mg.optim.Momentum: {"lr": LR, "beta": UNIT, "weight_decay": Arg([0.0, 0.1], [-0.1])},
    mg.optim.Adagrad: {"lr": LR, "eps": POSITIVE_EPS,
                       "initial_accumulator_value": Arg([0.0, 0.1], [-1, "a"])},
    mg.optim.RMSProp: {"lr": LR, "rho": UNIT, "eps": POSITIVE_EPS},
    mg.optim.Adam: {"lr": LR, "betas": Arg([(0.9, 0.999), (0.0, 0.5), [0.5, 0.5]],
                                           [0.9, (0.9,), (0.9, 1.0), (-0.1, 0.9), ("a", 0.9), None,
                                            (0.9, 0.9, 0.9)]),
                    "eps": POSITIVE_EPS, "weight_decay": Arg([0.0, 1e-2], [-1e-2, None])},
}


@pytest.mark.parametrize("cls", list(OPTIMIZERS), ids=[c.__name__ for c in OPTIMIZERS])
@fuzz(100)
@given(data=st.data())
def test_optimizer_steps_or_names_the_bad_hyperparameter(cls: Any, data: st.DataObject):
    kwargs, bad = draw_kwargs(data, OPTIMIZERS[cls], cls.__name__)
    n = data.draw(st.integers(0, 3), label="n params")
    params = [nn.Parameter(draw_array(data, data.draw(shapes(), label=f"shape {i}"), f"p{i}")[0])
              for i in range(n)]
    forms = ["list", "list", "list", "module", "none", "garbage", "tensor", "lr"]
    params_arg = data.draw(st.sampled_from(forms), label="params form")
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
            kind = data.draw(st.sampled_from(["none", "ok", "ok", "ok", "wrong shape"]),
                             label=f"grad {step} {i}")
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
                                         {**state, "num_params": len(params) + 1}, [1, 2]]),
                        label="bad state")
    status, err = run(lambda: fresh.load_state_dict(garbage),
                      ("load_state_dict", "state", "lr", "parameters"))
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
    kwargs, bad = draw_kwargs(data, SCHEDULERS[cls], cls.__name__)
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


def targets_fit(loss: str, y: np.ndarray, n: int, out_dim: int) -> bool:
    """Whether ``y`` is a valid target for ``n`` samples of a model with ``out_dim`` outputs: class
    indices (whole numbers in [0, out_dim)) for the sparse losses, an (n, out_dim) array otherwise."""
    if y.shape[:1] != (n,):
        return False
    if loss in ("sparse_categorical_crossentropy", "cross_entropy_module"):
        return y.ndim == 1 and bool(np.all((y == np.round(y)) & (y >= 0) & (y < out_dim)))
    return y.ndim == 2 and y.shape[1] == out_dim


@pytest.mark.parametrize("y, valid", [([1.0], False), ([0.0], True), ([0.5], False), ([-1], False)])
def test_fit_oracle_takes_sparse_labels_outside_the_classes_as_invalid(y, valid):
    """One output unit with sparse cross-entropy knows class 0 only: y=[1.0] is refused by fit, rightly."""
    assert targets_fit("sparse_categorical_crossentropy", np.array(y), 1, 1) is valid


def test_fit_with_one_output_unit_and_a_sparse_label_1_names_the_label():
    model = nn.Sequential(nn.Dense(1, activation="softmax", input_dim=2, rng=0))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="label|class|fit: y"):
        model.fit(np.ones((1, 2)), np.array([1.0]), verbose=0)


@fuzz(100)
@given(data=st.data())
def test_fit_trains_or_names_the_bad_argument(data: st.DataObject):
    k = data.draw(st.integers(1, 3), label="features")
    out_dim = data.draw(st.integers(1, 3), label="outputs")
    loss = data.draw(st.sampled_from(FIT_LOSSES), label="loss")
    act = "softmax" if loss in ("categorical_crossentropy", "sparse_categorical_crossentropy") else \
        "sigmoid" if loss == "binary_crossentropy" else None
    input_dim = k if data.draw(st.booleans(), label="input_dim") else None
    first = nn.Dense(3, activation="tanh", input_dim=input_dim, rng=0)
    model = nn.Sequential(first, nn.Dense(out_dim, activation=act, rng=1))
    model.compile(optimizer=data.draw(st.sampled_from(["sgd", "adam", "rmsprop"]), label="optimizer"),
                  loss=nn.CrossEntropyLoss() if loss == "cross_entropy_module" else loss)
    n = data.draw(st.integers(0, 6), label="n")
    fits = data.draw(st.integers(0, 5), label="x fits?")
    xk = k if fits else data.draw(st.integers(1, 4), label="x features")
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
    for name, arg in {"epochs": Arg([0, 1, 2], [-1, "2", 1.5, None]),
                      "batch_size": Arg([1, 2, 32], [0, "a", 2.5]),
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
        assert bad or form == "garbage" or n == 0 or xk != k or x_special or \
            isinstance(history, FloatingPointError) or "validation_data" in kwargs or \
            not targets_fit(loss, y, n, out_dim), f"valid fit refused: {history}"
        return
    assert not bad and form != "garbage", f"fit accepted {kwargs} / x={form}"
    assert np.all(np.isfinite(x)), "fit trained on NaN/inf data"
    losses = history.history.get("loss", [])
    assert len(losses) == kwargs.get("epochs", 1) and all(math.isfinite(v) for v in losses)
    for p in model.parameters():
        assert np.all(np.isfinite(p.data))
