"""Hypothesis strategies for property tests of your own ops and models.

    from hypothesis import given
    import minigrad as mg
    from minigrad.testing import tensors, assert_grad_close

    @given(tensors(shape=(3, 4)))
    def test_my_op_gradient(x):
        assert_grad_close(lambda t: my_op(t).sum(), x)

Requires the ``hypothesis`` package (``pip install minigrad[test]``).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as exc:  # pragma: no cover - only without the test extra
    raise ImportError("minigrad.testing needs hypothesis: pip install 'minigrad[test]' "
                      "(or pip install hypothesis)") from exc

from .numerical import gradcheck
from .tensor import Tensor

__all__ = ["tensors", "broadcastable_shapes", "matmul_shapes", "assert_grad_close"]


def _default_elements(dtype: np.dtype) -> st.SearchStrategy:
    if np.dtype(dtype).kind == "f":
        width: Any = 8 * np.dtype(dtype).itemsize  # 16, 32 or 64
        return st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=width)
    return hnp.from_dtype(np.dtype(dtype))


@st.composite
def tensors(draw: Any, shape: Any = None, dtype: Any = np.float64, elements: Any = None,
            requires_grad: bool = True) -> Tensor:
    """Strategy of Tensors. ``shape``: a tuple, a strategy of tuples, or None (hypothesis draws 0–4
    dims of 1–5). ``elements``: a strategy of values (default: finite floats in [-10, 10])."""
    if shape is None:
        shape = hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=5)
    if isinstance(shape, st.SearchStrategy):
        shape = draw(shape)
    dtype = np.dtype(dtype)
    values = elements if elements is not None else _default_elements(dtype)
    arr = draw(hnp.arrays(dtype, shape, elements=values))
    return Tensor(arr, requires_grad=requires_grad and dtype.kind == "f", dtype=dtype)


def broadcastable_shapes(shape: tuple, min_dims: int = 0, max_dims: int | None = None,
                         min_side: int = 1, max_side: int | None = None) -> st.SearchStrategy:
    """Strategy of shapes that broadcast with ``shape`` (size-1 axes, missing leading axes, …)."""
    return hnp.broadcastable_shapes(tuple(shape), min_dims=min_dims, max_dims=max_dims,
                                    min_side=min_side, max_side=max_side)


def matmul_shapes(max_batch_dims: int = 2, max_side: int = 4) -> st.SearchStrategy:
    """Strategy of pairs ``(a_shape, b_shape)`` valid for ``a @ b`` under numpy rules: 1-D vectors,
    matrices and broadcast batches of matrices."""
    return hnp.mutually_broadcastable_shapes(
        signature="(m?,n),(n,p?)->(m?,p?)", max_dims=max_batch_dims, min_side=1, max_side=max_side,
    ).map(lambda s: tuple(s.input_shapes))


def assert_grad_close(fn: Callable[..., Tensor], *inputs: Tensor, **tolerances: Any) -> None:
    """``gradcheck(fn, inputs, **options)`` that raises ``GradcheckError`` with the report. Options are
    gradcheck's: ``eps``, ``atol``, ``rtol`` and ``full`` (True: compare every Jacobian entry of a
    large output, not a random projection)."""
    gradcheck(fn, list(inputs), raise_exception=True, **tolerances)
