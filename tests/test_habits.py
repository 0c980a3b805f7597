"""Habits users bring from PyTorch and Keras: accepted when cheap and unambiguous, a one-line hint
otherwise; and no silent dtype mixing between NumPy data and a model."""
import numpy as np
import pytest

import minigrad as mg


def test_float64_numpy_data_into_a_float32_model_computes_in_float32_in_a_manual_loop():
    mg.manual_seed(0)
    model = mg.nn.Sequential([mg.nn.Dense(3, activation="relu", input_dim=2), mg.nn.Dense(1)])
    x = np.random.default_rng(0).standard_normal((4, 2))  # float64, as NumPy makes it
    out = model(x)
    assert out.dtype == np.float32
    loss = mg.nn.functional.mse_loss(out, np.zeros((4, 1)))  # a float64 target takes the output's dtype
    assert loss.dtype == np.float32
    loss.backward()
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


def test_a_float64_tensor_into_a_float32_layer_is_cast_in_the_graph():
    layer = mg.nn.Dense(2, input_dim=2)
    x = mg.tensor(np.ones((1, 2)), requires_grad=True)  # float64 leaf
    layer(x).sum().backward()
    assert x.grad.dtype == np.float64 and layer.weight.grad.dtype == np.float32


def test_calling_a_function_class_like_pytorch_module_hints_at_apply():
    class MySigmoid(mg.Function):
        @staticmethod
        def forward(ctx, x):
            return 1 / (1 + np.exp(-x))

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(TypeError, match=r"MySigmoid\.apply"):
        MySigmoid(mg.ones(2))
    assert MySigmoid.apply(mg.zeros(2)).tolist() == [0.5, 0.5]
