"""What ``fit(verbose=...)`` shows, written to ``sys.stdout`` as Keras does.

- ``verbose=2``: one plain line per epoch, ``Epoch 3/10 - 12ms - loss: 0.2500 - accuracy: 0.5000``.
- ``verbose=1`` on a terminal: a live bar, redrawn at most ten times a second, that leaves one
  line per finished epoch; lines wider than the terminal wrap, so every metric shows at 80 columns.
  In Jupyter the live bar is ``tqdm.auto``'s (a widget when ipywidgets is installed).
- ``verbose=1`` into a file or a pipe (a log): the plain lines of ``verbose=2``, never a ``\\r``.
- More than ``MANY_EPOCHS`` epochs (the XOR job's 2000 epochs of 4 samples): the live bar runs over
  the epochs instead of over each epoch's batches, and ``verbose=1`` keeps a line only for the first
  epoch, every ``epochs / 20``-th and the last (``verbose=2`` still prints them all).
"""
from __future__ import annotations

import math
import shutil
import sys
import time
from typing import Any, Callable, TextIO

__all__ = ["Progress", "MANY_EPOCHS"]

MANY_EPOCHS = 100  # beyond this, one bar over the epochs and about 20 epoch lines
_REDRAW = 0.1      # seconds between two redraws of a live bar


def format_logs(logs: dict[str, float]) -> list[str]:
    """['loss: 0.2500', 'accuracy: 0.5000', …] — Keras's four decimals."""
    return [f"{k}: {v:.4f}" for k, v in logs.items()]


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.1f}s"


def _wrap(parts: list[str], width: int) -> list[str]:
    """Join ``parts`` with ' - ' into lines of at most ``width`` characters; a part never splits,
    continuation lines are indented."""
    lines, line = [], parts[0]
    for part in parts[1:]:
        if len(line) + 3 + len(part) <= width:
            line += " - " + part
        else:
            lines.append(line)
            line = "    " + part
    return lines + [line]


def _in_notebook() -> bool:
    """True inside a Jupyter or Colab kernel (where stdout is no terminal but shows a live widget)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return type(shell).__name__ == "ZMQInteractiveShell" or "google.colab" in sys.modules


def _tqdm() -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


class Progress:
    """``fit``'s output for ``epochs`` epochs of ``steps`` batches. Call ``batch`` after each batch,
    ``end_epoch`` after each epoch and ``close`` at the end (also on an error: it clears the live bar)."""

    def __init__(self, epochs: int, steps: int, verbose: int, file: TextIO | None = None):
        self.file = file if file is not None else sys.stdout
        self.epochs, self.steps, self.verbose = epochs, steps, verbose
        self.over_epochs = epochs > MANY_EPOCHS
        self.every = max(1, math.ceil(epochs / 20)) if verbose == 1 and self.over_epochs else 1
        self.mode = "silent" if verbose == 0 else "lines"
        tqdm = _tqdm() if verbose == 1 and _in_notebook() else None
        if tqdm is not None:
            self.mode, self._tqdm = "notebook", tqdm
        elif verbose == 1 and _isatty(self.file):
            self.mode = "terminal"
        self.live = self.mode in ("terminal", "notebook")  # is there a bar to update per batch?
        self._bar: Any = None      # the notebook's tqdm bar
        self._drawn = 0            # lines of the terminal's live area now on screen
        self._last_draw = -math.inf
        self._epoch = 0
        self._epoch_logs: dict[str, float] = {}

    # -- what fit calls -----------------------------------------------------------------------
    def batch(self, done: int, logs: Callable[[], dict[str, float]]) -> None:
        """``done`` batches of this epoch are finished; ``logs()`` gives the running loss and metrics."""
        if not self.live or self.over_epochs:
            return
        now = time.perf_counter()
        if now - self._last_draw < _REDRAW and done < self.steps:
            return
        self._last_draw = now
        if self.mode == "notebook":
            if self._bar is None:
                self._bar = self._tqdm(total=self.steps, desc=f"Epoch {self._epoch + 1}/{self.epochs}",
                                       leave=False, file=self.file, unit="batch")
            self._bar.set_postfix_str(" - ".join(format_logs(logs())), refresh=False)
            self._bar.update(done - self._bar.n)
        else:
            self._draw(self._bar_lines(f"Epoch {self._epoch + 1}/{self.epochs}", done / max(self.steps, 1),
                                       f"{done}/{self.steps}", logs()))

    def end_epoch(self, epoch: int, logs: dict[str, float], seconds: float) -> None:
        """Epoch ``epoch`` (0-based) finished with these logs (validation included)."""
        self._epoch, self._epoch_logs = epoch + 1, logs
        if self.mode == "silent":
            return
        last = epoch == self.epochs - 1
        keep = epoch == 0 or last or (epoch + 1) % self.every == 0
        line = [f"Epoch {epoch + 1}/{self.epochs}", _duration(seconds)] + format_logs(logs)
        if self.mode == "lines":
            if keep:
                self._print(" - ".join(line))
        elif self.mode == "notebook":
            self._end_epoch_notebook(line, keep, last)
        else:
            self._end_epoch_terminal(line, keep, last)

    def close(self) -> None:
        """Take the live bar off the screen (at the end of fit, or when it stops on an error)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self._drawn:
            self._clear()

    # -- notebook (tqdm.auto) -----------------------------------------------------------------
    def _end_epoch_notebook(self, line: list[str], keep: bool, last: bool) -> None:
        if not self.over_epochs:
            self.close()  # the epoch's bar goes; its line stays
            self._print(" - ".join(line))
            return
        if self._bar is None:
            self._bar = self._tqdm(total=self.epochs, desc="Epochs", leave=False, file=self.file,
                                   unit="epoch")
        self._bar.set_postfix_str(" - ".join(format_logs(self._epoch_logs)), refresh=False)
        self._bar.update(self._epoch - self._bar.n)
        if keep:
            self._print(" - ".join(line))
        if last:
            self.close()

    # -- terminal: a live area of one or more lines, redrawn in place --------------------------
    def _end_epoch_terminal(self, line: list[str], keep: bool, last: bool) -> None:
        if keep:
            self._clear()
            self._print("\n".join(_wrap(line, self._width())))
        if last:
            self.close()
            return
        now = time.perf_counter()
        if self.over_epochs and (keep or now - self._last_draw >= _REDRAW):
            self._last_draw = now
            self._draw(self._bar_lines(f"Epoch {self._epoch}/{self.epochs}", self._epoch / self.epochs, "",
                                       self._epoch_logs))

    def _width(self) -> int:
        return max(40, shutil.get_terminal_size((80, 24)).columns) - 1  # the last column would wrap

    def _bar_lines(self, head: str, fraction: float, count: str, logs: dict[str, float]) -> list[str]:
        """'Epoch 3/10 [=====>    ] 3/4 - loss: 0.2500 - …', wrapped to the terminal's width."""
        width = self._width()
        metrics = format_logs(logs)
        rest = len(head) + 3 + (1 + len(count) if count else 0) + sum(3 + len(m) for m in metrics)
        size = min(30, max(10, width - rest))
        filled = int(fraction * size)
        bar = "=" * filled + (">" if filled < size else "") + "." * (size - filled - 1)
        first = f"{head} [{bar}]" + (f" {count}" if count else "")
        return _wrap([first] + metrics, width)

    def _draw(self, lines: list[str]) -> None:
        up = f"\x1b[{self._drawn - 1}A" if self._drawn > 1 else ""
        self.file.write("\r" + up + "\n".join(line + "\x1b[K" for line in lines))
        self.file.flush()
        self._drawn = len(lines)

    def _clear(self) -> None:
        if self._drawn:
            up = f"\x1b[{self._drawn - 1}A" if self._drawn > 1 else ""
            self.file.write("\r" + up + "\x1b[J")
            self.file.flush()
            self._drawn = 0

    def _print(self, text: str) -> None:
        self.file.write(text + "\n")
        self.file.flush()


def _isatty(file: Any) -> bool:
    try:
        return bool(file.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed file
        return False
