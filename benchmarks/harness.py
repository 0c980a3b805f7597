"""Timing by ratios: each call of the measured cell runs between two calls of its NumPy reference.

The host this project runs on switches between speed states (~1.7x apart) within seconds, so an
absolute time means little, and even two timings a tenth of a second apart can land in different
states. What is stable is the ratio of two codes timed call by call, interleaved. One *round* is::

    for each of n pairs:  time one reference call, then one cell call
    ratio = (sum of the cell's times) / (sum of the reference's times)

so every cell call sits between two reference calls, and a speed switch hits both sides alike.
A cell's result is the median ratio over several rounds, with the range (min-max) beside it;
``n`` is calibrated so one round lasts about ``target`` seconds.

Each round builds the cell and the reference afresh, behind spacers of random size and in
alternating order, so their arrays land at different addresses from round to round. Where large
arrays sit relative to each other (which cache sets they share, 4 KiB aliasing between a loop's
inputs and output) moves a step's time by up to ±10 % for as long as those arrays live; built once,
one process's placement stood for all its rounds, and the same code read 0.89-1.14x against itself
from process to process (0.97-1.03x with a placement per round).
"""
from __future__ import annotations

import random
import statistics
import time
import tracemalloc
from dataclasses import dataclass, field
from typing import Callable

Step = Callable[[], object]


def time_calls(fn: Step, n: int) -> float:
    """Seconds per call of ``fn`` over ``n`` back-to-back calls."""
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def calibrate(fn: Step, target: float) -> int:
    """How many calls of ``fn`` take about ``target`` seconds (at least one)."""
    n = 1
    while True:
        t = time_calls(fn, n) * n
        if t >= target / 8 or n >= 1 << 20:
            return max(1, round(n * target / max(t, 1e-9)))
        n *= 2


@dataclass
class Result:
    """Ratios of one cell against its reference; times are seconds per call (medians)."""

    ratios: list = field(default_factory=list)
    cell_times: list = field(default_factory=list)
    ref_times: list = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)

    @property
    def low(self) -> float:
        return min(self.ratios)

    @property
    def high(self) -> float:
        return max(self.ratios)

    @property
    def cell_time(self) -> float:
        return statistics.median(self.cell_times)

    @property
    def ref_time(self) -> float:
        return statistics.median(self.ref_times)


def compare(build_cell: Callable[[], Step], build_ref: Callable[[], Step], *, rounds: int, target: float,
            warmup: int = 3, seed: int = 0) -> Result:
    """Time the step ``build_cell()`` makes against the one ``build_ref()`` makes, call by call, for
    ``rounds`` rounds, each with freshly built steps (see the module docstring)."""
    spacers = random.Random(seed)
    clock = time.perf_counter
    res = Result()
    n = 0
    for r in range(rounds):
        # held through the round, so what is built next lands elsewhere in memory
        spacer = [bytearray(spacers.randrange(1, 1 << 20))]
        spacer += [bytearray(spacers.randrange(1, 4096)) for _ in range(3)]
        if r % 2:  # which is built first alternates too: the second one's arrays are placed after the first's
            cell, ref = build_cell(), build_ref()
        else:
            ref, cell = build_ref(), build_cell()
        for _ in range(warmup):
            cell()
            ref()
        n = n or calibrate(lambda: (ref(), cell()), target)
        ref_total = cell_total = 0.0
        for _ in range(n):
            t0 = clock()
            ref()
            t1 = clock()
            cell()
            t2 = clock()
            ref_total += t1 - t0
            cell_total += t2 - t1
        res.ratios.append(cell_total / ref_total)
        res.cell_times.append(cell_total / n)
        res.ref_times.append(ref_total / n)
        spacer = ref = cell = None  # the round's arrays go before the next round is built
    return res


def peak_memory(build: Callable[[], Step], steps: int = 2) -> int:
    """Peak bytes held (Python objects and NumPy buffers, as tracemalloc sees them) while a workload
    trains: everything it keeps (data, parameters, gradients, optimizer state) plus the temporaries of
    one step at their highest. ``build()`` makes the step function under tracing, ``steps`` steps warm
    it up, then the peak of one more step is read."""
    tracemalloc.start()
    try:
        step = build()
        for _ in range(steps):
            step()
        tracemalloc.reset_peak()
        step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def fmt_time(seconds: float) -> str:
    """12.3 µs / 4.56 ms / 1.23 s."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_ratio(res: Result | None, target: float | None = None) -> str:
    """'1.23× (1.10–1.40)', a dash when the cell did not run; three decimals when the median is
    within 0.01 of ``target``, so the table shows which side of it the median fell."""
    if res is None:
        return "—"
    digits = 3 if target is not None and abs(res.median - target) < 0.01 else 2
    return f"{res.median:.{digits}f}× ({res.low:.2f}–{res.high:.2f})"
