"""Checks of the benchmark suite itself: ``python -m pytest benchmarks/test_benchmarks.py -q`` (~10 s).

Not in the project's default ``testpaths``: these time code, and the suite's own correctness
check (every implementation computes the reference's losses) is ``run.py --check``.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import mg_cells  # noqa: E402
import reference  # noqa: E402
from run import _as_array  # noqa: E402

RUN = [sys.executable, os.path.join(HERE, "run.py")]


def test_every_minigrad_cell_computes_the_reference_losses():
    out = subprocess.run(RUN + ["--check"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "MISMATCH" not in out.stdout
    assert out.stdout.count(" ok") >= 4  # W1, W2 float32, W2 float64, W4 at least


@pytest.mark.parametrize("name", ["w1_xor", "w2_mnist", "w4_chain"])
def test_cell_matches_reference_and_losses_move_between_steps(name):
    """The cell returns the reference's losses, and those losses change from step to step, so a cell
    that skipped or botched its update would not match."""
    ref = getattr(reference, name)(np.float32)
    cell = getattr(mg_cells, name)(np.float32)
    want = [_as_array(ref()) for _ in range(3)]
    got = [_as_array(cell()) for _ in range(3)]
    assert all(np.allclose(g, w, rtol=2e-3) for g, w in zip(got, want))
    if name != "w4_chain":  # W4 has no update; its loss and gradient are checked directly
        ref2 = getattr(reference, name)(np.float32)
        ref2()
        ref2()  # two steps ahead: its third loss differs from the cell's first
        assert not np.allclose(_as_array(ref2()), got[0], rtol=1e-6)


def test_ratio_of_a_function_to_itself_is_about_one():
    a = np.random.default_rng(0).random(1000)

    def work():
        return np.sort(a)

    res = harness.compare(lambda: work, lambda: work, rounds=5, target=0.01)
    assert 0.5 < res.median < 2.0
    assert len(res.ratios) == 5 and res.low <= res.median <= res.high


def test_peak_memory_sees_a_numpy_buffer_allocated_in_the_step():
    def build():
        def step():
            return np.ones(1_000_000).sum()  # 8 MB, freed when the step returns
        return step

    assert harness.peak_memory(build) >= 8_000_000


def test_ratio_shows_three_decimals_only_near_the_target():
    res = harness.Result([1.104, 1.10, 1.12], [1.0] * 3, [1.0] * 3)
    assert harness.fmt_ratio(res, 1.10).startswith("1.104×")
    assert harness.fmt_ratio(res, 2.5).startswith("1.10×")


def test_quick_run_prints_one_markdown_table():
    out = subprocess.run(RUN + ["--quick", "--only", "W1,W4", "--rounds", "1", "--target", "0.005"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = [line for line in out.stdout.splitlines() if line.startswith("| W")]
    assert [r.split("|")[1].strip()[:2] for r in rows] == ["W1", "W4", "W1", "W4"]  # eager, then mg.jit
    assert all(r.count("|") == 10 for r in rows)
    assert "BLAS" in out.stdout and "OPENBLAS_CORETYPE" in out.stdout


@pytest.mark.parametrize("name", ["w1_xor", "w4_chain", "w2_mnist", "w1_in_place"])
def test_floor_cells_compute_the_reference_numbers(name):
    """benchmarks/floor.py is a lower bound only if it does the reference's work: same losses (and,
    for W4, the same input gradient), step after step."""
    import floor

    ref = getattr(reference, name.replace("_in_place", "_xor"))(np.float32)
    cell = getattr(floor, name)(np.float32)
    for _ in range(3):
        want, got = ref(), cell()
        if name == "w4_chain":
            assert np.allclose(got[0], want[0], rtol=1e-5) and np.allclose(got[1], want[1], rtol=1e-4)
        else:
            assert np.allclose(got, want, rtol=1e-5)
