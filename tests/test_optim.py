"""mg.optim: each optimizer against a hand-written NumPy rendering of its formula, step by step,
plus binding, weight decay, dtype, version counter, checkpoints, schedulers and Keras names."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.optim import SGD, Adagrad, Adam, Momentum, Optimizer, RMSProp
from minigrad.optim.lr_scheduler import ExponentialLR, MultiStepLR, StepLR

P0 = np.array([[0.5, -1.5, 2.0], [0.0, 3.0, -0.25]])
GRADS = [  # a fixed gradient sequence: signs flip, one element is zero for a while, magnitudes vary
    np.array([[0.1, -0.2, 0.3], [0.0, 1.5, -2.0]]),
    np.array([[-0.4, 0.5, 0.1], [0.0, 0.7, 1.0]]),
    np.array([[0.3, 0.3, -0.6], [0.2, -1.1, 0.4]]),
    np.array([[1.0, -0.05, 0.0], [-0.9, 0.25, 0.6]]),
    np.array([[-0.2, 0.8, 0.45], [0.35, -0.6, -0.1]]),
]


# ---- hand-written NumPy renderings of the formulas (float64), one list entry per step ----------

def ref_sgd(p, grads, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0):
    p, b, out = p.copy(), None, []
    for g in grads:
        g = g + weight_decay * p
        if momentum:
            b = g.copy() if b is None else momentum * b + g
            g = g + momentum * b if nesterov else b
        p = p - lr * g
        out.append(p)
    return out


def ref_momentum(p, grads, lr=0.01, beta=0.9, weight_decay=0.0):
    p, m, out = p.copy(), np.zeros_like(p), []
    for g in grads:
        g = g + weight_decay * p
        m = beta * m + (1 - beta) * g
        p = p - lr * m
        out.append(p)
    return out


def ref_adagrad(p, grads, lr=0.01, eps=1e-10, initial_accumulator_value=0.0, weight_decay=0.0):
    p, s, out = p.copy(), np.full_like(p, initial_accumulator_value), []
    for g in grads:
        g = g + weight_decay * p
        s = s + g ** 2
        p = p - lr * g / (np.sqrt(s) + eps)
        out.append(p)
    return out


def ref_rmsprop(p, grads, lr=0.01, rho=0.99, eps=1e-8, weight_decay=0.0):
    p, v, out = p.copy(), np.zeros_like(p), []
    for g in grads:
        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g ** 2
        p = p - lr * g / (np.sqrt(v) + eps)
        out.append(p)
    return out


def ref_adam(p, grads, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    (b1, b2), p, m, v, out = betas, p.copy(), np.zeros_like(p), np.zeros_like(p), []
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(p)
    return out


CASES = [  # (optimizer class, reference, keyword arguments given to both)
    (SGD, ref_sgd, dict(lr=0.1)),
    (SGD, ref_sgd, dict(lr=0.1, momentum=0.9)),
    (SGD, ref_sgd, dict(lr=0.1, momentum=0.8, nesterov=True)),
    (SGD, ref_sgd, dict(lr=0.1, momentum=0.9, weight_decay=0.05)),
    (Momentum, ref_momentum, dict(lr=0.3)),
    (Momentum, ref_momentum, dict(lr=0.3, beta=0.5, weight_decay=0.1)),
    (Adagrad, ref_adagrad, dict(lr=0.2)),
    (Adagrad, ref_adagrad, dict(lr=0.2, eps=1e-3, initial_accumulator_value=0.1, weight_decay=0.01)),
    (RMSProp, ref_rmsprop, dict(lr=0.05)),
    (RMSProp, ref_rmsprop, dict(lr=0.05, rho=0.9, eps=1e-4, weight_decay=0.02)),
    (Adam, ref_adam, dict(lr=0.1)),
    (Adam, ref_adam, dict(lr=0.1, betas=(0.5, 0.9), eps=1e-3, weight_decay=0.1)),
]
IDS = [f"{cls.__name__}-{kw}" for cls, _, kw in CASES]
DEFAULT_CASES = [(SGD, ref_sgd), (Momentum, ref_momentum), (Adagrad, ref_adagrad), (RMSProp, ref_rmsprop),
                 (Adam, ref_adam)]
ALL_CLASSES = [SGD, Momentum, Adagrad, RMSProp, Adam]


def run_steps(opt, p, grads):
    """Step ``opt`` once per gradient, setting ``p.grad`` by hand; yields after each step."""
    for g in grads:
        p.grad = g.copy()
        opt.step()
        yield


@pytest.mark.parametrize("cls, ref, kwargs", CASES, ids=IDS)
def test_each_step_matches_the_numpy_formula_in_float64(cls, ref, kwargs):
    p = mg.tensor(P0.copy(), requires_grad=True)
    opt = cls([p], **kwargs)
    expected = ref(P0, GRADS, **kwargs)
    for k, _ in enumerate(run_steps(opt, p, GRADS)):
        np.testing.assert_allclose(p.data, expected[k], rtol=0, atol=1e-12, err_msg=f"after step {k + 1}")
        np.testing.assert_array_equal(p.grad, GRADS[k], err_msg=f"step {k + 1} changed p.grad")


@pytest.mark.parametrize("cls, ref", DEFAULT_CASES, ids=[c.__name__ for c, _ in DEFAULT_CASES])
def test_each_step_matches_the_numpy_formula_with_the_default_hyperparameters(cls, ref):
    p = mg.tensor(P0.copy(), requires_grad=True)
    opt = cls([p])
    expected = ref(P0, GRADS)  # the reference's defaults are the documented ones, written out independently
    for k, _ in enumerate(run_steps(opt, p, GRADS)):
        np.testing.assert_allclose(p.data, expected[k], rtol=0, atol=1e-12, err_msg=f"after step {k + 1}")


@pytest.mark.parametrize("cls, ref, kwargs", CASES, ids=IDS)
def test_a_0d_parameter_follows_the_numpy_formula(cls, ref, kwargs):
    """0-d arrays turn into numpy scalars under arithmetic; the state must stay arrays updated in place."""
    p0, grads = np.array(0.7), [g[0, 1] * np.ones(()) for g in GRADS]
    p = mg.tensor(p0.copy(), requires_grad=True)
    opt = cls([p], **kwargs)
    expected = ref(p0, grads, **kwargs)
    for k, _ in enumerate(run_steps(opt, p, grads)):
        assert p.shape == ()
        np.testing.assert_allclose(p.data, expected[k], rtol=0, atol=1e-12, err_msg=f"after step {k + 1}")


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_steps=st.integers(1, 6),
       shape=st.sampled_from([(), (1,), (4,), (2, 3)]), lr=st.floats(1e-4, 1.0),
       case=st.sampled_from(CASES))
def test_random_gradient_sequences_match_the_numpy_formula(seed, n_steps, shape, lr, case):
    cls, ref, kwargs = case
    kwargs = {**kwargs, "lr": lr}
    rng = np.random.default_rng(seed)
    p0 = rng.normal(size=shape)
    grads = [rng.normal(size=shape) * 10.0 ** rng.integers(-3, 2) for _ in range(n_steps)]
    p = mg.tensor(p0.copy(), requires_grad=True)
    opt = cls([p], **kwargs)
    expected = ref(p0, grads, **kwargs)
    for k, _ in enumerate(run_steps(opt, p, grads)):
        np.testing.assert_allclose(p.data, expected[k], rtol=1e-12, atol=1e-12, err_msg=f"after step {k + 1}")


def test_sgd_weight_decay_alone_shrinks_the_parameter_by_lr_times_wd():
    p = mg.tensor(np.array([2.0, -4.0]), requires_grad=True)
    opt = SGD([p], lr=0.5, weight_decay=0.1)
    p.grad = np.zeros(2)
    opt.step()
    np.testing.assert_allclose(p.data, [2.0 * 0.95, -4.0 * 0.95], rtol=0, atol=1e-15)


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_parameters_whose_grad_is_none_are_skipped(cls):
    a = mg.tensor(P0.copy(), requires_grad=True)
    b = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = cls([a, b], lr=0.1)
    a.grad = GRADS[0].copy()
    opt.step()
    np.testing.assert_array_equal(b.data, [1.0, 2.0])
    assert b._version == 0 and opt.state[1] == {}
    assert a._version == 1 and opt.state[0]["step"] == 1


def test_a_parameter_that_gets_its_first_gradient_late_starts_its_own_step_count():
    a = mg.tensor(P0.copy(), requires_grad=True)
    b = mg.tensor(P0.copy(), requires_grad=True)
    opt = Adam([a, b], lr=0.1)
    a.grad = GRADS[0].copy()
    opt.step()
    a.grad, b.grad = GRADS[1].copy(), GRADS[0].copy()
    opt.step()
    assert opt.state[0]["step"] == 2 and opt.state[1]["step"] == 1
    # b's first update is Adam's first step, bias correction with t = 1
    np.testing.assert_allclose(b.data, ref_adam(P0, GRADS[:1], lr=0.1)[0], rtol=0, atol=1e-12)


def test_step_on_an_unbound_optimizer_raises_runtime_error_naming_bind():
    opt = SGD(lr=0.3)
    with pytest.raises(RuntimeError, match=r"no parameters yet.*bind"):
        opt.step()
    with pytest.raises(RuntimeError, match="bind"):
        opt.zero_grad()


def test_bind_later_attaches_parameters_and_returns_the_optimizer():
    p = mg.tensor(np.array([1.0, -1.0]), requires_grad=True)
    opt = SGD(lr=0.3)
    assert opt.bind([p]) is opt
    p.grad = np.array([1.0, 2.0])
    opt.step()
    np.testing.assert_allclose(p.data, [0.7, -1.6], rtol=0, atol=1e-15)


def test_rebinding_replaces_the_parameters_and_forgets_the_state():
    p, q = (mg.tensor(np.ones(2), requires_grad=True) for _ in range(2))
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.ones(2)
    opt.step()
    opt.bind([q])
    assert opt.params == [q] and opt.state == [{}]


class _ModuleLike:
    """Anything with .parameters() is treated as a Module (optim never imports mg.nn)."""

    def __init__(self, *params):
        self._params = params

    def parameters(self):
        return iter(self._params)


def test_a_module_passed_as_params_contributes_its_parameters():
    w = mg.tensor(np.ones((2, 2)), requires_grad=True)
    b = mg.tensor(np.zeros(2), requires_grad=True)
    assert Adam(_ModuleLike(w, b)).params == [w, b]
    assert SGD(lr=0.1).bind(_ModuleLike(w, b)).params == [w, b]


def test_params_can_be_a_generator():
    ps = [mg.tensor(np.ones(3), requires_grad=True) for _ in range(3)]
    assert SGD(p for p in ps).params == ps


@pytest.mark.parametrize("bad, error, words", [
    (0.3, TypeError, "lr=0.3"),                      # Keras habit: SGD(0.3)
    (mg.tensor(np.ones(2), requires_grad=True), TypeError, r"\[t\]\); Received: a single Tensor of shape"),
    ([np.ones(2)], TypeError, r"params\[0\] must be a Tensor; Received: a ndarray"),
    ([mg.tensor(np.ones(2, dtype=np.int64), dtype=np.int64)], TypeError, "Received: dtype int64"),
    ([], ValueError, r"at least one tensor.*Received: params=\[\]"),
    (object(), TypeError, "Received: params=<object"),
])
def test_bad_params_raise_errors_that_say_what_was_given(bad, error, words):
    with pytest.raises(error, match=words):
        SGD(bad)


def test_the_same_tensor_twice_in_params_is_rejected():
    p = mg.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="positions 0 and 1"):
        Adam([p, p])


def test_zero_grad_sets_every_gradient_to_none():
    ps = [mg.tensor(np.ones(2), requires_grad=True) for _ in range(2)]
    opt = SGD(ps)
    for p in ps:
        p.grad = np.ones(2)
    opt.zero_grad()
    assert all(p.grad is None for p in ps)


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_learning_rate_is_accepted_as_keras_alias_for_lr(cls):
    assert cls(learning_rate=0.3).lr == 0.3
    assert cls(lr=0.3).lr == 0.3
    with pytest.raises(TypeError, match=r"not both; Received: lr=0\.2, learning_rate=0\.3"):
        cls(lr=0.2, learning_rate=0.3)


def test_giving_lr_equal_to_its_default_together_with_learning_rate_is_still_an_error():
    with pytest.raises(TypeError, match="both"):
        SGD(lr=0.01, learning_rate=0.3)


def test_lr_is_mutable_and_the_next_step_uses_it():
    p = mg.tensor(np.array([1.0]), requires_grad=True)
    opt = SGD([p], lr=0.1)
    opt.lr = 0.5
    p.grad = np.array([1.0])
    opt.step()
    np.testing.assert_allclose(p.data, [0.5], rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match=r"lr=-1"):
        opt.lr = -1


@pytest.mark.parametrize("make, words", [
    (lambda: SGD(lr=-0.1), r"lr must be a number >= 0; Received: lr=-0\.1"),
    (lambda: SGD(lr=float("nan")), r"Received: lr=nan"),
    (lambda: SGD(momentum=-0.5), r"momentum=-0\.5"),
    (lambda: SGD(nesterov=True), r"momentum must be > 0 when nesterov=True; Received: momentum=0\.0"),
    (lambda: SGD(weight_decay=-1e-4), r"weight_decay=-0\.0001"),
    (lambda: Momentum(beta=1.0), r"beta must be a number in \[0, 1\); Received: beta=1\.0"),
    (lambda: Momentum(beta=-0.1), r"beta=-0\.1"),
    (lambda: Adagrad(eps=-1e-10), r"eps=-1e-10"),
    (lambda: Adagrad(initial_accumulator_value=-1.0), r"initial_accumulator_value=-1\.0"),
    (lambda: RMSProp(rho=1.5), r"rho=1\.5"),
    (lambda: RMSProp(eps=-1.0), r"eps=-1\.0"),
    (lambda: Adam(betas=(0.9, 1.0)), r"betas\[1\] must be a number in \[0, 1\); Received: betas\[1\]=1\.0"),
    (lambda: Adam(betas=(-0.1, 0.999)), r"betas\[0\]"),
    (lambda: Adam(betas=0.9), r"betas must be a pair"),
    (lambda: Adam(eps=-1e-8), r"eps=-1e-08"),
])
def test_bad_hyperparameters_raise_value_error_naming_the_value_received(make, words):
    with pytest.raises(ValueError, match=words):
        make()


def test_a_non_numeric_hyperparameter_raises_type_error():
    with pytest.raises(TypeError, match="lr='fast'"):
        Adam(lr="fast")


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_step_updates_in_place_and_bumps_the_version_once(cls):
    p = mg.tensor(P0.copy(), requires_grad=True)
    arr = p.data
    opt = cls([p], lr=0.1)
    for k, _ in enumerate(run_steps(opt, p, GRADS[:3]), start=1):
        assert p.data is arr, "the step replaced the array instead of updating it"
        assert p._version == k


def test_a_step_between_forward_and_backward_makes_backward_raise():
    w = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (w * w).sum()  # saves w for backward
    opt = SGD([w], lr=0.1)
    w.grad = np.ones(2)
    opt.step()
    w.grad = None
    with pytest.raises(RuntimeError, match="inplace|in place"):
        y.backward()


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_float32_parameters_stay_float32_and_their_state_too(cls):
    p32 = mg.tensor(P0.astype(np.float32), requires_grad=True)
    p64 = mg.tensor(P0.copy(), requires_grad=True)
    opt32 = cls([p32], lr=0.1, weight_decay=0.01)
    opt64 = cls([p64], lr=0.1, weight_decay=0.01)
    for g in GRADS:
        p32.grad, p64.grad = g.astype(np.float32), g.copy()
        opt32.step()
        opt64.step()
        assert p32.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt32.state[0].values() if isinstance(v, np.ndarray))
    np.testing.assert_allclose(p32.data, p64.data, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_a_float64_gradient_on_a_float32_parameter_is_used_in_float32(cls):
    p = mg.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = cls([p], lr=0.1, **({"momentum": 0.9} if cls is SGD else {}))
    for _ in range(2):
        p.grad = np.full(3, 0.5)  # float64
        opt.step()
    assert p.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state[0].values() if isinstance(v, np.ndarray))


@pytest.mark.parametrize("cls, ref, kwargs", CASES, ids=IDS)
def test_stepping_again_on_the_same_grad_array_equals_two_steps_on_that_gradient(cls, ref, kwargs):
    """The optimizer's state must not alias p.grad: here the grad array stays for both steps."""
    p = mg.tensor(P0.copy(), requires_grad=True)
    opt = cls([p], **kwargs)
    p.grad = GRADS[0].copy()
    opt.step()
    opt.step()
    np.testing.assert_allclose(p.data, ref(P0, GRADS[:1] * 2, **kwargs)[-1], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(p.grad, GRADS[0])


def test_a_gradient_of_the_wrong_shape_raises_naming_both_shapes():
    p = mg.tensor(np.ones((2, 3)), requires_grad=True)
    opt = SGD([p])
    p.grad = np.ones(3)
    with pytest.raises(ValueError, match=r"shape \(2, 3\); Received: grad of shape \(3,\)"):
        opt.step()


def test_a_gradient_that_is_not_numeric_raises_naming_it():
    p, q = (mg.tensor(np.ones(2), requires_grad=True) for _ in range(2))
    opt = SGD([p, q], lr=0.1)
    p.grad, q.grad = np.ones(2), "oops"
    with pytest.raises(TypeError, match=r"SGD.step\(\): params\[1\].grad must be a numeric array; "
                                        r"Received: str 'oops'"):
        opt.step()
    p.grad = q.grad = [1.0, 2.0]  # a list is converted, in the parameter's dtype
    opt.step()
    np.testing.assert_allclose(q.data, [0.9, 0.8])


# ---- checkpoints ------------------------------------------------------------------------------

@pytest.mark.parametrize("cls, ref, kwargs", CASES, ids=IDS)
def test_state_dict_round_trip_continues_identically(cls, ref, kwargs):
    p = mg.tensor(P0.copy(), requires_grad=True)
    opt = cls([p], **kwargs)
    for _ in run_steps(opt, p, GRADS[:2]):
        pass
    saved = opt.state_dict()
    q = mg.tensor(p.data.copy(), requires_grad=True)
    fresh = cls([q], lr=0.5)  # different hyperparameters: load must restore them
    fresh.load_state_dict(saved)
    for _ in run_steps(opt, p, GRADS[2:]):
        pass
    for _ in run_steps(fresh, q, GRADS[2:]):
        pass
    np.testing.assert_array_equal(q.data, p.data)
    np.testing.assert_allclose(q.data, ref(P0, GRADS, **kwargs)[-1], rtol=0, atol=1e-12)


def test_state_dict_holds_copies_not_the_live_state():
    p = mg.tensor(P0.copy(), requires_grad=True)
    opt = Adam([p])
    p.grad = GRADS[0].copy()
    opt.step()
    saved = opt.state_dict()
    m_then = saved["state.0.m"].copy()
    p.grad = GRADS[1].copy()
    opt.step()
    np.testing.assert_array_equal(saved["state.0.m"], m_then)
    assert saved["state.0.step"] == 1


def test_state_dict_survives_an_npz_file(tmp_path):
    """The dict is flat name -> value, so mg.save's .npz format (allow_pickle=False) can hold it."""
    p = mg.tensor(P0.copy(), requires_grad=True)
    opt = SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    for _ in run_steps(opt, p, GRADS[:2]):
        pass
    np.savez(tmp_path / "opt.npz", **opt.state_dict())
    with np.load(tmp_path / "opt.npz", allow_pickle=False) as f:
        loaded = dict(f)
    q = mg.tensor(p.data.copy(), requires_grad=True)
    fresh = SGD([q])
    fresh.load_state_dict(loaded)
    assert (fresh.lr, fresh.momentum, fresh.nesterov) == (0.1, 0.9, True)
    assert type(fresh.lr) is float and type(fresh.nesterov) is bool
    for _ in run_steps(opt, p, GRADS[2:]):
        pass
    for _ in run_steps(fresh, q, GRADS[2:]):
        pass
    np.testing.assert_array_equal(q.data, p.data)


def test_load_state_dict_rejects_a_state_array_of_the_wrong_shape_and_changes_nothing():
    p = mg.tensor(P0.copy(), requires_grad=True)
    opt = Adam([p], lr=0.1)
    p.grad = GRADS[0].copy()
    opt.step()
    saved = opt.state_dict()
    other = Adam([mg.tensor(np.ones(4), requires_grad=True)], lr=0.5)
    with pytest.raises(ValueError, match=r"state\.0\.m has shape \(2, 3\) but params\[0\] has shape \(4,\)"):
        other.load_state_dict(saved)
    assert other.lr == 0.5 and other.state == [{}]


def test_load_state_dict_rejects_another_optimizer_class_or_parameter_count():
    p = mg.tensor(P0.copy(), requires_grad=True)
    with pytest.raises(ValueError, match=r"missing hyperparameter\(s\) betas, eps; unexpected key\(s\) "
                                         r"'momentum', 'nesterov' \(is it the state of another optimizer"):
        Adam([p]).load_state_dict(SGD([p]).state_dict())
    with pytest.raises(ValueError, match="saved from a SGD optimizer"):  # the dicts of older versions
        Adam([p]).load_state_dict({**Adam([p]).state_dict(), "optimizer": "SGD"})
    two = SGD([p, mg.tensor(np.ones(2), requires_grad=True)]).state_dict()
    with pytest.raises(ValueError, match="for 2 parameters; this optimizer has 1"):
        SGD([p]).load_state_dict(two)


def test_load_state_dict_rejects_invalid_hyperparameters_and_keeps_the_old_ones():
    p = mg.tensor(P0.copy(), requires_grad=True)
    opt = RMSProp([p], lr=0.1)
    bad = {**opt.state_dict(), "rho": 2.0}
    with pytest.raises(ValueError, match="rho=2.0"):
        opt.load_state_dict(bad)
    assert opt.rho == 0.99


def test_load_state_dict_rejects_unexpected_keys():
    p = mg.tensor(P0.copy(), requires_grad=True)
    with pytest.raises(ValueError, match="unexpected key 'state.0.velocity'"):
        SGD([p]).load_state_dict({**SGD([p]).state_dict(), "state.0.velocity": np.zeros((2, 3))})


def test_load_state_dict_with_parameter_state_into_an_unbound_optimizer_asks_for_bind():
    p = mg.tensor(P0.copy(), requires_grad=True)
    with pytest.raises(RuntimeError, match="bind"):
        Adam().load_state_dict(Adam([p]).state_dict())
    unbound = Adam()
    unbound.load_state_dict(Adam(lr=0.5).state_dict())  # hyperparameters alone need no parameters
    assert unbound.lr == 0.5


def test_repr_shows_hyperparameters_and_binding():
    assert repr(SGD(lr=0.3)) == "SGD(lr=0.3, momentum=0.0, nesterov=False, weight_decay=0.0; unbound)"
    assert "1 params" in repr(Adam([mg.tensor(np.ones(2), requires_grad=True)]))


class PlainGD(Optimizer):
    """p -= lr*g — a user's optimizer needs only update()."""

    def update(self, p, g, state):
        p -= self.lr * g


def test_a_user_optimizer_needs_only_update():
    p = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = PlainGD([p], lr=0.5, weight_decay=0.1)
    p.grad = np.array([1.0, 1.0])
    opt.step()
    np.testing.assert_allclose(p.data, [1 - 0.5 * 1.1, 2 - 0.5 * 1.2], rtol=0, atol=1e-15)
    assert opt.state_dict()["state.0.step"] == 1


# ---- mg.optim.get -----------------------------------------------------------------------------

@pytest.mark.parametrize("name, cls, lr", [
    ("sgd", SGD, 0.01), ("momentum", Momentum, 0.01), ("adagrad", Adagrad, 0.001),
    ("rmsprop", RMSProp, 0.001), ("adam", Adam, 0.001), ("Adam", Adam, 0.001), ("RMSprop", RMSProp, 0.001),
    ("SGD", SGD, 0.01),
])
def test_get_builds_an_unbound_optimizer_with_keras_default_learning_rate(name, cls, lr):
    opt = mg.optim.get(name)
    assert type(opt) is cls and opt.lr == lr and opt.params is None


def test_get_passes_an_optimizer_instance_through():
    opt = SGD(lr=0.3)
    assert mg.optim.get(opt) is opt


@pytest.mark.parametrize("bad, error", [("adamw", ValueError), ("", ValueError), (None, TypeError),
                                        (3, TypeError), (SGD, TypeError)])
def test_get_rejects_anything_else_listing_the_accepted_names(bad, error):
    with pytest.raises(error, match=r"'sgd', 'momentum', 'adagrad', 'rmsprop', 'adam'.*Received: optimizer="):
        mg.optim.get(bad)


def test_get_on_an_optimizer_class_suggests_an_instance():
    with pytest.raises(TypeError, match=r"Adam\(\), not the class"):
        mg.optim.get(Adam)


# ---- schedulers -------------------------------------------------------------------------------

def lrs_over_epochs(sched, epochs):
    """The optimizer's lr during epochs 0 .. epochs-1, checking get_last_lr() agrees."""
    out = []
    for _ in range(epochs):
        assert sched.get_last_lr() == [sched.optimizer.lr]
        out.append(sched.optimizer.lr)
        sched.step()
    return out


def test_step_lr_multiplies_by_gamma_every_step_size_epochs():
    sched = StepLR(SGD(lr=1.0), step_size=2, gamma=0.5)
    np.testing.assert_allclose(lrs_over_epochs(sched, 7), [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125], rtol=1e-15)


def test_step_lr_default_gamma_is_a_tenth():
    sched = StepLR(SGD(lr=0.3), step_size=1)
    np.testing.assert_allclose(lrs_over_epochs(sched, 3), [0.3, 0.03, 0.003], rtol=1e-14)


def test_multistep_lr_multiplies_by_gamma_at_each_milestone():
    sched = MultiStepLR(SGD(lr=1.0), milestones=[5, 2], gamma=0.1)  # unsorted on purpose
    np.testing.assert_allclose(lrs_over_epochs(sched, 7), [1, 1, 0.1, 0.1, 0.1, 0.01, 0.01], rtol=1e-14)


def test_multistep_lr_repeated_milestone_applies_gamma_twice():
    sched = MultiStepLR(SGD(lr=1.0), milestones=[1, 1], gamma=0.5)
    np.testing.assert_allclose(lrs_over_epochs(sched, 3), [1, 0.25, 0.25], rtol=1e-15)


def test_exponential_lr_multiplies_by_gamma_every_epoch():
    sched = ExponentialLR(Adam(lr=0.1), gamma=0.9)
    np.testing.assert_allclose(lrs_over_epochs(sched, 5), [0.1 * 0.9 ** e for e in range(5)], rtol=1e-14)


def test_schedulers_compute_from_the_initial_lr_so_a_manual_change_lasts_one_epoch():
    opt = SGD(lr=1.0)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    sched.step()
    opt.lr = 123.0
    sched.step()
    assert opt.lr == 0.25


def test_scheduler_state_dict_round_trip_resumes_the_schedule():
    opt = SGD(lr=1.0)
    sched = MultiStepLR(opt, milestones=[2, 4], gamma=0.5)
    for _ in range(3):
        sched.step()
    saved = sched.state_dict()
    opt2 = SGD(lr=7.0)
    sched2 = MultiStepLR(opt2, milestones=[1], gamma=0.9)
    sched2.load_state_dict(saved)
    assert sched2.milestones == [2, 4] and sched2.last_epoch == 3 and sched2.base_lr == 1.0
    sched.step()
    sched2.step()
    assert opt2.lr == opt.lr == 0.25


def test_scheduler_load_state_dict_rejects_keys_of_another_schedule():
    with pytest.raises(ValueError, match="missing keys .*step_size"):
        StepLR(SGD(), step_size=2).load_state_dict(ExponentialLR(SGD(), gamma=0.5).state_dict())


@pytest.mark.parametrize("make, error, words", [
    (lambda: StepLR(SGD(), step_size=0), ValueError, "step_size=0"),
    (lambda: StepLR(SGD(), step_size=2.5), TypeError, "step_size=2.5"),
    (lambda: StepLR(SGD(), step_size=2, gamma=-0.1), ValueError, r"gamma=-0\.1"),
    (lambda: MultiStepLR(SGD(), milestones=[3, -1]), ValueError, "milestone=-1"),
    (lambda: ExponentialLR("sgd", gamma=0.9), TypeError, "Received: optimizer='sgd'"),
])
def test_bad_scheduler_arguments_raise_naming_the_value(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_a_scheduler_on_an_unbound_optimizer_works_before_compile_binds_it():
    opt = SGD(lr=0.3)
    sched = ExponentialLR(opt, gamma=0.5)
    sched.step()
    p = mg.tensor(np.array([1.0]), requires_grad=True)
    opt.bind([p])
    p.grad = np.array([1.0])
    opt.step()
    np.testing.assert_allclose(p.data, [1.0 - 0.15], rtol=0, atol=1e-15)


# ---- end to end and cross-check ---------------------------------------------------------------

@pytest.mark.parametrize("cls, kwargs", [
    (SGD, dict(lr=0.1)),
    (SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    (Momentum, dict(lr=0.2, beta=0.9)),
    (Adagrad, dict(lr=0.5)),
    (RMSProp, dict(lr=0.05)),
    (Adam, dict(lr=0.05)),
], ids=lambda v: v.__name__ if isinstance(v, type) else None)
def test_least_squares_converges_with_each_optimizer(cls, kwargs):
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.normal(size=(32, 3)))
    w_true = np.array([[1.5], [-2.0], [0.5]])
    y = mg.tensor(x.data @ w_true + 0.25)
    w = mg.tensor(np.zeros((3, 1)), requires_grad=True)
    b = mg.tensor(np.zeros(1), requires_grad=True)
    opt = cls([w, b], **kwargs)
    sched = ExponentialLR(opt, gamma=0.995)  # a decaying lr lets the adaptive methods settle
    for _ in range(300):
        opt.zero_grad()
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        opt.step()
        sched.step()
    assert loss.item() < 1e-8, f"{cls.__name__} ended at loss {loss.item():.3g}"
    np.testing.assert_allclose(w.data, w_true, rtol=0, atol=1e-4)
    np.testing.assert_allclose(b.data, [0.25], rtol=0, atol=1e-4)


TORCH_CASES = [
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01), "SGD", {}),
    (Adagrad, dict(lr=0.2, initial_accumulator_value=0.1, weight_decay=0.01), "Adagrad", {}),
    (RMSProp, dict(lr=0.05, rho=0.9, weight_decay=0.01), "RMSprop", {"rho": "alpha"}),
    (Adam, dict(lr=0.1, betas=(0.8, 0.99), weight_decay=0.01), "Adam", {}),
]


@pytest.mark.parametrize("cls, kwargs, torch_name, rename", TORCH_CASES, ids=[c[2] for c in TORCH_CASES])
def test_matches_torch_optim_step_by_step(cls, kwargs, torch_name, rename):
    torch = pytest.importorskip("torch")
    p = mg.tensor(P0.copy(), requires_grad=True)
    tp = torch.tensor(P0.copy(), dtype=torch.float64, requires_grad=True)
    opt = cls([p], **kwargs)
    topt = getattr(torch.optim, torch_name)([tp], **{rename.get(k, k): v for k, v in kwargs.items()})
    for k, g in enumerate(GRADS, start=1):
        p.grad, tp.grad = g.copy(), torch.tensor(g.copy(), dtype=torch.float64)
        opt.step()
        topt.step()
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=0, atol=1e-12, err_msg=f"after step {k}")
