"""Layers: outputs against closed forms, gradients by gradcheck (float64), argument errors, statistics."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn
from minigrad.random import using_rng


@pytest.fixture
def f64():
    """Build layers with float64 parameters (gradcheck precision), then restore the default dtype."""
    old = mg.get_default_dtype()
    mg.set_default_dtype(np.float64)
    yield
    mg.set_default_dtype(old)


def _owner(module, dotted):
    *path, attr = dotted.split(".")
    for p in path:
        module = getattr(module, p)
    return module, attr


def layer_gradcheck(layer, x, seed=None):
    """gradcheck of ``layer(x)`` with respect to ``x`` and every parameter of ``layer``.

    gradcheck hands ``fn`` float64 copies of its inputs; the copies of the parameters are put in the
    parameters' places for the duration of each call, so the layer's own forward code is what is
    differentiated. ``seed`` fixes the random stream (Dropout) so every call draws the same mask.
    """
    named = layer.named_parameters()

    def fn(xc, *params):
        saved = []
        for (name, _), p in zip(named, params):
            owner, attr = _owner(layer, name)
            saved.append((owner, attr, getattr(owner, attr)))
            setattr(owner, attr, p)
        try:
            if seed is None:
                return layer(xc)
            with using_rng(np.random.default_rng(seed)):
                return layer(xc)
        finally:
            for owner, attr, value in saved:
                setattr(owner, attr, value)

    return mg.gradcheck(fn, [x] + [p for _, p in named])


def _x(*shape, seed=0):
    return mg.tensor(np.random.default_rng(seed).normal(size=shape), requires_grad=True)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


CLOSED_FORMS = {
    None: lambda z: z,
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softmax": lambda z: np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(z)),
    "softplus": lambda z: np.log1p(np.exp(z)),
    "hardtanh": lambda z: np.clip(z, -1, 1),
    "softsign": lambda z: z / (1 + np.abs(z)),
}


# ---------------------------------------------------------------------------------------------
# Dense


@pytest.mark.parametrize("activation", list(CLOSED_FORMS))
def test_dense_output_is_activation_of_x_matmul_weight_plus_bias(f64, activation):
    layer = nn.Dense(4, activation=activation, input_dim=3)
    layer.bias.data = np.arange(4.0)
    x = _x(5, 3)
    expected = CLOSED_FORMS[activation](x.data @ layer.weight.data + layer.bias.data)
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-12, atol=1e-12)
    assert layer.weight.shape == (3, 4) and layer.bias.shape == (4,)


@pytest.mark.parametrize("activation", list(CLOSED_FORMS))
def test_dense_gradients_pass_gradcheck_for_every_activation(f64, activation):
    layer = nn.Dense(3, activation=activation, input_dim=4)
    layer.bias.data = np.array([0.1, -0.2, 0.3])
    assert layer_gradcheck(layer, _x(5, 4))


def test_dense_accepts_a_callable_activation_and_no_bias(f64):
    layer = nn.Dense(2, activation=lambda z: z * z, input_dim=2, use_bias=False)
    x = _x(3, 2)
    np.testing.assert_allclose(layer(x).data, (x.data @ layer.weight.data) ** 2)
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    assert layer_gradcheck(layer, x)


def test_dense_builds_lazily_on_first_call_with_the_input_size():
    layer = nn.Dense(5)
    assert not layer.built and layer.input_shape is None
    with pytest.raises(AttributeError, match="not been built"):
        layer.weight
    with pytest.raises(RuntimeError, match="not been built"):
        layer.parameters()
    out = layer(mg.ones((2, 7)))
    assert out.shape == (2, 5) and layer.weight.shape == (7, 5)
    assert layer.input_shape == (None, 7) and layer.output_shape == (None, 5)


def test_dense_accepts_keras_input_shape_and_kernel_alias():
    layer = nn.Dense(1, activation="sigmoid", input_shape=(2,))
    assert layer.input_dim == 2 and layer.kernel is layer.weight


def test_dense_rejects_an_input_of_the_wrong_width():
    layer = nn.Dense(3, input_dim=4)
    with pytest.raises(ValueError, match=r"last dimension is 4.*\(2, 5\)"):
        layer(mg.ones((2, 5)))


@pytest.mark.parametrize("kwargs, error, text", [
    (dict(units="3"), TypeError, "Received: units='3'"),
    (dict(units=2.5), TypeError, "Received: units=2.5"),
    (dict(units=True), TypeError, "Received: units=True"),
    (dict(units=0), ValueError, "Received: units=0"),
    (dict(units=-4), ValueError, "Received: units=-4"),
    (dict(units=3, input_dim=0), ValueError, "Received: input_dim=0"),
    (dict(units=3, activation="swish"), ValueError, "activation='swish'"),
    (dict(units=3, activation=3), TypeError, "activation=3"),
    (dict(units=3, kernel_initializer="lecun"), ValueError, "kernel_initializer='lecun'"),
    (dict(units=3, rng="seed"), TypeError, "rng='seed'"),
])
def test_dense_bad_arguments_say_what_was_received(kwargs, error, text):
    with pytest.raises(error) as info:
        nn.Dense(**kwargs)
    assert text in str(info.value)


# ---------------------------------------------------------------------------------------------
# initializers


@pytest.mark.parametrize("name, fan, kind", [
    ("glorot_uniform", lambda i, o: math.sqrt(6 / (i + o)), "uniform"),
    ("he_uniform", lambda i, o: math.sqrt(6 / i), "uniform"),
    ("glorot_normal", lambda i, o: math.sqrt(2 / (i + o)), "normal"),
    ("he_normal", lambda i, o: math.sqrt(2 / i), "normal"),
    ("normal", lambda i, o: 1.0, "normal"),
])
def test_initializers_draw_from_their_documented_distribution(name, fan, kind):
    n_in, n_out = 300, 200
    w = nn.Dense(n_out, input_dim=n_in, kernel_initializer=name, rng=np.random.default_rng(0)).weight.data
    scale = fan(n_in, n_out)
    if kind == "uniform":
        assert np.abs(w).max() <= scale
        std = scale / math.sqrt(3)
    else:
        std = scale
    assert abs(w.std() / std - 1) < 0.02 and abs(w.mean()) < 0.02 * std


@pytest.mark.parametrize("name, value", [("zeros", 0.0), ("ones", 1.0)])
def test_constant_initializers(name, value):
    assert np.all(nn.Dense(3, input_dim=2, kernel_initializer=name).weight.data == value)


def test_a_callable_initializer_gets_the_shape_and_the_generator():
    seen = {}

    def init(shape, rng):
        seen["shape"], seen["rng"] = shape, rng
        return np.full(shape, 0.5)

    gen = np.random.default_rng(1)
    layer = nn.Dense(3, input_dim=2, kernel_initializer=init, rng=gen)
    assert seen == {"shape": (2, 3), "rng": gen} and np.all(layer.weight.data == 0.5)


def test_weights_repeat_with_manual_seed_or_an_explicit_rng():
    mg.manual_seed(7)
    a = nn.Sequential(nn.Dense(4, input_dim=3), nn.Dense(2))
    mg.manual_seed(7)
    b = nn.Sequential(nn.Dense(4, input_dim=3), nn.Dense(2))
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)
    c = nn.Dense(4, input_dim=3, rng=5).weight.data
    d = nn.Dense(4, input_dim=3, rng=np.random.default_rng(5)).weight.data
    np.testing.assert_array_equal(c, d)


# ---------------------------------------------------------------------------------------------
# activation modules


ACTIVATION_MODULES = [
    (nn.Identity(), lambda z: z),
    (nn.ReLU(), lambda z: np.maximum(z, 0)),
    (nn.Sigmoid(), _sigmoid),
    (nn.Tanh(), np.tanh),
    (nn.Softmax(), lambda z: np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)),
    (nn.Softmax(axis=0), lambda z: np.exp(z) / np.exp(z).sum(axis=0, keepdims=True)),
    (nn.LeakyReLU(), lambda z: np.where(z > 0, z, 0.01 * z)),
    (nn.LeakyReLU(alpha=0.2), lambda z: np.where(z > 0, z, 0.2 * z)),
    (nn.ELU(), lambda z: np.where(z > 0, z, np.expm1(z))),
    (nn.ELU(alpha=0.5), lambda z: np.where(z > 0, z, 0.5 * np.expm1(z))),
    (nn.Activation("softsign"), lambda z: z / (1 + np.abs(z))),
]


@pytest.mark.parametrize("module, closed_form", ACTIVATION_MODULES, ids=lambda v: repr(v)[:20])
def test_activation_modules_match_closed_forms_and_gradcheck(module, closed_form):
    x = _x(4, 3)
    np.testing.assert_allclose(module(x).data, closed_form(x.data), rtol=1e-12, atol=1e-15)
    assert layer_gradcheck(module, x)
    assert module.compute_output_shape((None, 3)) == (None, 3)
    assert module.parameters() == []


def test_leaky_relu_rejects_a_non_number_alpha():
    with pytest.raises(TypeError, match="Received: alpha='big'"):
        nn.LeakyReLU(alpha="big")


# ---------------------------------------------------------------------------------------------
# Dropout


def test_dropout_zeroes_about_rate_of_the_elements_and_scales_survivors():
    mg.manual_seed(0)
    rate = 0.3
    x = mg.ones((200, 500), requires_grad=True)
    y = nn.Dropout(rate)(x)
    dropped = y.data == 0
    assert abs(dropped.mean() - rate) < 0.01  # n = 100,000: the standard error is 0.0015
    np.testing.assert_allclose(y.data[~dropped], 1 / (1 - rate), rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.where(dropped, 0.0, 1 / (1 - rate)), rtol=1e-6)


def test_dropout_is_the_identity_in_eval_mode_and_at_rate_zero():
    x = _x(10, 10)
    layer = nn.Dropout(0.5).eval()
    np.testing.assert_array_equal(layer(x).data, x.data)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).data, x.data)


def test_dropout_masks_repeat_with_the_seed():
    x = mg.ones((4, 6))
    mg.manual_seed(3)
    a = nn.Dropout(0.5)(x).data
    mg.manual_seed(3)
    b = nn.Dropout(0.5)(x).data
    np.testing.assert_array_equal(a, b)


def test_dropout_gradient_passes_gradcheck_with_a_fixed_mask():
    assert layer_gradcheck(nn.Dropout(0.4), _x(6, 5), seed=11)


@pytest.mark.parametrize("rate, error", [(1.5, ValueError), (1.0, ValueError), (-0.1, ValueError),
                                         ("0.5", TypeError), (None, TypeError)])
def test_dropout_rate_outside_zero_one_is_rejected_naming_the_value(rate, error):
    with pytest.raises(error, match=re_escape(f"rate={rate!r}" if error is TypeError else f"rate={rate}")):
        nn.Dropout(rate)


def re_escape(s):
    import re
    return re.escape(s)


# ---------------------------------------------------------------------------------------------
# BatchNorm


def _bn_closed_form(x, w, b, eps=1e-5):
    return (x - x.mean(0)) / np.sqrt(x.var(0) + eps) * w + b


def test_batchnorm_training_output_uses_the_biased_batch_variance(f64):
    bn = nn.BatchNorm(3)
    bn.weight.data = np.array([1.0, 2.0, 0.5])
    bn.bias.data = np.array([0.0, -1.0, 3.0])
    x = _x(8, 3)
    np.testing.assert_allclose(bn(x).data, _bn_closed_form(x.data, bn.weight.data, bn.bias.data), rtol=1e-10)


def test_batchnorm_running_statistics_follow_the_pytorch_formula_and_eval_uses_them(f64):
    bn = nn.BatchNorm(4, momentum=0.2)
    rm, rv = np.zeros(4), np.ones(4)
    rng = np.random.default_rng(0)
    for step in range(5):
        x = rng.normal(loc=step, scale=1 + step, size=(16, 4))
        bn(mg.tensor(x))
        rm = 0.8 * rm + 0.2 * x.mean(0)
        rv = 0.8 * rv + 0.2 * x.var(0, ddof=1)  # the unbiased variance goes into running_var
    np.testing.assert_allclose(bn.running_mean, rm, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, rv, rtol=1e-12)
    bn.eval()
    x = rng.normal(size=(3, 4))
    np.testing.assert_allclose(bn(mg.tensor(x)).data, (x - rm) / np.sqrt(rv + 1e-5), rtol=1e-10)
    np.testing.assert_allclose(bn.running_mean, rm)  # eval leaves the statistics alone


def test_batchnorm_gradients_pass_gradcheck_in_training_and_eval_mode(f64):
    bn = nn.BatchNorm(3)
    bn.weight.data = np.array([1.5, -0.5, 2.0])
    bn.bias.data = np.array([0.1, 0.2, 0.3])
    assert layer_gradcheck(bn, _x(6, 3))
    bn.running_mean = np.array([0.5, -0.5, 0.0])
    bn.running_var = np.array([2.0, 0.5, 1.0])
    assert layer_gradcheck(bn.eval(), _x(6, 3))


def test_batchnorm_state_has_running_statistics_as_non_trainable_buffers():
    bn = nn.BatchNorm()  # lazy: num_features from the first batch
    bn(mg.randn(4, 5))
    assert bn.num_features == 5
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var"]
    assert bn.count_params() == 10 and [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var"]
    assert nn.BatchNorm1d is nn.BatchNorm


def test_batchnorm_rejects_single_sample_batches_in_training_and_wrong_ranks():
    bn = nn.BatchNorm(3)
    with pytest.raises(ValueError, match="more than 1 sample"):
        bn(mg.ones((1, 3)))
    assert bn.eval()(mg.ones((1, 3))).shape == (1, 3)
    with pytest.raises(ValueError, match=r"\(N, C\).*\(2, 3, 4\)"):
        bn(mg.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="Received: momentum=1.5"):
        nn.BatchNorm(3, momentum=1.5)


# ---------------------------------------------------------------------------------------------
# LayerNorm


def test_layernorm_normalises_each_sample_over_the_last_axes(f64):
    ln = nn.LayerNorm(4)
    ln.weight.data = np.array([1.0, 2.0, 3.0, 4.0])
    x = _x(5, 4)
    d = x.data - x.data.mean(-1, keepdims=True)
    expected = d / np.sqrt(x.data.var(-1, keepdims=True) + 1e-5) * ln.weight.data
    np.testing.assert_allclose(ln(x).data, expected, rtol=1e-10)
    assert layer_gradcheck(ln, x)


def test_layernorm_over_two_axes_gradchecks_and_rejects_other_shapes(f64):
    ln = nn.LayerNorm((2, 3))
    ln.bias.data = np.arange(6.0).reshape(2, 3)
    assert layer_gradcheck(ln, _x(3, 2, 3))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 3, 2\)"):
        ln(mg.ones((3, 3, 2)))


# ---------------------------------------------------------------------------------------------
# shapes


def test_compute_output_shape_of_each_layer():
    assert nn.Dense(3).compute_output_shape((None, 5)) == (None, 3)
    assert nn.Dropout(0.1).compute_output_shape((None, 5)) == (None, 5)
    assert nn.BatchNorm().compute_output_shape((None, 5)) == (None, 5)
    assert nn.LayerNorm(5).compute_output_shape((None, 5)) == (None, 5)
    assert nn.Flatten().compute_output_shape((None, 28, 28)) == (None, 784)
    assert nn.Flatten()(mg.ones((2, 3, 4))).shape == (2, 12)


def test_a_whole_network_gradchecks_with_dropout_batchnorm_and_layernorm(f64):
    mg.manual_seed(0)
    model = nn.Sequential(nn.Dense(5, activation="tanh", input_dim=3), nn.BatchNorm(), nn.Dropout(0.3),
                          nn.Dense(4, activation="elu"), nn.LayerNorm(4), nn.Dense(2, activation="softmax"))
    assert layer_gradcheck(model, _x(6, 3), seed=2)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 5), n_in=st.integers(1, 4), units=st.integers(1, 4),
       activation=st.sampled_from(["sigmoid", "tanh", "softplus", "elu", None]))
def test_dense_gradcheck_on_drawn_shapes(n, n_in, units, activation):
    old = mg.get_default_dtype()
    mg.set_default_dtype(np.float64)
    try:
        layer = nn.Dense(units, activation=activation, input_dim=n_in, rng=n * 10 + units)
        assert layer_gradcheck(layer, _x(n, n_in, seed=n_in))
    finally:
        mg.set_default_dtype(old)


# ---------------------------------------------------------------------------------------------
# lecture 05: the hand-written DualLayer backprop equals autograd


def test_lecture05_duallayer_hand_gradients_equal_autograd(f64):
    rng = np.random.default_rng(0)
    m, n_features, n_hidden = 12, 5, 4
    x = rng.normal(size=(m, n_features))
    y = rng.integers(0, 2, size=(m, 1)).astype(np.float64)
    mg.manual_seed(1)
    model = nn.Sequential(nn.Dense(n_hidden, activation="sigmoid", input_dim=n_features,
                                   kernel_initializer="normal"),
                          nn.Dense(1, activation="sigmoid", kernel_initializer="normal"))
    model[0].bias.data = rng.normal(size=n_hidden)
    model[1].bias.data = rng.normal(size=1)
    nn.BCELoss()(model(x), y).backward()  # d loss / d z2 = (a2 - y) / m

    w1, b1, w2, b2 = (p.data for p in model.parameters())
    a1 = _sigmoid(x @ w1 + b1)
    a2 = _sigmoid(a1 @ w2 + b2)
    err = -(y - a2)
    w2_grad = a1.T @ err / m
    b2_grad = np.sum(err) / m
    err_to_hidden = err @ w2.T * a1 * (1 - a1)
    w1_grad = x.T @ err_to_hidden / m
    b1_grad = np.sum(err_to_hidden, axis=0) / m
    for p, hand in zip(model.parameters(), (w1_grad, b1_grad, w2_grad, b2_grad)):
        np.testing.assert_allclose(p.grad, np.reshape(hand, p.shape), rtol=1e-10, atol=1e-14)
