"""Summarise a py-spy raw (collapsed-stack) profile of ``profile_cells.py --no-profile``.

    py-spy record -r 400 -f raw -o w1.raw -- python benchmarks/profile_cells.py W1 --no-profile --steps 30000
    python benchmarks/spy_summary.py w1.raw

Only samples inside the timed ``step`` count. Prints the functions by own time (the frame on top
of the stack, time in C code it called included) and by inclusive time, and the hottest lines.
"""
from __future__ import annotations

import collections
import re
import sys

FRAME = re.compile(r"^(?P<name>.*) \((?P<file>[^:()]*):(?P<line>\d+)\)$")


def parse(path: str):
    for raw in open(path):
        stack, _, count = raw.rstrip("\n").rpartition(" ")
        frames = [FRAME.match(f) for f in stack.split(";")]
        frames = [(m["name"], m["file"].rsplit("/", 1)[-1], int(m["line"])) for m in frames if m]
        while frames and not frames[0][0].endswith(".step"):  # keep what is inside the step function
            frames.pop(0)
        if frames:
            yield frames, int(count)


def main(path: str, top: int = 15) -> None:
    own, incl, lines = collections.Counter(), collections.Counter(), collections.Counter()
    total = 0
    for frames, n in parse(path):
        total += n
        name, file, line = frames[-1]
        own[f"{name} ({file})"] += n
        lines[f"{file}:{line} in {name}"] += n
        for fn in {f"{nm} ({fl})" for nm, fl, _ in frames}:
            incl[fn] += n
    print(f"{total} samples inside step()\n\nown %  function")
    for fn, n in own.most_common(top):
        print(f"{100 * n / total:5.1f}  {fn}")
    print("\nincl %  function")
    for fn, n in incl.most_common(top):
        print(f"{100 * n / total:5.1f}  {fn}")
    print("\nown %  line")
    for ln, n in lines.most_common(top):
        print(f"{100 * n / total:5.1f}  {ln}")


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:]))
