"""mg.jit: a recorded step replays to exactly what eager execution computes, and refuses what it
cannot replay faithfully."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.compiled import JitCheckError, JitError
from minigrad.nn import functional as F

# ---------------------------------------------------------------------------------------------
# helpers: the same training run eagerly and compiled, from the same seed


def _train(make, batches, steps: int, compiled: bool, seed: int = 0):
    """(losses, parameters, extra state) after ``steps`` steps of ``make()``'s step function."""
    mg.manual_seed(seed)
    step, state = make()
    run = mg.jit(step) if compiled else step
    losses = []
    for i in range(steps):
        out = run(*batches[i % len(batches)])
        losses.append(np.array(out.data))
    return losses, [np.array(a) for a in state()], run


def _assert_same_run(make, batches, steps: int = 100, seed: int = 0):
    eager_losses, eager_state, _ = _train(make, batches, steps, False, seed)
    jit_losses, jit_state, step = _train(make, batches, steps, True, seed)
    assert step.recordings == 1
    for i, (a, b) in enumerate(zip(eager_losses, jit_losses)):
        assert a.dtype == b.dtype and np.array_equal(a, b), f"loss of step {i}: eager {a}, jit {b}"
    for a, b in zip(eager_state, jit_state):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    return step


def _trainer(model, opt, loss_fn):
    def step(x, y):
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step


XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
XOR_Y = np.array([[0], [1], [1], [0]], np.float32)


def _xor():
    model = nn.Sequential([nn.Dense(2, activation="sigmoid", input_dim=2), nn.Dense(1, activation="sigmoid")])
    opt = mg.optim.SGD(model.parameters(), lr=0.3)
    return _trainer(model, opt, F.mse_loss), model.parameters


XOR_ROWS = [(mg.Tensor(XOR_X[k:k + 1]), mg.Tensor(XOR_Y[k:k + 1])) for k in range(4)]


# ---------------------------------------------------------------------------------------------
# replays equal eager


def test_w1_xor_100_steps_equal_eager_losses_and_parameters():
    _assert_same_run(_xor, XOR_ROWS)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_w2_softmax_cross_entropy_sgd_equals_eager_in_both_dtypes(dtype):
    rng = np.random.default_rng(1)
    batches = []
    for _ in range(3):
        x = rng.random((8, 784)).astype(dtype)
        y = np.eye(10, dtype=dtype)[rng.integers(0, 10, 8)]
        batches.append((x, y))  # arrays: the step receives them as Tensors

    def make():
        r = np.random.default_rng(2)
        params = [mg.Tensor((r.standard_normal(s) * 0.05).astype(dtype), requires_grad=True)
                  for s in ((784, 100), (100,), (100, 10), (10,))]
        W1, b1, W2, b2 = params
        opt = mg.optim.SGD(params, lr=0.1)

        def step(x, y):
            h = (x @ W1 + b1).sigmoid()
            loss = F.cross_entropy(h @ W2 + b2, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        return step, lambda: params

    _assert_same_run(make, batches)


def test_w3_deep_relu_mlp_with_adam_equals_eager():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((8, 16)).astype(np.float32), rng.standard_normal((8, 16)).astype(np.float32)

    def make():
        model = nn.Sequential([nn.Dense(16, activation="relu", input_dim=16) for _ in range(8)])
        return _trainer(model, mg.optim.Adam(model.parameters(), lr=1e-3), F.mse_loss), model.parameters

    _assert_same_run(make, [(mg.Tensor(x), mg.Tensor(y))])


def _dropout_batchnorm():
    model = nn.Sequential([nn.Dense(12, input_dim=6), nn.BatchNorm(), nn.ReLU(), nn.Dropout(0.3),
                           nn.Dense(3)])
    opt = mg.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return _trainer(model, opt, F.cross_entropy), lambda: model.parameters() + model.buffers()


def test_dropout_and_batchnorm_model_equals_eager_with_the_same_seed():
    rng = np.random.default_rng(4)
    batches = [(mg.Tensor(rng.standard_normal((10, 6)).astype(np.float32)),
                mg.Tensor(np.eye(3, dtype=np.float32)[rng.integers(0, 3, 10)])) for _ in range(2)]
    step = _assert_same_run(_dropout_batchnorm, batches)
    text = str(step.tape)
    assert "dropout(" in text and "batchnorm._update_running(" in text


def test_dropout_draws_a_new_mask_on_every_replay():
    mg.manual_seed(5)
    x = mg.Tensor(np.ones((4, 50), np.float32))
    step = mg.jit(lambda x: F.dropout(x, 0.5))
    masks = [step(x).data.copy() for _ in range(3)]
    assert not np.array_equal(masks[1], masks[2])
    mg.manual_seed(5)
    assert all(np.array_equal(F.dropout(x, 0.5).data, m) for m in masks)


def test_w4_chain_with_grad_reset_inside_the_step_equals_eager():
    x0 = mg.Tensor(np.linspace(-1, 1, 16, dtype=np.float32), requires_grad=True)

    def chain(x):
        for k in range(30):
            x = x * 1.0001 if k % 3 == 0 else x + 0.001 if k % 3 == 1 else x.tanh()
        loss = x.sum()
        x0.grad = None
        loss.backward()
        return loss

    eager = [(chain(x0).data.copy(), x0.grad.copy()) for _ in range(3)]
    step = mg.jit(chain)
    for loss, grad in eager:
        assert np.array_equal(step(x0).data, loss) and np.array_equal(x0.grad, grad)
    assert "x.grad = None" in str(step.tape)


def test_comparisons_and_where_inside_the_step_are_replayed_on_new_values():
    def leaky(x):
        return mg.where(x > 0, x, x * 0.1)

    step = mg.jit(leaky)
    a, b = np.array([1.0, -2.0], np.float32), np.array([-3.0, 4.0], np.float32)
    step(a)
    assert np.array_equal(step(b).data, leaky(mg.Tensor(b)).data)


def test_the_replay_returns_a_tensor_without_a_graph():
    step = mg.jit(_xor()[0])
    step(*XOR_ROWS[0])
    loss = step(*XOR_ROWS[1])
    assert isinstance(loss, mg.Tensor) and loss.grad_fn is None and loss.shape == ()


# ---------------------------------------------------------------------------------------------
# signatures: a new shape or mode records a new tape


def test_a_new_input_shape_records_a_new_tape_and_the_old_one_is_kept():
    step = mg.jit(_xor()[0])
    step(mg.Tensor(XOR_X), mg.Tensor(XOR_Y))
    step(mg.Tensor(XOR_X[:3]), mg.Tensor(XOR_Y[:3]))
    step(mg.Tensor(XOR_X), mg.Tensor(XOR_Y))
    assert step.recordings == 2 and len(step.tapes) == 2
    assert [t.replays for t in step.tapes] == [1, 0]


def test_switching_to_eval_mode_does_not_replay_the_training_tape():
    mg.manual_seed(6)
    model = nn.Sequential([nn.Dense(4, input_dim=3), nn.Dropout(0.5)])
    step = mg.jit(lambda x: model(x))
    x = mg.Tensor(np.ones((2, 3), np.float32))
    step(x)
    model.eval()
    out = step(x)
    assert step.recordings == 2
    assert np.array_equal(out.data, model(x).data)  # no dropout in eval mode


def test_a_replaced_parameter_records_anew():
    model = nn.Sequential([nn.Dense(1, input_dim=2)])
    step = mg.jit(lambda x: model(x))
    x = mg.Tensor(np.ones((1, 2), np.float32))
    step(x)
    model[0].weight = nn.Parameter(np.full((2, 1), 2.0, np.float32))
    assert step(x).item() == 4.0 and step.recordings == 2


def test_keeping_on_re_recording_warns_once():
    step = mg.jit(lambda x: x * 2.0, max_tapes=2)
    with pytest.warns(RuntimeWarning, match="keeps re-recording"):
        for n in range(1, 5):
            step(np.ones(n, np.float32))
    assert len(step.tapes) == 2


# ---------------------------------------------------------------------------------------------
# check=True


def test_check_mode_passes_when_replay_equals_eager():
    step = mg.jit(_xor()[0], check=True)
    for k in range(6):
        step(*XOR_ROWS[k % 4])
    assert step.tape.replays == 5


def test_check_mode_catches_a_planted_difference_and_names_the_entry(monkeypatch):
    step = mg.jit(_xor()[0], check=True)
    step(*XOR_ROWS[0])
    sigmoid = mg.ops.Sigmoid.forward
    monkeypatch.setattr(mg.ops.Sigmoid, "forward", staticmethod(lambda ctx, x: sigmoid(ctx, x * 1.001)))
    with pytest.raises(JitCheckError, match=r"entry 1, sigmoid\(t0\) -> t1: the replay differs from eager"):
        step(*XOR_ROWS[1])


# ---------------------------------------------------------------------------------------------
# what cannot be traced is refused


@pytest.mark.parametrize("read", [
    lambda t: t.item(), lambda t: t.data, lambda t: float(t), lambda t: t.numpy(), lambda t: print(t),
    lambda t: np.asarray(t), lambda t: bool(t > 0),
])
def test_reading_a_value_inside_the_step_raises_a_clear_error(read):
    def fn(x):
        y = (x * 2.0).sum()
        read(y)
        return y

    with pytest.raises(JitError, match=r"would not run on replay.*Return the tensor"):
        mg.jit(fn)(np.ones(3, np.float32))


def test_reading_grad_or_writing_data_inside_the_step_raises():
    w = mg.Tensor(np.ones(3, np.float32), requires_grad=True)

    def fn(x):
        (x * w).sum().backward()
        return mg.Tensor(w.grad)

    with pytest.raises(JitError, match=r"\.grad"):
        mg.jit(fn)(np.ones(3, np.float32))


def test_labels_copied_outside_the_ops_are_refused_not_frozen():
    def fn(z, labels):
        return F.cross_entropy(z, labels)

    z = np.zeros((3, 4), np.float32)
    with pytest.raises(JitError, match="equal to the argument 'labels'"):
        mg.jit(fn)(z, np.array([0, 1, 2]))


def test_a_failed_recording_leaves_eager_mode_untouched():
    with pytest.raises(JitError):
        mg.jit(lambda x: (x * 2.0).item())(np.ones(1, np.float32))
    t = mg.Tensor([1.0, 2.0])
    assert t.sum().item() == 3.0 and mg.Function.apply.__func__ is mg.autograd.Function.apply.__func__


# ---------------------------------------------------------------------------------------------
# the tape


def test_the_tape_prints_one_line_per_call_with_parameter_names():
    mg.manual_seed(0)
    step = mg.jit(_xor()[0])
    step(*XOR_ROWS[0])
    lines = str(step.tape).splitlines()
    assert lines[0] == "affine(x, 0.weight, 0.bias) -> t0"
    assert "sgd.zero_grad([0.weight, 0.bias, 1.weight, 1.bias])" in lines
    assert "backward(t4)" in lines
    assert "    affine.backward(dt2) -> dt1, 1.weight.grad, 1.bias.grad" in lines
    assert lines[-1] == "sgd.step([0.weight, 0.bias, 1.weight, 1.bias])"
    assert "def replay(args):" in step.tape.source


def test_an_in_place_update_of_a_parameter_is_replayed():
    def make():
        w = mg.Tensor(np.ones(3, np.float32), requires_grad=True)

        def step(x):
            loss = (x * w).sum()
            w.grad = None
            loss.backward()
            with mg.no_grad():
                w.mul_(0.5)
                w.sub_(0.01)
            return loss

        return step, lambda: [w]

    step = _assert_same_run(make, [(np.arange(3, dtype=np.float32),)], steps=5)
    assert "p0.mul_(0.5)" in str(step.tape)


def test_an_in_place_update_of_an_argument_is_refused():
    def fn(x):
        with mg.no_grad():
            x.mul_(2.0)
        return x * 1.0

    with pytest.raises(JitError, match="in place"):
        mg.jit(fn)(mg.Tensor(np.ones(2, np.float32)))


def test_replays_do_not_grow_memory():
    import gc
    import tracemalloc

    step = mg.jit(_xor()[0])
    for k in range(10):
        step(*XOR_ROWS[k % 4])
    gc.collect()
    tracemalloc.start()
    try:
        for k in range(1000):  # to the steady state: the first 1000 replays grow 1-10 kB once, then ~50 B
            step(*XOR_ROWS[k % 4])
        before = tracemalloc.get_traced_memory()[0]
        for k in range(1000):
            step(*XOR_ROWS[k % 4])
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # a kept array or Tensor per replay would be >= 100 kB here; version counters growing past the
    # small-int cache are a few hundred bytes
    assert after - before < 10_000


def test_check_mode_restores_every_state_between_replay_and_eager():
    """Parameters, Adam's moments, batch norm's buffers, the scheduler and the dropout generator are
    put back before the eager run, so check=True passes and trains exactly as eager."""
    rng = np.random.default_rng(7)
    batch = (rng.standard_normal((10, 6)).astype(np.float32),
             np.eye(3, dtype=np.float32)[rng.integers(0, 3, 10)])

    def make():
        model = nn.Sequential([nn.Dense(12, input_dim=6), nn.BatchNorm(), nn.ReLU(), nn.Dropout(0.3),
                               nn.Dense(3)])
        opt = mg.optim.Adam(model.parameters(), lr=0.01)
        sched = mg.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

        def step(x, y):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            return loss

        return step, lambda: model.parameters() + model.buffers() + [np.array(opt.lr)]

    eager_losses, eager_state, _ = _train(make, [batch], 6, False)
    mg.manual_seed(0)
    step, state = make()
    checked = mg.jit(step, check=True)
    losses = [checked(*batch).data for _ in range(6)]
    assert checked.tape.replays == 5
    assert all(np.array_equal(a, b) for a, b in zip(eager_losses, losses))
    assert all(np.array_equal(a, b) for a, b in zip(eager_state, state()))
