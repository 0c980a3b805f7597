"""A custom differentiable op with ``mg.Function``, checked against finite differences by ``mg.gradcheck``.

``Swish(x) = x · sigmoid(x)`` has ``d/dx = s + x·s·(1 - s)`` with ``s = sigmoid(x)``. Forward and
backward sit side by side, as in every built-in op. ``gradcheck`` compares the analytic gradient
with central differences in float64; a deliberately wrong backward is caught and reported.

    python examples/custom_function.py
"""
import numpy as np

import minigrad as mg


class Swish(mg.Function):
    """y = x · σ(x);  dy/dx = σ(x) + x · σ(x) · (1 - σ(x))"""

    @staticmethod
    def forward(ctx, x):  # x: numpy array
        s = 1.0 / (1.0 + np.exp(-x))
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, grad):  # grad: numpy array of the output's shape
        x, s = ctx.saved_tensors
        return grad * (s + x * s * (1 - s))


class BrokenSwish(Swish):
    """The same forward, with the x·σ'(x) term forgotten in backward."""

    @staticmethod
    def backward(ctx, grad):
        x, s = ctx.saved_tensors
        return grad * s


class Cube(mg.Function):
    """y = x³;  dy/dx = 3x² (the lectures' example of a custom op)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * grad


x = mg.tensor(np.linspace(-3, 3, 7), requires_grad=True)
y = Swish.apply(x)
y.sum().backward()
print("x            ", x.data.round(3))
print("swish(x)     ", y.data.round(4))
print("d swish / dx ", x.grad.round(4))
print("gradcheck(Swish):", mg.gradcheck(Swish.apply, [x]))
print("gradcheck(Cube): ", mg.gradcheck(lambda t: Cube.apply(t) * 2.0, [mg.randn(3, 2, requires_grad=True)]))

print("\na wrong backward is caught:")
try:
    mg.gradcheck(BrokenSwish.apply, [x])
except mg.GradcheckError as err:
    print(err)
else:
    raise SystemExit("gradcheck did not catch the broken backward")

# a custom op is a first-class citizen: it trains inside a model like any built-in op
mg.manual_seed(0)
dense = mg.nn.Dense(1, input_dim=3)
inputs = mg.randn(8, 3)
loss = Swish.apply(dense(inputs)).mean()
loss.backward()
print("\nDense -> Swish -> mean: grad of the weights", dense.weight.grad.ravel().round(4))
