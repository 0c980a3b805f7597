"""Regenerate every picture and every generated output shown in README.md and docs/*.md from the code
shown beside it: ``python docs/img/make_images.py`` (from anywhere; needs Graphviz's ``dot``).

- A picture ``![…](…/img/NAME.svg)`` is made by the ```python block right next to it (the one that
  starts just below the picture, else the one that ends just above it): the block runs, as a reader
  would paste it, in a fresh namespace in a temporary folder (after the blocks it continues, when
  it starts with ``# (continued)``), and the value of its last line, a ``graphviz.Digraph``, is
  rendered to ``docs/img/NAME.svg``.
- A ```text block placed right after the line ``<!-- output of the block above -->`` is replaced by
  what the python block before it printed.

``python docs/img/make_images.py --check`` changes nothing and exits 1 when a picture or output is
missing or differs from what its code gives now (pictures are compared by their text, which does
not depend on the Graphviz version); ``tests/test_docs_images.py`` runs that check.
"""
from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
IMAGE = re.compile(r"^!\[[^\]]*\]\(((?:docs/)?img/([\w.-]+\.svg))\)\s*$")
OUTPUT_MARK = "<!-- output of the block above -->"
CONTINUED = "# (continued)"
NEAR = 3  # a picture belongs to a block that starts or ends within this many lines of it


def blocks_of(lines: list) -> list:
    """(language, first code line, last code line, code) of every fenced block (0-based line numbers)."""
    out, i = [], 0
    while i < len(lines):
        m = re.match(r"^(`{3,})(\w*)\s*$", lines[i].strip())
        if not m:
            i += 1
            continue
        start = i + 1
        i += 1
        while i < len(lines) and lines[i].strip() != m.group(1):
            i += 1
        out.append((m.group(2).lower(), start, i - 1, "\n".join(lines[start:i])))
        i += 1
    return out


def with_continued(python: list, k: int) -> list:
    """The code of python block k preceded by the blocks it continues."""
    first = k
    while first > 0 and python[first][3].lstrip().startswith(CONTINUED):
        first -= 1
    return [b[3] for b in python[first:k + 1]]


def run(codes: list) -> tuple:
    """Run the blocks in one fresh namespace in a temporary folder: (value of the last line, stdout)."""
    namespace: dict = {"__name__": "__main__"}
    *body, last = codes
    tree = ast.parse(last)
    tail = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    out = io.StringIO()
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(out):
        os.chdir(tmp)
        try:
            for code in body:
                exec(compile(code, "<doc block>", "exec"), namespace)
            exec(compile(tree, "<doc block>", "exec"), namespace)
            value = None
            if tail is not None:  # the last line's value, as a notebook cell shows it
                value = eval(compile(ast.Expression(tail.value), "<doc block>", "eval"), namespace)
        finally:
            os.chdir(cwd)
    return value, out.getvalue()


def svg_text(svg: str) -> list:
    """The words of a picture: the text of its <text> elements, in order."""
    return [re.sub(r"<[^>]*>", "", t).strip() for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)]


def jobs() -> list:
    """(doc, image line or output block, what to do) for every generated thing in the docs."""
    todo = []
    for doc in DOCS:
        lines = doc.read_text(encoding="utf-8").splitlines()
        python = [b for b in blocks_of(lines) if b[0] == "python"]
        for n, line in enumerate(lines):
            m = IMAGE.match(line.strip())
            if m:
                after = [k for k, b in enumerate(python) if 0 < b[1] - n <= NEAR + 1]
                before = [k for k, b in enumerate(python) if 0 < n - b[2] <= NEAR + 1]
                if not (after or before):
                    raise SystemExit(f"{doc.name}:{n + 1}: no python block next to the picture {m.group(1)}")
                todo.append((doc, n, "svg", HERE / m.group(2), with_continued(python, (after or before)[0])))
            if line.strip() == OUTPUT_MARK:
                k = max(k for k, b in enumerate(python) if b[2] < n)
                todo.append((doc, n, "text", None, with_continued(python, k)))
    return todo


def main(check: bool = False) -> int:
    stale: list = []
    # outputs first, one at a time: writing one moves the lines of everything below it
    while True:
        for doc, n, kind, _, codes in jobs():
            if kind == "text" and refresh_output(doc, n, run(codes)[1], check, stale):
                break
        else:
            break
    for doc, n, kind, target, codes in jobs():
        if kind != "svg":
            continue
        value = run(codes)[0]
        if not hasattr(value, "pipe"):
            raise SystemExit(f"{doc.name}:{n + 1}: the last line of the block next to the picture must be "
                             f"a graphviz.Digraph; it gave {type(value).__name__}")
        svg = value.pipe(format="svg").decode("utf-8")
        old = target.read_text(encoding="utf-8") if target.exists() else None
        if old is None or svg_text(old) != svg_text(svg):
            stale.append(f"{target.relative_to(REPO)} (from {doc.name}:{n + 1})")
            if not check:
                target.write_text(svg, encoding="utf-8")
    for item in stale:
        print(("out of date: " if check else "wrote ") + item)
    return 1 if check and stale else 0


def refresh_output(doc: Path, n: int, printed: str, check: bool, stale: list) -> bool:
    """Compare the ```text block after line n with what was printed; rewrite it unless checking.
    True when the file was rewritten."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    fence = [b for b in blocks_of(lines) if b[1] == n + 2]
    if not fence or fence[0][0] != "text":
        raise SystemExit(f"{doc.name}:{n + 1}: a ```text block must follow {OUTPUT_MARK}")
    _, start, end, current = fence[0]
    if current == printed.rstrip("\n"):
        return False
    stale.append(f"{doc.relative_to(REPO)}:{start + 1} (output of the block above)")
    if check:
        return False
    lines[start:end + 1] = printed.rstrip("\n").splitlines()
    doc.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return True


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv[1:]))
