"""Gradient checking: compare backward() with central finite differences in float64.

For an output ``y = fn(*inputs)`` of any shape, both sides are contracted with one fixed random
cotangent ``v`` (seeded, so runs repeat): the analytic side is the ``.grad`` left by
``y.backward(v)``, the numeric side differentiates ``L(x) = Σ fn(x) · v``. Every element of every
input that requires grad is perturbed by ±eps. Since ``v`` is random, a wrong value in any single
element of any gradient changes the contraction and is caught (with probability 1).

Kinks: where the one-sided differences (L(x) - L(x-eps))/eps and (L(x+eps) - L(x))/eps disagree by
more than the tolerance, the point is non-differentiable (relu or abs at 0, tied max, a clip
bound); the element passes if the analytic value lies between the two one-sided slopes (within
tolerance), and the report lists it as a kink.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .autograd import no_grad
from .tensor import Tensor

__all__ = ["gradcheck", "numerical_grad", "GradcheckError"]


class GradcheckError(AssertionError):
    """Raised by ``gradcheck`` when an analytic gradient disagrees with finite differences."""


def _as_list(inputs: Any) -> list:
    if isinstance(inputs, Tensor):
        return [inputs]
    inputs = list(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"gradcheck: inputs must be Tensors; input {i} is {type(t).__name__}")
    return inputs


def _float64_copies(inputs: list) -> list:
    return [Tensor(np.array(t.data, dtype=np.float64), requires_grad=t.requires_grad) for t in inputs]


def _cotangent(shape: tuple) -> np.ndarray:
    if int(np.prod(shape)) == 1:
        return np.ones(shape)
    return np.random.default_rng(0).uniform(0.5, 1.5, size=shape) * \
        np.random.default_rng(1).choice([-1.0, 1.0], size=shape)


def _scalar_fn(fn: Callable, xs: list) -> tuple:
    """Evaluate fn once on the float64 copies: returns (output Tensor, cotangent, L as a function of xs)."""
    out = fn(*xs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor; it returned {type(out).__name__}")
    v = _cotangent(out.shape)

    def loss() -> float:
        with no_grad():
            return float(np.sum(np.asarray(fn(*xs).data, dtype=np.float64) * v))

    return out, v, loss


def _one_sided(loss: Callable, xs: list, eps: float) -> list:
    """For each input that requires grad: (left, right) one-sided slopes of L per element."""
    base = loss()
    result = []
    for t in xs:
        if not t.requires_grad:
            result.append(None)
            continue
        left = np.zeros(t.shape)
        right = np.zeros(t.shape)
        flat = t.data.reshape(-1)  # a view: perturbing it perturbs t
        for k in range(flat.size):
            old = flat[k]
            flat[k] = old + eps
            up = loss()
            flat[k] = old - eps
            down = loss()
            flat[k] = old
            right.flat[k] = (up - base) / eps
            left.flat[k] = (base - down) / eps
        result.append((left, right))
    return result


def numerical_grad(fn: Callable[..., Tensor], inputs: Any, *, eps: float = 1e-6) -> list:
    """Central-difference gradient of ``Σ fn(*inputs) · v`` for each input (float64 copies).

    ``v`` is 1 for a scalar output and gradcheck's fixed random cotangent otherwise. Returns one
    array per input (zeros for inputs that do not require grad). The caller's tensors are untouched.
    """
    xs = _float64_copies(_as_list(inputs))
    _, _, loss = _scalar_fn(fn, xs)
    sides = _one_sided(loss, xs, eps)
    return [np.zeros(t.shape) if s is None else (s[0] + s[1]) / 2 for t, s in zip(xs, sides)]


def gradcheck(fn: Callable[..., Tensor], inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check ``fn``'s analytic gradients against finite differences; True when all agree.

    An element passes when ``|analytic - numeric| <= atol + rtol·|numeric|``, or, at a kink, when
    the analytic value lies between the two one-sided slopes (within the same tolerance). On
    failure raises ``GradcheckError`` (or returns False with ``raise_exception=False``) naming, for
    the worst elements: input index, element index, analytic and numeric values and the error.
    """
    xs = _float64_copies(_as_list(inputs))
    if not any(t.requires_grad for t in xs):
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    out, v, loss = _scalar_fn(fn, xs)
    if out.requires_grad:
        out.backward(v)
    analytic = [None if not t.requires_grad else (t.grad if t.grad is not None else np.zeros(t.shape))
                for t in xs]
    for t in xs:
        t.grad = None
    sides = _one_sided(loss, xs, eps)

    failures, kinks = [], []
    for i, (a, s) in enumerate(zip(analytic, sides)):
        if s is None:
            continue
        left, right = s
        numeric = (left + right) / 2
        tol = atol + rtol * np.abs(numeric)
        kink = np.abs(left - right) > 2 * tol
        lo, hi = np.minimum(left, right) - tol, np.maximum(left, right) + tol
        ok = np.where(kink, (a >= lo) & (a <= hi), np.abs(a - numeric) <= tol)
        for k in np.flatnonzero(~ok):
            idx = tuple(int(j) for j in np.unravel_index(k, a.shape))
            failures.append((abs(a.flat[k] - numeric.flat[k]), i, idx, a.flat[k], numeric.flat[k],
                             kink.flat[k], left.flat[k], right.flat[k]))
        kinks += [(i, k) for k in np.flatnonzero(kink & ok)]
    if not failures:
        return True
    failures.sort(key=lambda f: -f[0] if np.isfinite(f[0]) else -np.inf)
    lines = [f"gradcheck failed: {len(failures)} gradient element(s) disagree with finite differences "
             f"(eps={eps}, atol={atol}, rtol={rtol}); worst first:"]
    for err, i, idx, a, n, k, l, r in failures[:5]:
        where = f"input {i}, element {idx}"
        if k:
            lines.append(f"  {where}: analytic={a:.6g} is outside the one-sided slopes [{l:.6g}, {r:.6g}] "
                         f"of a non-differentiable point")
        else:
            lines.append(f"  {where}: analytic={a:.6g}, numeric={n:.6g}, error={err:.3g}")
    if len(failures) > 5:
        lines.append(f"  … and {len(failures) - 5} more")
    if kinks:
        lines.append(f"  ({len(kinks)} element(s) at non-differentiable points passed between their one-sided slopes)")
    if raise_exception:
        raise GradcheckError("\n".join(lines))
    return False

