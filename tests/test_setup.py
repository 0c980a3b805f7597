"""The first hour: the README's two commands do all set-up by themselves, and ``dir(mg)`` lists everything.

The commands are run in a fresh ``git clone`` (what is committed), as a new user would: from a plain
shell whose PATH has ``python3`` but no ``python`` and no active environment, and again inside an
active virtualenv and a conda-like environment. The test command runs a one-test pytest selection, so
the suite does not run itself recursively; the main job runs with ``--quick``.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import minigrad as mg

REPO = Path(__file__).resolve().parent.parent
TEST_COMMAND = ["bash", "tests/run.sh", "tests/test_setup.py", "-k", "dir_lists_the_lazy"]
MAIN_JOB = ["bash", "examples/main.sh", "--quick"]
LAZY = ["nn", "optim", "data", "viz", "draw_graph", "plot_model", "save", "load", "testing", "backward_steps"]


def test_dir_lists_the_lazy_attributes_for_tab_completion():
    names = dir(mg)
    assert [n for n in LAZY if n not in names] == []
    assert {"Tensor", "tensor", "no_grad", "gradcheck", "Function"} <= set(names)
    assert names == sorted(names)


def test_every_name_dir_lists_is_an_attribute():
    for name in dir(mg):
        getattr(mg, name)


def _plain_python3() -> str:
    """The system's python3 (on Debian/Ubuntu the PEP 668-locked one) when it can make a venv; else the
    interpreter this venv was made from."""
    system = Path("/usr/bin/python3")
    if system.exists() and subprocess.run([str(system), "-c", "import ensurepip, venv"]).returncode == 0:
        return str(system)
    return str(Path(getattr(sys, "_base_executable", sys.executable)).resolve())


def _run(cmd, cwd, env, timeout=900):
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n" \
                                 f"{proc.stderr[-3000:]}"
    return proc


def _minigrad_location(python, env) -> Path:
    code = "import minigrad; print(minigrad.__file__)"
    proc = subprocess.run([str(python), "-c", code], capture_output=True, text=True, env=env, cwd="/",
                          check=True)
    return Path(proc.stdout.strip())


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """A fresh clone and a plain shell's environment: python3 on PATH, no `python`, no active env."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path_factory.mktemp("setup")
    repo = root / "minigrad"
    subprocess.run(["git", "clone", "-q", str(REPO), str(repo)], check=True)
    bindir = root / "bin"
    bindir.mkdir()
    (bindir / "python3").symlink_to(_plain_python3())
    prefixes = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
    keep = [d for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and not (Path(d) / "python").exists()
            and not any(Path(d).resolve().is_relative_to(p) for p in prefixes if p != Path("/usr"))]
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV", "PYTHONPATH", "PYTHONHOME")}
    # PIP_NO_COMPILE: pip skips byte-compiling what it installs (Python compiles on first import instead)
    env.update(PATH=os.pathsep.join([str(bindir), *keep]), MPLBACKEND="Agg", PIP_NO_COMPILE="1")
    assert shutil.which("python", path=env["PATH"]) is None
    assert shutil.which("python3", path=env["PATH"]) == str(bindir / "python3")
    return repo, env


def test_readme_commands_set_up_everything_from_a_plain_shell(clone):
    repo, env = clone
    main = _run(MAIN_JOB, repo, env)
    assert "Total params: 9" in main.stdout and "XOR" in main.stdout
    assert (repo / "examples" / "out" / "xor_graph.svg").stat().st_size > 0
    venv_python = repo / ".venv" / "bin" / "python"
    assert venv_python.exists()  # made by the main job, not by hand
    test = _run(TEST_COMMAND, repo, env)
    assert "1 passed" in test.stdout
    # both commands used the clone's .venv, with this clone's minigrad installed into it
    assert _minigrad_location(venv_python, env).is_relative_to(repo)


@pytest.fixture(scope="module")
def active_env(clone, tmp_path_factory):
    """A virtualenv of the user's. Made as a copy of the one the plain-shell test filled (the install
    itself is tested there); each test removes its install stamps, so the commands install into it again."""
    repo, _ = clone
    if not (repo / ".venv" / "bin" / "python").exists():
        pytest.skip("needs the plain-shell test's .venv")
    active = tmp_path_factory.mktemp("active") / "env"
    shutil.copytree(repo / ".venv", active, symlinks=True)
    return active


@pytest.mark.parametrize("kind", ["VIRTUAL_ENV", "CONDA_PREFIX"])
def test_readme_commands_use_an_active_environment(clone, active_env, kind):
    repo, plain = clone
    label = {"VIRTUAL_ENV": "virtualenv", "CONDA_PREFIX": "conda environment"}[kind]
    for stamp in active_env.glob(".minigrad-*.stamp"):
        stamp.unlink()
    env = {**plain, kind: str(active_env), "PATH": os.pathsep.join([str(active_env / "bin"), plain["PATH"]])}
    main = _run(MAIN_JOB, repo, env)
    assert f"using the active {label}: {active_env}/bin/python" in main.stderr
    assert "Total params: 9" in main.stdout
    test = _run(TEST_COMMAND, repo, env)
    assert f"using the active {label}: {active_env}/bin/python" in test.stderr
    assert "1 passed" in test.stdout
    assert "installing minigrad[examples] into " + str(active_env) in main.stderr
    assert "installing minigrad[test] into " + str(active_env) in test.stderr
    assert _minigrad_location(active_env / "bin" / "python", env).is_relative_to(repo)


def test_without_ensurepip_or_root_the_commands_say_what_to_run(clone, tmp_path):
    """Debian/Ubuntu without python3-venv, as a user without password-less sudo: no half-made .venv is
    left behind, and the message names the package to install."""
    repo, plain = clone
    fake = tmp_path / "bin"
    fake.mkdir()
    real = shutil.which("python3", path=plain["PATH"])
    (fake / "python3").write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then mkdir -p "$3/bin"; '
        'echo "The virtual environment was not created: ensurepip is not available." >&2; '
        "exit 1; fi\n"
        f'exec "{real}" "$@"\n')
    (fake / "id").write_text("#!/bin/sh\necho 1000\n")
    (fake / "sudo").write_text("#!/bin/sh\nexit 1\n")
    for f in fake.iterdir():
        f.chmod(0o755)
    fresh = tmp_path / "fresh"
    subprocess.run(["git", "clone", "-q", str(repo), str(fresh)], check=True)
    env = {**plain, "PATH": os.pathsep.join([str(fake), plain["PATH"]])}
    proc = subprocess.run(["bash", "tests/run.sh"], cwd=fresh, env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0
    assert "sudo apt-get install python3-venv" in proc.stderr
    assert not (fresh / ".venv").exists()
