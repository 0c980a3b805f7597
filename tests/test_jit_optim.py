"""mg.jit's Adam step (minigrad/compiled_optim.py: all parameters at once through flat buffers, or
parameter by parameter in place) gives eager's parameters and state bit for bit, in every case it
takes and in every case it hands back to eager's code."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn
from minigrad.compiled_optim import step_kernel
from minigrad.nn import functional as F

CONFIGS = [
    (mg.optim.Adam, dict()),
    (mg.optim.Adam, dict(lr=0.05, betas=(0.5, 0.9))),
    (mg.optim.Adam, dict(lr=0.01, betas=(0.0, 0.5), eps=1e-3, weight_decay=0.1)),
]
SHAPES = [(3, 4), (4,), (), (2, 1, 3)]


def _params(dtype, seed: int = 0) -> list:
    """One tensor per shape in SHAPES; dtype "mixed" alternates float32 and float64 (two flat groups)."""
    rng = np.random.default_rng(seed)
    dtypes = [np.float32, np.float64] * len(SHAPES) if dtype == "mixed" else [dtype] * len(SHAPES)
    return [mg.Tensor(rng.standard_normal(s).astype(d), requires_grad=True) for s, d in zip(SHAPES, dtypes)]


def _pair(cls, kw, dtype):
    """Two optimizers on equal parameters: one stepped eagerly, one by the in-place kernel."""
    eager, compiled = _params(dtype), _params(dtype)
    opt_e, opt_c = cls(eager, **kw), cls(compiled, **kw)
    kernel = step_kernel(opt_c)
    assert kernel is not None
    return (eager, opt_e), (compiled, opt_c, kernel)


def _set_grads(params: list, grads: list) -> None:
    for p, g in zip(params, grads):
        p.grad = None if g is None else g.copy()


def _assert_same(eager: list, opt_e, compiled: list, opt_c) -> None:
    for k, (a, b) in enumerate(zip(eager, compiled)):
        assert a.data.dtype == b.data.dtype
        np.testing.assert_array_equal(a.data, b.data, err_msg=f"params[{k}]")
    for k, (sa, sb) in enumerate(zip(opt_e.state, opt_c.state)):
        assert sa.keys() == sb.keys(), f"state[{k}]"
        for name in sa:
            np.testing.assert_array_equal(sa[name], sb[name], err_msg=f"state[{k}][{name!r}]")
            assert np.asarray(sa[name]).dtype == np.asarray(sb[name]).dtype


ALL = [True] * len(SHAPES)


@pytest.mark.parametrize("config", CONFIGS)
@settings(max_examples=12, deadline=None)
@given(dtype=st.sampled_from([np.float32, np.float64, "mixed"]),
       steps=st.lists(st.one_of(st.just(ALL), st.lists(st.booleans(), min_size=len(SHAPES),
                                                      max_size=len(SHAPES))), min_size=1, max_size=6),
       seed=st.integers(0, 2**16), scale=st.sampled_from([1e-3, 1.0, 1e3]))
def test_in_place_steps_equal_eager_steps_bit_for_bit(config, dtype, steps, seed, scale):
    """Random gradients; at some steps some parameters have none (they are skipped and their step
    count lags, so Adam's all-at-once step gives way to parameter by parameter)."""
    cls, kw = config
    (eager, opt_e), (compiled, opt_c, (kernel, plan)) = _pair(cls, kw, dtype)
    rng = np.random.default_rng(seed)
    for has_grad in steps:
        grads = [(rng.standard_normal(np.shape(p.data)) * scale).astype(p.dtype) if h else None
                 for p, h in zip(eager, has_grad)]
        _set_grads(eager, grads)
        _set_grads(compiled, grads)
        opt_e.step()
        kernel(opt_c, plan)
        _assert_same(eager, opt_e, compiled, opt_c)


@pytest.mark.parametrize("cls, kw", CONFIGS)
def test_odd_cases_take_eager_code_and_still_agree(cls, kw):
    """A gradient of another dtype (eager converts it), a changed learning rate, state loaded from a
    checkpoint (copied into the step's own arrays) and state in float64 for float32 parameters."""
    (eager, opt_e), (compiled, opt_c, (kernel, plan)) = _pair(cls, kw, np.float32)
    rng = np.random.default_rng(1)

    def both(grads):
        _set_grads(eager, grads)
        _set_grads(compiled, grads)
        opt_e.step()
        kernel(opt_c, plan)
        _assert_same(eager, opt_e, compiled, opt_c)

    def grads(dtype=np.float32):
        return [rng.standard_normal(np.shape(p.data)).astype(dtype) for p in eager]

    both(grads())
    both(grads(np.float64))
    opt_e.lr = opt_c.lr = 0.003
    both(grads())
    saved = opt_e.state_dict()
    opt_e.load_state_dict(saved)
    opt_c.load_state_dict(saved)
    both(grads())
    for st_e, st_c in zip(opt_e.state, opt_c.state):
        for name in list(st_e):
            if name != "step":
                st_e[name] = np.asarray(st_e[name], np.float64)
                st_c[name] = np.asarray(st_c[name], np.float64)
    both(grads())
    both(grads())


def test_a_rebound_optimizer_is_stepped_by_its_own_code():
    (eager, opt_e), (compiled, opt_c, (kernel, plan)) = _pair(mg.optim.Adam, {}, np.float64)
    opt_e.bind(eager[:2])
    opt_c.bind(compiled[:2])
    grads = [np.ones(np.shape(p.data)) for p in eager]
    _set_grads(eager, grads)
    _set_grads(compiled, grads)
    opt_e.step()
    kernel(opt_c, plan)
    _assert_same(eager, opt_e, compiled, opt_c)


def test_the_step_does_not_change_the_gradient_or_a_saved_state_dict():
    (_, _), (compiled, opt_c, (kernel, plan)) = _pair(mg.optim.Adam, {}, np.float32)
    grads = [np.ones(np.shape(p.data), np.float32) for p in compiled]
    for _ in range(2):
        _set_grads(compiled, grads)
        kernel(opt_c, plan)
    saved = opt_c.state_dict()
    before = {k: np.array(v) for k, v in saved.items() if isinstance(v, np.ndarray)}
    kept = [p.grad for p in compiled]
    kernel(opt_c, plan)
    for k, v in before.items():
        np.testing.assert_array_equal(saved[k], v)
    for p, g in zip(compiled, grads):
        np.testing.assert_array_equal(p.grad, g)
    assert all(p.grad is g for p, g in zip(compiled, kept))


def test_other_optimizers_and_subclasses_replay_their_own_step():
    params = _params(np.float32)

    class MyAdam(mg.optim.Adam):
        pass

    for opt in (mg.optim.SGD(params, momentum=0.9), mg.optim.RMSProp(params), mg.optim.Adagrad(params),
                mg.optim.Momentum(params), MyAdam(params)):
        assert step_kernel(opt) is None


@pytest.mark.parametrize("cls, kw", CONFIGS)
def test_a_compiled_training_run_equals_eager_with_every_in_place_step(cls, kw):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3)).astype(np.float32)
    y = rng.standard_normal((8, 2)).astype(np.float32)

    def run(compiled: bool):
        mg.manual_seed(0)
        model = nn.Sequential([nn.Dense(4, activation="tanh", input_dim=3), nn.Dense(2)])
        opt = cls(model.parameters(), **kw)

        def step(a, b):
            loss = F.mse_loss(model(a), b)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        fn = mg.jit(step) if compiled else step
        losses = [fn(x, y).item() for _ in range(12)]
        if compiled:
            assert fn.recordings == 1 and "STEP" in fn.tape.source
        return losses, [p.data.copy() for p in model.parameters()]

    (le, pe), (lc, pc) = run(False), run(True)
    assert le == lc
    for a, b in zip(pe, pc):
        np.testing.assert_array_equal(a, b)


def test_the_adam_step_is_not_confused_with_a_constant_argument_of_the_same_position():
    """The tape names its globals by kind and position: entry 0's step and argument 0's signature
    must not share a name (they once did, and the replay failed)."""
    w = mg.Tensor(np.ones(3), requires_grad=True)
    opt = mg.optim.Adam([w], lr=0.1)

    def step(scale, x):
        opt.step()  # entry 0 of the tape
        opt.zero_grad()
        loss = (x * w).sum() * scale
        loss.backward()
        return loss

    fn = mg.jit(step)
    losses = [fn(2.0, np.arange(3.0)).item() for _ in range(4)]
    assert fn.recordings == 1 and "STEP0(" in fn.tape.source
    assert losses[0] == 6.0 and losses[-1] < losses[1]
