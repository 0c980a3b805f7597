"""XOR with a 2-2-1 sigmoid network, trained the lectures' Keras way (lecture 01 §3.27-3.34, lecture 02).

    model.compile(optimizer=SGD(lr=0.3), loss="mse");  model.fit(x, y, epochs=2000, batch_size=1)

Prints the summary (9 parameters), fit's progress (a live bar on a terminal; in a log, one line per
100 epochs), the predictions against the truth table and the learned weights; writes the loss curve,
``xor_graph.svg`` (one forward pass and the loss, after backward, with every gradient) and
``xor_model.svg`` into ``examples/out/``.

    python examples/xor.py [--quick]
"""
import numpy as np

import minigrad as mg
from minigrad.viz import retain_grads

from _common import QUICK, epochs, save_curve, save_graph

SEED = 0  # with this seed the 2-2-1 net separates XOR; other seeds may stall in a plateau for a while

x = np.array([[1, 1], [1, 0], [0, 1], [0, 0]])  # the lecture's order
y = np.array([[0], [1], [1], [0]])

mg.manual_seed(SEED)  # the initial weights
model = mg.nn.Sequential([
    mg.nn.Dense(2, activation="sigmoid", input_dim=2),
    mg.nn.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=mg.optim.SGD(lr=0.3), loss="mse")
model.summary()

n_epochs = epochs(2000)
history = model.fit(x, y, epochs=n_epochs, batch_size=1, verbose=1, seed=SEED)  # history: a loss per epoch

pred = model.predict(x)
print("\n x1 x2 | target | prediction")
for (a, b), t, p in zip(x, y[:, 0], pred[:, 0]):
    print(f"  {a}  {b} |   {t}    | {p:.4f}")
separated = bool(np.all((pred[:, 0] > 0.5) == (y[:, 0] == 1)))
print(f"XOR separated: {'yes' if separated else 'no'}")

print("\nlearned weights (model.weights):")
for name, p in model.named_parameters():
    print(f"{name} shape={p.shape}\n{np.array2string(p.data, precision=4)}")

save_curve(history, "xor_loss.png", "XOR 2-2-1, SGD lr=0.3, MSE")

# one forward pass + loss, backpropagated, with the gradient of every intermediate kept for the picture
xt, yt = mg.tensor(x, name="x"), mg.tensor(y, name="y")
for name, p in model.named_parameters():
    p.name = name  # label the parameters in the picture: 0.weight, 0.bias, ...
loss = retain_grads(mg.nn.functional.mse_loss(model(xt), yt))
loss.name = "loss"
model.zero_grad()
loss.backward()
save_graph(mg.draw_graph(loss), "xor_graph.svg")
save_graph(mg.plot_model(model), "xor_model.svg")
if not QUICK and not separated:
    raise SystemExit("XOR was not separated; try more epochs or another seed")
