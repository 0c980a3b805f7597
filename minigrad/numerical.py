"""Gradient checking: compare backward() with central finite differences in float64.

An output ``y = fn(*inputs)`` of up to ``FULL_JACOBIAN_MAX`` elements is checked entry by entry of
its Jacobian: row j of the analytic Jacobian is what ``y.backward(e_j)`` (a one-hot cotangent)
leaves in the inputs' ``.grad``; column k of the numeric one is ``(fn(x + eps·e_k) - fn(x - eps·e_k))
/ 2eps``. A failure then names single derivatives — d y[j] / d input[k] — whose values a student can
check by hand (a sigmoid's derivative is at most 0.25).

A larger output is checked through one fixed random cotangent ``v`` (seeded, so runs repeat): the
analytic side is the ``.grad`` left by ``y.backward(v)``, the numeric side differentiates
``L(x) = Σ fn(x) · v``. Since ``v`` is random, a wrong value in any single element of any gradient
still changes the contraction and is caught, but the numbers reported mix the output's elements;
``full=True`` or ``numerical_jacobian`` give the single entries.

Kinks: where the one-sided differences (f(x) - f(x-eps))/eps and (f(x+eps) - f(x))/eps disagree by
more than the tolerance, the point is non-differentiable (relu or abs at 0, tied max, a clip
bound); the entry passes if the analytic value lies between the two one-sided slopes (within
tolerance), and the report lists it as a kink.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import checks
from .autograd import no_grad
from .tensor import Tensor

__all__ = ["gradcheck", "numerical_grad", "numerical_jacobian", "GradcheckError", "FULL_JACOBIAN_MAX"]

FULL_JACOBIAN_MAX = 36  # outputs with at most this many elements are checked entry by entry


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


def _output(fn: Callable, xs: list) -> Tensor:
    out = fn(*xs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor; it returned {type(out).__name__}")
    return out


def _cotangent(shape: tuple) -> np.ndarray:
    if int(np.prod(shape)) == 1:
        return np.ones(shape)
    return np.random.default_rng(0).uniform(0.5, 1.5, size=shape) * \
        np.random.default_rng(1).choice([-1.0, 1.0], size=shape)


def _one_sided(value: Callable[[], np.ndarray], xs: list, eps: float) -> list:
    """For each input that requires grad: (left, right) one-sided slopes of ``value()`` (a flat
    float64 array of m numbers), each of shape (m, input size); None for the other inputs."""
    base = value()
    result: list = []
    for t in xs:
        if not t.requires_grad:
            result.append(None)
            continue
        left = np.zeros((base.size, t.size))
        right = np.zeros((base.size, t.size))
        flat = t.data.reshape(-1)  # a view: perturbing it perturbs t
        for k in range(flat.size):
            old = flat[k]
            flat[k] = old + eps
            up = value()
            flat[k] = old - eps
            down = value()
            flat[k] = old
            right[:, k] = (up - base) / eps
            left[:, k] = (base - down) / eps
        result.append((left, right))
    return result


def _values(fn: Callable, xs: list, v: np.ndarray | None = None) -> Callable[[], np.ndarray]:
    """fn's output as a flat float64 array, or its contraction Σ fn(x)·v with a cotangent ``v``."""
    def value() -> np.ndarray:
        with no_grad():
            y = np.array(fn(*xs).data, dtype=np.float64)  # a copy: the output may be a view of an input
        return y.reshape(-1) if v is None else np.array([np.sum(y * v)])
    return value


def numerical_grad(fn: Callable[..., Tensor], inputs: Any, *, eps: float = 1e-6) -> list:
    """Central-difference gradient of ``Σ fn(*inputs) · v`` for each input (float64 copies).

    ``v`` is 1 for a scalar output and gradcheck's fixed random cotangent otherwise. Returns one
    array per input (zeros for inputs that do not require grad). The caller's tensors are untouched.
    """
    xs = _float64_copies(_as_list(inputs))
    v = _cotangent(_output(fn, xs).shape)
    sides = _one_sided(_values(fn, xs, v), xs, eps)
    return [np.zeros(t.shape) if s is None else ((s[0] + s[1]) / 2).reshape(t.shape)
            for t, s in zip(xs, sides)]


def numerical_jacobian(fn: Callable[..., Tensor], inputs: Any, *, eps: float = 1e-6) -> list:
    """The Jacobian of ``fn`` by central differences, one array per input (float64 copies).

    Entry ``J[i][j + k]`` is d fn(*inputs)[j] / d inputs[i][k]: the array for input i has shape
    ``output.shape + inputs[i].shape`` (zeros for inputs that do not require grad). It costs two
    calls of ``fn`` per input element; the caller's tensors are untouched.
    """
    xs = _float64_copies(_as_list(inputs))
    out_shape = _output(fn, xs).shape
    sides = _one_sided(_values(fn, xs), xs, eps)
    return [np.zeros(out_shape + t.shape) if s is None else ((s[0] + s[1]) / 2).reshape(out_shape + t.shape)
            for t, s in zip(xs, sides)]


def _analytic_rows(out: Tensor, xs: list, cotangents: list) -> list:
    """For each input that requires grad: the gradients backward leaves for each cotangent, stacked
    as rows (len(cotangents), input size)."""
    rows: list = [np.zeros((len(cotangents), t.size)) if t.requires_grad else None for t in xs]
    if not out.requires_grad:
        return rows
    for j, v in enumerate(cotangents):
        for t in xs:
            t.grad = None
        out.backward(v, retain_graph=True)
        for i, t in enumerate(xs):
            if rows[i] is not None and t.grad is not None:
                rows[i][j] = np.asarray(t.grad, dtype=np.float64).reshape(-1)
    for t in xs:
        t.grad = None
    return rows


def gradcheck(fn: Callable[..., Tensor], inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, full: bool | None = None) -> bool:
    """Check ``fn``'s analytic gradients against finite differences; True when all agree.

    An output of at most ``FULL_JACOBIAN_MAX`` (36) elements is compared entry by entry of the
    Jacobian (``full=None``, the default); a larger one through one random projection of the output,
    unless ``full=True`` (every entry: one backward per output element). An entry passes when
    ``|analytic - numeric| <= atol + rtol·|numeric|``, or, at a kink, when the analytic value lies
    between the two one-sided slopes (within the same tolerance). On failure raises
    ``GradcheckError`` (or returns False with ``raise_exception=False``) naming, for the worst
    entries: output element, input index and element, analytic and numeric values and the error.
    """
    full = None if full is None else checks.boolean("gradcheck", "full", full)
    xs = _float64_copies(_as_list(inputs))
    if not any(t.requires_grad for t in xs):
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    out = _output(fn, xs)
    by_entry = out.size <= FULL_JACOBIAN_MAX if full is None else full
    if by_entry:
        cotangents = [np.eye(out.size)[j].reshape(out.shape) for j in range(out.size)]
        sides = _one_sided(_values(fn, xs), xs, eps)
    else:
        cotangents = [_cotangent(out.shape)]
        sides = _one_sided(_values(fn, xs, cotangents[0]), xs, eps)
    analytic = _analytic_rows(out, xs, cotangents)

    failures, kinks = [], 0
    for i, (a, s) in enumerate(zip(analytic, sides)):
        if s is None:
            continue
        left, right = s
        numeric = (left + right) / 2
        tol = atol + rtol * np.abs(numeric)
        kink = np.abs(left - right) > 2 * tol
        lo, hi = np.minimum(left, right) - tol, np.maximum(left, right) + tol
        ok = np.where(kink, (a >= lo) & (a <= hi), np.abs(a - numeric) <= tol)
        for j, k in zip(*np.nonzero(~ok)):
            # (a scalar output has one row: its entries are the gradient itself, no output element to name)
            out_idx = tuple(int(n) for n in np.unravel_index(j, out.shape)) if by_entry and out.ndim else None
            in_idx = tuple(int(n) for n in np.unravel_index(k, xs[i].shape))
            failures.append((abs(a[j, k] - numeric[j, k]), out_idx, i, in_idx, a[j, k], numeric[j, k],
                             kink[j, k], left[j, k], right[j, k]))
        kinks += int(np.count_nonzero(kink & ok))
    if not failures:
        return True
    failures.sort(key=lambda f: -f[0] if np.isfinite(f[0]) else -np.inf)
    what = "Jacobian entries d output[j] / d input[k]" if by_entry and out.ndim else "gradient element(s)"
    lines = [f"gradcheck failed: {len(failures)} {what} disagree with finite differences "
             f"(eps={eps}, atol={atol}, rtol={rtol}); worst first:"]
    for err, out_idx, i, idx, a, n, k, lft, rgt in failures[:5]:
        where = (f"output element {out_idx}, " if out_idx is not None else "") + f"input {i}, element {idx}"
        if k:
            lines.append(f"  {where}: analytic={a:.6g} is outside the one-sided slopes "
                         f"[{lft:.6g}, {rgt:.6g}] of a non-differentiable point")
        else:
            lines.append(f"  {where}: analytic={a:.6g}, numeric={n:.6g}, error={err:.3g}")
    if len(failures) > 5:
        lines.append(f"  … and {len(failures) - 5} more")
    if kinks:
        lines.append(f"  ({kinks} entries at non-differentiable points passed between their "
                     f"one-sided slopes)")
    if not by_entry:
        lines.append(f"  (the output has {out.size} elements, so each value above is the gradient of "
                     f"Σ fn(x)·v for one random v, mixing the output's elements; "
                     f"gradcheck(..., full=True) or mg.numerical_jacobian(fn, inputs) give single "
                     f"derivatives d output[j] / d input[k])")
    if raise_exception:
        raise GradcheckError("\n".join(lines))
    return False
