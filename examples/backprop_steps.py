"""Watch backpropagation happen, one node at a time (lecture 03): ``mg.backward_steps``.

Writes two self-contained pages that step through the backward pass (open them in any browser;
Prev/Next, the arrow keys or the slider move between steps) into ``examples/out/``:

- ``backprop_f_wx_b.html``: the chain rule on f = w·x + b with w = -2, x = 5, b = 3 (g = w·x):
  add sends ∂f/∂g = 1 and ∂f/∂b = 1, then mul sends ∂f/∂w = 1 · x = 5 and ∂f/∂x = 1 · w = -2;
- ``backprop_xor.html``: the XOR network with the lecture's fixed weights (hidden ``W=[5, 5], b=-8``
  and ``W=[-7, -7], b=3``, output ``W=[-11, -11], b=6``) and its MSE loss, layer by layer: mse,
  sigmoid, add, matmul, sigmoid, add, matmul.

Prints each step's explanation. Needs Graphviz's ``dot`` to draw the frames.

    python examples/backprop_steps.py
"""
import minigrad as mg

from _common import out_path

# --- f = w·x + b, the lecture's numbers --------------------------------------------------------
w = mg.tensor(-2.0, requires_grad=True, name="w")
x = mg.tensor(5.0, requires_grad=True, name="x")
b = mg.tensor(3.0, requires_grad=True, name="b")
g = w * x
g.name = "g"
f = g + b
f.name = "f"

steps = mg.backward_steps(f)  # does what f.backward() does, and records each step
print(f"f = w*x + b = {f.item():g}: {len(steps)} steps")
for i, line in enumerate(steps.explain(), 1):
    print(f"  step {i}: {line}")
print(f"  leaves: df/dw = {w.grad.item():g}, df/dx = {x.grad.item():g}, df/db = {b.grad.item():g}")
assert (w.grad.item(), x.grad.item(), b.grad.item()) == (5.0, -2.0, 1.0)
print(f"step-through page saved to {steps.save_html(out_path('backprop_f_wx_b.html'))}")

# --- XOR with the lecture's fixed weights, in the lecture's notation ---------------------------------
X = mg.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], name="x")
Y = mg.tensor([[0], [1], [1], [0]], name="y")
W1 = mg.tensor([[5, -7], [5, -7]], requires_grad=True, name="W1")  # column j: hidden unit j's weights
b1 = mg.tensor([-8, 3], requires_grad=True, name="b1")
W2 = mg.tensor([[-11], [-11]], requires_grad=True, name="W2")
b2 = mg.tensor([6], requires_grad=True, name="b2")


def named(t, name):
    t.name = name
    return t


xW1 = named(X @ W1, "xW1")
z1 = named(xW1 + b1, "z1")
y1 = named(mg.sigmoid(z1), "y1")
y1W2 = named(y1 @ W2, "y1W2")
z2 = named(y1W2 + b2, "z2")
out = named(mg.sigmoid(z2), "out")
loss = named(mg.nn.functional.mse_loss(out, Y), "loss")

steps = mg.backward_steps(loss)
print(f"\nXOR 2-2-1 with fixed weights, MSE = {loss.item():.6f}: {len(steps)} steps")
for i, line in enumerate(steps.explain(), 1):
    print(f"  step {i}: {line}")
print(f"step-through page saved to {steps.save_html(out_path('backprop_xor.html'))}")
