"""How low can a Tensor-per-op autograd in pure Python + NumPy go? A lower bound for W1 and W4,
and for W2 what minigrad's engine costs on top of its ops.

    python benchmarks/floor.py            # ratios to the NumPy reference, next to minigrad's

``Node`` below is the least such a framework can be: every op returns a new object holding its
array, a closure for its backward and its parents; backward walks the ops in reverse creation order
(a tape: no graph search). No grad mode, no dtype or shape checks, no unbroadcasting, no version
counters, no error messages, no gradient accumulation into leaves beyond a plain ``+``. It computes
the same numbers as the reference with the same NumPy calls as minigrad's ops (W1: one affine, one
sigmoid per layer and one MSE node, as minigrad's Dense and mse_loss record them).

Whatever this floor costs over NumPy, no design that keeps "one Python object per op, gradients by
walking them back" can avoid; what minigrad costs over the floor is what its features cost.

``w2_mnist`` is a different kind of row: minigrad's own op classes (MatMul, Add, Sigmoid,
CrossEntropy) called directly — their ``forward``/``backward`` on arrays with a bare ctx, and
``unbroadcast`` for the bias gradients — in the order the engine calls them, without Tensors, graph
or engine. It does exactly the NumPy work of minigrad's W2 step, so minigrad ÷ this row is what the
engine (and the Python around it) costs on a realistic batch; this row ÷ NumPy is what minigrad's
ops cost against the hand-written reference.

``w1_in_place`` is no framework at all: the reference's W1 arithmetic with every operation writing
into an array made once (``out=``), the loss reduced by ``np.add.reduce``, no Python around the
NumPy calls but the step itself. It is the least a replay of W1's NumPy calls can take, so
``mg.jit`` cannot go below it on W1 without making fewer NumPy calls than the textbook network.
"""
from __future__ import annotations

import functools
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.append(os.path.dirname(HERE))

import data  # noqa: E402
import harness  # noqa: E402
import mg_cells  # noqa: E402
import numpy as np  # noqa: E402
import reference  # noqa: E402


class Node:
    __slots__ = ("data", "grad", "back", "parents")

    def __init__(self, data, back=None, parents=()):
        self.data, self.grad, self.back, self.parents = data, None, back, parents


_tape: list = []


def _record(out: np.ndarray, back, parents) -> Node:
    node = Node(out, back, parents)
    _tape.append(node)
    return node


def backward(root: Node) -> None:
    root.grad = np.ones_like(root.data)
    for node in reversed(_tape):
        g = node.grad
        if g is None:
            continue
        for p, gp in zip(node.parents, node.back(g)):
            p.grad = gp if p.grad is None else p.grad + gp
    _tape.clear()


def mul_const(x: Node, c: float) -> Node:
    return _record(x.data * c, lambda g: (g * c,), (x,))


def add_const(x: Node, c: float) -> Node:
    return _record(x.data + c, lambda g: (g,), (x,))


def tanh(x: Node) -> Node:
    y = np.tanh(x.data)
    return _record(y, lambda g: (g * (1 - y * y),), (x,))


def total(x: Node) -> Node:
    return _record(np.asarray(x.data.sum()), lambda g: (np.full(x.data.shape, g, x.data.dtype),), (x,))


def affine(x: Node, w: Node, b: Node) -> Node:
    return _record(x.data @ w.data + b.data, lambda g: (g @ w.data.T, x.data.T @ g, g.sum(axis=0)), (x, w, b))


def sigmoid(x: Node) -> Node:
    y = np.tanh(x.data * 0.5)
    y *= 0.5
    y += 0.5
    return _record(y, lambda g: (g * y * (1 - y),), (x,))


def mse(p: Node, t: np.ndarray) -> Node:
    d = p.data - t
    return _record(np.asarray((d * d).sum() / d.size), lambda g: (d * (g * 2.0 / d.size),), (p,))


def w4_chain(dtype=np.float32):
    x0 = Node(data.chain_input(dtype))

    def step():
        x = x0
        for k in range(data.W4_OPS):
            r = k % 3
            x = mul_const(x, 1.0001) if r == 0 else add_const(x, 0.001) if r == 1 else tanh(x)
        loss = total(x)
        x0.grad = None
        backward(loss)
        return loss.data, x0.grad

    return step


def w1_xor(dtype=np.float32):
    params = [Node(a.copy()) for layer in data.xor_params(dtype) for a in layer]
    W1, b1, W2, b2 = params
    xs, ys = data.xor_rows(dtype)
    lr = data.W1_LR
    i = [0]

    def step():
        k = i[0] = (i[0] + 1) & 3
        loss = mse(sigmoid(affine(sigmoid(affine(Node(xs[k]), W1, b1)), W2, b2)), ys[k])
        for p in params:
            p.grad = None
        backward(loss)
        for p in params:
            p.data -= lr * p.grad
        return loss.data

    return step


def w1_in_place(dtype=np.float32):
    W1, b1, W2, b2 = params = [a for layer in data.copy_params(data.xor_params(dtype)) for a in layer]
    xs, ys = data.xor_rows(dtype)
    lr = dtype(data.W1_LR)
    a1, a2, d1, d2, s1, s2 = (np.empty((1, n), dtype) for n in (2, 1, 2, 1, 2, 1))
    gW1, gW2 = np.empty_like(W1), np.empty_like(W2)
    mm, add, sub, mul, neg, exp, rec = (np.matmul, np.add, np.subtract, np.multiply, np.negative, np.exp,
                                        np.reciprocal)
    i = [0]

    def sigmoid(z: np.ndarray) -> None:
        rec(add(exp(neg(z, out=z), out=z), 1.0, out=z), out=z)

    def step():
        k = i[0] = (i[0] + 1) & 3
        x, y = xs[k], ys[k]
        sigmoid(add(mm(x, W1, out=a1), b1, out=a1))
        sigmoid(add(mm(a1, W2, out=a2), b2, out=a2))
        diff = sub(a2, y, out=d2)
        loss = add.reduce(mul(diff, diff, out=s2), axis=None) / diff.size
        mul(mul(mul(diff, 2.0 / diff.size, out=d2), a2, out=d2), sub(1.0, a2, out=s2), out=d2)
        mm(a1.T, d2, out=gW2)
        gb2 = add.reduce(d2, axis=0)
        mul(mul(mm(d2, W2.T, out=d1), a1, out=d1), sub(1.0, a1, out=s1), out=d1)
        mm(x.T, d1, out=gW1)
        gb1 = add.reduce(d1, axis=0)
        for p, g in zip(params, (gW1, gb1, gW2, gb2)):
            sub(p, mul(g, lr, out=g), out=p)
        return loss

    return step


class _Ctx:
    """What an op's forward and backward use of the node they are handed."""

    def save_for_backward(self, *arrays: np.ndarray) -> None:
        self.saved_tensors = arrays


def w2_mnist(dtype=np.float32):
    from minigrad.autograd import unbroadcast
    from minigrad.ops import Add, CrossEntropy, MatMul, Sigmoid

    W1, b1, W2, b2 = params = [a for layer in data.copy_params(data.mnist_params(dtype)) for a in layer]
    X, labels, _ = data.mnist_batch(dtype)
    labels = labels.astype(np.int64)  # (what the cross_entropy function hands its op)
    lr, one = data.W2_LR, np.array(1, dtype)

    def run(cls, *args, needs=(True, True), **kwargs):
        ctx = _Ctx()
        ctx.saved_tensors, ctx.needs_input_grad = (), needs
        return ctx, cls.forward(ctx, *args, **kwargs)

    def step():
        c1, z0 = run(MatMul, X, W1, needs=(False, True))
        c2, z1 = run(Add, z0, b1)
        c3, h = run(Sigmoid, z1, needs=(True,))
        c4, l0 = run(MatMul, h, W2)
        c5, z = run(Add, l0, b2)
        c6, loss = run(CrossEntropy, z, labels, needs=(True, False), index=True, reduction="mean")
        dz, _ = CrossEntropy.backward(c6, one)
        dl0, db2 = Add.backward(c5, dz)
        dh, dW2 = MatMul.backward(c4, dl0)
        dz0, db1 = Add.backward(c2, Sigmoid.backward(c3, dh))
        _, dW1 = MatMul.backward(c1, dz0)
        for p, g in zip(params, (dW1, unbroadcast(db1, b1.shape), dW2, unbroadcast(db2, b2.shape))):
            p -= lr * g
        return loss

    return step


def main() -> None:
    print("| workload | floor ÷ NumPy | minigrad ÷ NumPy | minigrad ÷ floor |\n|---|---|---|---|")
    for name, dtype, rounds in (("w1_xor", np.float32, 7), ("w4_chain", np.float32, 7),
                                ("w2_mnist", np.float32, 21), ("w2_mnist", np.float64, 21),
                                ("w1_in_place", np.float32, 7)):
        ref = functools.partial(getattr(reference, name.replace("_in_place", "_xor")), dtype)
        floor = harness.compare(functools.partial(globals()[name], dtype), ref, rounds=rounds, target=0.1)
        cell = "w1_xor_jit" if name == "w1_in_place" else name  # (mg.jit against the in-place bound)
        mine = harness.compare(functools.partial(getattr(mg_cells, cell), dtype), ref, rounds=rounds,
                               target=0.1)
        label = {"w2_mnist": f"{name} {np.dtype(dtype).name}", "w1_in_place": "w1_in_place vs mg.jit"}.get(
            name, name)
        print(f"| {label} | {harness.fmt_ratio(floor)} | {harness.fmt_ratio(mine)} | "
              f"{mine.median / floor.median:.2f}× |")


if __name__ == "__main__":
    main()
