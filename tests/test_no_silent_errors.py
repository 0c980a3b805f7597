"""Cases that once gave a silently wrong answer or a raw internal error (each failed before its fix):
in-place writes through views and detach(), ndarray subclasses, float16 BCE, concurrent backward into
one leaf, unclear errors for bad in-place operands, and anomaly mode's user frame."""
import os
import sys
import threading

import numpy as np
import pytest

import minigrad as mg
from minigrad import autograd


def graph_saving_a_view():
    """The issue's example: y = sum(v * v) with v = (x * 2).reshape(2, 2); d y / d x = 8 for x = 1."""
    x = mg.tensor(np.ones(4), requires_grad=True)
    h = x * 2.0
    v = h.reshape(2, 2)
    y = (v * v).sum()
    return x, h, v, y


def test_the_issue_example_gives_eight_without_an_inplace_write():
    x, _, _, y = graph_saving_a_view()
    y.backward()
    np.testing.assert_array_equal(x.grad, np.full(4, 8.0))


@pytest.mark.parametrize("write", ["base mul_", "view mul_", "view add_", "view copy_"])
def test_an_inplace_write_through_a_view_or_its_base_is_caught(write):
    _, h, v, y = graph_saving_a_view()
    with mg.no_grad():
        {"base mul_": lambda: h.mul_(5.0), "view mul_": lambda: v.mul_(5.0), "view add_": lambda: v.add_(1.0),
         "view copy_": lambda: v.copy_(np.zeros((2, 2)))}[write]()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


@pytest.mark.parametrize("view", ["T", "transpose", "slice", "expand_dims", "squeeze", "flatten", "detach"])
def test_every_view_and_detach_share_the_version_counter(view):
    x = mg.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    h = x * 1.0
    y = (h * h).sum()  # mul saved h
    alias = {"T": lambda: h.T, "transpose": lambda: h.transpose(1, 0), "slice": lambda: h[:, 1:],
             "expand_dims": lambda: h.expand_dims(0), "squeeze": lambda: h.expand_dims(0).squeeze(0),
             "flatten": lambda: h.flatten(), "detach": lambda: h.detach()}[view]()
    with mg.no_grad():
        alias.mul_(3.0)
    assert h._version == alias._version == 1
    with pytest.raises(RuntimeError, match="an input of mul"):
        y.backward()


def test_a_write_through_detach_of_a_leaf_is_caught():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    w.detach().zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_copies_made_by_integer_or_mask_indexing_keep_their_own_counter():
    x = mg.tensor(np.arange(4.0), requires_grad=True)
    h = x * 1.0
    y = (h * h).sum()
    picked = h[[0, 2]]  # a copy, as in NumPy
    with mg.no_grad():
        picked.mul_(10.0)
    y.backward()  # h itself did not change: the gradient is right
    np.testing.assert_array_equal(x.grad, 2 * np.arange(4.0))


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix itself warns
def test_a_matrix_subclass_becomes_a_plain_array_so_star_stays_elementwise():
    m = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    t = mg.tensor(m)
    assert type(t.data) is np.ndarray
    np.testing.assert_array_equal((t * t).data, np.array([[1.0, 4.0], [9.0, 16.0]]))


def test_a_masked_array_is_refused_with_a_clear_error():
    with pytest.raises(TypeError, match="masked array"):
        mg.tensor(np.ma.masked_array([1.0, 2.0], mask=[False, True]))


def test_float16_binary_cross_entropy_at_zero_and_one_is_finite():
    p = mg.tensor(np.array([0.0, 1.0, 0.5], dtype=np.float16), requires_grad=True)
    y = np.array([1.0, 0.0, 1.0], dtype=np.float16)
    loss = mg.nn.functional.binary_cross_entropy(p, y)
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(p.grad).all()


def test_concurrent_backward_into_one_leaf_loses_no_update():
    w = mg.tensor(np.zeros(100_000), requires_grad=True)  # (NumPy lets other threads run while it adds)

    def work() -> None:
        for _ in range(150):
            (w * 1.0).sum().backward()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns often, as on a busy machine
    try:
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    np.testing.assert_array_equal(w.grad, np.full(100_000, 600.0))


@pytest.mark.parametrize("call, error, words", [
    (lambda: mg.full((2,), "a"), TypeError, "full: value must be a number; Received: value='a'"),
    (lambda: mg.ones(2).copy_("abc"), TypeError, "copy_: .*'abc'"),
    (lambda: mg.tensor([1, 2], dtype=np.int64).add_(0.5), TypeError, "add_: .*can't be stored in this int64"),
    (lambda: mg.ones(2).add_(np.ones(3)), ValueError, r"add_: an operand of shape \(3,\) does not broadcast"),
])
def test_bad_inplace_operands_and_fill_values_name_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_anomaly_mode_names_a_user_script_in_a_folder_whose_name_starts_like_the_package():
    # a script in ".../minigrad_lab/" (beside the package's folder) is the user's code, not minigrad's
    script = os.path.dirname(autograd.__file__) + "_lab" + os.sep + "train.py"
    source = ("import minigrad as mg\n"
              "def run():\n"
              "    x = mg.tensor([0.0], requires_grad=True)\n"
              "    with mg.detect_anomaly():\n"
              "        (mg.sqrt(x) * 0.0).sum().backward()\n")
    namespace: dict = {}
    exec(compile(source, script, "exec"), namespace)
    with pytest.raises(FloatingPointError, match=r"_lab.train\.py\", line 5"):
        namespace["run"]()
