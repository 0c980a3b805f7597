"""Where minigrad spends its time on a workload: cProfile of the minigrad cell, as % of the total.

    python benchmarks/profile_cells.py W1            # top functions by own time (tottime)
    python benchmarks/profile_cells.py W4 --steps 50 --sort cumulative --top 30
    python benchmarks/profile_cells.py W2 --dtype float64
    py-spy record -o w4.svg -- python benchmarks/profile_cells.py W4 --no-profile --steps 2000

cProfile adds a fixed cost to every Python call, so it exaggerates the share of small functions;
read the percentages as an order, and check a fix with ``run.py`` ratios. ``--no-profile`` just
runs the steps (for an outside sampling profiler such as py-spy, which has no such bias).
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.append(os.path.dirname(HERE))  # the repo root, if minigrad is not installed; PYTHONPATH wins

import mg_cells  # noqa: E402
import numpy as np  # noqa: E402
import reference  # noqa: E402

CELLS = {"W1": mg_cells.w1_xor, "W2": mg_cells.w2_mnist, "W3": mg_cells.w3_deep, "W4": mg_cells.w4_chain,
         "W5": mg_cells.w5_fit}
REFS = {"W1": reference.w1_xor, "W2": reference.w2_mnist, "W3": reference.w3_deep, "W4": reference.w4_chain,
        "W5": mg_cells.w5_manual}
DEFAULT_STEPS = {"W1": 20000, "W2": 300, "W3": 1000, "W4": 200, "W5": 100}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("workload", choices=sorted(CELLS))
    p.add_argument("--steps", type=int)
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    p.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    p.add_argument("--top", type=int, default=20)
    p.add_argument("--w2-loss", choices=("auto", "composed", "fused"), default="auto")
    p.add_argument("--ref", action="store_true",
                   help="profile the NumPy reference instead (W5: the manual loop)")
    p.add_argument("--no-profile", action="store_true", help="run the steps without cProfile")
    args = p.parse_args(argv)
    mg_cells.W2_LOSS = args.w2_loss
    step = (REFS if args.ref else CELLS)[args.workload](np.dtype(args.dtype).type)
    steps = args.steps or DEFAULT_STEPS[args.workload]
    for _ in range(3):
        step()
    if args.no_profile:
        for _ in range(steps):
            step()
        return 0
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        step()
    prof.disable()
    stats = pstats.Stats(prof)
    total = stats.total_tt
    key = "tottime" if args.sort == "tottime" else "cumulative"
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2 if key == "tottime" else 3], reverse=True)
    which = "reference" if args.ref else "minigrad"
    print(f"{args.workload} {which} {args.dtype}: {steps} steps, {total:.3f} s under cProfile "
          f"({total / steps * 1e6:.1f} µs/step); sorted by {key}\n")
    print(f"{'own %':>6} {'cum %':>6} {'calls/step':>10}  function")
    for (file, line, name), (cc, nc, tt, ct, _) in rows[:args.top]:
        where = f"{os.path.relpath(file, os.path.dirname(HERE)) if file.startswith('/') else file}:{line}"
        print(f"{100 * tt / total:6.1f} {100 * ct / total:6.1f} {nc / steps:10.1f}  {name} ({where})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
