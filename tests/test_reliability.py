"""Safety nets: in-place checks, anomaly detection, memory, bad data, threads.

What test_engine.py already covers (the basic version error, the first detect_anomaly cases, a
10,000-op graph freed by refcount) is not repeated here; these tests go around the edges a
learning user reaches: an optimizer step between two backwards, every in-place method, NaN made
inside a layer, graphs that must die without the cyclic GC, training loops that must not leak,
data that is not numbers, and two models trained at once in two threads.

"""
from __future__ import annotations

import gc
import math
import subprocess
import sys
import threading
import tracemalloc
import warnings
import weakref

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

F = nn.functional
OPTIMIZERS = [mg.optim.SGD, mg.optim.Momentum, mg.optim.Adagrad, mg.optim.RMSProp, mg.optim.Adam]


@pytest.fixture(autouse=True)
def numpy_warnings_are_errors():
    """A NumPy warning from inside minigrad fails any test here (NumPy's default error state)."""
    with warnings.catch_warnings(), np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):
        warnings.simplefilter("error")
        yield


def mlp(seed: int = 0, dropout: float = 0.0) -> nn.Sequential:
    layers = [nn.Dense(8, activation="relu", input_dim=3, rng=seed)]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Dense(1, activation="sigmoid", rng=seed + 1))
    return nn.Sequential(layers)


def data(n: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = (x.sum(axis=1, keepdims=True) > 0).astype(np.float32)
    return x, y


# =============================================================================================
# in-place changes


@pytest.mark.parametrize("opt_cls", OPTIMIZERS, ids=lambda c: c.__name__)
def test_optimizer_step_between_two_backwards_raises_naming_the_op_and_both_versions(opt_cls):
    model = mlp()
    opt = opt_cls(model.parameters(), lr=0.1)
    x, y = data()
    loss = F.mse_loss(model(x), y)
    loss.backward(retain_graph=True)
    opt.step()  # changes every weight in place: the graph above is stale now
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*\(shape \(\d+, \d+\)\) is at "
                                           r"version 1; expected version 0"):
        loss.backward()


def test_optimizer_step_between_backwards_error_names_the_op_that_saved_the_weight():
    w = nn.Parameter(np.ones((3, 2)))
    x = mg.tensor(np.ones((4, 3)))
    loss = (x @ w).sum()  # MatMul saved w
    loss.backward(retain_graph=True)
    mg.optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match=r"an input of matmul \(shape \(3, 2\)\)"):
        loss.backward()


@pytest.mark.parametrize("opt_cls", OPTIMIZERS, ids=lambda c: c.__name__)
def test_normal_training_loops_never_trip_the_inplace_check(opt_cls):
    model = mlp(dropout=0.2)
    opt = opt_cls(model, lr=0.05)
    x, y = data()
    mg.manual_seed(0)
    for step in range(30):  # forward, zero_grad, backward, step: the graph is new every time
        loss = F.binary_cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    for _ in range(3):  # gradient accumulation: two backwards (two graphs), one step
        opt.zero_grad()
        F.mse_loss(model(x[:16]), y[:16]).backward()
        F.mse_loss(model(x[16:]), y[16:]).backward()
        opt.step()
    assert math.isfinite(loss.item())


def test_fit_and_manual_data_updates_never_trip_the_inplace_check():
    model = mlp(dropout=0.1)
    model.compile(optimizer=mg.optim.Adam(lr=0.01), loss="binary_crossentropy")
    x, y = data()
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0, seed=0)
    assert len(history.history["loss"]) == 5
    w = nn.Parameter(np.array([1.0, 2.0]))
    for _ in range(5):  # the lectures' hand-written update: w.data -= lr * w.grad (bumps the version)
        loss = (w * w).sum()
        w.zero_grad()
        loss.backward()
        w.data -= 0.1 * w.grad
    np.testing.assert_allclose(w.data, np.array([1.0, 2.0]) * 0.8 ** 5, rtol=1e-6)


def _change(t: mg.Tensor, how: str) -> None:
    with mg.no_grad():
        if how == "data=":
            t.data = t.data + 1
        elif how == "data-=":
            t.data -= 1
        elif how == "copy_":
            t.copy_(np.full(t.shape, 5.0))
        elif how == "zero_":
            t.zero_()
        else:
            getattr(t, how)(2.0)


INPLACE = ["add_", "sub_", "mul_", "zero_", "copy_", "data=", "data-="]


@pytest.mark.parametrize("saved", ["leaf", "op output"])
@pytest.mark.parametrize("how", INPLACE)
def test_every_inplace_change_of_a_saved_input_is_caught(how, saved):
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    if saved == "leaf":  # Function.apply records the versions of w and x
        x = mg.tensor([3.0, 4.0])
        loss = (w * x).sum()  # Mul saves both w and x
    else:  # it records nothing when all inputs are op outputs at version 0: backward knows those
        x = w * 2
        loss = (x * x).sum()
    _change(x, how)
    with pytest.raises(RuntimeError,
                       match=r"an input of mul \(shape \(2,\)\) is at version 1; expected version 0"):
        loss.backward()


@pytest.mark.parametrize("how", INPLACE)
def test_inplace_change_of_an_input_whose_value_backward_does_not_need_is_allowed(how):
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    x = mg.tensor([3.0, 4.0])
    loss = (w + x).sum()  # add saves nothing: its gradient does not depend on x
    _change(x, how)
    loss.backward()
    np.testing.assert_array_equal(w.grad, [1.0, 1.0])


@pytest.mark.parametrize("how", INPLACE)
def test_op_output_changed_before_use_or_not_needed_by_backward_is_allowed(how):
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    h = w * 2
    _change(h, how)  # before it is used: the version Mul sees is 1, and stays 1
    loss = (h * w).sum()
    loss.backward()
    np.testing.assert_allclose(w.grad, h.data + 2 * w.data)  # d(h·w)/dw, with h = 2w changed
    w.grad = None
    g = w * 3
    loss = g.tanh().sum()  # tanh saves its output, not g
    _change(g, how)
    loss.backward()
    np.testing.assert_allclose(w.grad, 3 * (1 - np.tanh(3 * w.data) ** 2), rtol=1e-6)


def test_retain_graph_backwards_without_changes_agree():
    w = mg.tensor([1.0, -2.0], requires_grad=True)
    loss = (w.tanh() * w).sum()
    loss.backward(retain_graph=True)
    first = w.grad.copy()
    loss.backward()
    np.testing.assert_allclose(w.grad, 2 * first)


@pytest.mark.parametrize("view", ["T", "reshape", "slice", "transpose"])
def test_a_step_on_a_parameter_is_caught_through_its_views(view):
    # W.T (like W[0] or W.reshape) is a view sharing W's version counter, as in PyTorch: an in-place
    # step on W changes the array the old graph saved, so a second backward through it raises.
    w = nn.Parameter(np.arange(1.0, 5.0).reshape(2, 2))
    x = mg.tensor([[1.0, -1.0]])
    v = {"T": lambda: w.T, "reshape": lambda: w.reshape(2, 2), "slice": lambda: w[:, :],
         "transpose": lambda: w.transpose(1, 0)}[view]()
    loss = ((x @ v) ** 2).sum()
    loss.backward(retain_graph=True)
    mg.optim.SGD([w], lr=0.5).step()
    with pytest.raises(RuntimeError, match="an input of matmul .* is at version 1; expected version 0"):
        loss.backward()


def test_inplace_change_of_a_saved_output_is_caught():
    x = mg.tensor([0.5, 1.0], requires_grad=True)
    y = x.sigmoid()  # Sigmoid saves y itself for dy/dx = y(1-y)
    loss = y.sum()
    with mg.no_grad():
        y.mul_(0.0)
    with pytest.raises(RuntimeError, match="sigmoid"):
        loss.backward()


# =============================================================================================
# detect_anomaly


@pytest.mark.parametrize("name, make", [
    ("log", lambda x: mg.log(x - 1.0)),          # log 0
    ("log", lambda x: mg.log(-x)),               # log of a negative number: NaN
    ("sqrt", lambda x: mg.sqrt(-x)),
    ("div", lambda x: x / (x - 1.0)),            # 1/0
    ("exp", lambda x: mg.exp(x * 1000.0)),
    ("pow", lambda x: (-x) ** 0.5),
    ("var", lambda x: mg.var(mg.tensor([np.inf, 1.0]))),  # inf - inf (the input itself is not checked)
    ("cross_entropy", lambda x: F.cross_entropy(mg.tensor([[np.inf, 0.0]]), [0])),
])
def test_detect_anomaly_names_the_op_whose_forward_made_nan_or_inf(name, make):
    x = mg.tensor([1.0], requires_grad=True)
    with mg.detect_anomaly():
        with pytest.raises(FloatingPointError, match=rf"^{name}: forward output holds (NaN|inf)"):
            make(x)


def test_without_anomaly_mode_domain_errors_give_inf_and_nan_silently_like_pytorch():
    x = mg.tensor([0.0, -1.0, 2.0])
    np.testing.assert_array_equal(mg.log(x).data[:1], [-np.inf])
    assert np.isnan(mg.sqrt(x).data[1]) and np.isinf((1.0 / x).data[0]) and np.isinf(mg.exp(x * 1e4).data[2])


def test_detect_anomaly_names_the_op_and_the_user_line_for_nan_in_backward():
    x = mg.tensor([0.0, 4.0], requires_grad=True)
    with mg.detect_anomaly():
        y = mg.sqrt(x) * 0.0  # forward is fine: 0 · 0; backward: 0 / (2·√0) = NaN
        with pytest.raises(FloatingPointError) as err:
            y.sum().backward()
    msg = str(err.value)
    assert msg.startswith("sqrt: backward gradient holds NaN")
    assert "test_reliability.py" in msg and "y = mg.sqrt(x) * 0.0" in msg


def test_detect_anomaly_points_at_the_users_line_even_when_a_layer_made_the_op():
    class Blowup(mg.Function):  # a user's op with a broken backward
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * np.nan

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.dense = nn.Dense(2, input_dim=2, rng=0)

        def forward(self, x):
            return Blowup.apply(self.dense(x))

    net = Net()
    with mg.detect_anomaly():
        out = net(mg.tensor(np.ones((1, 2))))
        with pytest.raises(FloatingPointError,
                           match=r"blowup: backward gradient holds NaN.*test_reliability\.py"):
            out.sum().backward()


def test_detect_anomaly_is_restored_after_an_error_and_works_as_a_decorator():
    @mg.detect_anomaly()
    def bad():
        return mg.log(mg.tensor([0.0]))

    with pytest.raises(FloatingPointError, match="log"):
        bad()
    assert not mg.autograd.is_anomaly_enabled()
    mg.set_detect_anomaly(True)
    try:
        with mg.detect_anomaly(False):
            assert np.isinf(mg.log(mg.tensor([0.0])).data[0])
        assert mg.autograd.is_anomaly_enabled()
    finally:
        mg.set_detect_anomaly(False)


def test_detect_anomaly_stays_quiet_on_a_healthy_training_step():
    model = mlp()
    opt = mg.optim.Adam(model, lr=0.01)
    x, y = data()
    with mg.detect_anomaly():
        for _ in range(3):
            loss = F.binary_cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()


def _diverge() -> None:
    model = nn.Sequential(nn.Dense(1, input_dim=3, rng=0))
    model.compile(optimizer=mg.optim.SGD(lr=1e30), loss="mse")
    x, y = data()
    model.fit(x * 1e10, y, epochs=3, batch_size=8, verbose=0)


def test_fit_stops_with_only_a_clear_error_when_the_loss_becomes_nan():
    with pytest.raises(FloatingPointError, match=r"loss became (nan|inf) at epoch \d+, batch \d+"):
        _diverge()  # (and no NumPy overflow warnings before it: the fixture turns them into errors)


# =============================================================================================
# memory


def _graph_nodes(root: mg.Tensor) -> list:
    seen, stack, out = set(), [root.grad_fn], []
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        out.append(node)
        stack.extend(t.grad_fn for t in node.inputs if isinstance(t, mg.Tensor))
    return out


def _private_saved_arrays(root: mg.Tensor) -> list:
    """Weak references to arrays the graph saved that no tensor holds (Var's x - mean, LogSumExp's
    result, CrossEntropy's log-probabilities, Max's mask…): only the graph keeps them alive."""
    nodes = _graph_nodes(root)
    tensors = [t for n in nodes for t in n.inputs if isinstance(t, mg.Tensor)] + [root]
    held = {id(t._data) for t in tensors} | {id(t._data.base) for t in tensors}  # (an output may be a view)
    # constants the op was given
    held |= {id(a) for n in nodes for a in n.inputs if isinstance(a, np.ndarray)}
    return [weakref.ref(a) for n in nodes for a in (n.saved_tensors or ())
            if isinstance(a, np.ndarray) and id(a) not in held]


def _loss_with_private_saves() -> tuple[mg.Tensor, mg.Tensor]:
    x = mg.tensor(np.random.default_rng(0).normal(size=(16, 5)), requires_grad=True)
    z = x.var(axis=0).sum() + x.logsumexp(axis=1).sum() + x.max(axis=1).sum()
    return x, z + F.cross_entropy(x, np.arange(16) % 5)


def test_backward_without_retain_graph_releases_every_saved_array():
    x, loss = _loss_with_private_saves()
    refs = _private_saved_arrays(loss)
    assert len(refs) >= 3  # cross_entropy's log-probabilities, max's mask, var's x - mean
    loss.backward()
    gc.collect()
    assert all(n.saved_tensors is None for n in _graph_nodes(loss))
    assert [r() for r in refs if r() is not None] == []
    assert loss.requires_grad and x.grad is not None  # the tensors themselves are untouched


def test_backward_with_retain_graph_keeps_the_saved_arrays_until_the_graph_goes():
    x, loss = _loss_with_private_saves()
    refs = _private_saved_arrays(loss)
    loss.backward(retain_graph=True)
    gc.collect()
    assert all(r() is not None for r in refs)
    del loss
    gc.collect()
    assert all(r() is None for r in refs)


@pytest.mark.parametrize("variant", ["plain", "after backward(retain_graph=True)", "retain_grad",
                                     "anomaly mode", "through a layer"])
def test_dropping_the_output_of_a_10000_op_graph_frees_it_without_the_cyclic_gc(variant):
    gc.collect()
    gc.disable()  # refcounting alone must free it: the graph holds no reference cycles
    try:
        x = mg.tensor(np.ones(4), requires_grad=True)
        layer = nn.Dense(4, input_dim=4, rng=0)
        with mg.detect_anomaly(variant == "anomaly mode"):
            y = layer(x.reshape(1, 4)).reshape(4) if variant == "through a layer" else x
            middle = None
            for i in range(10_000):
                y = (y * 1.0001).tanh() if i % 2 else y + 0.5
                if i == 5_000:
                    middle = weakref.ref(y.grad_fn)
                    if variant == "retain_grad":
                        y.retain_grad()
            root = weakref.ref(y.grad_fn)
            if variant in ("after backward(retain_graph=True)", "retain_grad"):
                y.sum().backward(retain_graph=True)
        del y
        assert root() is None and middle() is None
    finally:
        gc.enable()


def test_dropping_a_100000_op_graph_does_not_crash_the_interpreter():
    # deleting a deep chain of nodes recurses in C; a separate process, so a crash fails this test only
    code = ("import minigrad as mg, numpy as np\n"
            "y = x = mg.tensor(np.ones(2), requires_grad=True)\n"
            "for _ in range(100_000): y = y * 1.0\n"
            "y.sum().backward(retain_graph=True)\n"
            "del y\nprint('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_dropping_a_graph_returns_its_memory():
    x = mg.tensor(np.ones((64, 64)), requires_grad=True)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        y = x
        for _ in range(200):
            y = (y * 1.001).tanh()  # ~200 arrays of 32 KB saved
        held = tracemalloc.get_traced_memory()[0] - base
        del y
        gc.collect()
        left = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert held > 5_000_000 and left < 50_000, (held, left)


def _growth(step, warmup: int = 20, steps: int = 200) -> int:
    for _ in range(warmup):  # optimizer state, caches and free lists settle first
        step()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(steps):
            step()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("opt_cls", [mg.optim.SGD, mg.optim.Adam], ids=lambda c: c.__name__)
def test_200_training_steps_of_an_mlp_do_not_grow_memory(opt_cls):
    model = mlp(dropout=0.2)
    opt = opt_cls(model, lr=0.01)
    x, y = data(64)
    losses = []

    def step():
        loss = F.binary_cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())  # a float, not the tensor (which would keep its graph)

    grown = _growth(step)
    assert grown < 64 * 1024, f"memory grew by {grown} bytes over 200 steps"  # 200 floats in a list: ~6 KB


def test_200_batches_of_fit_do_not_grow_memory():
    model = mlp(dropout=0.2)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    x, y = data(64)
    grown = _growth(lambda: model.fit(x, y, epochs=1, batch_size=32, verbose=0, seed=1), warmup=5, steps=100)
    assert grown < 64 * 1024, f"memory grew by {grown} bytes over 100 fit calls (200 batches)"


# =============================================================================================
# bad data


class Weird:
    pass


@pytest.mark.parametrize("bad, exc, words", [
    ({"a": 1}, TypeError, "objects"), ({1, 2}, TypeError, "objects"),
    ((i for i in range(3)), TypeError, "objects"), ([1, None], TypeError, "objects"),
    ([[1, 2], [3, [4]]], ValueError, "ragged"), ([[1], [2, 3]], ValueError, "ragged"),
    (b"12", TypeError, "bytes|string"), (Weird(), TypeError, "objects"), ([Weird()], TypeError, "objects"),
    (np.array(["1.5"]), TypeError, "strings"), (np.array([b"x"]), TypeError, "bytes"),
    (np.array(["2020-01-01"], dtype="datetime64[D]"), TypeError, "datetime64"),
    (np.zeros(2, dtype=[("a", "f4")]), TypeError, "received"), (np.array([1 + 1j]), TypeError, "complex"),
    ([10 ** 400], TypeError, "objects"),
])
def test_data_that_is_not_real_numbers_is_refused_saying_what_it_is(bad, exc, words):
    with pytest.raises(exc, match=words):
        mg.tensor(bad)
    with pytest.raises(exc, match=words):  # as an operand too
        mg.tensor([1.0]) * bad


def test_a_python_int_beyond_float_range_as_an_operand_gives_a_clear_error():
    with pytest.raises((TypeError, ValueError), match="10000"):
        mg.tensor([1.0]) + 10 ** 400


@pytest.mark.parametrize("make", [
    lambda: mg.tensor([1, 2], dtype=np.int32, requires_grad=True),
    lambda: mg.tensor([True], dtype=np.bool_, requires_grad=True),
    lambda: (mg.tensor([1.0, 2.0]) > 1).requires_grad_(),
    lambda: mg.tensor([[1.0, 3.0]]).argmax(axis=1).requires_grad_(),
], ids=["int32", "bool", "comparison", "argmax"])
def test_requires_grad_on_integer_or_boolean_tensors_raises_type_error(make):
    with pytest.raises(TypeError, match=r"floating-point.*dtype (int|uint|bool)"):
        make()


@pytest.mark.parametrize("make", [lambda: mg.zeros(3, dtype=np.int64),
                                  lambda: mg.full((2,), 7, dtype=np.uint8)])
def test_creation_functions_keep_an_explicit_integer_dtype_and_refuse_requires_grad(make):
    assert make().dtype.kind in "iu"
    with pytest.raises(TypeError, match="floating-point"):
        mg.zeros(3, dtype=np.int64, requires_grad=True)


def test_integer_data_without_an_explicit_dtype_becomes_float_and_can_require_grad():
    for t in (mg.tensor([1, 2], requires_grad=True), nn.Parameter(np.array([1, 2])),
              mg.tensor(np.array([True, False]), requires_grad=True)):
        assert t.dtype == np.float32 and t.requires_grad


@pytest.mark.parametrize("dtype", [object, np.complex64, "U3"])
def test_an_explicit_non_numeric_dtype_is_refused(dtype):
    with pytest.raises(TypeError, match="dtype"):
        mg.tensor([1.0], dtype=dtype)


@pytest.mark.parametrize("where, make_x, make_y, words", [
    ("x", lambda x: np.where(np.arange(x.size).reshape(x.shape) == 7, np.nan, x), None,
     r"fit: x holds 1 non-finite value\(s\) \(NaN first at index \(2, 1\)\)"),
    ("x", lambda x: x * np.inf, None, r"fit: x holds 96 non-finite value\(s\) \(inf"),
    ("y", None, lambda y: np.where(y > 0, np.inf, y), r"fit: y holds \d+ non-finite"),
])
def test_nan_or_inf_in_fit_inputs_raises_value_error_naming_the_array(where, make_x, make_y, words):
    model = mlp()
    model.compile(optimizer="sgd", loss="mse")
    x, y = data()
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(ValueError, match=words):
        model.fit(make_x(x) if make_x else x, make_y(y) if make_y else y, verbose=0)
    for p, b in zip(model.parameters(), before):  # nothing was trained
        np.testing.assert_array_equal(p.data, b)


def test_nan_in_validation_or_evaluate_data_is_named_too():
    model = mlp()
    model.compile(optimizer="sgd", loss="mse")
    x, y = data()
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"validation_data: x holds 1 non-finite"):
        model.fit(x, y, validation_data=(bad, y), verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: x holds 1 non-finite"):
        model.evaluate(bad, y)


def test_zero_size_batches_flow_through_a_model_forward_and_backward():
    model = mlp()
    x = mg.tensor(np.zeros((0, 3), dtype=np.float32), requires_grad=True)
    out = model(x)
    assert out.shape == (0, 1)
    loss = F.mse_loss(out, np.zeros((0, 1)), reduction="sum")
    assert loss.item() == 0.0
    loss.backward()
    assert x.grad.shape == (0, 3)
    for p in model.parameters():
        np.testing.assert_array_equal(p.grad, np.zeros(p.shape))
    assert np.isnan(F.mse_loss(out, np.zeros((0, 1))).item())  # a mean of nothing, as in NumPy


@pytest.mark.parametrize("make, words", [
    (lambda: mg.tensor(np.ones((2, 3))) + mg.tensor(np.ones((4,))), r"add.*\(2, 3\).*\(4,\)"),
    (lambda: mg.matmul(np.ones((4, 3)), np.ones((2, 1))), r"\(4, 3\) and \(2, 1\) are not aligned"),
    (lambda: mg.concatenate([mg.ones((2, 3)), mg.ones((2, 4))]), r"concatenate.*\(2, 3\) and \(2, 4\)"),
    (lambda: mg.stack([mg.ones((2,)), mg.ones((3,))]), r"stack.*\(2,\) and \(3,\)"),
    (lambda: mg.where(np.ones(5, bool), mg.ones(2), mg.ones(2)), r"where.*\(5,\)"),
    (lambda: mg.ones((2, 3)).reshape(4), r"shape \(2, 3\).*into shape \(4,\)"),
    (lambda: F.mse_loss(mg.ones((4, 1)), np.ones(4)), r"\(4, 1\).*\(4,\).*reshape"),
    (lambda: F.binary_cross_entropy(mg.ones((3,)) * 0.5, np.ones((3, 1))), r"\(3,\).*\(3, 1\)"),
    (lambda: F.cross_entropy(mg.ones((4, 3)), np.zeros(5, dtype=int)),
     r"\(4, 3\).*\(5,\).*class indices of shape \(4,\)"),
    (lambda: nn.Dense(2, input_dim=3)(mg.ones((5, 4))), r"last dimension is 3.*\(5, 4\)"),
    (lambda: nn.BatchNorm(3)(mg.ones((5, 4))), r"num_features=3.*\(5, 4\)"),
    (lambda: nn.LayerNorm(3)(mg.ones((5, 4))), r"\(3,\).*\(5, 4\)"),
    (lambda: (mg.ones(3, requires_grad=True) * 2).backward(np.ones(4)), r"\(4,\).*\(3,\)"),
])
def test_shape_mismatches_name_both_shapes(make, words):
    with pytest.raises(ValueError, match=words):
        make()


def test_fit_shape_mismatches_name_the_arrays_and_their_shapes():
    model = mlp()
    model.compile(optimizer="sgd", loss="mse")
    x, y = data()
    with pytest.raises(ValueError, match=r"x with 32 \(shape \(32, 3\)\) and y with 31"):
        model.fit(x, y[:31], verbose=0)
    with pytest.raises(ValueError, match=r"x of shape \(32, 4\) does not fit the model.*\(None, 3\)"):
        model.fit(np.ones((32, 4)), y, verbose=0)
    with pytest.raises(ValueError,
                       match=r"y of shape \(32, 2\) does not fit the model's output of shape \(None, 1\)"):
        model.fit(x, np.ones((32, 2)), verbose=0)


def test_load_state_dict_lists_every_mismatched_missing_unexpected_and_non_numeric_entry():
    model = mlp()
    state = model.state_dict()
    state["0.weight"] = np.ones((4, 8))
    state["1.bias"] = "zero"
    del state["1.weight"]
    state["extra"] = np.ones(1)
    with pytest.raises(ValueError) as err:
        model.load_state_dict(state)
    msg = str(err.value)
    for part in ("missing key(s): 1.weight", "unexpected key(s): extra", "1.bias (str)",
                 "0.weight: checkpoint shape (4, 8), model shape (3, 8)"):
        assert part in msg, msg
    opt = mg.optim.Adam(model, lr=0.1)
    saved = opt.state_dict()
    saved["state.0.m"] = np.ones((2, 2))
    saved["num_params"] = 4
    with pytest.raises(ValueError,
                       match=r"state\.0\.m has shape \(2, 2\) but params\[0\] has shape \(3, 8\)"):
        opt.load_state_dict(saved)


@pytest.mark.parametrize("make, exc, words", [
    (lambda: nn.Dense("3"), TypeError, r"units.*'3'"),
    (lambda: nn.Dense(0), ValueError, r"units must be an integer >= 1; Received: units=0"),
    (lambda: nn.Dense(2.5), TypeError, r"units=2\.5"),
    (lambda: nn.Dense(3, activation="rleu"), ValueError, r"'rleu'.*expected one of"),
    (lambda: nn.Dense(3, input_dim=-2), ValueError, r"input_dim=-2"),
    (lambda: nn.Dense(3, use_bias="yes"), TypeError, r"use_bias='yes'"),
    (lambda: nn.Dense(3, kernel_initializer="glorot"), ValueError, r"'glorot'"),
    (lambda: nn.Dropout(1.5), ValueError, r"\[0, 1\).*rate=1\.5"),
    (lambda: nn.Dropout("0.5"), TypeError, r"rate='0\.5'"),
    (lambda: nn.BatchNorm(3, momentum=2), ValueError, r"momentum.*2"),
    (lambda: nn.LayerNorm("a"), TypeError, r"normalized_shape='a'"),
    (lambda: nn.Softmax(axis="last"), TypeError, r"axis='last'"),
    (lambda: nn.MSELoss(reduction="avg"), ValueError, r"reduction='avg'"),
    (lambda: mg.optim.SGD(mlp(), lr=-1), ValueError, r"lr must be a number >= 0; Received: lr=-1"),
    (lambda: mg.optim.SGD(mlp(), lr="0.1"), TypeError, r"lr must be a number >= 0; Received: lr='0\.1'"),
    (lambda: mg.optim.SGD(mlp(), lr=float("inf")), ValueError, r"lr=inf"),
    (lambda: mg.optim.SGD(mlp(), lr=0.1, nesterov="yes"), TypeError, r"nesterov='yes'"),
    (lambda: mg.optim.Adam(mlp(), betas=0.9), ValueError, r"betas=0\.9"),
    (lambda: mg.optim.Adam(mlp(), betas=(0.9, 1.0)), ValueError, r"betas\[1\].*1\.0"),
    (lambda: mg.optim.SGD(0.1), TypeError, r"lr=0\.1"),
    (lambda: mg.optim.lr_scheduler.MultiStepLR(mg.optim.SGD(mlp()), 10), TypeError, r"milestones=10"),
    (lambda: mg.optim.SGD(mlp()).load_state_dict("state"), TypeError, r"Received: state_dict='state'"),
    (lambda: F.dropout(mg.ones(2), 0.5, rng=3), TypeError, r"rng=3"),
    (lambda: mg.ones(3).sum(axis="0"), TypeError, r"axis='0'"),
    (lambda: mg.ones(3).sum(keepdims="yes"), TypeError, r"keepdims='yes'"),
    (lambda: mg.ones((2, 3)).reshape(2.0, 3), TypeError, r"shape=\(2\.0, 3\)"),
    (lambda: mg.ones((2, 3)).transpose("a"), TypeError, r"axes=\('a',\)"),
    (lambda: mg.ones(3).expand_dims(5), ValueError, r"axis=5 is out of range"),
    (lambda: mg.concatenate(mg.ones((2, 2))), TypeError,
     r"list or tuple of tensors.*Tensor of shape \(2, 2\)"),
    (lambda: mg.concatenate([mg.ones(2)], axis=3), ValueError, r"axis=3 is out of range"),
    (lambda: mg.leaky_relu(mg.ones(2), alpha=None), TypeError, r"alpha=None"),
    (lambda: mg.clip(mg.ones(2), "0", 1), TypeError, r"min='0'"),
    (lambda: mg.where("yes", mg.ones(2), mg.zeros(2)), TypeError, r"where: cond.*received the string 'yes'"),
    (lambda: mg.ones(3)[1.5], ValueError, r"index 1\.5 is invalid for a tensor of shape \(3,\)"),
    (lambda: mg.ones(3).argmax(axis=2), ValueError, r"argmax: axis=2 is out of range"),
])
def test_wrong_argument_types_and_values_say_what_was_given_and_what_was_expected(make, exc, words):
    with pytest.raises(exc, match=words):
        make()


def test_tensors_iterate_and_unpack_like_sequences():
    a, b = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert a.tolist() == [1.0, 2.0] and b.tolist() == [3.0, 4.0]
    assert [row.shape for row in mg.ones((3, 2))] == [(2,), (2,), (2,)]
    with pytest.raises(IndexError, match="out of range"):  # also a ValueError
        mg.ones(3)[3]


def test_python_numbers_never_upcast_even_when_no_argument_is_a_tensor():
    a16 = np.ones(2, dtype=np.float16)
    assert mg.sub(2.0, a16).dtype == np.float16 and mg.maximum(a16, 1).dtype == np.float16
    assert mg.add(2.0, 3.0).dtype == mg.get_default_dtype()


def test_cross_entropy_ignores_minus_inf_logits_of_other_classes():
    logits = mg.tensor([[0.0, -np.inf, 1.0]], requires_grad=True)
    loss = F.cross_entropy(logits, [2])
    assert math.isfinite(loss.item())
    loss.backward()
    assert np.all(np.isfinite(logits.grad)) and logits.grad[0, 1] == 0


def test_python_numbers_too_big_for_float32_become_inf_without_a_warning():
    assert np.isinf(mg.tensor([1e300]).data[0])


def test_backward_casting_a_huge_float64_gradient_to_float32_gives_inf_without_a_warning():
    w = mg.tensor(np.ones(1, dtype=np.float32), requires_grad=True)
    (w * np.array([1e300])).sum().backward()
    assert np.isinf(w.grad[0])


def test_backward_through_a_broadcast_division_by_zero_gives_nan_without_a_warning():
    x, y = mg.tensor([1.0, -1.0]), mg.tensor([0.0], requires_grad=True)
    (x / y).backward(np.ones(2))  # dy = [-inf, +inf], summed back to y's shape (1,)
    assert np.isnan(y.grad[0])


def test_a_python_float_beyond_float32_as_an_operand_gives_inf_without_a_warning():
    assert np.isinf((mg.ones(2) + 1e300).data).all()


def test_fit_with_values_beyond_float32_names_x():
    model = mlp()
    model.compile(optimizer="sgd", loss="mse")
    x, y = data()
    with pytest.raises(ValueError, match="fit: x"):
        model.fit(x.astype(np.float64) * 1e300, y, verbose=0)


def test_comparing_with_a_string_says_what_was_given():
    with pytest.raises(TypeError, match="'abc'|string"):
        mg.ones(2) < "abc"


def test_fit_with_ragged_x_names_x():
    model = mlp()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"fit: x"):
        model.fit([[1, 2, 3], [1]], np.ones((2, 1)), verbose=0)


@pytest.mark.parametrize("seed", ["a", -1, 1.5])
def test_fit_with_a_bad_seed_names_seed(seed):
    model = mlp()
    model.compile(optimizer="sgd", loss="mse")
    x, y = data()
    with pytest.raises((TypeError, ValueError), match="seed"):
        model.fit(x, y, seed=seed, verbose=0)


def test_compile_with_metrics_that_are_not_a_list_names_metrics():
    with pytest.raises(TypeError, match="metrics"):
        mlp().compile(optimizer="sgd", loss="mse", metrics=5)


# =============================================================================================
# threads


def _train(seed: int, results: dict, key: str, barrier: threading.Barrier | None = None) -> None:
    model = mlp(seed, dropout=0.3)
    model.compile(optimizer=mg.optim.Adam(lr=0.01), loss="binary_crossentropy", metrics=["accuracy"])
    x, y = data(48, seed)
    if barrier is not None:
        barrier.wait()  # start together, so the two fits overlap
    history = model.fit(x, y, epochs=15, batch_size=4, shuffle=True, verbose=0, seed=seed,
                        validation_data=(x[:8], y[:8]))
    results[key] = (history.history, [p.data.copy() for p in model.parameters()])


def test_two_threads_training_two_models_match_the_same_runs_done_one_after_the_other():
    sequential: dict = {}
    _train(1, sequential, "a")
    _train(2, sequential, "b")
    mg.manual_seed(123)  # the global generator is not what fit(seed=...) draws from
    parallel: dict = {}
    barrier = threading.Barrier(3)
    threads = [threading.Thread(target=_train, args=(s, parallel, k, barrier))
               for s, k in ((1, "a"), (2, "b"))]
    for t in threads:
        t.start()
    with mg.no_grad():  # grad mode is per thread: this must not reach the training threads
        barrier.wait()
        for t in threads:
            t.join(timeout=120)
    assert set(parallel) == {"a", "b"}
    for key in "ab":
        assert parallel[key][0] == sequential[key][0]  # every loss, accuracy and val value, exactly
        for p, q in zip(parallel[key][1], sequential[key][1]):
            np.testing.assert_array_equal(p, q)
    assert sequential["a"][0] != sequential["b"][0]

