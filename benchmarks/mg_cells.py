"""The minigrad side of each workload, through the public API only (``import minigrad as mg``).

W2 and W4 use ``mg.Tensor`` ops with a manual SGD update (``p.data -= lr * p.grad``, the
micrograd/lecture idiom). W1, W3 and W5 use ``mg.nn`` / ``mg.optim`` as a user
writes them; while those cannot be imported, their factories raise ``NotAvailable`` and the table
says so.
"""
from __future__ import annotations

import data
import numpy as np

import minigrad as mg


class NotAvailable(Exception):
    """The part of minigrad a cell needs cannot be imported or used yet."""


def _params(arrays: list) -> list:
    return [mg.Tensor(a.copy(), requires_grad=True) for layer in arrays for a in layer]


def _sgd(params: list, lr: float) -> None:
    for p in params:
        p.data -= lr * p.grad


def w1_xor(dtype=np.float32):
    """One SGD step on one XOR row, written the way a user writes it: Dense layers, mse_loss, optim.SGD."""
    model, opt, mse = _xor_model(dtype)
    xs, ys = data.xor_rows(dtype)
    xs, ys = [mg.Tensor(x) for x in xs], [mg.Tensor(y) for y in ys]
    i = [0]

    def step():
        k = i[0] = (i[0] + 1) & 3
        loss = mse(model(xs[k]), ys[k])
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step


W2_LOSS = "auto"  # "auto": nn.functional.cross_entropy when it works, else "composed"


def _composed_ce(Y: mg.Tensor):
    return lambda logits: -(logits.log_softmax(axis=1) * Y).sum(axis=1).mean()


def _fused_ce(labels: np.ndarray):
    try:
        ce = mg.nn.functional.cross_entropy
    except Exception as exc:  # nn not there yet
        raise NotAvailable(f"mg.nn.functional.cross_entropy: {exc!r}") from None
    return lambda logits: ce(logits, labels)


def w2_loss_fn(labels: np.ndarray, Y: np.ndarray, dtype) -> tuple:
    """(loss_fn, label): the softmax cross-entropy minigrad's W2 cell uses (see ``W2_LOSS``)."""
    composed = _composed_ce(mg.Tensor(Y))
    if W2_LOSS == "composed":
        return composed, "composed log_softmax"
    try:
        fused = _fused_ce(labels)
        probe = mg.Tensor(np.random.default_rng(0).standard_normal(Y.shape).astype(dtype), requires_grad=True)
        if not np.allclose(fused(probe).item(), composed(probe).item(), rtol=1e-4):
            raise NotAvailable("nn.functional.cross_entropy disagrees with log_softmax")
        return fused, "nn.functional.cross_entropy"
    except Exception:
        if W2_LOSS == "fused":
            raise
        return composed, "composed log_softmax"


def w2_mnist(dtype=np.float32):
    W1, b1, W2, b2 = params = _params(data.mnist_params(dtype))
    X, labels, Y = data.mnist_batch(dtype)
    X = mg.Tensor(X)  # requires_grad=False: no gradient is formed for the batch
    loss_fn, _ = w2_loss_fn(labels, Y, dtype)
    lr = data.W2_LR

    def step():
        h = (X @ W1 + b1).sigmoid()
        loss = loss_fn(h @ W2 + b2)
        for p in params:
            p.grad = None
        loss.backward()
        _sgd(params, lr)
        return loss

    return step


def _nn():
    """(mg.nn, mg.optim, mse_loss) or NotAvailable."""
    try:
        nn, optim = mg.nn, mg.optim
        return nn, optim, nn.functional.mse_loss, nn.Dense, nn.Sequential, optim.Adam, optim.SGD
    except Exception as exc:
        raise NotAvailable(repr(exc)) from None


def _load(model, arrays: list) -> None:
    for layer, (W, b) in zip(model, arrays):
        layer.weight.data = W.copy()
        layer.bias.data = b.copy()


def w3_deep(dtype=np.float32):
    nn, optim, mse, Dense, Sequential, Adam, _ = _nn()
    if dtype != mg.get_default_dtype():
        raise NotAvailable(f"W3 runs in minigrad's default dtype ({mg.get_default_dtype()})")
    model = Sequential([Dense(data.W3_WIDTH, activation="relu", input_dim=data.W3_WIDTH)
                        for _ in range(data.W3_LAYERS)])
    _load(model, data.deep_params(dtype))
    opt = Adam(model.parameters(), lr=data.W3_LR, betas=data.ADAM_BETAS, eps=data.ADAM_EPS)
    X, Y = (mg.Tensor(a) for a in data.deep_batch(dtype))

    def step():
        loss = mse(model(X), Y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step


def _xor_model(dtype):
    nn, optim, mse, Dense, Sequential, _, SGD = _nn()
    model = Sequential([Dense(2, activation="sigmoid", input_dim=2), Dense(1, activation="sigmoid")])
    _load(model, data.xor_params(dtype))
    return model, SGD(model.parameters(), lr=data.W1_LR), mse


def w5_fit(dtype=np.float32):
    """``model.fit`` over 25 epochs of the four XOR rows, batch_size=1 (100 steps per call)."""
    model, opt, _ = _xor_model(dtype)
    model.compile(optimizer=opt, loss="mse")
    x, y = data.xor_arrays(dtype)

    def step():
        return model.fit(x, y, epochs=data.W5_EPOCHS, batch_size=1, verbose=0)

    return step


def w5_manual(dtype=np.float32):
    """The same 25 epochs as a hand-written minigrad loop: shuffle, forward, loss, backward, step."""
    model, opt, mse = _xor_model(dtype)
    x, y = data.xor_arrays(dtype)
    rng = np.random.default_rng(0)
    n = len(x)

    def step():
        history = []
        for _ in range(data.W5_EPOCHS):
            perm = rng.permutation(n)
            total = 0.0
            for s in range(n):
                idx = perm[s:s + 1]
                loss = mse(model(mg.Tensor(x[idx])), mg.Tensor(y[idx]))
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item()
            history.append(total / n)
        return history

    return step


def _chain(x, n_ops: int):
    """W4's forward: x * 1.0001, x + 0.001, tanh, repeating for ``n_ops`` ops, then the sum."""
    for k in range(n_ops):
        r = k % 3
        if r == 0:
            x = x * 1.0001
        elif r == 1:
            x = x + 0.001
        else:
            x = x.tanh()
    return x.sum()


def w4_chain(dtype=np.float32):
    x0 = mg.Tensor(data.chain_input(dtype), requires_grad=True)
    n_ops = data.W4_OPS

    def step():
        loss = _chain(x0, n_ops)
        x0.grad = None
        loss.backward()
        return loss, x0.grad

    return step


# ---------------------------------------------------------------------------------------------
# the same workloads as compiled steps (mg.jit): the eager step's code inside a function that
# mg.jit records on its first call and replays after. W2 updates through mg.optim.SGD (the step
# may not write p.data itself: that code would not run on replay).


def _jit_step(model, opt, loss_fn):
    """``mg.jit`` of one training step on a batch: loss_fn(model(x), y), zero_grad, backward, step."""

    @mg.jit
    def train(x, y):
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return train


def w1_xor_jit(dtype=np.float32):
    model, opt, mse = _xor_model(dtype)
    xs, ys = data.xor_rows(dtype)
    xs, ys = [mg.Tensor(x) for x in xs], [mg.Tensor(y) for y in ys]
    i = [0]

    train = _jit_step(model, opt, mse)

    def step():
        k = i[0] = (i[0] + 1) & 3
        return train(xs[k], ys[k])

    return step


def w2_mnist_jit(dtype=np.float32):
    W1, b1, W2, b2 = params = _params(data.mnist_params(dtype))
    X, labels, Y = data.mnist_batch(dtype)
    X = mg.Tensor(X)
    loss_fn, _ = w2_loss_fn(labels, Y, dtype)
    opt = mg.optim.SGD(params, lr=data.W2_LR)

    @mg.jit
    def train(x):
        h = (x @ W1 + b1).sigmoid()
        loss = loss_fn(h @ W2 + b2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return lambda: train(X)


def w3_deep_jit(dtype=np.float32):
    nn, optim, mse, Dense, Sequential, Adam, _ = _nn()
    if dtype != mg.get_default_dtype():
        raise NotAvailable(f"W3 runs in minigrad's default dtype ({mg.get_default_dtype()})")
    model = Sequential([Dense(data.W3_WIDTH, activation="relu", input_dim=data.W3_WIDTH)
                        for _ in range(data.W3_LAYERS)])
    _load(model, data.deep_params(dtype))
    opt = Adam(model.parameters(), lr=data.W3_LR, betas=data.ADAM_BETAS, eps=data.ADAM_EPS)
    X, Y = (mg.Tensor(a) for a in data.deep_batch(dtype))

    train = _jit_step(model, opt, mse)

    return lambda: train(X, Y)


def w4_chain_jit(dtype=np.float32):
    x0 = mg.Tensor(data.chain_input(dtype), requires_grad=True)
    n_ops = data.W4_OPS

    @mg.jit
    def chain(x):
        loss = _chain(x, n_ops)
        x0.grad = None
        loss.backward()
        return loss

    def step():
        return chain(x0), x0.grad

    return step


W2_FIT_BATCHES, W2_FIT_EPOCHS = 4, 2  # one timed call: 2 epochs of 4 batches of 256 = 8 steps


def _w2_keras_model(dtype, softmax: bool):
    nn = _nn()[0]
    model = nn.Sequential([nn.Dense(100, activation="sigmoid", input_dim=784),
                           nn.Dense(10, activation="softmax" if softmax else None)])
    _load(model, data.mnist_params(dtype))
    X, _, Y = data.mnist_batch(dtype)
    return model, np.tile(X, (W2_FIT_BATCHES, 1)), np.tile(Y, (W2_FIT_BATCHES, 1))


def w2_fit_jit(dtype=np.float32):
    """W2 the Keras way: a softmax output layer, loss="categorical_crossentropy", ``fit`` with
    ``jit_compile=True`` (which takes the loss on the logits, one fused op)."""
    model, x, y = _w2_keras_model(dtype, softmax=True)
    model.compile(optimizer=mg.optim.SGD(lr=data.W2_LR), loss="categorical_crossentropy", jit_compile=True)

    def step():
        return model.fit(x, y, epochs=W2_FIT_EPOCHS, batch_size=data.W2_BATCH, verbose=0)

    return step


def w2_manual_jit(dtype=np.float32):
    """The same epochs as a hand-written loop around an ``mg.jit`` step: shuffle, the compiled step
    (logits, ``cross_entropy``, zero_grad, backward, SGD step), ``loss.item()``."""
    model, x, y = _w2_keras_model(dtype, softmax=False)
    opt = mg.optim.SGD(model.parameters(), lr=data.W2_LR)
    ce = mg.nn.functional.cross_entropy
    rng = np.random.default_rng(0)
    n, b = len(x), data.W2_BATCH

    train = _jit_step(model, opt, ce)

    def step():
        history = []
        for _ in range(W2_FIT_EPOCHS):
            order = rng.permutation(n)
            xs, ys = x[order], y[order]
            total = 0.0
            for s in range(0, n, b):
                total += train(mg.Tensor(xs[s:s + b]), mg.Tensor(ys[s:s + b])).item() * b
            history.append(total / n)
        return history

    return step
