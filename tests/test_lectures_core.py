"""The lecture numbers that the core reproduces (shared/lectures/README.md examples 1-5)."""
import numpy as np

import minigrad as mg


def test_example1_matrix_products():
    np.testing.assert_array_equal((mg.tensor([[1, 2]]) @ mg.tensor([[1, 2, 3], [4, 5, 6]])).data,
                                  [[9, 12, 15]])
    x = mg.tensor([[6, 5], [4, 7], [5, 6], [6, 7]])
    w = mg.tensor([[1, 2, 3], [4, 5, 6]])
    expected = [[26, 37, 48], [32, 43, 54], [29, 40, 51], [34, 47, 60]]
    np.testing.assert_array_equal((x @ w).data, expected)
    np.testing.assert_array_equal((w.T @ x.T).data, np.array(expected).T)


def test_example2_chain_rule_on_wx_plus_b():
    w, x, b = (mg.tensor(v, requires_grad=True) for v in (-2.0, 5.0, 3.0))
    f = w * x + b
    f.backward()
    assert f.item() == -7.0
    assert (w.grad, x.grad, b.grad) == (5.0, -2.0, 1.0)


def test_example3_xor_with_fixed_weights():
    x = mg.tensor([[0, 0], [0, 1], [1, 0], [1, 1]])
    w1 = mg.tensor([[5, -7], [5, -7]])
    b1 = mg.tensor([-8, 3])
    w2 = mg.tensor([[-11], [-11]])
    b2 = mg.tensor([6])
    out = ((x @ w1 + b1).sigmoid() @ w2 + b2).sigmoid()
    np.testing.assert_array_equal(out.data.ravel().round(), [0, 1, 1, 0])


def test_example4_softmax_numbers():
    np.testing.assert_allclose(mg.softmax(mg.tensor([2.20, 1.39, 0.85])).data, [0.59, 0.26, 0.15],
                               atol=0.005)
    np.testing.assert_allclose(mg.softmax(mg.tensor([0.00, -1.39, -2.20])).data, [0.74, 0.18, 0.08],
                               atol=0.005)


def test_example5_cross_entropy_gradient_on_logits_is_a_minus_y():
    a = np.array([0.7, 0.2, 0.1])
    z = mg.tensor(np.log(a), requires_grad=True)  # logits whose softmax is a
    y = np.array([0.0, 0.0, 1.0])
    loss = -(mg.log_softmax(z) * y).sum()
    loss.backward()
    np.testing.assert_allclose(z.grad, a - y, atol=1e-6)
    assert z.grad[2] == np.float32(-0.9) or abs(z.grad[2] + 0.9) < 1e-6
