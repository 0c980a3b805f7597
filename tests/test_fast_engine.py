"""The fast engine (minigrad/_fast.py, installed at import) gives exactly what the plain engine in
autograd.py gives: the same values, the same gradients bit for bit, the same errors."""
from __future__ import annotations

import contextlib
import os
import warnings
from typing import Any, Callable, Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from op_table import random_graph

import minigrad as mg
from minigrad import _fast


@contextlib.contextmanager
def engine(fast: bool) -> Iterator[None]:
    was = _fast.installed()
    _fast.install(fast)
    try:
        yield
    finally:
        _fast.install(was)


def on_both(fn: Callable[[], Any]) -> tuple[Any, Any]:
    """``fn()`` under the fast engine, then under the plain one (an exception is returned, not raised)."""
    results = []
    for fast in (True, False):
        with engine(fast):
            try:
                results.append(fn())
            except Exception as exc:  # the error itself is what is compared
                results.append(exc)
    return results[0], results[1]


def assert_same(a: Any, b: Any) -> None:
    """Equal results: arrays of the same dtype and values (NaN where NaN), errors of the same type
    and message, and the same structure around them."""
    if isinstance(a, Exception) or isinstance(b, Exception):
        assert type(a) is type(b) and str(a) == str(b), (a, b)
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif a is None or b is None:
        assert a is None and b is None, (a, b)
    else:
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(os.environ.get("MINIGRAD_ENGINE") == "plain",
                    reason="MINIGRAD_ENGINE=plain asks for the plain one")
def test_the_fast_engine_is_the_one_installed_at_import():
    assert _fast.installed()
    assert mg.Function.apply.__func__ is _fast.apply


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), dtype=st.sampled_from([np.float64, np.float32]))
def test_random_graphs_of_every_op_give_the_same_values_and_gradients(data: st.DataObject, dtype: Any):
    g = random_graph(data)
    if g is None:
        return

    def run() -> list:
        leaves = [mg.tensor(a.astype(dtype), requires_grad=True) for a in g.leaves]
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = g.replay(*leaves)
            out.backward(np.ones(out.shape, out.dtype))
        return [out.data] + [t.grad for t in leaves]

    assert_same(*on_both(run))


def branches() -> tuple[mg.Tensor, list]:
    """A graph with a shared input, a fan-out, a view and float constants: x feeds three paths."""
    x = mg.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    a = x * 1.5
    b = a.tanh() + a.T.T * 0.25 - 2.0
    c = (b * a).sum(axis=0) + x[0]
    return x, [a, b, c]


def test_retain_grad_and_retain_graph_give_the_same_gradients():
    def run() -> list:
        x, (a, b, c) = branches()
        a.retain_grad()
        b.retain_grad()
        c.backward(np.ones(3), retain_graph=True)
        first = [x.grad.copy(), a.grad.copy(), b.grad.copy()]
        c.backward(np.ones(3))
        return first + [x.grad, a.grad, b.grad]

    assert_same(*on_both(run))


def test_a_tensor_used_twice_by_one_op_gets_both_gradients():
    def run() -> list:
        x = mg.tensor([0.5, -1.0, 2.0], requires_grad=True)
        z = x * 1.5
        (z * z).sum().backward()  # Mul sends two gradients to z's node, which is the only one waiting
        return [x.grad]

    fast, plain = on_both(run)
    assert_same(fast, plain)
    np.testing.assert_allclose(plain[0], 2 * 1.5 * 1.5 * np.array([0.5, -1.0, 2.0]))


class TwoGradients(mg.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class WrongShape(mg.Function):
    @staticmethod
    def forward(ctx, x, y):
        return x * y

    @staticmethod
    def backward(ctx, grad):
        return np.ones(7), None


def backward_twice() -> None:
    x, (_, _, c) = branches()
    c.sum().backward()
    c.sum().backward()


def changed_in_place() -> None:
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    z = y * y
    y.data += 1
    z.sum().backward()


def parameter_changed_in_place() -> None:
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with mg.no_grad():
        w.sub_(0.1)
    loss.backward()


@pytest.mark.parametrize("fail", [
    backward_twice,
    changed_in_place,
    parameter_changed_in_place,
    lambda: TwoGradients.apply(mg.tensor([1.0], requires_grad=True)).sum().backward(),
    lambda: WrongShape.apply(mg.tensor([1.0, 2.0], requires_grad=True), 3.0).sum().backward(),
    lambda: mg.tensor(np.ones((2, 3)), requires_grad=True) @ mg.tensor(np.ones((2, 3))),
    lambda: mg.tensor(np.ones(3)) + np.ones(4),
], ids=["freed graph", "input changed", "parameter changed", "gradient count", "gradient shape",
        "matmul shapes", "add shapes"])
def test_errors_are_the_same(fail: Callable[[], None]):
    fast, plain = on_both(fail)
    assert isinstance(plain, Exception)
    assert_same(fast, plain)


def test_python_float_operands_give_what_fresh_arrays_give():
    def run() -> list:
        x = mg.tensor(np.array([1.0, -2.0, 3.0], np.float32), requires_grad=True)
        h = mg.tensor(np.array([1.0, 2.0], np.float16))
        i = mg.tensor(np.array([1, 2]), dtype=np.int64)
        ys = [x * 0.5, x * 0.5, 0.5 * x, x * -0.0, x + float("nan"), x / 3.0, h * 1e5, i * 2.5, x - 1e300]
        sum(y.sum() for y in ys[:6]).backward()
        return [y.data for y in ys] + [x.grad, np.signbit(ys[3].data)]

    with np.errstate(all="ignore"):
        assert_same(*on_both(run))


def test_a_python_float_operand_is_one_shared_read_only_array():
    x = mg.tensor([1.0, 2.0])
    with engine(True):
        c = x._operand(0.75)
        assert c is x._operand(0.75) and not c.flags.writeable


def test_anomaly_mode_and_backward_steps_run_the_plain_engine_with_the_same_gradients():
    def run() -> list:
        x = mg.tensor([0.5, -1.0], requires_grad=True)
        with mg.detect_anomaly():
            y = (x * 2.0).tanh().sum()
            assert y.grad_fn.created_at  # the user's line, recorded by the plain apply
            y.backward()
        steps = mg.backward_steps((x * 2.0).tanh().sum())
        return [x.grad, len(steps)]

    assert_same(*on_both(run))
