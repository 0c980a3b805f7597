"""What ``fit`` records: ``History`` (one float per epoch and key) and the running means behind it."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

__all__ = ["History", "Tally"]


class Tally:
    """Sample-weighted running means of the loss and the metrics over one pass through the data.

    metrics: (name, fn) pairs, where ``fn(out, y) -> (sum, count)`` scores one batch."""

    def __init__(self, metrics: list[tuple[str, Callable]]):
        self.metrics = metrics
        self.loss, self.samples = 0.0, 0
        self.sums, self.counts = [0.0] * len(metrics), [0] * len(metrics)

    def add(self, loss: float, out: np.ndarray, y: np.ndarray) -> None:
        self.loss += loss * len(out)
        self.samples += len(out)
        for i, (_, fn) in enumerate(self.metrics):
            s, c = fn(out, y)
            self.sums[i] += s
            self.counts[i] += c

    def logs(self) -> dict[str, float]:
        out = {"loss": self.loss / max(self.samples, 1)}
        out.update((m, float(s / max(c, 1))) for (m, _), s, c in zip(self.metrics, self.sums, self.counts))
        return out


class History:
    """What ``fit`` returns, also kept as ``model.history``: ``history.history`` maps "loss" (and
    "accuracy", "val_loss", "val_accuracy", … when asked for) to one float per epoch;
    ``history.epoch`` lists the epoch indices (0-based, as in Keras); ``history.params`` holds
    epochs, steps and verbose. Each epoch is added as it finishes, so an error or Ctrl-C during
    ``fit`` leaves the finished epochs in ``model.history``."""

    def __init__(self, params: dict | None = None):
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.params = dict(params or {})

    def _append(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)

    def __repr__(self) -> str:
        return f"<History epochs={len(self.epoch)} keys={list(self.history)}>"

    def plot(self, title: str | None = None) -> Any:
        """Draw loss (and val_loss) per epoch, plus accuracy (and val_accuracy) beside it when
        recorded; returns the ``matplotlib.figure.Figure`` (``fig.savefig("loss.png")``)."""
        try:
            from matplotlib.figure import Figure
        except ImportError:
            raise ImportError("History.plot needs matplotlib: pip install matplotlib "
                              "(or pip install 'minigrad[examples]')") from None
        groups = [k for k in self.history if not k.startswith("val_")]
        fig = Figure(figsize=(5 * max(len(groups), 1), 3.6), layout="constrained")
        axes = fig.subplots(1, max(len(groups), 1), squeeze=False)[0]
        epochs = np.arange(1, len(self.epoch) + 1)
        for ax, key in zip(axes, groups):
            ax.plot(epochs, self.history[key], label=key)
            if "val_" + key in self.history:
                ax.plot(epochs, self.history["val_" + key], label="val_" + key)
            ax.set_xlabel("epoch")
            ax.set_ylabel(key)
            ax.legend()
            ax.grid(alpha=0.3)
        if title:
            fig.suptitle(title)
        return fig
