"""Shared inputs and initial parameters, so every implementation of a workload starts from the same numbers.

Parameters are ``[(W, b), ...]`` with ``W: (in, out)`` and ``b: (out,)`` (Keras/minigrad layout),
Glorot-uniform initialised from a fixed seed.
"""
from __future__ import annotations

import numpy as np

W1_LR = 0.3           # XOR, as in the lecture
W2_LR = 0.1
W3_LR = 1e-3          # Adam's default
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
W2_BATCH = 256
W3_LAYERS, W3_WIDTH, W3_BATCH = 16, 64, 32
W4_OPS, W4_SIZE = 1000, 16
W5_EPOCHS = 25        # one timed call of W5 = 25 epochs x 4 samples = 100 steps


def glorot(sizes: list, dtype, seed: int) -> list:
    """[(W, b)] for consecutive layer sizes, W ~ U(-a, a) with a = sqrt(6 / (fan_in + fan_out))."""
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        a = np.sqrt(6.0 / (n_in + n_out))
        params.append((rng.uniform(-a, a, (n_in, n_out)).astype(dtype), np.zeros(n_out, dtype)))
    return params


def copy_params(params: list) -> list:
    return [(W.copy(), b.copy()) for W, b in params]


def xor_params(dtype) -> list:
    return glorot([2, 2, 1], dtype, seed=1)


def xor_rows(dtype) -> tuple:
    """The four XOR samples as lists of (1, 2) inputs and (1, 1) targets."""
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype)
    y = np.array([[0], [1], [1], [0]], dtype)
    return [x[i:i + 1] for i in range(4)], [y[i:i + 1] for i in range(4)]


def xor_arrays(dtype) -> tuple:
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype)
    y = np.array([[0], [1], [1], [0]], dtype)
    return x, y


def mnist_params(dtype) -> list:
    return glorot([784, 100, 10], dtype, seed=2)


def mnist_batch(dtype) -> tuple:
    """(X: (256, 784) in [0, 1), labels: (256,) int64, Y: (256, 10) one-hot) -- random, MNIST-shaped."""
    rng = np.random.default_rng(3)
    X = rng.random((W2_BATCH, 784)).astype(dtype)
    labels = rng.integers(0, 10, W2_BATCH)
    Y = np.eye(10, dtype=dtype)[labels]
    return X, labels, Y


def deep_params(dtype) -> list:
    return glorot([W3_WIDTH] * (W3_LAYERS + 1), dtype, seed=4)


def deep_batch(dtype) -> tuple:
    rng = np.random.default_rng(5)
    return (rng.standard_normal((W3_BATCH, W3_WIDTH)).astype(dtype),
            rng.standard_normal((W3_BATCH, W3_WIDTH)).astype(dtype))


def chain_input(dtype) -> np.ndarray:
    return np.random.default_rng(6).standard_normal(W4_SIZE).astype(dtype)
