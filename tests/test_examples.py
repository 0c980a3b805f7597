"""Smoke runs of every example script in quick mode (a few epochs): each must exit cleanly and
print what its lecture prints. Pictures go to a temporary folder."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NEEDS_SKLEARN = {"digits", "breast_cancer", "diabetes"}

# script -> text its output must contain
EXPECTED = {
    "xor": ["Total params: 9", "x1 x2 | target | prediction", "0.weight shape=(2, 2)", "xor_graph",
            "xor_model"],
    "logic_gates": ["AND with one neuron", "OR with one neuron", "XOR with a 2-2-1 network"],
    "xor_fixed_weights": ["f = g + b = -7", "df/dw = 5, df/dx = -2, df/db = 1"],
    "digits": ["Total params: 4,810", "validation accuracy"],
    "breast_cancer": ["Total params: 321", "validation accuracy"],
    "diabetes": ["Total params: 177", "model.evaluate(xtest, ytest)"],
    "custom_function": ["gradcheck(Swish): True", "gradcheck(Cube):  True", "gradcheck failed"],
    "manual_loop": ["fit gives the same weights: True"],
    "backprop_steps": ["mul (g = w·x): ∂f/∂w = ∂f/∂g · ∂g/∂w = 1 · 5 = 5", "backprop_f_wx_b.html",
                       "step 7: matmul (xW1 = x @ W1)", "backprop_xor.html"],
}
SCRIPTS = sorted(p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_"))


def test_every_example_script_has_a_smoke_test():
    assert set(SCRIPTS) == set(EXPECTED)


def _run_quick(name, tmp_path):
    env = {**os.environ, "MINIGRAD_EXAMPLE_QUICK": "1", "MINIGRAD_EXAMPLE_OUT": str(tmp_path),
           "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py")], capture_output=True, text=True,
                          env=env, timeout=120, cwd=tmp_path)


@pytest.mark.parametrize("name", SCRIPTS)
def test_example_runs_in_quick_mode(name, tmp_path):
    if name in NEEDS_SKLEARN and importlib.util.find_spec("sklearn") is None:
        pytest.skip("scikit-learn is not installed")
    proc = _run_quick(name, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for text in EXPECTED[name]:
        assert text in proc.stdout, f"{text!r} missing from the output of {name}.py:\n{proc.stdout[-3000:]}"
    if name == "xor":
        assert {p.stem for p in tmp_path.iterdir()} >= {"xor_graph", "xor_model"}
        if importlib.util.find_spec("matplotlib") is not None:
            assert (tmp_path / "xor_loss.png").stat().st_size > 0


def test_quick_mode_prints_the_epochs_it_ran_and_no_line_twice(tmp_path):
    xor = _run_quick("xor", tmp_path).stdout.splitlines()
    epochs = [line.split()[1] for line in xor if line.startswith("Epoch ")]
    assert epochs[-1] == "3/3" and len(epochs) == len(set(epochs))
    gates = _run_quick("logic_gates", tmp_path).stdout
    assert "3 epochs" in gates and "400 epochs" not in gates and "2000 epochs" not in gates
