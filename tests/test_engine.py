"""The Tensor and the backward engine: accumulation, retain_graph, errors, depth, grad mode, dtypes."""
from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg


def test_gradients_accumulate_over_two_backward_calls():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [3 + 2, 3 + 4])


def test_zero_grad_resets_to_none():
    x = mg.tensor(2.0, requires_grad=True)
    (x * x).backward()
    x.zero_grad()
    assert x.grad is None


def test_backward_twice_without_retain_graph_raises_naming_the_fix():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.sigmoid() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward_that_accumulates():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, [4, 8])


def test_backward_frees_saved_arrays():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = y.sum()
    z.backward()
    assert y.grad_fn.saved_tensors is None


def test_non_scalar_backward_without_grad_raises():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="gradient"):
        (x * 2).backward()


def test_non_scalar_backward_with_grad_uses_it_as_the_cotangent():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(np.array([1.0, 10.0]))
    np.testing.assert_allclose(x.grad, [2, 40])


def test_backward_grad_of_wrong_shape_names_both_shapes():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        (x * 2).backward(np.ones(3))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.tensor([1.0]).sum().backward()


def test_chain_of_100k_ops_backpropagates_without_recursion_error():
    x = mg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


def test_non_leaf_keeps_no_grad_unless_retain_grad_was_called():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    k = x * 3
    k.retain_grad()
    (h * k).sum().backward()
    assert h.grad is None
    np.testing.assert_allclose(k.grad, [2, 4])
    assert h.is_leaf is False and x.is_leaf is True


def test_shared_subexpression_gets_the_sum_of_its_paths():
    x = mg.tensor(3.0, requires_grad=True)
    a = x * x          # used twice below
    y = a + a * 2
    y.backward()
    assert x.grad == pytest.approx(3 * 2 * 3.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["tanh", "mul", "add", "scale"]),
                          st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=25))
def test_random_graphs_of_chains_and_branches_match_finite_differences(program):
    """Each step combines one or two earlier values (a chain when it takes the newest, a branch or
    a reuse when it reaches back), so the engine's heap and its chain hand-off both get exercised."""
    def build(x):
        vals = [x]
        for op, i, j in program:
            a, b = vals[-1 - i % len(vals)], vals[-1 - j % len(vals)]
            vals.append(a.tanh() if op == "tanh" else a * b if op == "mul" else a + b if op == "add"
                        else a * 0.5)
        return (vals[-1] + vals[len(vals) // 2]).sum()  # the output also reaches back into the middle

    x = mg.tensor(np.linspace(-0.9, 0.8, 3), requires_grad=True, dtype=np.float64)
    mg.testing.assert_grad_close(build, x)


def test_assigning_requires_grad_is_checked_and_stored_as_a_bool():
    t = mg.tensor([1.0, 2.0])
    t.requires_grad = np.True_  # a NumPy bool, as a mask computation might give
    assert t.requires_grad is True
    (t * t).sum().backward()
    np.testing.assert_allclose(t.grad, [2, 4])
    with pytest.raises(TypeError, match="floating-point"):
        mg.tensor([1, 2], dtype=np.int64).requires_grad = True
    with pytest.raises(RuntimeError, match="leaf"):
        (t * 2).requires_grad = False


def test_input_used_twice_by_one_op_gets_both_gradients():
    x = mg.tensor([1.0, -2.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [2, -4])


def test_leaf_gradients_are_independent_arrays():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = mg.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad[0] = 100.0
    assert b.grad[0] == 1.0


def test_user_supplied_grad_is_copied_not_aliased():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    g = np.array([1.0, 1.0])
    (x + 0).backward(g)
    g[0] = 50.0
    assert x.grad[0] == 1.0


def test_no_grad_records_nothing_and_works_as_decorator():
    x = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None and mg.is_grad_enabled()

    @mg.no_grad()
    def f(t):
        assert not mg.is_grad_enabled()
        return t * 2

    assert f(x).grad_fn is None and mg.is_grad_enabled()


def test_enable_grad_inside_no_grad_records_again():
    x = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        with mg.enable_grad():
            y = x * 2
    assert y.requires_grad and y.grad_fn is not None


def test_grad_mode_is_thread_local():
    seen = {}
    barrier = threading.Barrier(2)

    def other_thread():
        barrier.wait()  # main thread is inside no_grad now
        x = mg.tensor([1.0], requires_grad=True)
        seen["recorded"] = (x * 2).grad_fn is not None
        seen["enabled"] = mg.is_grad_enabled()

    t = threading.Thread(target=other_thread)
    t.start()
    with mg.no_grad():
        barrier.wait()
        t.join()
        assert not mg.is_grad_enabled()
    assert seen == {"recorded": True, "enabled": True}


def test_no_grad_in_one_thread_stops_recording_there_only_however_modes_are_switched():
    x = mg.tensor([1.0], requires_grad=True)
    barrier = threading.Barrier(2)
    seen = {}

    def quiet_thread():  # turns grad off twice (a no-op the second time) and dies with it off
        mg.set_grad_enabled(False)
        mg.set_grad_enabled(False)
        barrier.wait()
        seen["recorded"] = (x * 2).grad_fn is not None

    t = threading.Thread(target=quiet_thread)
    t.start()
    barrier.wait()
    t.join()
    assert seen == {"recorded": False}
    assert (x * 2).grad_fn is not None  # this thread still records
    with mg.no_grad():
        assert (x * 2).grad_fn is None
        mg.set_grad_enabled(True)
        assert (x * 2).grad_fn is not None
    assert mg.is_grad_enabled()  # no_grad restores the mode it found on entry
    assert (x * 2).grad_fn is not None


def test_dropping_the_output_frees_the_graph():
    x = mg.tensor(np.ones(3), requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0
    ref = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert ref() is None


# -- dtype policy ----------------------------------------------------------------------------------

def test_python_data_and_integer_arrays_become_float32_by_default():
    assert mg.tensor([1, 2]).dtype == np.float32
    assert mg.tensor(3.5).dtype == np.float32
    assert mg.tensor(np.array([1, 2], dtype=np.int64)).dtype == np.float32
    assert mg.tensor(np.array([True, False])).dtype == np.float32


def test_float_arrays_keep_their_dtype_and_scalars_never_upcast():
    x32 = mg.tensor(np.ones(2, dtype=np.float32))
    x64 = mg.tensor(np.ones(2, dtype=np.float64))
    assert x64.dtype == np.float64
    for y in (x32 * 2.5, 2.5 * x32, x32 + 1, x32 / 3, x32 ** 2, 1 - x32):
        assert y.dtype == np.float32
    assert (x32 + x64).dtype == np.float64  # numpy promotion


def test_python_numbers_in_operators_give_numpys_values_signs_and_dtypes():
    # operators turn a Python number into a 0-d array of the tensor's dtype
    x = mg.tensor(np.array([0.0, -1.5, 2.0], dtype=np.float32))
    for number in (2.5, 1e-3, 7, True, -0.0, 0.0, 0, float("nan"), 60000.0, 1e30, -3e38):
        for op in (np.add, np.subtract, np.multiply, np.divide):
            with np.errstate(all="ignore"):
                for got, want in ((op(x, number), op(x.data, number)), (op(number, x), op(number, x.data))):
                    assert got.dtype == want.dtype == np.float32
                    np.testing.assert_array_equal(got.data, want)  # bit for bit, the sign of zero too
                    assert (np.signbit(got.data) == np.signbit(want)).all()
    xi = mg.tensor(np.array([1, 2]), dtype=np.int64)
    assert (xi * 2).dtype == np.int64 and (xi * 2.5).dtype == np.float64  # NumPy's rules for ints


def test_set_default_dtype_changes_python_data_conversion():
    try:
        mg.set_default_dtype(np.float64)
        assert mg.tensor([1.0]).dtype == np.float64 and mg.zeros(2).dtype == np.float64
    finally:
        mg.set_default_dtype(np.float32)
    assert mg.get_default_dtype() == np.float32
    with pytest.raises(TypeError):
        mg.set_default_dtype(np.int32)


def test_float32_gradients_stay_float32_even_with_float64_constants():
    w = mg.tensor(np.ones((2, 2), dtype=np.float32), requires_grad=True)
    (w * np.ones(2, dtype=np.float64)).sum().backward()
    assert w.grad.dtype == np.float32


def test_explicit_integer_dtype_cannot_require_grad():
    with pytest.raises(TypeError, match="int64"):
        mg.tensor([1, 2], dtype=np.int64, requires_grad=True)


@pytest.mark.parametrize("bad, exc", [(None, TypeError), ("a", TypeError), (["a"], TypeError),
                                      ([[1, 2], [3]], ValueError), (np.array([object()]), TypeError),
                                      (1 + 2j, TypeError)])
def test_non_numeric_data_raises_saying_what_was_given(bad, exc):
    with pytest.raises(exc, match="received|ragged"):
        mg.tensor(bad)


def test_zero_size_tensors_follow_numpy():
    x = mg.zeros((0, 3), requires_grad=True)
    y = (x * 2).sum(axis=0)
    assert y.shape == (3,)
    y.sum().backward()
    assert x.grad.shape == (0, 3)


# -- properties and creation ----------------------------------------------------------------------

def test_repr_shows_values_dtype_and_grad_state():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert "requires_grad=True" in repr(x) and "float32" in repr(x)
    assert "grad_fn=<Mul>" in repr(x * 2)


def test_properties_item_tolist_len_detach():
    x = mg.tensor([[1.0, 2.0, 3.0]], requires_grad=True, name="x")
    assert (x.shape, x.ndim, x.size, len(x), x.name) == ((1, 3), 2, 3, 1, "x")
    assert x.T.shape == (3, 1)
    assert x.tolist() == [[1.0, 2.0, 3.0]] and x.sum().item() == 6.0
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None and d.data is x.data
    with pytest.raises(ValueError, match=r"\(1, 3\)"):
        x.item()


def test_creation_functions_shapes_and_seeding():
    assert mg.zeros((2, 3)).shape == (2, 3) and mg.ones(4).data.sum() == 4
    assert mg.full((2,), 7.0).tolist() == [7.0, 7.0]
    assert mg.zeros_like(mg.ones((2, 2))).shape == (2, 2) and mg.ones_like(mg.zeros(3)).data.sum() == 3
    mg.manual_seed(123)
    a = mg.randn(3, 2)
    mg.manual_seed(123)
    b = mg.randn((3, 2))
    np.testing.assert_array_equal(a.data, b.data)
    r = mg.rand(1000)
    assert r.data.min() >= 0 and r.data.max() < 1
    assert mg.randn(2, requires_grad=True).requires_grad


def test_inplace_methods_bump_version_and_refuse_tracked_tensors():
    x = mg.tensor([1.0, 2.0])
    x.add_(1).mul_(2).sub_(1)
    np.testing.assert_allclose(x.data, [3, 5])
    assert x._version == 3
    x.zero_()
    x.copy_([4.0, 5.0])
    assert x._version == 5 and x.tolist() == [4, 5]
    x.data = np.array([0.0, 0.0], dtype=np.float32)
    assert x._version == 6
    p = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        p.add_(1)
    with mg.no_grad():
        p.add_(1)
    assert p.tolist() == [2.0]


def test_changing_a_saved_tensor_before_backward_raises_naming_op_and_versions():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    x = mg.tensor([3.0, 4.0])
    loss = (w * x).sum()
    with mg.no_grad():
        w.sub_(0.1)
    with pytest.raises(RuntimeError, match=r"mul.*version 1.*expected version 0"):
        loss.backward()


def test_custom_function_with_non_tensor_kwargs():
    class Scale(mg.Function):
        @staticmethod
        def forward(ctx, x, factor=1.0):
            ctx.factor = factor
            return x * factor

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.factor

    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = Scale.apply(x, factor=3.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [3, 3])
    assert type(y.grad_fn).__name__ == "Scale"


def test_subclasses_of_a_custom_function_record_their_own_class_and_an_own_apply_is_kept():
    class Double(mg.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    class Twice(Double):  # inherits forward/backward; its nodes are still its own
        pass

    class Logged(Double):
        calls = 0

        @classmethod
        def apply(cls, *args, **kwargs):
            cls.calls += 1
            return super().apply(*args, **kwargs)

    class LoggedChild(Logged):
        pass

    x = mg.tensor([1.0], requires_grad=True)
    assert type(Twice.apply(x).grad_fn) is Twice
    assert type(Logged.apply(x).grad_fn) is Logged and Logged.calls == 1
    y = LoggedChild.apply(x)
    assert type(y.grad_fn) is LoggedChild and LoggedChild.calls == 2
    y.backward(np.ones(1))
    np.testing.assert_allclose(x.grad, [2.0])


def test_custom_function_returning_wrong_number_of_gradients_is_reported():
    class Bad(mg.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, grad):
            return grad

    a = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="1 gradients for 2 inputs"):
        Bad.apply(a, a).sum().backward()
    b = a * 2.0  # inputs made by ops, and only one of them needing a gradient: the same error
    for x, y in ((b, b), (b, mg.tensor([1.0])), (mg.tensor([1.0]), b)):
        with pytest.raises(RuntimeError, match="1 gradients for 2 inputs"):
            Bad.apply(x, y).sum().backward(retain_graph=True)


def test_detect_anomaly_names_the_op_in_forward_and_backward():
    x = mg.tensor([0.0, 1.0], requires_grad=True)
    with mg.detect_anomaly():
        with pytest.raises(FloatingPointError, match="log"):
            with np.errstate(divide="ignore"):
                mg.log(x)
    y = mg.tensor([0.0], requires_grad=True)
    with mg.detect_anomaly():
        z = mg.sqrt(y)  # forward is fine (0), backward divides by 0
        with pytest.raises(FloatingPointError, match=r"sqrt.*test_engine.py"):
            with np.errstate(divide="ignore"):
                z.sum().backward()
    assert not mg.autograd.is_anomaly_enabled()


def test_np_array_of_a_tensor_is_a_copy_and_detach_keeps_the_dtype():
    t = mg.tensor([1.0, 2.0])
    a = np.array(t)
    a[0] = 9.0
    assert t.tolist() == [1.0, 2.0]
    assert mg.argmax(mg.tensor([[1.0, 3.0], [2.0, 0.0]]), axis=1).detach().dtype == np.int64


def test_gradient_of_x_to_the_power_zero_is_zero_at_zero():
    x = mg.tensor(0.0, requires_grad=True)
    (x ** 0).backward()
    assert x.grad == 0.0


def test_one_array_returned_for_two_non_adjacent_inputs_gives_each_leaf_its_own_grad():
    class ThreeWay(mg.Function):
        @staticmethod
        def forward(ctx, a, b, c):
            return a + b + c

        @staticmethod
        def backward(ctx, grad):
            return grad, 2 * grad, grad  # the same array for a and c

    a, b, c = (mg.tensor([1.0, 1.0], requires_grad=True) for _ in range(3))
    ThreeWay.apply(a, b, c).sum().backward()
    a.grad[0] = 100.0
    assert c.grad.tolist() == [1.0, 1.0]


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_unbroadcast_sums_a_gradient_back_to_each_broadcast_shape_like_numpy(data):
    from hypothesis.extra import numpy as hnp

    from minigrad.autograd import unbroadcast
    dtype = data.draw(st.sampled_from([np.float16, np.float32, np.float64]))
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=5))
    bshape = data.draw(mg.testing.broadcastable_shapes(shape))
    full = np.broadcast_shapes(shape, bshape)
    if len(full) == 2 and data.draw(st.booleans()):  # the bias case (N, C) -> (C,) more often
        shape = full[1:]
    finite = st.floats(-100, 100, width=np.finfo(dtype).bits)
    grad = data.draw(hnp.arrays(dtype, full, elements=finite | st.sampled_from([np.inf, -np.inf, np.nan])))
    lead = len(full) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and full[lead + i] != 1)
    with np.errstate(invalid="ignore", over="ignore"):
        expected = grad.sum(axis=axes).reshape(shape) if axes else grad
        got = unbroadcast(grad, shape)
    assert got.shape == tuple(shape) and got.dtype == grad.dtype
    atol = np.abs(grad[np.isfinite(grad)].astype(np.float64)).sum() * np.finfo(dtype).eps * 8
    np.testing.assert_allclose(got, expected, rtol=1e-2 if dtype == np.float16 else 1e-5, atol=atol)


def test_backward_runs_the_nodes_newest_first():
    x = mg.tensor([0.5, -1.0], requires_grad=True)
    y = x
    for _ in range(30):
        y = (y * 1.01 + 0.1).tanh()
    seqs = []
    mg.autograd.run_backward(y.sum(), np.ones((), np.float32), on_step=lambda n, g, s: seqs.append(n.seq))
    assert len(seqs) == 91 and seqs == sorted(seqs, reverse=True)
