"""minigrad speed benchmarks: five workloads, each as a ratio to the same network written in NumPy.

    python benchmarks/run.py                 # full run (21 rounds), minigrad vs NumPy
    python benchmarks/run.py --quick         # 5 short rounds
    python benchmarks/run.py --only W1,W4    # some workloads (W1 W2 W3 W4 W5 MEM)
    ../bench-venv/bin/python benchmarks/run.py --peers   # add PyTorch / MyGrad / autograd columns

Prints one markdown table on stdout. See benchmarks/README.md for the method and the workloads.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
from dataclasses import dataclass
from typing import Callable

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.append(os.path.dirname(HERE))  # the repo root, if minigrad is not installed; PYTHONPATH wins

import harness  # noqa: E402
import mg_cells  # noqa: E402
import numpy as np  # noqa: E402
import peers  # noqa: E402
import reference  # noqa: E402
from mg_cells import NotAvailable  # noqa: E402


@dataclass
class Row:
    key: str          # W1..W5, the --only name
    label: str
    target: float | None  # the floor the eager engine must hold (None: a noise-floor row)
    minigrad: Callable
    ref: Callable
    dtype: type = np.float32
    unit: int = 1     # the timed call does `unit` steps (W5) or ops (W4): also shown per unit
    unit_name: str = ""
    ref_name: str = "NumPy"
    peers: bool = True  # peers have a cell for this row (the minigrad-jit rows: no)


# The floors of the readable eager engine (issue 15); speed beyond them is the compiled step's job.
ROWS = [
    Row("W1", "W1 XOR 2-2-1 sigmoid, MSE, SGD, 1 sample/step", 1.8, mg_cells.w1_xor, reference.w1_xor),
    Row("W2", "W2 784-100-10 softmax-CE, SGD, batch 256, float32", 1.10, mg_cells.w2_mnist,
        reference.w2_mnist),
    Row("W2", "W2 same, float64", 1.10, mg_cells.w2_mnist, reference.w2_mnist, dtype=np.float64),
    # W2's noise floor: a second, identical NumPy reference timed in minigrad's place. Its ratio is
    # not 1.00: where each instance's large arrays land in memory moves their BLAS and elementwise
    # times by up to ~±10 % from one process to the next (minigrad and peers pay the same).
    Row("W2", "W2 noise floor: a second NumPy reference in minigrad's place, float32", None,
        reference.w2_mnist, reference.w2_mnist),
    Row("W2", "W2 noise floor, float64", None, reference.w2_mnist, reference.w2_mnist, dtype=np.float64),
    Row("W3", "W3 16 x Dense(64) relu, MSE, Adam, batch 32", 1.4, mg_cells.w3_deep, reference.w3_deep),
    Row("W4", "W4 chain of 1,000 elementwise ops on (16,), fwd+bwd", 3.0, mg_cells.w4_chain,
        reference.w4_chain, unit=1000, unit_name="op"),
    Row("W5", "W5 XOR `model.fit(batch_size=1)` vs minigrad manual loop", 1.3, mg_cells.w5_fit,
        mg_cells.w5_manual, unit=4 * 25, unit_name="step", ref_name="minigrad manual loop"),
    # Compiled steps (mg.jit, issue 18): the same workloads recorded once and replayed; the targets
    # are the issue's.
    Row("W1", "W1 minigrad-jit", 0.8, mg_cells.w1_xor_jit, reference.w1_xor, peers=False),
    Row("W2", "W2 minigrad-jit, float32", 1.00, mg_cells.w2_mnist_jit, reference.w2_mnist, peers=False),
    Row("W2", "W2 minigrad-jit, float64", 1.00, mg_cells.w2_mnist_jit, reference.w2_mnist, dtype=np.float64,
        peers=False),
    Row("W3", "W3 minigrad-jit", 1.0, mg_cells.w3_deep_jit, reference.w3_deep, peers=False),
    Row("W4", "W4 minigrad-jit", 1.2, mg_cells.w4_chain_jit, reference.w4_chain, unit=1000, unit_name="op",
        peers=False),
    Row("W2", "W2 the Keras way: `fit(jit_compile=True)` vs a manual `mg.jit` loop (2 epochs x 4 batches)",
        1.05, mg_cells.w2_fit_jit, mg_cells.w2_manual_jit, unit=8, unit_name="step",
        ref_name="minigrad-jit manual loop", peers=False),
]
MEM_TARGET = 1.10


def machine_info() -> dict:
    info = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "nproc": os.cpu_count(),
        "load average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE", "(unset)"),
        "OMP/OPENBLAS_NUM_THREADS": f"{os.environ.get('OMP_NUM_THREADS', '(unset)')}/"
                                    f"{os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}",
    }
    try:
        import threadpoolctl

        info["BLAS"] = "; ".join(f"{p.get('internal_api')} {p.get('version')} {p.get('architecture')} "
                                 f"{p.get('num_threads')} threads"
                                 for p in threadpoolctl.threadpool_info() if p.get("user_api") == "blas")
    except ImportError:
        info["BLAS"] = "(threadpoolctl not installed)"
    return info


def _git_state(path: str) -> str:
    """'git 1a2b3c4' or 'git 1a2b3c4-dirty' for the checkout holding ``path``, or 'not a git checkout'."""
    import subprocess

    try:
        out = subprocess.run(["git", "-C", os.path.dirname(path), "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=10)
        return f"git {out.stdout.strip()}" if out.returncode == 0 else "not a git checkout"
    except (OSError, subprocess.SubprocessError):
        return "git not available"


def _build(factory: Callable, dtype) -> Callable | str:
    """The step function, or the reason it is not available."""
    try:
        return factory(dtype)
    except NotAvailable as exc:
        return f"n/a (not available: {exc})"


def _cell(factory: Callable, row: "Row", args) -> harness.Result | str:
    """The cell ``factory`` makes, timed against the row's reference (each round builds both anew)."""
    step = _build(factory, row.dtype)
    if isinstance(step, str):
        return step
    del step
    return harness.compare(lambda: factory(row.dtype), lambda: row.ref(row.dtype), rounds=args.rounds,
                           target=args.target)


def _fmt(res, unit: int = 1, unit_name: str = "", target: float | None = None) -> tuple:
    """(time text, ratio text) for a Result or a reason string."""
    if isinstance(res, str):
        return "", "n/a (not available)" if res.startswith("n/a") else res
    t = harness.fmt_time(res.cell_time)
    if unit > 1:
        t += f" ({harness.fmt_time(res.cell_time / unit)}/{unit_name})"
    return t, harness.fmt_ratio(res, target)


def _selected(args) -> list:
    return [(i, row) for i, row in enumerate(ROWS) if not args.only or row.key in args.only]


def run_minigrad(args) -> dict:
    """{row index: Result or reason} for the minigrad cells (this process never imports a peer)."""
    out = {}
    for i, row in _selected(args):
        ref_step = _build(row.ref, row.dtype)
        out[i] = ref_step if isinstance(ref_step, str) else _cell(row.minigrad, row, args)
        print(f"  done: {row.label}", file=sys.stderr, flush=True)
    return out


def run_peer(name: str, args) -> dict:
    """{row index: Result or reason} for one peer library's cells (run in a child process)."""
    peers.setup(name)
    out = {}
    for i, row in _selected(args):
        factory = peers.CELLS.get((row.key, name)) if row.target is not None and row.peers else None
        if factory is not None:
            out[i] = _cell(factory, row, args)
            print(f"  done: {row.label} / {name}", file=sys.stderr, flush=True)
    return out


def run_peers_in_children(args) -> dict:
    """{peer name: {row index: Result or reason}}. Each peer runs in its own process: importing a
    large library (torch: ~150,000 objects for the garbage collector to scan) or starting its thread
    pool slows every other cell of the process, minigrad's included."""
    import subprocess
    import tempfile

    results = {}
    for name in peers.PEERS:
        with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
            cmd = [sys.executable, os.path.abspath(__file__), "--peer", name, "--json", tmp.name,
                   "--rounds", str(args.rounds), "--target", str(args.target)]
            if args.only:
                cmd += ["--only", ",".join(sorted(args.only))]
            if args.blas_threads:
                cmd += ["--blas-threads", str(args.blas_threads)]
            proc = subprocess.run(cmd, stdout=subprocess.DEVNULL)
            try:
                with open(tmp.name) as f:
                    raw = json.load(f)["results"]
            except (OSError, ValueError, KeyError):
                results[name] = f"{name}: child process failed (exit {proc.returncode})"
                continue
        results[name] = {int(k): (v["error"] if "error" in v else _result(v)) for k, v in raw.items()}
    return results


def _result(raw: dict) -> harness.Result:
    return harness.Result(raw["ratios"], raw["cell_times"], raw["ref_times"])


def table_lines(mine: dict, peer_results: dict, args) -> tuple:
    lines, notes = [], []
    for i, row in _selected(args):
        res = mine[i]
        if isinstance(res, str):
            notes.append(f"{row.key}: {res}")
        ref_time = ""
        if isinstance(res, harness.Result):
            ref_time = harness.fmt_time(res.ref_time)
            if row.unit > 1:
                ref_time += f" ({harness.fmt_time(res.ref_time / row.unit)}/{row.unit_name})"
        t, ratio = _fmt(res, row.unit, row.unit_name, row.target)
        if row.target is None:
            met = "—"
        else:
            met = "" if isinstance(res, str) else ("yes" if res.median <= row.target else "**no**")
        cols = []
        for name in peers.PEERS:
            pres = peer_results.get(name)
            if isinstance(pres, str):
                cols.append("n/a (failed)")
            elif pres is None or i not in pres:
                cols.append("—")
            else:
                cols.append(_fmt(pres[i])[1])
        target = "—" if row.target is None else f"≤ {row.target}×"
        lines.append(f"| {row.label} | {row.ref_name}: {ref_time} | {t} | {ratio} | {target} | {met} | "
                     + " | ".join(cols) + " |")
    if not args.only or "MEM" in args.only or "W2" in args.only:
        for dtype in (np.float32, np.float64):
            lines.append(memory_row(dtype, notes))
        for dtype in (np.float32, np.float64):
            lines.append(memory_row(dtype, notes, mg_cells.w2_mnist_jit, "minigrad-jit "))
    return lines, notes


def _raw(res) -> dict:
    if isinstance(res, str):
        return {"error": res}
    return {"ratios": res.ratios, "cell_times": res.cell_times, "ref_times": res.ref_times}


def memory_row(dtype, notes: list, cell=mg_cells.w2_mnist, which: str = "") -> str:
    ref = harness.peak_memory(lambda: reference.w2_mnist(dtype))
    step = _build(cell, dtype)
    label = f"W2 {which}peak memory while training, {np.dtype(dtype).name} (tracemalloc)"
    if isinstance(step, str):
        return (f"| {label} | NumPy: {ref / 1e6:.2f} MB | | n/a (not available) | ≤ {MEM_TARGET}× "
                f"| | — | — | — |")
    mg = harness.peak_memory(lambda: cell(dtype))
    ratio = mg / ref
    met = "yes" if ratio <= MEM_TARGET else "**no**"
    return (f"| {label} | NumPy: {ref / 1e6:.2f} MB | {mg / 1e6:.2f} MB | {ratio:.2f}× | ≤ {MEM_TARGET}× "
            f"| {met} | — | — | — |")


def _as_array(value) -> np.ndarray:
    """A step's return value (loss, or (loss, grad) for W4) from any library as float64 NumPy."""
    if isinstance(value, (tuple, list)):
        return np.concatenate([_as_array(v).ravel() for v in value])
    for attr in ("detach",):  # torch
        if hasattr(value, attr) and hasattr(value, "numpy"):
            value = value.detach().numpy()
    if hasattr(value, "numpy"):  # minigrad
        value = value.numpy()
    if hasattr(value, "data") and not isinstance(value, np.ndarray):  # mygrad
        value = value.data
    return np.asarray(value, dtype=np.float64)


def check(args, steps: int = 3) -> int:
    """Every implementation of a workload, started from the same parameters, returns the same losses
    (W4: loss and input gradient) as the NumPy reference for ``steps`` steps. W5 is left out: fit's
    shuffling order is its own."""
    bad = 0
    impls = [("minigrad", lambda r: r.minigrad)]
    if args.peers:
        impls += [(n, lambda r, n=n: peers.CELLS.get((r.key, n)) if r.peers else None) for n in peers.PEERS]
    for row in ROWS:
        if row.ref_name != "NumPy" or row.target is None or (args.only and row.key not in args.only):
            continue
        ref = row.ref(row.dtype)
        want = [_as_array(ref()) for _ in range(steps)]
        for name, get in impls:
            factory = get(row)
            step = _build(factory, row.dtype) if factory else "n/a (no cell)"
            if isinstance(step, str):
                print(f"{row.label} / {name}: skipped, {step}")
                continue
            got = [_as_array(step()) for _ in range(steps)]
            err = max(float(np.max(np.abs(g - w) / (np.abs(w) + 1e-6))) for g, w in zip(got, want))
            ok = err < (2e-3 if row.dtype == np.float32 else 1e-8)
            bad += not ok
            print(f"{row.label} / {name}: max relative difference {err:.2e} {'ok' if ok else 'MISMATCH'}")
    return 1 if bad else 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="5 rounds of ~30 ms timings instead of 21 of ~100 ms")
    p.add_argument("--only", default="", help="comma-separated workloads: W1,W2,W3,W4,W5,MEM")
    p.add_argument("--peers", action="store_true", help="also time PyTorch, MyGrad and HIPS autograd")
    p.add_argument("--rounds", type=int, help="rounds per cell (default 21, --quick 5)")
    p.add_argument("--target", type=float, help="seconds per round (default 0.1, --quick 0.03)")
    p.add_argument("--w2-loss", choices=("auto", "composed", "fused"), default="auto",
                   help="minigrad's W2 loss: nn.functional.cross_entropy (fused), log_softmax ops "
                        "(composed), or fused when available (auto)")
    p.add_argument("--peer", choices=peers.PEERS, help=argparse.SUPPRESS)  # internal: one peer, as a child
    p.add_argument("--blas-threads", type=int,
                   help="limit BLAS to this many threads (threadpoolctl); default: as the environment says")
    p.add_argument("--check", action="store_true",
                   help="only check that every implementation computes the reference's losses")
    p.add_argument("--json", help="also write the raw ratios and times to this file")
    args = p.parse_args(argv)
    args.only = {s.strip().upper() for s in args.only.split(",") if s.strip()}
    args.rounds = args.rounds or (5 if args.quick else 21)
    args.target = args.target or (0.03 if args.quick else 0.1)
    mg_cells.W2_LOSS = args.w2_loss
    if args.check:
        return check(args)

    if args.blas_threads:
        import threadpoolctl

        threadpoolctl.threadpool_limits(args.blas_threads, user_api="blas")
    info = machine_info()
    if args.peer:  # a child of --peers: time one library, write JSON, print nothing
        res = run_peer(args.peer, args)
        with open(args.json, "w") as f:
            json.dump({"info": info, "results": {i: _raw(r) for i, r in res.items()}}, f)
        return 0
    import minigrad as mg

    info["minigrad"] = f"{mg.__version__} from {os.path.dirname(mg.__file__)} ({_git_state(mg.__file__)})"

    _, w2_loss = mg_cells.w2_loss_fn(*mg_cells.data.mnist_batch(np.float32)[1:], np.float32)
    print(f"# minigrad benchmarks — {info['date']}\n")
    for k, v in info.items():
        if k not in ("date", "command"):
            print(f"- {k}: {v}")
    print(f"\nCommand: `{info['command']}` — {args.rounds} rounds, ~{args.target * 1e3:.0f} ms per round; "
          f"W2 loss in minigrad: {w2_loss}\n")
    print("Ratio = total time of the cell's calls / total time of the NumPy reference's calls, the two "
          "called alternately, one call each in turn; each round builds both afresh (a new memory "
          "placement); median over the rounds (min–max). Peer columns are ratios to "
          "the same NumPy reference.\n")
    print("| workload | reference (per call) | minigrad (per call) | minigrad ÷ reference | target | met "
          "| PyTorch | MyGrad | autograd |")
    print("|---|---|---|---|---|---|---|---|---|")
    mine = run_minigrad(args)
    peer_results = run_peers_in_children(args) if args.peers else {}
    lines, notes = table_lines(mine, peer_results, args)
    notes += [peers.SETUP_NOTE[n] for n in peer_results if n in peers.SETUP_NOTE]
    for line in lines:
        print(line)
    print(f"\nLoad average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for note in notes:
        print(f"\n- {note}")
    if args.json:
        with open(args.json, "w") as f:
            raw = {ROWS[i].label: {"minigrad": _raw(r), **{n: _raw(p[i]) for n, p in peer_results.items()
                                                           if isinstance(p, dict) and i in p}}
                   for i, r in mine.items()}
            json.dump({"info": info, "rounds": args.rounds, "target": args.target, "results": raw}, f,
                      indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
