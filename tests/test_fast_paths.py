"""The backward walk's chain hand-off (a node whose gradient goes to one waiting node runs next
without the heap) gives exactly what the plain newest-first heap walk gives: same leaf gradients,
same on_step calls in the same order, on random graphs."""
from __future__ import annotations

import heapq

import numpy as np
import pytest

import minigrad as mg
from minigrad import autograd


def _plain_walk(root, grad):
    """The reference: every node goes through the heap, newest first; returns the on_step calls."""
    calls, pending, heap = [], {root: grad}, [(-root.seq, root)]
    while heap:
        node = heapq.heappop(heap)[1]
        g = pending.pop(node)
        grads = node.backward(node, g)
        grads = grads if type(grads) is tuple else (grads,)
        sent = []
        for inp, gi, needed in zip(node.inputs, grads, node.needs_input_grad):
            if gi is None or not needed:
                sent.append(None)
                continue
            gi = autograd._conform(gi, inp.data, node)
            if any(gi is s for s in sent):
                gi = gi.copy()
            sent.append(gi)
            if inp.grad_fn is None:
                inp.grad = gi.copy() if inp.grad is None else inp.grad + gi
            elif inp.grad_fn in pending:
                pending[inp.grad_fn] = np.asarray(pending[inp.grad_fn] + gi)
            else:
                pending[inp.grad_fn] = gi
                heapq.heappush(heap, (-inp.grad_fn.seq, inp.grad_fn))
        calls.append((node, g, tuple(sent)))
    return calls


def _random_graph(rng, leaves):
    """A random graph over ``leaves``: chains, branches that meet again, constants, broadcasting."""
    made = list(leaves)
    for _ in range(rng.integers(3, 25)):
        x = made[rng.integers(len(made))] if rng.random() < 0.4 else made[-1]
        r = rng.integers(7)
        if r == 0:
            y = x * 1.5
        elif r == 1:
            y = x + made[rng.integers(len(made))]
        elif r == 2:
            y = x.tanh()
        elif r == 3:
            y = x * made[rng.integers(len(made))]
        elif r == 4:
            y = x.sigmoid() - 0.25
        elif r == 5:
            y = x + x
        else:
            y = x.sum(axis=0, keepdims=True) * x
        made.append(y)
    return made[-1].sum() + sum(m.sum() * 0.5 for m in made[len(leaves):][-3:])


def _run(seed, walk):
    rng = np.random.default_rng(seed)
    leaves = [mg.tensor(rng.standard_normal((3, 2)), requires_grad=True, dtype=np.float64) for _ in range(3)]
    loss = _random_graph(rng, leaves)
    calls = []
    if walk == "engine":
        autograd.run_backward(loss, np.ones((), np.float64), on_step=lambda *c: calls.append(c))
    else:
        calls = _plain_walk(loss.grad_fn, np.ones((), np.float64))
    return [leaf.grad for leaf in leaves], [(type(n).__name__, n.seq, g, s) for n, g, s in calls]


def _same(a, b):
    if a is None or b is None:
        return a is b
    return np.asarray(a).shape == np.asarray(b).shape and np.array_equal(a, b)


@pytest.mark.parametrize("seed", range(60))
def test_engine_walk_equals_the_plain_heap_walk_on_random_graphs(seed):
    grads, calls = _run(seed, "engine")
    plain_grads, plain_calls = _run(seed, "plain")
    assert all(_same(g, p) for g, p in zip(grads, plain_grads))
    assert len(calls) == len(plain_calls)
    for (name, _, g, sent), (pname, _, pg, psent) in zip(calls, plain_calls):
        assert name == pname and _same(g, pg)
        assert len(sent) == len(psent) and all(_same(s, p) for s, p in zip(sent, psent))


def test_a_chain_hands_on_in_creation_order():
    x = mg.tensor([0.5, -1.0], requires_grad=True)
    y = x
    for _ in range(30):
        y = (y * 1.01 + 0.1).tanh()
    seqs = []
    autograd.run_backward(y.sum(), np.ones((), np.float32), on_step=lambda n, g, s: seqs.append(n.seq))
    assert seqs == sorted(seqs, reverse=True)
