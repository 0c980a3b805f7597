"""Learning-rate schedules, PyTorch style: create after the optimizer, call ``.step()`` once per epoch.

    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    sched = mg.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(...)        # opt.step() per batch, with lr = sched.get_last_lr()[0]
        sched.step()

The learning rate of epoch ``e`` (``e = 0`` before the first ``.step()``) is computed in closed form
from the optimizer's lr at the scheduler's creation (``base_lr``), so a manual change of ``opt.lr``
lasts only until the next ``.step()``.
"""
from __future__ import annotations

from bisect import bisect_right
from typing import Any, Iterable

from .. import checks
from .optimizers import Optimizer

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR"]


class LRScheduler:
    """Base class: ``lr_at(epoch)`` is the schedule; ``step()`` advances the epoch and sets ``opt.lr``."""

    def __init__(self, optimizer: Optimizer):
        if not isinstance(optimizer, Optimizer):
            checks.fail(type(self).__name__, "optimizer", optimizer, "an mg.optim optimizer", TypeError)
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        self.optimizer.lr = self.lr_at(0)

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> None:
        """Move to the next epoch and set the optimizer's lr for it."""
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def get_last_lr(self) -> list[float]:
        """The lr set by the last ``step()`` (or at creation), as a one-element list like PyTorch's."""
        return [self.lr_at(self.last_epoch)]

    def state_dict(self) -> dict[str, Any]:
        """The schedule's settings and position (not the optimizer, which has its own state_dict)."""
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``state_dict()``'s values (as in PyTorch, the optimizer's lr is set by the next step)."""
        mine = self.state_dict()
        unknown = sorted(set(state_dict) - set(mine))
        missing = sorted(set(mine) - set(state_dict))
        if unknown or missing:
            raise ValueError(f"{type(self).__name__}.load_state_dict: missing keys {missing}, "
                             f"unexpected keys {unknown} (is it the state of another schedule?)")
        for k, v in state_dict.items():
            current = mine[k]
            if isinstance(current, list):
                v = [int(x) for x in v]
            elif isinstance(current, int):
                v = int(v)
            else:
                v = float(v)
            setattr(self, k, v)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(epoch={self.last_epoch}, lr={self.get_last_lr()[0]:g})"


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size): multiply by gamma every ``step_size`` epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        self.step_size = checks.integer("StepLR", "step_size", step_size, low=1)
        self.gamma = checks.number("StepLR", "gamma", gamma, low=0.0)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma ** (number of milestones <= epoch): multiply by gamma at each milestone.

    Lecture 04's "step" decay: ``MultiStepLR(opt, milestones=[30, 60, 90], gamma=0.1)``. A milestone
    listed twice applies gamma twice, as in PyTorch.
    """

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1):
        if isinstance(milestones, (str, bytes)) or not hasattr(milestones, "__iter__"):
            checks.fail("MultiStepLR", "milestones", milestones, "a list of epoch numbers", TypeError)
        self.milestones = sorted(checks.integer("MultiStepLR", "milestone", m, low=0) for m in milestones)
        self.gamma = checks.number("MultiStepLR", "gamma", gamma, low=0.0)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** bisect_right(self.milestones, epoch)


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** epoch: multiply by gamma every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float):
        self.gamma = checks.number("ExponentialLR", "gamma", gamma, low=0.0)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** epoch
