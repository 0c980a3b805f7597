"""The training loop ``fit`` runs, written out: forward, loss, zero_grad, backward, step (lecture 05).

The lecture's hand-written NumPy networks compute every gradient by hand (``w2_grad = a1.T @ err / m``
…); with autograd the loop shrinks to five lines, and ``mg.data.batches`` is the lecture's
mini-batch generator. This trains the XOR 2-2-1 network with binary cross-entropy and momentum SGD
in mini-batches of 2, then shows that ``fit`` with the same seed and starting weights walks the
same path.

    python examples/manual_loop.py [--quick]
"""
import numpy as np

import minigrad as mg
from minigrad.nn import functional as F

from _common import epochs

x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
y = np.array([[0], [1], [1], [0]], dtype=np.float32)


def make_model():
    mg.manual_seed(0)
    return mg.nn.Sequential([mg.nn.Dense(2, activation="sigmoid", input_dim=2),
                             mg.nn.Dense(1, activation="sigmoid")])


model = make_model()
opt = mg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
rng = np.random.default_rng(0)
n_epochs = epochs(1000)
for epoch in range(n_epochs):
    total = 0.0
    for xb, yb in mg.data.batches(x, y, batch_size=2, rng=rng):
        loss = F.binary_cross_entropy(model(mg.tensor(xb)), mg.tensor(yb))  # forward
        opt.zero_grad()                                   # forget old gradients
        loss.backward()                                   # d loss / d every parameter
        opt.step()                                        # p -= lr * (momentum-smoothed) grad
        total += loss.item() * len(xb)
    if epoch % max(n_epochs // 5, 1) == 0 or epoch == n_epochs - 1:
        print(f"epoch {epoch + 1:4d}  loss {total / len(x):.4f}")
manual_pred = model.predict(x)
print("predictions:", manual_pred.ravel().round(3), " target:", y.ravel())

# the same run through fit: the same starting weights, and a generator seeded the same way
model2 = make_model()
model2.compile(optimizer=mg.optim.SGD(lr=0.1, momentum=0.9), loss="binary_crossentropy")
model2.fit(x, y, epochs=n_epochs, batch_size=2, verbose=0, seed=0)
print("fit gives the same weights:", all(np.allclose(a.data, b.data, atol=1e-5)
                                          for a, b in zip(model.weights, model2.weights)))
