"""AND and OR learn with one neuron, XOR does not; a 2-2-1 network does (lectures 01 and 02).

One ``Dense(1, sigmoid)`` with SGD lr 0.3, MSE, 400 epochs of batch size 1 ends at
``[0.86, 0.12, 0.12, 0.00]`` for AND (the lecture's run: ``[0.85, 0.12, 0.12, 0.00]``, lecture 01).
The same neuron on XOR stays near 0.5 for every input: no line separates XOR. Two hidden sigmoid
units fix that.

    python examples/logic_gates.py [--quick]
"""
import numpy as np

import minigrad as mg

from _common import epochs, save_curve

x = np.array([[1, 1], [1, 0], [0, 1], [0, 0]])  # the lecture's order
GATES = {"AND": [1, 0, 0, 0], "OR": [1, 1, 1, 0], "XOR": [0, 1, 1, 0]}


def train(hidden: int | None, target: list, n_epochs: int, seed: int = 0):
    mg.manual_seed(seed)
    layers = [mg.nn.Dense(1, activation="sigmoid", input_dim=2)] if hidden is None else [
        mg.nn.Dense(hidden, activation="sigmoid", input_dim=2), mg.nn.Dense(1, activation="sigmoid")]
    model = mg.nn.Sequential(layers)
    model.compile(optimizer=mg.optim.SGD(lr=0.3), loss="mse")
    history = model.fit(x, np.array(target)[:, None], epochs=n_epochs, batch_size=1, verbose=0, seed=seed)
    return model, history


print("inputs:", x.tolist())
histories = {}
for gate, target in GATES.items():
    model, history = train(None, target, epochs(400))
    histories[gate] = history
    pred = model.predict(x)[:, 0]
    print(f"\n{gate} with one neuron (3 parameters), {len(history.epoch)} epochs: "
          f"loss {history.history['loss'][-1]:.4f}")
    print(f"  target     {target}")
    print(f"  prediction [{', '.join(f'{v:.2f}' for v in pred)}]")
    if gate == "AND":
        w, b = model.weights
        print(f"  weights [{w.data[0, 0]:.4f}, {w.data[1, 0]:.4f}], bias {b.data[0]:.4f}"
              "   (lecture: about [3.72, 3.72], -5.68; predictions [0.85, 0.12, 0.12, 0.00])")
print("\nXOR: one neuron leaves every output near 0.5 — a single line cannot split XOR.")

model, history = train(2, GATES["XOR"], epochs(2000))
pred = model.predict(x)[:, 0]
print(f"\nXOR with a 2-2-1 network (9 parameters), {len(history.epoch)} epochs: "
      f"loss {history.history['loss'][-1]:.4f}")
print(f"  target     {GATES['XOR']}")
print(f"  prediction [{', '.join(f'{v:.2f}' for v in pred)}]")
histories["XOR 2-2-1"] = history

for name, h in histories.items():
    save_curve(h, f"gate_{name.replace(' ', '_').replace('-', '')}_loss.png", f"{name}, SGD lr=0.3, MSE")
