"""Every ```python block of README.md and docs/*.md runs, so no example in the docs can rot.

Each block runs alone, as a reader pastes it: in a fresh interpreter and namespace, in a temporary
working directory, with ``MPLBACKEND=Agg``. A block whose first line is ``# (continued)`` runs in the
namespace of the block before it (the whole sequence is one test). Blocks fenced as ```text,
```console or ```bash are not run; a fence must name its language, so the intent is always written down.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
CONTINUED = "# (continued)"
FENCE = re.compile(r"^(`{3,}|~{3,})(.*)$")

# runs the blocks of one sequence in one namespace; a traceback names the doc file and its line
RUNNER = """
import json, sys
blocks = json.load(sys.stdin)
namespace = {"__name__": "__main__"}
for where, first_line, source in blocks:
    code = compile("\\n" * (first_line - 1) + source, where, "exec")
    exec(code, namespace)
"""


def fenced_blocks(path: Path):
    """(language, first line number of the code, code) for every fenced block of a Markdown file."""
    blocks, lines, i = [], path.read_text(encoding="utf-8").splitlines(), 0
    while i < len(lines):
        m = FENCE.match(lines[i].strip())
        if not m:
            i += 1
            continue
        fence, lang, start = m.group(1), m.group(2).strip().lower(), i + 1
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            i += 1
        if i == len(lines):
            raise AssertionError(f"{path.name}:{start}: code block is never closed")
        blocks.append((lang, start + 1, "\n".join(lines[start:i])))
        i += 1
    return blocks


def python_sequences():
    """Each sequence: a block and the `# (continued)` blocks after it, as one test."""
    cases = []
    for path in DOCS:
        rel = path.relative_to(REPO).as_posix()
        seq: list = []
        for lang, line, code in fenced_blocks(path):
            if lang != "python":
                continue
            if code.lstrip().startswith(CONTINUED):
                assert seq, f"{rel}:{line}: '{CONTINUED}' but no python block before it"
                seq.append((rel, line, code))
                continue
            if seq:
                cases.append(seq)
            seq = [(rel, line, code)]
        if seq:
            cases.append(seq)
    return cases


SEQUENCES = python_sequences()


def test_the_docs_have_python_blocks():
    assert len(SEQUENCES) >= 10


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_fence_names_its_language(path):
    bare = [line for lang, line, _ in fenced_blocks(path) if not lang]
    assert bare == [], f"{path.name}: fences without a language (python, text, console, bash) at lines {bare}"


@pytest.mark.parametrize("blocks", SEQUENCES, ids=[f"{s[0][0]}:{s[0][1]}" for s in SEQUENCES])
def test_doc_block_runs_alone(blocks, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)}
    proc = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(blocks), capture_output=True,
                          text=True, cwd=tmp_path, env=env, timeout=120)
    if proc.returncode != 0:
        where = f"{blocks[0][0]}:{blocks[0][1]}"
        pytest.fail(f"{where} failed when run alone:\n{proc.stderr[-4000:]}", pytrace=False)


def test_no_file_names_a_path_of_the_machine_it_was_written_on():
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True)
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    roots = ["/" + "work/", "/" + "root/", "/" + "tmp/"]  # spelled in pieces so this file passes itself
    found = []
    for name in tracked.stdout.split():
        path = REPO / name
        if path.suffix not in (".md", ".py", ".sh", ".toml", ".ipynb", ".txt", ".cfg") or not path.is_file():
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if any(root in line for root in roots):
                found.append(f"{name}:{n}: {line.strip()[:100]}")
    assert found == [], "machine paths in the repository:\n" + "\n".join(found)
