"""The same workloads in PyTorch, MyGrad and HIPS autograd, for context (run with ``--peers``).

Each peer is written the way its users write it: PyTorch with ``torch.nn.functional`` and
``torch.optim.Adam``, MyGrad with its tensor ops and ``softmax_crossentropy``, autograd with
``grad`` of a pure loss function. Updates that the library does not ship (SGD in MyGrad/autograd,
Adam in MyGrad/autograd) are the same textbook NumPy lines as the reference. A factory raises
``NotAvailable`` when its library cannot be imported.
"""
from __future__ import annotations

import importlib

import data
import numpy as np
from mg_cells import NotAvailable

PEERS = ("torch", "mygrad", "autograd")
SETUP_NOTE = {
    "torch": "PyTorch's column runs with PyTorch and NumPy's BLAS both at 1 thread: two thread pools "
             "spinning on two shared cores otherwise make its ratios swing from 2x to 150x",
}


def setup(name: str) -> None:
    """Prepare the child process that times ``name`` (see ``SETUP_NOTE``)."""
    if name == "torch":
        try:
            import threadpoolctl
            import torch
        except ImportError:
            return
        torch.set_num_threads(1)
        threadpoolctl.threadpool_limits(1, user_api="blas")


def _import(name: str):
    try:
        return importlib.import_module(name)
    except Exception as exc:
        raise NotAvailable(f"{name} not importable: {exc!r}") from None


def _flat(arrays: list) -> list:
    return [a.copy() for layer in arrays for a in layer]


def _adam(lr=data.W3_LR):
    """A textbook Adam over lists of NumPy arrays: update(params, grads) in place."""
    (beta1, beta2), eps = data.ADAM_BETAS, data.ADAM_EPS
    state = {"t": 0, "m": None, "v": None}

    def update(params, grads):
        if state["m"] is None:
            state["m"] = [np.zeros_like(p) for p in params]
            state["v"] = [np.zeros_like(p) for p in params]
        state["t"] += 1
        t, m, v = state["t"], state["m"], state["v"]
        c1, c2 = 1 - beta1 ** t, 1 - beta2 ** t
        for j, (p, g) in enumerate(zip(params, grads)):
            m[j] = beta1 * m[j] + (1 - beta1) * g
            v[j] = beta2 * v[j] + (1 - beta2) * g * g
            p -= lr * (m[j] / c1) / (np.sqrt(v[j] / c2) + eps)

    return update


# ---------------------------------------------------------------------------------------------
# PyTorch


def torch_w1(dtype=np.float32):
    torch = _import("torch")
    W1, b1, W2, b2 = params = [torch.tensor(a, requires_grad=True) for a in _flat(data.xor_params(dtype))]
    xs, ys = data.xor_rows(dtype)
    xs, ys = [torch.from_numpy(x) for x in xs], [torch.from_numpy(y) for y in ys]
    i = [0]

    def step():
        k = i[0] = (i[0] + 1) & 3
        h = torch.sigmoid(xs[k] @ W1 + b1)
        out = torch.sigmoid(h @ W2 + b2)
        loss = ((out - ys[k]) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= data.W1_LR * p.grad
        return loss

    return step


def torch_w2(dtype=np.float32):
    torch = _import("torch")
    W1, b1, W2, b2 = params = [torch.tensor(a, requires_grad=True) for a in _flat(data.mnist_params(dtype))]
    X, labels, _ = data.mnist_batch(dtype)
    X, labels = torch.from_numpy(X), torch.from_numpy(labels)
    ce = torch.nn.functional.cross_entropy

    def step():
        h = torch.sigmoid(X @ W1 + b1)
        loss = ce(h @ W2 + b2, labels)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= data.W2_LR * p.grad
        return loss

    return step


def torch_w3(dtype=np.float32):
    torch = _import("torch")
    layers = []
    for W, b in data.deep_params(dtype):
        lin = torch.nn.Linear(*W.shape, dtype=torch.float32 if dtype == np.float32 else torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))
            lin.bias.copy_(torch.from_numpy(b))
        layers += [lin, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=data.W3_LR, betas=data.ADAM_BETAS, eps=data.ADAM_EPS)
    X, Y = (torch.from_numpy(a) for a in data.deep_batch(dtype))
    mse = torch.nn.functional.mse_loss

    def step():
        loss = mse(model(X), Y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step


def torch_w4(dtype=np.float32):
    torch = _import("torch")
    x0 = torch.tensor(data.chain_input(dtype), requires_grad=True)

    def step():
        x = x0
        for k in range(data.W4_OPS):
            r = k % 3
            if r == 0:
                x = x * 1.0001
            elif r == 1:
                x = x + 0.001
            else:
                x = torch.tanh(x)
        loss = x.sum()
        x0.grad = None
        loss.backward()
        return loss, x0.grad

    return step


# ---------------------------------------------------------------------------------------------
# MyGrad


def mygrad_w1(dtype=np.float32):
    mygrad = _import("mygrad")
    sigmoid = _import("mygrad.nnet").sigmoid
    W1, b1, W2, b2 = params = [mygrad.tensor(a) for a in _flat(data.xor_params(dtype))]
    xs, ys = data.xor_rows(dtype)
    i = [0]

    def step():
        k = i[0] = (i[0] + 1) & 3
        h = sigmoid(mygrad.matmul(xs[k], W1) + b1)
        out = sigmoid(mygrad.matmul(h, W2) + b2)
        loss = mygrad.mean((out - ys[k]) ** 2)
        loss.backward()
        for p in params:
            p.data -= data.W1_LR * p.grad
        return loss

    return step


def mygrad_w2(dtype=np.float32):
    mygrad = _import("mygrad")
    nnet = _import("mygrad.nnet")
    W1, b1, W2, b2 = params = [mygrad.tensor(a) for a in _flat(data.mnist_params(dtype))]
    X, labels, _ = data.mnist_batch(dtype)

    def step():
        h = nnet.sigmoid(mygrad.matmul(X, W1) + b1)
        loss = nnet.softmax_crossentropy(mygrad.matmul(h, W2) + b2, labels)
        loss.backward()
        for p in params:
            p.data -= data.W2_LR * p.grad
        return loss

    return step


def mygrad_w3(dtype=np.float32):
    mygrad = _import("mygrad")
    relu = _import("mygrad.nnet").relu
    params = [mygrad.tensor(a) for a in _flat(data.deep_params(dtype))]
    X, Y = data.deep_batch(dtype)
    adam = _adam()

    def step():
        x = X
        for j in range(0, len(params), 2):
            x = relu(mygrad.matmul(x, params[j]) + params[j + 1])
        loss = mygrad.mean((x - Y) ** 2)
        loss.backward()
        adam([p.data for p in params], [p.grad for p in params])
        return loss

    return step


def mygrad_w4(dtype=np.float32):
    mygrad = _import("mygrad")
    x0 = mygrad.tensor(data.chain_input(dtype))

    def step():
        x = x0
        for k in range(data.W4_OPS):
            r = k % 3
            if r == 0:
                x = x * 1.0001
            elif r == 1:
                x = x + 0.001
            else:
                x = mygrad.tanh(x)
        loss = mygrad.sum(x)
        loss.backward()
        return loss, x0.grad

    return step


# ---------------------------------------------------------------------------------------------
# HIPS autograd


def autograd_w1(dtype=np.float32):
    ag = _import("autograd")
    anp = _import("autograd.numpy")
    params = _flat(data.xor_params(dtype))
    xs, ys = data.xor_rows(dtype)

    def sig(z):
        return 1.0 / (1.0 + anp.exp(-z))

    def loss_fn(ps, x, y):
        W1, b1, W2, b2 = ps
        out = sig(anp.dot(sig(anp.dot(x, W1) + b1), W2) + b2)
        return anp.mean((out - y) ** 2)

    value_and_grad = ag.value_and_grad(loss_fn)
    i = [0]

    def step():
        k = i[0] = (i[0] + 1) & 3
        loss, grads = value_and_grad(params, xs[k], ys[k])
        for p, g in zip(params, grads):
            p -= data.W1_LR * g
        return loss

    return step


def autograd_w2(dtype=np.float32):
    ag = _import("autograd")
    anp = _import("autograd.numpy")
    params = _flat(data.mnist_params(dtype))
    X, labels, Y = data.mnist_batch(dtype)

    def loss_fn(ps):
        W1, b1, W2, b2 = ps
        h = 1.0 / (1.0 + anp.exp(-(anp.dot(X, W1) + b1)))
        logits = anp.dot(h, W2) + b2
        m = anp.max(logits, axis=1, keepdims=True)
        logp = logits - m - anp.log(anp.sum(anp.exp(logits - m), axis=1, keepdims=True))
        return -anp.mean(anp.sum(logp * Y, axis=1))

    value_and_grad = ag.value_and_grad(loss_fn)

    def step():
        loss, grads = value_and_grad(params)
        for p, g in zip(params, grads):
            p -= data.W2_LR * g
        return loss

    return step


def autograd_w3(dtype=np.float32):
    ag = _import("autograd")
    anp = _import("autograd.numpy")
    params = _flat(data.deep_params(dtype))
    X, Y = data.deep_batch(dtype)
    adam = _adam()

    def loss_fn(ps):
        x = X
        for j in range(0, len(ps), 2):
            x = anp.maximum(anp.dot(x, ps[j]) + ps[j + 1], 0)
        return anp.mean((x - Y) ** 2)

    value_and_grad = ag.value_and_grad(loss_fn)

    def step():
        loss, grads = value_and_grad(params)
        adam(params, grads)
        return loss

    return step


def autograd_w4(dtype=np.float32):
    ag = _import("autograd")
    anp = _import("autograd.numpy")
    x0 = data.chain_input(dtype)

    def f(x):
        for k in range(data.W4_OPS):
            r = k % 3
            if r == 0:
                x = x * 1.0001
            elif r == 1:
                x = x + 0.001
            else:
                x = anp.tanh(x)
        return anp.sum(x)

    value_and_grad = ag.value_and_grad(f)

    def step():
        return value_and_grad(x0)

    return step


CELLS = {
    ("W1", "torch"): torch_w1, ("W2", "torch"): torch_w2, ("W3", "torch"): torch_w3,
    ("W4", "torch"): torch_w4,
    ("W1", "mygrad"): mygrad_w1, ("W2", "mygrad"): mygrad_w2, ("W3", "mygrad"): mygrad_w3,
    ("W4", "mygrad"): mygrad_w4,
    ("W1", "autograd"): autograd_w1, ("W2", "autograd"): autograd_w2, ("W3", "autograd"): autograd_w3,
    ("W4", "autograd"): autograd_w4,
}
