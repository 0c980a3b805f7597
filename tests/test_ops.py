"""Every differentiable op of SPEC §2, one row each: forward against NumPy, backward against float64
central differences on hypothesis-drawn (broadcasting) shapes, and inputs left unmodified.

Adding an op adds one ``OpCase`` line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad.testing import broadcastable_shapes, matmul_shapes


def floats(lo: float = -5.0, hi: float = 5.0, away_from: tuple = ()) -> st.SearchStrategy:
    """Finite float64 values in [lo, hi], at least 1e-3 away from each kink in ``away_from``."""
    s = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    return s.filter(lambda v: all(abs(v - k) > 1e-3 for k in away_from)) if away_from else s


anything = floats()
grid = st.integers(-400, 400).map(lambda k: k / 100)  # values 0.01 apart: no ties within eps
off_grid = grid.map(lambda v: v + 0.005)  # never equal to a grid value
positive = floats(0.2, 5.0)
nonzero = st.one_of(floats(-5.0, -0.5), floats(0.5, 5.0))
small_shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


def unary_shapes(data: st.DataObject) -> list:
    return [data.draw(small_shapes, label="shape")]


def broadcast_pair(data: st.DataObject) -> list:
    a = data.draw(small_shapes, label="shape a")
    b = data.draw(broadcastable_shapes(a, max_dims=3, max_side=4), label="shape b")
    return [a, b] if data.draw(st.booleans(), label="swap") else [b, a]


def matmul_pair(data: st.DataObject) -> list:
    return list(data.draw(matmul_shapes(max_batch_dims=2, max_side=4), label="shapes"))


def reduce_kwargs(data: st.DataObject, shapes: list) -> dict:
    nd = len(shapes[0])
    axis = data.draw(st.one_of(st.none(), st.integers(-nd, nd - 1) if nd else st.none(),
                               st.lists(st.integers(0, nd - 1), unique=True, max_size=nd).map(tuple) if nd
                               else st.none()), label="axis")
    return {"axis": axis, "keepdims": data.draw(st.booleans(), label="keepdims")}


def one_axis(data: st.DataObject, shapes: list) -> dict:
    nd = len(shapes[0])
    return {"axis": data.draw(st.integers(-nd, nd - 1), label="axis")}


def at_least_1d(data: st.DataObject) -> list:
    return [data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), label="shape")]


def at_least_2d(data: st.DataObject) -> list:
    return [data.draw(hnp.array_shapes(min_dims=2, max_dims=3, min_side=2, max_side=4), label="shape")]


@dataclass
class OpCase:
    name: str
    op: Callable[..., mg.Tensor]            # minigrad, on Tensors
    ref: Callable[..., np.ndarray]          # NumPy, on arrays
    shapes: Callable = unary_shapes         # data -> list of input shapes
    elements: Any = field(default_factory=lambda: anything)  # a strategy, or a list with one per input
    kwargs: Callable = lambda data, shapes: {}  # noqa: E731 - data, shapes -> keyword arguments
    rtol: float = 1e-3


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _lse(x, axis, keepdims=False):
    m = x.max(axis=axis, keepdims=True)
    out = m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


CASES = [
    OpCase("add", lambda a, b: a + b, np.add, broadcast_pair),
    OpCase("sub", lambda a, b: a - b, np.subtract, broadcast_pair),
    OpCase("mul", lambda a, b: a * b, np.multiply, broadcast_pair),
    OpCase("div", lambda a, b: a / b, np.divide, broadcast_pair, nonzero),
    OpCase("pow", lambda a, b: a ** b, np.power, broadcast_pair, floats(0.5, 2.0)),
    OpCase("neg", lambda a: -a, np.negative),
    OpCase("matmul", mg.matmul, np.matmul, matmul_pair),
    OpCase("exp", mg.exp, np.exp),
    OpCase("log", mg.log, np.log, elements=positive),
    OpCase("sqrt", mg.sqrt, np.sqrt, elements=positive),
    OpCase("abs", mg.abs, np.abs, elements=floats(away_from=(0,))),
    OpCase("sigmoid", mg.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    OpCase("relu", mg.relu, lambda x: np.maximum(x, 0), elements=floats(away_from=(0,))),
    OpCase("tanh", mg.tanh, np.tanh),
    OpCase("leaky_relu", lambda x: mg.leaky_relu(x, alpha=0.1), lambda x: np.where(x > 0, x, 0.1 * x),
           elements=floats(away_from=(0,))),
    OpCase("elu", lambda x: mg.elu(x, alpha=0.7), lambda x: np.where(x > 0, x, 0.7 * (np.exp(x) - 1)),
           elements=floats(away_from=(0,))),
    OpCase("softplus", mg.softplus, lambda x: np.log1p(np.exp(x))),
    OpCase("hardtanh", mg.hardtanh, lambda x: np.clip(x, -1, 1), elements=floats(away_from=(-1, 1))),
    OpCase("softsign", mg.softsign, lambda x: x / (1 + np.abs(x))),
    OpCase("clip", lambda x: mg.clip(x, -1.5, 2.0), lambda x: np.clip(x, -1.5, 2.0),
           elements=floats(away_from=(-1.5, 2.0))),
    OpCase("maximum", mg.maximum, np.maximum, broadcast_pair, [grid, off_grid]),
    OpCase("minimum", mg.minimum, np.minimum, broadcast_pair, [off_grid, grid]),
    OpCase("where", lambda a, b: mg.where(a.data > 0, a, b), lambda a, b: np.where(a > 0, a, b), broadcast_pair,
           [floats(away_from=(0,)), anything]),
    OpCase("sum", mg.sum, np.sum, kwargs=reduce_kwargs),
    OpCase("mean", mg.mean, np.mean, kwargs=reduce_kwargs),
    OpCase("var", lambda x, **k: mg.var(x, ddof=0, **k), lambda x, **k: np.var(x, **k), kwargs=reduce_kwargs),
    OpCase("var_ddof1", lambda x, **k: mg.var(x, ddof=1, **k), lambda x, **k: np.var(x, ddof=1, **k),
           at_least_2d, kwargs=one_axis),
    OpCase("max", mg.max, np.max, elements=grid, kwargs=reduce_kwargs),
    OpCase("min", mg.min, np.min, elements=grid, kwargs=reduce_kwargs),
    OpCase("logsumexp", mg.logsumexp, _lse, at_least_1d, kwargs=one_axis),
    OpCase("softmax", mg.softmax, _softmax, at_least_1d, kwargs=one_axis),
    OpCase("log_softmax", mg.log_softmax, lambda x, axis: np.log(_softmax(x, axis)), at_least_1d, kwargs=one_axis),
    OpCase("reshape", lambda x: x.reshape(-1), lambda x: x.reshape(-1)),
    OpCase("transpose", lambda x: x.transpose(), np.transpose),
    OpCase("T", lambda x: x.T, lambda x: x.T),
    OpCase("flatten", lambda x: mg.flatten(x, start_dim=1), lambda x: x.reshape(x.shape[0], -1), at_least_2d),
    OpCase("expand_dims", lambda x: mg.expand_dims(x, 0), lambda x: np.expand_dims(x, 0)),
    OpCase("squeeze", mg.squeeze, np.squeeze),
    OpCase("concatenate", lambda a, b: mg.concatenate([a, b, a], axis=0), lambda a, b: np.concatenate([a, b, a]),
           lambda data: [s := data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), label="shape"),
                         (data.draw(st.integers(1, 3), label="rows"),) + s[1:]]),
    OpCase("stack", lambda a, b: mg.stack([a, b], axis=-1), lambda a, b: np.stack([a, b], axis=-1),
           lambda data: [s := data.draw(small_shapes, label="shape"), s]),
    OpCase("getitem_slice", lambda x: x[1:, ..., ::2], lambda x: x[1:, ..., ::2], at_least_2d),
    OpCase("getitem_repeated", lambda x: x[[0, 0, -1, 0]], lambda x: x[[0, 0, -1, 0]], at_least_1d),
    OpCase("affine", mg.nn.functional.affine, lambda x, w, b: x @ w + b,
           lambda data: [(data.draw(st.integers(1, 4), label="n"), k := data.draw(st.integers(1, 4), label="in")),
                         (k, u := data.draw(st.integers(1, 4), label="units")), (u,)]),
    OpCase("mse_loss", mg.nn.functional.mse_loss, lambda p, t, reduction: {"mean": np.mean, "sum": np.sum,
           "none": lambda a: a}[reduction]((p - t) ** 2), lambda data: [s := data.draw(small_shapes), s],
           kwargs=lambda data, s: {"reduction": data.draw(st.sampled_from(["mean", "sum", "none"]))}),
    OpCase("getitem_mask", lambda x: x[x.data > 0], lambda x: x[x > 0],
           elements=floats(away_from=(0,))),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_op_forward_matches_numpy_and_backward_matches_finite_differences(case: OpCase, data: st.DataObject):
    shapes = case.shapes(data)
    elements = case.elements if isinstance(case.elements, list) else [case.elements] * len(shapes)
    arrays = [data.draw(hnp.arrays(np.float64, s, elements=e, unique=e is grid), label=f"x{i}")
              for i, (s, e) in enumerate(zip(shapes, elements))]
    kwargs = case.kwargs(data, shapes)
    inputs = [mg.tensor(a.copy(), requires_grad=True) for a in arrays]

    out = case.op(*inputs, **kwargs)
    np.testing.assert_allclose(out.data, case.ref(*arrays, **kwargs), rtol=1e-12, atol=1e-12)
    assert out.dtype == np.float64

    assert mg.gradcheck(lambda *ts: case.op(*ts, **kwargs), inputs, rtol=case.rtol)
    for t, a in zip(inputs, arrays):  # neither forward nor backward mutated an input
        np.testing.assert_array_equal(t.data, a)

    out = case.op(*inputs, **kwargs)
    out.backward(np.ones(out.shape))
    for t in inputs:  # gradients come back with exactly the input's shape and dtype
        assert t.grad.shape == t.shape and t.grad.dtype == t.dtype


@pytest.mark.parametrize("case", [c for c in CASES if c.shapes is unary_shapes], ids=lambda c: c.name)
def test_op_keeps_float32(case: OpCase):
    x = mg.tensor(np.linspace(0.3, 2.0, 6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    y = case.op(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_max_and_min_split_the_gradient_evenly_among_ties():
    x = mg.tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0, 0.5, 0.5, 0])
    y = mg.tensor([[1.0, 1.0, 1.0], [0.0, 2.0, 5.0]], requires_grad=True)
    y.min(axis=1).sum().backward()
    np.testing.assert_allclose(y.grad, [[1 / 3, 1 / 3, 1 / 3], [1, 0, 0]])


@pytest.mark.parametrize("op, x, expected", [
    (mg.relu, [-1.0, 0.0, 2.0], [0, 0, 1]),
    (mg.abs, [-1.0, 0.0, 2.0], [-1, 0, 1]),
    (lambda t: mg.clip(t, 0.0, 1.0), [0.0, 0.5, 1.0], [0, 1, 0]),
    (mg.hardtanh, [-1.0, 0.0, 1.0], [0, 1, 0]),
    (lambda t: mg.maximum(t, mg.tensor([0.0, 0.0, 0.0])), [0.0, 1.0, -1.0], [0.5, 1, 0]),
])
def test_subgradient_conventions_at_kinks(op, x, expected):
    t = mg.tensor(x, requires_grad=True)
    op(t).sum().backward()
    np.testing.assert_array_equal(t.grad, expected)


@pytest.mark.parametrize("op", [mg.softmax, mg.log_softmax, mg.logsumexp])
def test_normalising_ops_are_stable_for_logits_of_magnitude_1e4(op):
    x = mg.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        y = op(x)
        (y * mg.tensor(np.arange(1.0, y.size + 1).reshape(y.shape))).sum().backward()
    assert np.isfinite(y.data).all() and np.isfinite(x.grad).all()


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([np.float16, np.float32, np.float64]).flatmap(lambda dt: hnp.arrays(
    dt, hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=40),
    elements=st.floats(-1e3, 1e3, width=np.finfo(dt).bits) | st.sampled_from([np.inf, -np.inf, np.nan]))))
def test_last_axis_max_and_sum_helpers_match_numpy(x):
    from minigrad.ops.reduce import max_last, sum_last
    if x.shape[-1]:
        np.testing.assert_array_equal(max_last(x), x.max(axis=-1, keepdims=True))
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf in both
        expected = x.sum(axis=-1, keepdims=True)
        got = sum_last(x)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-2 if x.dtype == np.float16 else 1e-5,
                               atol=np.abs(x[np.isfinite(x)].astype(np.float64)).sum() * np.finfo(x.dtype).eps * 4)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["softmax", "log_softmax", "logsumexp"]),
       st.sampled_from([np.float32, np.float64]).flatmap(lambda dt: hnp.arrays(
           dt, hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=40),
           elements=st.floats(-30, 30, width=np.finfo(dt).bits) | st.sampled_from([np.inf, -np.inf, np.nan]))))
def test_normalising_ops_over_the_last_axis_equal_the_general_path(name, x):
    """The last axis goes through max_last/sum_last; the first axis of the moved array takes NumPy's
    reductions. Same values, NaN and inf included, forward and backward. (float16 takes NumPy's sums
    on both paths, and max_last equals NumPy's max exactly: see the test above.)"""
    op = getattr(mg, name)
    g = np.linspace(-1, 1, x.size).reshape(x.shape).astype(x.dtype)
    results = []
    for axis, move in ((-1, lambda a: a), (0, lambda a: np.moveaxis(a, -1, 0))):
        t = mg.tensor(move(x), requires_grad=True)
        with np.errstate(all="ignore"):
            y = op(t, axis=axis)
            (y * mg.tensor(move(g) if name != "logsumexp" else g.sum(-1).astype(x.dtype))).sum().backward()
        back = (lambda a: a) if axis == -1 else (lambda a: np.moveaxis(a, 0, -1))
        results.append((back(y.data) if name != "logsumexp" else y.data, back(t.grad)))
    # x - lse is exact only to a few units in the last place of x's magnitude (ulp(16.25) = 1.9e-6 in float32)
    scale = max(1.0, float(np.abs(x[np.isfinite(x)]).max(initial=0)))
    eps = np.finfo(x.dtype).eps
    tol = {"rtol": 64 * eps, "atol": 8 * eps * scale}
    for last, general in zip(*results):
        assert last.dtype == general.dtype == x.dtype
        np.testing.assert_allclose(last, general, **tol)  # (NaN where NaN, inf where inf)


def test_softmax_of_1e4_logits_is_one_hot():
    np.testing.assert_allclose(mg.softmax(mg.tensor([1e4, 0.0, -1e4])).data, [1, 0, 0])
    np.testing.assert_allclose(mg.log_softmax(mg.tensor([1e4, 0.0])).data, [0, -1e4])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_does_not_overflow_for_large_negative_inputs(dtype):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = mg.sigmoid(mg.tensor([-1e4, -np.inf, 0.0, 1e4, np.inf], dtype=dtype))
    assert y.dtype == dtype
    np.testing.assert_allclose(y.data, [0, 0, 0.5, 1, 1])


def test_float64_sigmoid_keeps_its_relative_accuracy_far_out_on_the_left():
    x = np.linspace(-700.0, 30.0, 2001)
    exact = np.exp(-np.logaddexp(0.0, -x))  # 1/(1+e^-x) without the cancellation of 1 - tiny
    np.testing.assert_allclose(mg.sigmoid(mg.tensor(x, dtype=np.float64)).data, exact, rtol=1e-13, atol=0)


def test_repeated_integer_indices_accumulate_their_gradients():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[mg.tensor([0, 0, 2, 0], dtype=np.int64)].sum().backward()
    np.testing.assert_array_equal(x.grad, [3, 0, 1])


def test_boolean_mask_indexing_routes_gradient_to_selected_elements():
    x = mg.tensor([[1.0, -2.0], [-3.0, 4.0]], requires_grad=True)
    (x[x > 0] * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [[2, 0], [0, 2]])


def test_batched_matmul_broadcasts_and_sums_gradients_back():
    a = mg.randn(5, 2, 3, 4, dtype=np.float64, requires_grad=True)
    b = mg.randn(4, 6, dtype=np.float64, requires_grad=True)
    assert (a @ b).shape == (5, 2, 3, 6)
    assert mg.gradcheck(lambda a, b: a @ b, [a, b])


@pytest.mark.parametrize("a, b, msg", [
    ((4, 3), (2, 1), "matmul: shapes (4, 3) and (2, 1) are not aligned: 3 (dim 1) != 2 (dim 0)"),
    ((3,), (4,), "matmul: shapes (3,) and (4,) are not aligned"),
])
def test_matmul_shape_error_names_both_shapes(a, b, msg):
    with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        mg.zeros(a) @ mg.zeros(b)


def test_broadcast_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        mg.zeros((2, 3)) + mg.zeros(4)


def test_reshape_error_names_shapes():
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*\(4, 2\)"):
        mg.zeros((2, 3)).reshape(4, 2)


def test_comparisons_and_argmax_return_tensors_without_grad():
    x = mg.tensor([1.0, 3.0, 2.0], requires_grad=True)
    for r in (x == 3.0, x != 1, x < 2, x <= 2, x > 1, x >= 3, x.argmax(), mg.argmin(x)):
        assert isinstance(r, mg.Tensor) and not r.requires_grad
    assert (x > 1.5).dtype == np.bool_
    assert x.argmax().item() == 1 and mg.argmin(x).item() == 0
    with pytest.raises(TypeError):
        (x > 1).requires_grad_()


def test_scalar_on_either_side_of_every_arithmetic_operator():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (2 + x) * 3 - 1 / x + (1 - x) ** 2 + 2 ** x - x / 4
    y.sum().backward()
    xs = np.array([1.0, 2.0])
    expected = 3 + 1 / xs ** 2 - 2 * (1 - xs) + np.log(2) * 2 ** xs - 0.25
    np.testing.assert_allclose(x.grad, expected, rtol=1e-6)


@pytest.mark.parametrize("idx", [(0, 5), np.int64(5)])
def test_out_of_range_index_is_an_index_error_naming_index_and_shape(idx):
    with pytest.raises(IndexError, match=r"getitem: index .* tensor of shape \(2, 3\)"):
        mg.ones((2, 3))[idx]
