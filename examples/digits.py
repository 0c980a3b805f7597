"""Handwritten digits (sklearn's bundled 8x8 ``load_digits``) with a 64-64-10 network.

The lecture trains Fashion-MNIST 784-100-10 (lecture 05); those files are not bundled, so this
runs the same recipe on the 1,797 digit images that scikit-learn ships: a sigmoid hidden layer, a
softmax output, categorical cross-entropy on one-hot targets (``mg.data.one_hot``), mini-batches.
It reaches at least 0.95 validation accuracy. To train on real MNIST/Fashion-MNIST files use
``mg.data.load_idx("train-images-idx3-ubyte.gz")``.

    python examples/digits.py [--quick]      (needs scikit-learn)
"""
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import minigrad as mg

from _common import QUICK, epochs, save_curve

X, labels = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)  # pixel intensities 0..16 -> [0, 1]
Y = mg.data.one_hot(labels, 10)
x_train, x_val, y_train, y_val = train_test_split(X, Y, test_size=0.2, random_state=0, stratify=labels)
print(f"train {x_train.shape}, validation {x_val.shape}, targets one-hot {y_train.shape}")

mg.manual_seed(0)
model = mg.nn.Sequential([
    mg.nn.Dense(64, activation="sigmoid", input_dim=64),
    mg.nn.Dense(10, activation="softmax"),
])
model.compile(optimizer=mg.optim.Adam(lr=0.01), loss="categorical_crossentropy", metrics=["accuracy"])
model.summary()
history = model.fit(x_train, y_train, epochs=epochs(30), batch_size=32, validation_data=(x_val, y_val),
                    verbose=2, seed=0)
loss, acc = model.evaluate(x_val, y_val)
print(f"validation loss {loss:.4f}, validation accuracy {acc:.4f}")
print("first 10 validation digits:", model.predict(x_val[:10]).argmax(axis=1).tolist(),
      "truth:", y_val[:10].argmax(axis=1).tolist())
save_curve(history, "digits_loss.png", "digits 64-64-10, Adam, categorical cross-entropy")
if not QUICK and acc < 0.95:
    raise SystemExit(f"validation accuracy {acc:.4f} is below 0.95")
