"""Every op of the op table (tests/op_table.py), one row each: forward against NumPy, backward against
float64 central differences on hypothesis-drawn (broadcasting) shapes, nothing mutated; then the
conventions the table cannot state (kinks, ties, NaN, stability) with hand-computed numbers.

Adding an op adds one ``Op`` row to tests/op_table.py; a test below fails until it has one.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_table import GRAD_OPS, ROWS, Op, valid_calls

import minigrad as mg
import minigrad.ops


def leaves(arrays: list, dtype: type = np.float64) -> list:
    return [mg.tensor(np.array(a, dtype=dtype), requires_grad=True) for a in arrays]


FIRST_DRAW = settings(max_examples=1, phases=[Phase.generate], derandomize=True, database=None)


def test_every_op_exported_by_minigrad_ops_has_a_row():
    """Each ``Function`` that ``minigrad.ops`` exports is the node some row's call records."""
    classes = {v for v in vars(minigrad.ops).values() if isinstance(v, type) and issubclass(v, mg.Function)}
    made, broken = set(), {}
    for op in GRAD_OPS:  # the op node each row's simplest valid call records
        arrays, kwargs = find(valid_calls(op), lambda call: True, settings=FIRST_DRAW)
        try:
            made.add(type(op.fn(*leaves(arrays), **kwargs).grad_fn))
        except Exception as exc:  # noqa: BLE001 - reported below, row by row
            broken[op.name] = f"{type(exc).__name__}: {exc}"
    assert not broken, f"rows that fail on their simplest valid call: {broken}"
    missing = sorted(c.__name__ for c in classes - made)
    assert not missing, f"no row in tests/op_table.py records {missing}"


@pytest.mark.parametrize("op", GRAD_OPS, ids=lambda op: op.name)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_op_forward_matches_numpy_and_backward_matches_finite_differences(op: Op, data: st.DataObject):
    arrays, kwargs = data.draw(valid_calls(op), label="call")
    inputs = leaves(arrays)

    out = op.fn(*inputs, **kwargs)
    np.testing.assert_allclose(out.data, op.ref(*arrays, **kwargs), rtol=1e-12, atol=1e-12)
    assert out.dtype == np.float64

    assert mg.gradcheck(lambda *ts: op.fn(*ts, **kwargs), inputs)

    out = op.fn(*inputs, **kwargs)
    out.backward(np.ones(out.shape))
    for t in inputs:  # a gradient is an ndarray (0-d included) of exactly the input's shape and dtype
        assert type(t.grad) is np.ndarray and t.grad.shape == t.shape and t.grad.dtype == t.dtype


@pytest.mark.parametrize("op", GRAD_OPS, ids=lambda op: op.name)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_forward_and_backward_mutate_nothing(op: Op, data: st.DataObject):
    """Not the inputs, not array arguments (where's cond, an index, a target), not the output, and not
    the gradient handed to backward."""
    arrays, kwargs = data.draw(valid_calls(op), label="call")
    inputs = leaves(arrays)
    arrays_in_kwargs = {k: (v.data if isinstance(v, mg.Tensor) else v).copy() for k, v in kwargs.items()
                        if isinstance(v, (np.ndarray, mg.Tensor))}
    out = op.fn(*inputs, **kwargs)
    before = out.data.copy()
    cot = data.draw(hnp.arrays(np.float64, out.shape, elements=st.floats(-2, 2)), label="cotangent")
    handed = cot.copy()
    out.backward(handed)
    np.testing.assert_array_equal(handed, cot)
    np.testing.assert_array_equal(out.data, before)
    for t, a in zip(inputs, arrays):
        np.testing.assert_array_equal(t.data, a)
    for k, v in arrays_in_kwargs.items():
        np.testing.assert_array_equal(kwargs[k].data if isinstance(kwargs[k], mg.Tensor) else kwargs[k], v)


@pytest.mark.parametrize("op", [op for op in GRAD_OPS if op.name != "double"], ids=lambda op: op.name)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_op_keeps_float32(op: Op, data: st.DataObject):
    arrays, kwargs = data.draw(valid_calls(op), label="call")
    inputs = leaves(arrays, np.float32)
    y = op.fn(*inputs, **kwargs)
    assert y.dtype == np.float32
    y.backward(np.ones(y.shape, dtype=np.float32))
    assert all(t.grad.dtype == np.float32 for t in inputs)


# ---------------------------------------------------------------------------------------------
# PyTorch's habits: dim= for axis=, .float() and .double()

DIM_OPS = ["sum", "mean", "var", "max", "min", "logsumexp", "softmax", "log_softmax", "concatenate", "stack",
           "squeeze", "expand_dims", "argmax", "argmin"]


@pytest.mark.parametrize("op", [ROWS[name] for name in DIM_OPS], ids=DIM_OPS)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_dim_is_accepted_wherever_axis_is_and_giving_both_raises_type_error(op: Op, data: st.DataObject):
    arrays, kwargs = data.draw(valid_calls(op), label="call")
    by_dim = {("dim" if k == "axis" else k): v for k, v in kwargs.items()}
    assert "dim" in by_dim
    a, b = leaves(arrays), leaves(arrays)
    by_axis, by_dim_out = op.fn(*a, **kwargs), op.fn(*b, **by_dim)
    np.testing.assert_array_equal(by_dim_out.data, by_axis.data)
    if op.grad:
        cot = np.linspace(-1, 1, by_axis.size).reshape(by_axis.shape)
        by_axis.backward(cot)
        by_dim_out.backward(cot)
        for s, t in zip(a, b):
            np.testing.assert_array_equal(t.grad, s.grad)
    if len(arrays) == 1 and hasattr(mg.Tensor, op.name):  # the method form too
        np.testing.assert_array_equal(getattr(leaves(arrays)[0], op.name)(**by_dim).data, by_axis.data)
    both = {**kwargs, "axis": 0 if kwargs["axis"] is None else kwargs["axis"]}  # (None is "not given")
    with pytest.raises(TypeError, match=r"axis.*dim|dim.*axis"):
        op.fn(*leaves(arrays), **both, dim=both["axis"])


@pytest.mark.parametrize("method, source, target", [("float", np.float64, np.float32),
                                                     ("double", np.float32, np.float64),
                                                     ("float", np.float32, np.float32),
                                                     ("double", np.float64, np.float64)])
def test_float_and_double_give_a_recorded_copy_and_the_gradient_comes_back_in_the_input_dtype(method, source,
                                                                                              target):
    x = mg.tensor(np.array([1.5, -2.0, 0.25], dtype=source), requires_grad=True)
    y = getattr(x, method)()
    assert y.dtype == target and y is not x and not np.shares_memory(y.data, x.data)
    assert y.grad_fn is not None and y.requires_grad
    (y * y).sum().backward()
    assert type(x.grad) is np.ndarray and x.grad.dtype == source
    np.testing.assert_array_equal(x.grad, [3.0, -4.0, 0.5])


def test_float_copies_data_that_does_not_require_grad():
    x = mg.tensor(np.array([1.0, 2.0]))
    y = x.float()
    y.data[0] = 7.0
    assert x.data[0] == 1.0 and not y.requires_grad and y.grad_fn is None


# ---------------------------------------------------------------------------------------------
# hand-computed conventions

BROADCASTING = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "where"]
REDUCTIONS = ["sum", "mean", "var", "max", "min", "logsumexp"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", BROADCASTING)
def test_a_0d_input_broadcast_against_shape_1_gets_a_0d_ndarray_gradient(name, reduction):
    x = mg.tensor(np.array(0.75), requires_grad=True)
    y = mg.tensor(np.array([1.25]), requires_grad=True)
    out = ROWS[name].fn(x, y, **({"cond": np.array([True])} if name == "where" else {}))
    getattr(mg, reduction)(out).backward()
    for t in (x, y):
        assert type(t.grad) is np.ndarray and t.grad.shape == t.shape and t.grad.dtype == np.float64


@pytest.mark.parametrize("name", ["add", "mul", "maximum", "sum"])
def test_a_0d_input_used_twice_gets_a_0d_ndarray_gradient(name):
    """Its two gradients are summed: NumPy's 0-d + 0-d is a np.float64 scalar, not an array."""
    x = mg.tensor(np.array(0.75), requires_grad=True)
    (mg.sum(x) + mg.sum(x) if name == "sum" else ROWS[name].fn(x, x)).backward()
    assert type(x.grad) is np.ndarray and x.grad.shape == ()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("keepdims", [False, True])
def test_a_reduction_of_a_0d_input_gives_a_0d_ndarray_gradient(reduction, keepdims):
    x = mg.tensor(np.array(0.75), requires_grad=True)
    getattr(mg, reduction)(x, keepdims=keepdims).backward()
    assert type(x.grad) is np.ndarray and x.grad.shape == ()


# NaN follows PyTorch 2.13 (values from torch.relu / torch.max / torch.min backward, float64):
# relu passes the gradient at NaN (relu(NaN) = NaN is not <= 0); max() and min() send all of it to the
# NaN element(s), split evenly, as torch's full reductions do.
@pytest.mark.parametrize("op, x, expected", [
    (mg.relu, [np.nan, 1.0, -1.0, 0.0], [3.0, 3.0, 0.0, 0.0]),
    (mg.max, [1.0, np.nan, 3.0, 2.0], [0.0, 3.0, 0.0, 0.0]),
    (mg.max, [1.0, np.nan, 3.0, np.nan], [0.0, 1.5, 0.0, 1.5]),
    (mg.min, [1.0, np.nan, 3.0, np.nan], [0.0, 1.5, 0.0, 1.5]),
])
def test_nan_gradients_follow_pytorch(op, x, expected):
    t = mg.tensor(np.array(x), requires_grad=True)
    y = op(t)
    y.backward(np.full(y.shape, 3.0))
    np.testing.assert_array_equal(t.grad, expected)


def test_max_over_an_axis_sends_each_slices_gradient_to_its_nan_elements():
    """Per slice, the rule of torch.max() over a whole tensor (torch.amax(dim) instead fills NaN
    slices with NaN gradients; the rule of the full reduction is the useful one)."""
    x = mg.tensor([[1.0, np.nan, 3.0], [np.nan, np.nan, 2.0], [1.0, 5.0, 5.0]], requires_grad=True)
    y = x.max(axis=1)
    np.testing.assert_array_equal(y.data, [np.nan, np.nan, 5.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 1, 0], [0.5, 0.5, 0], [0, 0.5, 0.5]])


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
@given(st.sampled_from(["softmax", "log_softmax", "logsumexp"]),
       st.sampled_from([np.float32, np.float64]).flatmap(lambda dt: hnp.arrays(
           dt, hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=40),
           elements=st.floats(-30, 30, width=np.finfo(dt).bits)
           | st.sampled_from([np.inf, -np.inf, np.nan]))))
def test_normalising_ops_over_the_last_axis_equal_the_general_path(name, x):
    """The last axis and the first axis of the moved array give the same values, NaN and inf included,
    forward and backward (whatever path each axis takes inside)."""
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
