"""Loss modules: thin wrappers of the functions in ``functional`` (``loss_fn(pred, target)``).

Each takes ``reduction="mean" | "sum" | "none"`` and has no parameters, so ``MSELoss()(pred, y)``
is ``functional.mse_loss(pred, y)``.
"""
from __future__ import annotations

from typing import Any, Callable

from .. import checks
from ..tensor import Tensor
from . import functional as F
from .module import Module

__all__ = ["MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss"]


class _Loss(Module):
    fn: Callable[..., Tensor]

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        checks.one_of(type(self).__name__, "reduction", reduction, ("mean", "sum", "none"))
        self.reduction = reduction

    def forward(self, pred: Any, target: Any) -> Tensor:
        return type(self).fn(pred, target, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """mean((pred - target)²)"""
    fn = staticmethod(F.mse_loss)


class L1Loss(_Loss):
    """mean(|pred - target|)"""
    fn = staticmethod(F.l1_loss)


class BCELoss(_Loss):
    """-(y·log p + (1-y)·log(1-p)) on probabilities p, clipped to [1e-7, 1-1e-7]"""
    fn = staticmethod(F.binary_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    """softplus(z) - y·z on logits z: BCE of sigmoid(z), stable for any logit; gradient σ(z) - y"""
    fn = staticmethod(F.binary_cross_entropy_with_logits)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits (N, C) against class indices (N,) or probability rows (N, C);
    one fused op whose gradient on the logits is softmax - y"""
    fn = staticmethod(F.cross_entropy)


class NLLLoss(_Loss):
    """-log_probs[i, target_i] (feed it log_softmax outputs)"""
    fn = staticmethod(F.nll_loss)
