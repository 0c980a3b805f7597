"""Helpers shared by the example scripts: quick mode, the output folder, and saving loss curves.

Quick mode (``--quick`` or ``MINIGRAD_EXAMPLE_QUICK=1``) runs a few epochs only: the smoke tests
use it. Pictures go to ``examples/out/`` (git-ignored), or to ``$MINIGRAD_EXAMPLE_OUT`` when set.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

QUICK = os.environ.get("MINIGRAD_EXAMPLE_QUICK", "") not in ("", "0") or "--quick" in sys.argv[1:]
OUT = Path(os.environ.get("MINIGRAD_EXAMPLE_OUT") or Path(__file__).resolve().parent / "out")


def epochs(full: int, quick: int = 3) -> int:
    """``full`` normally, ``quick`` in quick mode."""
    return quick if QUICK else full


def out_path(name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    return OUT / name


def save_curve(history, name: str, title: str | None = None) -> Path | None:
    """Save ``history.plot()`` as a PNG in the output folder (skipped without matplotlib)."""
    try:
        fig = history.plot(title)
    except ImportError as exc:
        print(f"(no loss curve: {exc})")
        return None
    path = out_path(name)
    fig.savefig(path, dpi=100)
    print(f"loss curve saved to {path}")
    return path


def save_graph(graph, name: str) -> Path:
    """Render a graphviz.Digraph to SVG; without Graphviz's `dot` program, save the DOT text instead."""
    path = out_path(name)
    try:
        path.write_bytes(graph.pipe(format="svg"))
    except Exception as exc:  # graphviz.ExecutableNotFound and friends: keep the DOT source
        path = path.with_suffix(".dot")
        path.write_text(graph.source)
        print(f"(Graphviz 'dot' not usable: {type(exc).__name__}; wrote the DOT text instead)")
    print(f"graph saved to {path}")
    return path
