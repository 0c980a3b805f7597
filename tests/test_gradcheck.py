"""gradcheck itself: it passes correct code, catches one wrong element, copes with kinks, and reports well."""
from __future__ import annotations

import ast
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.testing import assert_grad_close, broadcastable_shapes, matmul_shapes, tensors


class Cube(mg.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * grad


class MulWithOneWrongElement(mg.Function):
    """x * y, but the gradient of y is off in exactly one element."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        gy = grad * x
        gy = gy.copy()
        gy[1, 2] += 0.01
        return grad * y, gy


def test_gradcheck_passes_a_correct_custom_function():
    x = mg.randn(3, 4, dtype=np.float64, requires_grad=True)
    assert mg.gradcheck(Cube.apply, [x])
    assert mg.gradcheck(lambda t: Cube.apply(t).sum(), x)


def test_gradcheck_catches_one_wrong_element_of_one_input_and_names_it():
    x = mg.randn(2, 3, dtype=np.float64, requires_grad=True)
    y = mg.randn(2, 3, dtype=np.float64, requires_grad=True)
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(MulWithOneWrongElement.apply, [x, y])
    msg = str(info.value)
    assert "input 1, element (1, 2)" in msg and "analytic=" in msg and "numeric=" in msg and "error=" in msg
    assert "input 0" not in msg
    assert msg.count("\n") < 10  # the worst elements, not two whole Jacobians
    assert mg.gradcheck(MulWithOneWrongElement.apply, [x, y], raise_exception=False) is False


def test_gradcheck_does_not_modify_the_callers_tensors():
    x = mg.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    before = x.data.copy()
    mg.gradcheck(lambda t: (t * t).sum(), [x], atol=1e-3)
    np.testing.assert_array_equal(x.data, before)
    assert x.dtype == np.float32 and x.grad is None


def test_gradcheck_skips_inputs_without_requires_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    c = mg.tensor([3.0, 4.0], dtype=np.float64)
    assert mg.gradcheck(lambda a, b: a * b, [x, c])
    with pytest.raises(ValueError, match="requires_grad"):
        mg.gradcheck(lambda b: b * 2, [c])


@pytest.mark.parametrize("fn, x", [
    (mg.relu, [0.0, 1.0, -1.0]),
    (mg.abs, [0.0, 2.0]),
    (lambda t: t.max(), [1.0, 1.0, 0.5]),
    (lambda t: mg.clip(t, 0.0, 1.0), [0.0, 1.0, 0.5]),
    (lambda t: mg.maximum(t, mg.tensor([0.0, 0.0], dtype=np.float64)), [0.0, 3.0]),
])
def test_gradcheck_accepts_correct_ops_exactly_on_kinks(fn, x):
    assert mg.gradcheck(fn, [mg.tensor(x, dtype=np.float64, requires_grad=True)])


def test_gradcheck_still_fails_a_wrong_subgradient_at_a_kink():
    class BadRelu(mg.Function):
        @staticmethod
        def forward(ctx, x):
            return np.maximum(x, 0)

        @staticmethod
        def backward(ctx, grad):
            return grad * 5.0  # wrong everywhere, including at the kink

    with pytest.raises(mg.GradcheckError, match="non-differentiable"):
        mg.gradcheck(BadRelu.apply, [mg.tensor([0.0], dtype=np.float64, requires_grad=True)])


def test_numerical_grad_matches_known_derivative():
    x = mg.tensor([1.0, 2.0, 3.0], dtype=np.float64, requires_grad=True)
    (g,) = mg.numerical_grad(lambda t: (t ** 2).sum(), [x])
    np.testing.assert_allclose(g, [2, 4, 6], rtol=1e-6)


@settings(max_examples=30, deadline=None)
@given(x=tensors(shape=(2, 3)), y=tensors(shape=broadcastable_shapes((2, 3))))
def test_strategies_compose_with_assert_grad_close(x, y):
    assert x.dtype == np.float64 and x.requires_grad
    assert np.broadcast_shapes(x.shape, y.shape)[-2:] == (2, 3)
    assert_grad_close(lambda a, b: (a * b).tanh(), x, y)


@settings(max_examples=30, deadline=None)
@given(shapes=matmul_shapes())
def test_matmul_shapes_are_always_valid_for_matmul(shapes):
    a, b = shapes
    assert np.matmul(np.ones(a), np.ones(b)).shape == (mg.zeros(a, dtype=np.float64) @ mg.zeros(b)).shape


@given(t=tensors(shape=None, requires_grad=False, elements=st.floats(0, 1)))
@settings(max_examples=20, deadline=None)
def test_tensors_strategy_respects_shape_none_and_elements(t):
    assert not t.requires_grad and ((t.data >= 0) & (t.data <= 1)).all()


def test_assert_grad_close_raises_with_report():
    with pytest.raises(mg.GradcheckError, match="input 1"):
        assert_grad_close(MulWithOneWrongElement.apply, mg.randn(2, 3, dtype=np.float64, requires_grad=True),
                          mg.randn(2, 3, dtype=np.float64, requires_grad=True))


# ---------------------------------------------------------------------------------------------
# reports a student can read: single Jacobian entries for small outputs


class SigmoidMissingOneMinusS(mg.Function):
    """sigmoid with a planted bug: backward returns grad·s instead of grad·s·(1 - s)."""

    @staticmethod
    def forward(ctx, x):
        s = 1 / (1 + np.exp(-x))
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        return grad * s


ENTRY = re.compile(r"output element (\(.*?\)), input (\d+), element (\(.*?\)): "
                   r"analytic=(\S+), numeric=(\S+), error=(\S+)")


def test_wrong_sigmoid_backward_reports_single_derivatives_a_student_can_check():
    x = mg.tensor([[0.0, 1.0, -2.0], [0.5, 3.0, -0.5]], dtype=np.float64, requires_grad=True)
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(SigmoidMissingOneMinusS.apply, [x])
    msg = str(info.value)
    entries = ENTRY.findall(msg)
    assert len(entries) == 5 and "… and 1 more" in msg  # six wrong diagonal entries, the worst five shown
    for out_idx, i, in_idx, analytic, numeric, error in entries:
        assert out_idx == in_idx and i == "0"  # d sigmoid(x)[j] / d x[j]: the diagonal
        s = 1 / (1 + np.exp(-x.data[ast.literal_eval(in_idx)]))
        assert float(numeric) == pytest.approx(s * (1 - s), rel=1e-4) and float(numeric) <= 0.25  # σ' ≤ 1/4
        assert float(analytic) == pytest.approx(s, rel=1e-4)
    assert "output element (0, 0), input 0, element (0, 0): analytic=0.5, numeric=0.25, error=0.25" in msg


def test_an_off_diagonal_entry_names_output_and_input_elements():
    class FlipForgetsToFlipBack(mg.Function):
        @staticmethod
        def forward(ctx, x):
            return x[::-1].copy()

        @staticmethod
        def backward(ctx, grad):
            return grad  # should be grad[::-1]

    x = mg.tensor([1.0, 2.0, 3.0], dtype=np.float64, requires_grad=True)
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(FlipForgetsToFlipBack.apply, [x])
    found = {(o, e, float(a), float(n)) for o, _, e, a, n, _ in ENTRY.findall(str(info.value))}
    assert found == {("(0,)", "(0,)", 1.0, 0.0), ("(0,)", "(2,)", 0.0, 1.0),
                     ("(2,)", "(2,)", 1.0, 0.0), ("(2,)", "(0,)", 0.0, 1.0)}


def test_large_outputs_are_checked_through_a_projection_and_say_how_to_see_entries():
    x = mg.tensor(np.linspace(-2, 2, 49).reshape(7, 7), dtype=np.float64, requires_grad=True)
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(SigmoidMissingOneMinusS.apply, [x])
    msg = str(info.value)
    assert "output element" not in msg and "input 0, element" in msg
    assert "the output has 49 elements" in msg and "full=True" in msg and "mg.numerical_jacobian" in msg
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(SigmoidMissingOneMinusS.apply, [x], full=True)
    assert all(float(n) <= 0.25 for *_, n, _ in ENTRY.findall(str(info.value)))
    small = mg.tensor([0.0, 1.0], dtype=np.float64, requires_grad=True)
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(SigmoidMissingOneMinusS.apply, [small], full=False)
    assert "output element" not in str(info.value)
    assert mg.gradcheck(mg.sigmoid, [x], full=True) and mg.gradcheck(mg.sigmoid, [x])
    with pytest.raises(TypeError, match="gradcheck: full must be True or False; Received: full='yes'"):
        mg.gradcheck(mg.sigmoid, [x], full="yes")


def test_numerical_jacobian_has_one_entry_per_output_and_input_element():
    x = mg.tensor([[0.0, 1.0, -2.0]], dtype=np.float64, requires_grad=True)
    w = mg.tensor([2.0, 3.0], dtype=np.float64)
    jx, jw = mg.numerical_jacobian(lambda a, b: a.sigmoid().sum() * b, [x, w])
    assert jx.shape == (2, 1, 3) and jw.shape == (2, 2)
    s = 1 / (1 + np.exp(-x.data))
    np.testing.assert_allclose(jx, np.stack([2 * s * (1 - s), 3 * s * (1 - s)]), rtol=1e-6)
    np.testing.assert_array_equal(jw, 0)  # w does not require grad


def test_an_output_that_is_a_view_of_its_input_is_checked_correctly():
    x = mg.tensor(2.0, dtype=np.float64, requires_grad=True)
    assert mg.gradcheck(lambda t: t.reshape(1), [x])
    assert mg.gradcheck(lambda t: t.T, [mg.tensor([[1.0, 2.0]], dtype=np.float64, requires_grad=True)])


def test_kinks_are_judged_entry_by_entry():
    x = mg.tensor([0.0, 1.0, -1.0, 0.0], dtype=np.float64, requires_grad=True)
    assert mg.gradcheck(mg.relu, [x])  # two kinks, each between its one-sided slopes
    with pytest.raises(mg.GradcheckError, match=r"output element \(0,\), input 0, element \(0,\): analytic=5 "
                                                r"is outside the one-sided slopes \[0, 1\]"):
        class BadReluAtZero(mg.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return np.maximum(x, 0)

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return grad * np.where(x > 0, 1.0, np.where(x == 0, 5.0, 0.0))

        mg.gradcheck(BadReluAtZero.apply, [x])


def test_a_scalar_outputs_report_names_input_elements_only():
    x = mg.tensor([0.0, 1.0], dtype=np.float64, requires_grad=True)
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(lambda t: SigmoidMissingOneMinusS.apply(t).sum(), [x])
    msg = str(info.value)
    assert "2 gradient element(s) disagree" in msg and "output element" not in msg
    assert "input 0, element (0,): analytic=0.5, numeric=0.25, error=0.25" in msg
