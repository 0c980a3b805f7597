"""The NumPy references: each workload's forward, backward and update written by hand, textbook style.

Every factory returns ``step()``, one training step (W4: one forward + backward through the chain),
working on its own copies of the shared initial parameters from ``data.py``. The references compute
no gradient nobody asked for (W2 never forms d loss / d input batch).
"""
from __future__ import annotations

import data
import numpy as np


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def w1_xor(dtype=np.float32):
    """2-2-1 sigmoid MLP, MSE, SGD lr 0.3, one sample per step (cycling through the four XOR rows)."""
    W1, b1, W2, b2 = params = [a for layer in data.copy_params(data.xor_params(dtype)) for a in layer]
    xs, ys = data.xor_rows(dtype)
    lr = data.W1_LR
    i = [0]

    def step():
        k = i[0] = (i[0] + 1) & 3
        x, y = xs[k], ys[k]
        a1 = _sigmoid(x @ W1 + b1)
        a2 = _sigmoid(a1 @ W2 + b2)
        diff = a2 - y
        loss = np.mean(diff ** 2)
        d2 = (2.0 / diff.size) * diff * a2 * (1 - a2)
        gW2, gb2 = a1.T @ d2, d2.sum(axis=0)
        d1 = (d2 @ W2.T) * a1 * (1 - a1)
        gW1, gb1 = x.T @ d1, d1.sum(axis=0)
        for param, g in zip(params, (gW1, gb1, gW2, gb2)):
            param -= lr * g
        return loss

    return step


def w2_mnist(dtype=np.float32):
    """784-100-10, sigmoid hidden layer, softmax cross-entropy, SGD, batch 256 of MNIST-shaped data."""
    W1, b1, W2, b2 = params = [a for layer in data.copy_params(data.mnist_params(dtype)) for a in layer]
    X, labels, _ = data.mnist_batch(dtype)
    n = X.shape[0]
    rows = np.arange(n)
    lr = data.W2_LR

    def step():
        h = _sigmoid(X @ W1 + b1)
        logits = h @ W2 + b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        p = e / e.sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(p[rows, labels]))
        dlogits = p
        dlogits[rows, labels] -= 1
        dlogits /= n
        gW2, gb2 = h.T @ dlogits, dlogits.sum(axis=0)
        dz1 = (dlogits @ W2.T) * h * (1 - h)
        gW1, gb1 = X.T @ dz1, dz1.sum(axis=0)  # no gradient for X itself
        for param, g in zip(params, (gW1, gb1, gW2, gb2)):
            param -= lr * g
        return loss

    return step


def w3_deep(dtype=np.float32):
    """16 x Dense(64, relu), MSE, Adam (lr 1e-3, betas (0.9, 0.999), eps 1e-8), batch 32."""
    params = data.copy_params(data.deep_params(dtype))
    X, Y = data.deep_batch(dtype)
    lr, (beta1, beta2), eps = data.W3_LR, data.ADAM_BETAS, data.ADAM_EPS
    flat = [p for layer in params for p in layer]
    m = [np.zeros_like(p) for p in flat]
    v = [np.zeros_like(p) for p in flat]
    t = [0]

    def step():
        acts = [X]
        for W, b in params:
            acts.append(np.maximum(acts[-1] @ W + b, 0))
        out = acts[-1]
        diff = out - Y
        loss = np.mean(diff ** 2)
        g = (2.0 / diff.size) * diff
        grads = []
        for (W, b), a_in, a_out in zip(reversed(params), reversed(acts[:-1]), reversed(acts[1:])):
            g = g * (a_out > 0)
            grads.append((a_in.T @ g, g.sum(axis=0)))
            g = g @ W.T
        grads.reverse()
        t[0] += 1
        c1, c2 = 1 - beta1 ** t[0], 1 - beta2 ** t[0]
        for j, gr in enumerate(gr for layer in grads for gr in layer):
            m[j] = beta1 * m[j] + (1 - beta1) * gr
            v[j] = beta2 * v[j] + (1 - beta2) * gr * gr
            flat[j] -= lr * (m[j] / c1) / (np.sqrt(v[j] / c2) + eps)
        return loss

    return step


def w4_chain(dtype=np.float32):
    """1,000 elementwise ops on shape (16,) (x*1.0001, x+0.001, tanh, repeating), then sum; backward."""
    x0 = data.chain_input(dtype)
    n_ops = data.W4_OPS

    def step():
        x = x0
        saved = []
        for k in range(n_ops):
            r = k % 3
            if r == 0:
                x = x * 1.0001
            elif r == 1:
                x = x + 0.001
            else:
                x = np.tanh(x)
                saved.append(x)
        loss = x.sum()
        g = np.ones_like(x)
        for k in range(n_ops - 1, -1, -1):
            r = k % 3
            if r == 0:
                g = g * 1.0001
            elif r == 2:
                y = saved.pop()
                g = g * (1 - y * y)
            # r == 1 (x + c): the gradient passes unchanged
        return loss, g

    return step
