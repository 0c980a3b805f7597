"""XOR with fixed weights, and the chain rule on f = w·x + b (lecture 03).

Hidden units ``W=[5, 5], b=-8`` and ``W=[-7, -7], b=3``, output ``W=[-11, -11], b=6``, all sigmoid:
the outputs are ≈ 0, 1, 1, 0 for (0,0), (0,1), (1,0), (1,1). Then backpropagation by hand versus
minigrad on ``f = w·x + b`` with ``w = -2, x = 5, b = 3``: ``f = -7``, ``∂f/∂w = 5``,
``∂f/∂x = -2``, ``∂f/∂b = 1``.

    python examples/xor_fixed_weights.py
"""
import numpy as np

import minigrad as mg

x = mg.tensor([[0, 0], [0, 1], [1, 0], [1, 1]])
W1 = mg.tensor([[5, -7], [5, -7]])  # column j holds hidden unit j's weights
b1 = mg.tensor([-8, 3])
W2 = mg.tensor([[-11], [-11]])
b2 = mg.tensor([6])

z1 = x @ W1 + b1
y1 = mg.sigmoid(z1)
out = mg.sigmoid(y1 @ W2 + b2)
print("XOR with the lecture's fixed weights")
print(" x1 x2 |   z1      z2   |  y1     y2   | output | XOR")
for xi, zi, yi, oi in zip(x.data.astype(int), z1.data, y1.data, out.data[:, 0]):
    print(f"  {xi[0]}  {xi[1]} | {zi[0]:5.0f}  {zi[1]:5.0f}   | {yi[0]:.3f}  {yi[1]:.3f} | {oi:.3f}  |  "
          f"{int(oi > 0.5)}")

# the same weights in a Keras-style model
model = mg.nn.Sequential([mg.nn.Dense(2, activation="sigmoid", input_dim=2),
                          mg.nn.Dense(1, activation="sigmoid")])
model.load_state_dict({"0.weight": W1.data, "0.bias": b1.data, "1.weight": W2.data, "1.bias": b2.data})
print("\nthe same network as Sequential(Dense(2), Dense(1)) -> model.predict:",
      model.predict(x).ravel().round(3))

print("\nchain rule on f = w*x + b with w = -2, x = 5, b = 3  (g = w*x, f = g + b)")
w, xs, b = (mg.tensor(v, requires_grad=True, name=n) for v, n in ((-2.0, "w"), (5.0, "x"), (3.0, "b")))
g = w * xs
f = g + b
f.backward()
print(f"  forward : g = w*x = {g.item():g},  f = g + b = {f.item():g}")
print("  by hand : df/dg = 1, df/db = 1;  df/dw = df/dg * dg/dw = 1 * x = 5;  df/dx = 1 * w = -2")
print(f"  minigrad: df/dw = {w.grad.item():g}, df/dx = {xs.grad.item():g}, df/db = {b.grad.item():g}")
assert (f.item(), w.grad.item(), xs.grad.item(), b.grad.item()) == (-7.0, 5.0, -2.0, 1.0)
assert np.array_equal(out.data[:, 0] > 0.5, [False, True, True, False])
