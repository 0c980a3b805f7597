"""Losses: values against closed forms for every reduction, gradients by gradcheck, shape errors,
numerical stability, and the lecture's cross-entropy gradient a - y."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F


def _t(a, grad=True):
    return mg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _reduce(per_element, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](per_element)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _log_softmax(z):
    s = z - z.max(-1, keepdims=True)
    return s - np.log(np.exp(s).sum(-1, keepdims=True))


rng = np.random.default_rng(0)
PRED = rng.normal(size=(6, 3))
TARGET = rng.normal(size=(6, 3))
PROB = rng.uniform(0.05, 0.95, size=(6, 3))
BINARY = rng.integers(0, 2, size=(6, 3)).astype(np.float64)
LABELS = np.array([0, 2, 1, 1, 0, 2])
ONE_HOT = np.eye(3)[LABELS]

# (function, class, input, target, closed form of the per-element loss)
CASES = [
    (F.mse_loss, nn.MSELoss, PRED, TARGET, lambda p, t: (p - t) ** 2),
    (F.l1_loss, nn.L1Loss, PRED, TARGET, lambda p, t: np.abs(p - t)),
    (F.binary_cross_entropy, nn.BCELoss, PROB, BINARY,
     lambda p, t: -(t * np.log(p) + (1 - t) * np.log(1 - p))),
    (F.binary_cross_entropy_with_logits, nn.BCEWithLogitsLoss, PRED, BINARY,
     lambda z, t: -(t * np.log(_sigmoid(z)) + (1 - t) * np.log(1 - _sigmoid(z)))),
    (F.cross_entropy, nn.CrossEntropyLoss, PRED, LABELS, lambda z, t: -_log_softmax(z)[np.arange(6), t]),
    (F.cross_entropy, nn.CrossEntropyLoss, PRED, PROB, lambda z, t: -(t * _log_softmax(z)).sum(-1)),
    (F.nll_loss, nn.NLLLoss, _log_softmax(PRED), LABELS, lambda lp, t: -lp[np.arange(6), t]),
    (F.nll_loss, nn.NLLLoss, _log_softmax(PRED), ONE_HOT, lambda lp, t: -(t * lp).sum(-1)),
]
IDS = ["mse", "l1", "bce", "bce_logits", "ce_index", "ce_prob", "nll_index", "nll_onehot"]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("fn, cls, x, target, closed_form", CASES, ids=IDS)
def test_loss_values_match_closed_forms_for_every_reduction(fn, cls, x, target, closed_form, reduction):
    expected = _reduce(closed_form(x, target), reduction)
    np.testing.assert_allclose(fn(_t(x), target, reduction=reduction).data, expected, rtol=1e-12)
    np.testing.assert_allclose(cls(reduction=reduction)(_t(x), target).data, expected, rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("fn, cls, x, target, closed_form", CASES, ids=IDS)
def test_loss_gradients_pass_gradcheck(fn, cls, x, target, closed_form, reduction):
    assert mg.gradcheck(lambda a: fn(a, target, reduction=reduction), [_t(x)])


@pytest.mark.parametrize("fn", [F.mse_loss, F.l1_loss, F.binary_cross_entropy,
                                F.binary_cross_entropy_with_logits, F.cross_entropy])
def test_gradient_with_respect_to_a_target_that_requires_grad(fn):
    x = PROB if fn is F.binary_cross_entropy else PRED
    target = PROB if fn is F.cross_entropy else TARGET if fn in (F.mse_loss, F.l1_loss) else BINARY
    assert mg.gradcheck(lambda a, t: fn(a, t), [_t(x), _t(target)])


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 5), c=st.integers(2, 5), seed=st.integers(0, 1000),
       reduction=st.sampled_from(["mean", "sum", "none"]))
def test_cross_entropy_gradient_is_softmax_minus_y_scaled_by_the_reduction(n, c, seed, reduction):
    r = np.random.default_rng(seed)
    z = _t(r.normal(scale=3, size=(n, c)))
    labels = r.integers(0, c, size=n)
    loss = F.cross_entropy(z, labels, reduction=reduction)
    cotangent = np.ones(loss.shape)
    loss.backward(cotangent)
    expected = (np.exp(_log_softmax(z.data)) - np.eye(c)[labels]) / (n if reduction == "mean" else 1)
    np.testing.assert_allclose(z.grad, expected, rtol=1e-10, atol=1e-15)
    assert mg.gradcheck(lambda a: F.cross_entropy(a, labels, reduction=reduction), [z])


def test_cross_entropy_is_one_fused_op():
    loss = F.cross_entropy(_t(PRED), LABELS)
    assert loss.grad_fn.op_name() == "cross_entropy"
    assert all(not isinstance(i, mg.Tensor) or i.grad_fn is None for i in loss.grad_fn.inputs)


def test_lecture05_cross_entropy_gradient_on_logits_is_a_minus_y():
    a = np.array([[0.7, 0.2, 0.1]])
    z = _t(np.log(a))  # logits whose softmax is a
    F.cross_entropy(z, [[0.0, 0.0, 1.0]]).backward()
    np.testing.assert_allclose(z.grad, [[0.7, 0.2, -0.9]], rtol=1e-12)
    z.grad = None
    F.cross_entropy(z, [2]).backward()  # the same with a class index
    assert z.grad[0, 2] == pytest.approx(-0.9)


def test_cross_entropy_class_indices_equal_one_hot_targets_and_nll_of_log_softmax():
    z = _t(PRED)
    by_index = F.cross_entropy(z, LABELS).item()
    assert by_index == pytest.approx(F.cross_entropy(z, ONE_HOT).item(), rel=1e-12)
    assert by_index == pytest.approx(F.nll_loss(mg.log_softmax(z), LABELS).item(), rel=1e-12)
    # integer-valued float labels (mg.tensor([0, 2, ...]) is float32) count as class indices
    assert by_index == pytest.approx(F.cross_entropy(z, mg.tensor(LABELS)).item(), rel=1e-12)


def test_cross_entropy_and_bce_with_logits_are_finite_for_huge_logits():
    z = _t([[1e4, -1e4, 0.0]])
    loss = F.cross_entropy(z, [1])
    loss.backward()
    assert loss.item() == pytest.approx(2e4) and np.all(np.isfinite(z.grad))
    logits = _t([1e4, -1e4, 1e4, -1e4])
    target = [1.0, 0.0, 0.0, 1.0]
    loss = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    loss.sum().backward()
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 1e4, 1e4])
    np.testing.assert_allclose(logits.grad, [0.0, 0.0, 1.0, -1.0])  # sigmoid(z) - y
    f32 = mg.tensor([1e4, -1e4], requires_grad=True)
    assert np.all(np.isfinite(F.binary_cross_entropy_with_logits(f32, [0.0, 1.0]).data))


def test_bce_with_logits_gradient_at_zero_logit_is_half_minus_target():
    z = _t([0.0, 0.0])
    F.binary_cross_entropy_with_logits(z, [1.0, 0.0], reduction="sum").backward()
    np.testing.assert_allclose(z.grad, [-0.5, 0.5])


def test_bce_clips_probabilities_so_zero_and_one_give_finite_losses():
    loss = F.binary_cross_entropy(_t([0.0, 1.0]), [1.0, 0.0], reduction="none")
    np.testing.assert_allclose(loss.data, -np.log(1e-7), rtol=1e-6)
    perfect = F.binary_cross_entropy(_t([0.0, 1.0]), [0.0, 1.0], reduction="none")
    np.testing.assert_allclose(perfect.data, -np.log(1 - 1e-7), rtol=1e-6)


def test_bce_on_sigmoid_outputs_matches_bce_with_logits():
    z = _t(PRED)
    np.testing.assert_allclose(F.binary_cross_entropy(mg.sigmoid(z), BINARY).data,
                               F.binary_cross_entropy_with_logits(z, BINARY).data, rtol=1e-10)


@pytest.mark.parametrize("fn", [F.mse_loss, F.l1_loss, F.binary_cross_entropy,
                                F.binary_cross_entropy_with_logits])
def test_mismatched_shapes_raise_naming_both(fn):
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\)"):
        fn(_t(np.full((4, 1), 0.5)), np.ones(4))


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_class_targets_of_the_wrong_shape_or_value_are_rejected(fn):
    z = _t(PRED)
    with pytest.raises(ValueError, match=r"\(6, 3\).*\(6, 2\)"):
        fn(z, np.ones((6, 2)))
    with pytest.raises(ValueError, match="class 3 is out of range for 3 classes"):
        fn(z, [0, 1, 2, 3, 0, 1])
    with pytest.raises(ValueError, match="integers"):
        fn(z, [0.5, 1, 2, 0, 0, 1])


def test_unknown_reduction_is_rejected():
    with pytest.raises(ValueError, match="reduction='avg'"):
        F.mse_loss(_t([1.0]), [1.0], reduction="avg")
    with pytest.raises(ValueError, match="reduction='avg'"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(TypeError, match="Received: reduction=None"):
        F.mse_loss(_t([1.0]), [1.0], reduction=None)
    with pytest.raises(TypeError, match=r"Received: reduction=\['mean'\]"):
        F.l1_loss(_t([1.0]), [1.0], reduction=["mean"])
    # a NumPy string is a str: it names a reduction like the literal
    assert F.mse_loss(_t([1.0, 3.0]), [0.0, 0.0], reduction=np.str_("sum")).item() == 10.0


def test_numpy_targets_take_the_prediction_dtype():
    pred = mg.tensor([0.5, 0.25], requires_grad=True)  # float32
    assert F.mse_loss(pred, np.array([1.0, 0.0])).dtype == np.float32
    assert F.cross_entropy(mg.tensor([[1.0, 2.0]]), np.array([[0.0, 1.0]])).dtype == np.float32


def test_loss_modules_have_no_parameters():
    assert nn.MSELoss().parameters() == [] and "reduction='sum'" in repr(nn.L1Loss(reduction="sum"))
