"""backward_steps: the same gradients and errors as backward(), one record per node, frames and text that
show the chain rule step by step, and the self-contained page. (tests/test_browser.py opens the page.)"""
import re
import shutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_table import GRAD_OPS, valid_calls

import minigrad as mg
from minigrad.viz import _topological_tensors, retain_grads

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="the Graphviz `dot` program is not installed")


def lecture(names=True):
    """The lectures' f = w·x + b with w = -2, x = 5, b = 3 (g = w·x)."""
    w, x, b = (mg.tensor(v, requires_grad=True, name=n if names else None)
               for v, n in ((-2.0, "w"), (5.0, "x"), (3.0, "b")))
    g = w * x
    f = g + b
    if names:
        g.name, f.name = "g", "f"
    return f, (w, x, b)


def test_lecture_steps_write_the_chain_rule_with_numbers():
    f, (w, x, b) = lecture()
    steps = mg.backward_steps(f)
    assert len(steps) == 2
    assert steps.explain() == [
        "add (f = g + b): ∂f/∂g = ∂f/∂f · ∂f/∂g = 1 · 1 = 1;  ∂f/∂b = ∂f/∂f · ∂f/∂b = 1 · 1 = 1",
        "mul (g = w·x): ∂f/∂w = ∂f/∂g · ∂g/∂w = 1 · 5 = 5;  ∂f/∂x = ∂f/∂g · ∂g/∂x = 1 · -2 = -2",
    ]
    assert (w.grad, x.grad, b.grad) == (5.0, -2.0, 1.0)
    add, mul = steps.records
    assert type(add.node).op_name() == "add" and add.output is f and add.grad_out == 1.0
    assert mul.output.name == "g" and mul.grad_out == 1.0 and mul.grads_in == (5.0, -2.0)


def test_unnamed_tensors_get_short_names_and_the_root_is_l():
    f, _ = lecture(names=False)
    assert mg.backward_steps(f).explain()[1] == \
        "mul (v3 = v1·v2): ∂L/∂v1 = ∂L/∂v3 · ∂v3/∂v1 = 1 · 5 = 5;  ∂L/∂v2 = ∂L/∂v3 · ∂v3/∂v2 = 1 · -2 = -2"


def test_an_input_used_twice_and_constants_read_plainly():
    a = mg.tensor(3.0, requires_grad=True, name="a")
    y = a * a * 2.0
    y.name = "y"
    lines = mg.backward_steps(y).explain()
    assert lines[0] == "mul (y = v1·2): ∂y/∂v1 = ∂y/∂y · ∂y/∂v1 = 1 · 2 = 2"
    assert lines[1] == ("mul (v1 = a·a): ∂y/∂a (input 1) = ∂y/∂v1 · ∂v1/∂a = 2 · 3 = 6;  "
                        "∂y/∂a (input 2) = ∂y/∂v1 · ∂v1/∂a = 2 · 3 = 6")
    assert a.grad == 12.0


def test_tensor_steps_give_shapes_and_previews():
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], name="x")
    W = mg.tensor([[1.0], [-1.0]], requires_grad=True, name="W")
    loss = (x @ W).sum()
    loss.name = "loss"
    assert mg.backward_steps(loss).explain() == [
        "sum (loss = sum(v1)): ∂loss/∂loss = 1 → ∂loss/∂v1 (2, 1) [[1.0], [1.0]]",
        "matmul (v1 = x @ W): ∂loss/∂v1 (2, 1) [[1.0], [1.0]] → ∂loss/∂W (2, 1) [[4.0], [6.0]]"]
    np.testing.assert_array_equal(W.grad, [[4.0], [6.0]])


def test_a_fused_step_shows_its_formula():
    dense = mg.nn.Dense(1, input_dim=2)
    loss = mg.nn.functional.mse_loss(dense(mg.ones((3, 2))), mg.zeros((3, 1)))
    lines = mg.backward_steps(loss).explain()
    assert lines[0].startswith("mse (L = mse(v4, v5, reduction='mean') = mean((p - t) ** 2)): "
                               "∂L/∂L = 1 → ")
    assert lines[1].startswith("affine (v4 = affine(v1, v2, v3) = x @ W + b): ∂L/∂v4 (3, 1) ")


# ---------------------------------------------------------------------------------------------
# same gradients, same errors as backward()


def graph_of(op, arrays, kwargs, c):
    """A scalar loss over one call of ``op`` whose output is used twice (so gradients add up)."""
    xs = [mg.tensor(a.copy(), requires_grad=True, name=f"x{i}") for i, a in enumerate(arrays)]
    y = op.fn(*xs, **kwargs)
    loss = (y * c).sum() + y.sum() * 0.5
    return loss, xs


@pytest.mark.parametrize("op", GRAD_OPS, ids=lambda op: op.name)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_leaf_gradients_equal_backward_on_the_op_tables_graphs(op, data):
    arrays, kwargs = data.draw(valid_calls(op), label="call")
    seed = data.draw(st.integers(0, 2 ** 16), label="seed")
    c = np.random.default_rng(seed).standard_normal(op.fn(*arrays, **kwargs).shape)  # a fixed cotangent
    loss, xs = graph_of(op, arrays, kwargs, c)
    steps = mg.backward_steps(loss)
    twin, twin_xs = graph_of(op, arrays, kwargs, c)
    retain_grads(twin)
    twin.backward()
    for x, t in zip(xs, twin_xs):
        assert (x.grad is None) == (t.grad is None)
        if x.grad is not None:
            np.testing.assert_array_equal(x.grad, t.grad)
            assert x.grad.shape == x.shape and x.grad.dtype == x.dtype
    made = [t for t in _topological_tensors(loss) if t.grad_fn is not None]
    assert len(steps) == len(made)  # one step per node
    assert {id(r.node) for r in steps.records} == {id(t.grad_fn) for t in made}
    # the last frame knows every gradient, intermediate ones included (retain_grads gives the same)
    last = steps._frame_state(len(steps) - 1)
    twins = [t for t in _topological_tensors(twin) if t.grad_fn is not None]
    for t, u in zip(made, twins):
        np.testing.assert_allclose(last.grads[id(t)], u.grad, rtol=1e-12, atol=1e-12)
    assert not last.partial


def test_gradients_accumulate_like_backward_and_retain_graph_allows_a_second_pass():
    f, (w, x, b) = lecture()
    mg.backward_steps(f, retain_graph=True)
    mg.backward_steps(f)
    assert (w.grad, x.grad, b.grad) == (10.0, -4.0, 2.0)


def errors_of(call):
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - comparing what two calls raise
        return type(exc), str(exc)
    return None


@pytest.mark.parametrize("make", [
    lambda: mg.tensor([1.0, 2.0], requires_grad=True) * 2,  # not a scalar, no grad given
    lambda: mg.tensor(1.0) * 2,                             # requires no grad
])
def test_bad_roots_raise_what_backward_raises(make):
    expected = errors_of(lambda: make().backward())
    assert expected is not None and expected[0] is RuntimeError
    assert errors_of(lambda: mg.backward_steps(make())) == expected


def test_a_freed_graph_raises_what_backward_raises():
    f, _ = lecture()
    mg.backward_steps(f)
    with pytest.raises(RuntimeError, match="retain_graph=True") as info:
        mg.backward_steps(f)
    g, _ = lecture()
    g.backward()
    assert errors_of(g.backward) == (RuntimeError, str(info.value))


def test_a_non_scalar_root_steps_with_a_given_gradient_and_a_leaf_root_has_no_steps():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    steps = mg.backward_steps(x * 3, grad=np.array([1.0, -1.0]))
    assert len(steps) == 1 and x.grad.tolist() == [3.0, -3.0]
    leaf = mg.tensor(2.0, requires_grad=True)
    assert len(mg.backward_steps(leaf)) == 0 and leaf.grad == 1.0 and mg.backward_steps(leaf).explain() == []
    with pytest.raises(TypeError, match="Received: root=2.0"):
        mg.backward_steps(2.0)


# ---------------------------------------------------------------------------------------------
# frames


def node_line(g, dot_name):
    return re.search(rf"^\t{dot_name} \[.*$", g.source, re.M).group(0)


def test_frames_highlight_the_current_node_and_show_gradients_sent_so_far():
    f, _ = lecture()
    steps = mg.backward_steps(f)
    first, last = steps[0], steps[1]
    # op0 is mul (made first), op1 add: add runs first
    assert 'fillcolor="#ede9fe"' in node_line(first, "op1") and "step 1" in node_line(first, "op1")
    assert 'fillcolor="#ffffff"' in node_line(first, "op0") and "step" not in node_line(first, "op0")
    assert re.findall(r"-> op1 \[.*label=<<font[^>]*>1.0</font>>", first.source)  # g and b got 1.0
    assert "-> op0 [label" not in first.source  # mul has sent nothing yet
    assert ">grad</font>" not in node_line(first, "t0")  # w: no gradient yet
    assert 'fillcolor="#ede9fe"' in node_line(last, "op0") and "step 2" in node_line(last, "op0")
    assert 'fillcolor="#fef3c7"' in node_line(last, "op1")  # done: amber again
    assert re.search(r"t0 -> op0 \[.*label=<<font[^>]*>5.0</font>>", last.source)
    assert "w</b> = -2.0</td><td" in node_line(last, "t0") and ">5.0</font>" in node_line(last, "t0")
    assert steps[-1].source == last.source
    with pytest.raises(IndexError, match="step 2 is out of range for 2 step"):
        steps[2]


def test_a_gradient_still_being_summed_says_so_far():
    a = mg.tensor(1.0, requires_grad=True, name="a")
    h = a.exp()
    h.name = "h"
    y = h * 2.0 + h.tanh()  # h feeds mul and tanh: its gradient is complete after both ran
    steps = mg.backward_steps(y)
    texts = [re.sub(r"<[^>]*>", " ", s.source) for s in steps]
    assert any("(so far)" in t for t in texts[:-1])
    assert "(so far)" not in texts[-1] and "not kept" not in texts[-1]
    assert len(steps) == 4 and a.grad == pytest.approx(np.e * (2 + 1 - np.tanh(np.e) ** 2))


@needs_dot
def test_every_frame_renders():
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], name="x")
    W = mg.tensor([[1.0], [-1.0]], requires_grad=True, name="W")
    steps = mg.backward_steps((x @ W).sigmoid().sum())
    for frame in steps:
        assert frame.pipe(format="svg").startswith(b"<?xml")


@needs_dot
def test_the_page_holds_every_frame_inline_and_fetches_nothing(tmp_path):
    f, _ = lecture()
    steps = mg.backward_steps(f)
    page = steps.save_html(tmp_path / "steps.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 2
    assert page.count('class="mg-frame"') == 2
    for line in steps.explain():
        assert line in page  # (no character of these lines needs HTML escaping)
    assert not re.search(r"(src|href)=|https?://(?!www\.w3\.org/)", page)  # no fetched resources
    assert 'type="range"' in page and "ArrowRight" in page and "Prev" in page and "Next" in page
    inline_a, inline_b = steps._repr_html_(), steps._repr_html_()
    ids = re.findall(r'class="mg-steps" id="([\w-]+)"', inline_a + inline_b)
    assert len(ids) == 2 and ids[0] != ids[1]  # two viewers in one notebook do not collide
    assert "<!DOCTYPE" not in inline_a and "document.addEventListener" not in inline_a


# ---------------------------------------------------------------------------------------------
# against PyTorch (skipped where torch is not installed)


def xor_fixed_weights():
    """The lecture's XOR network with fixed weights (lecture 03), its MSE loss, and the arrays."""
    arrays = {"x": np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]),
              "y": np.array([[0.0], [1.0], [1.0], [0.0]]),
              "W1": np.array([[5.0, -7.0], [5.0, -7.0]]), "b1": np.array([-8.0, 3.0]),
              "W2": np.array([[-11.0], [-11.0]]), "b2": np.array([6.0])}
    model = mg.nn.Sequential([mg.nn.Dense(2, activation="sigmoid", input_dim=2),
                              mg.nn.Dense(1, activation="sigmoid")])
    model.load_state_dict({"0.weight": arrays["W1"], "0.bias": arrays["b1"], "1.weight": arrays["W2"],
                           "1.bias": arrays["b2"]})
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    loss = mg.nn.functional.mse_loss(model(mg.tensor(arrays["x"])), mg.tensor(arrays["y"]))
    return model, loss, arrays


def test_xor_steps_match_pytorch_layer_by_layer():
    torch = pytest.importorskip("torch")
    model, loss, a = xor_fixed_weights()
    steps = mg.backward_steps(loss)
    names = [type(r.node).op_name() for r in steps.records]
    assert names == ["mse", "sigmoid", "affine", "sigmoid", "affine"]

    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=k not in ("x", "y")) for k, v in a.items()}
    h1 = t["x"] @ t["W1"] + t["b1"]
    a1 = torch.sigmoid(h1)
    h2 = a1 @ t["W2"] + t["b2"]
    a2 = torch.sigmoid(h2)
    for v in (h1, a1, h2, a2):
        v.retain_grad()
    torch.nn.functional.mse_loss(a2, t["y"]).backward()

    mse, sig2, aff2, sig1, aff1 = steps.records
    close = np.testing.assert_allclose
    close(mse.grads_in[0], a2.grad.numpy(), rtol=1e-12)           # ∂L/∂a2
    close(sig2.grad_out, a2.grad.numpy(), rtol=1e-12)
    close(sig2.grads_in[0], h2.grad.numpy(), rtol=1e-12)          # ∂L/∂h2 = ∂L/∂a2 · σ'(h2)
    close(aff2.grads_in[0], a1.grad.numpy(), rtol=1e-12)          # ∂L/∂a1 = ∂L/∂h2 · W2ᵀ
    close(aff2.grads_in[1], t["W2"].grad.numpy(), rtol=1e-12)
    close(aff2.grads_in[2], t["b2"].grad.numpy(), rtol=1e-12)
    close(sig1.grads_in[0], h1.grad.numpy(), rtol=1e-12)
    assert aff1.grads_in[0] is None                                # x needs no gradient
    close(aff1.grads_in[1], t["W1"].grad.numpy(), rtol=1e-12)
    close(aff1.grads_in[2], t["b1"].grad.numpy(), rtol=1e-12)
    for p, name in zip(model.parameters(), ("W1", "b1", "W2", "b2")):
        close(p.grad, t[name].grad.numpy(), rtol=1e-12)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2 ** 16), classes=st.integers(2, 5), batch=st.integers(1, 4))
def test_softmax_cross_entropy_leaf_gradients_match_pytorch(seed, classes, batch):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    x, W, b = rng.standard_normal((batch, 3)), rng.standard_normal((3, classes)), rng.standard_normal(classes)
    labels = rng.integers(0, classes, batch)
    Wm, bm = mg.tensor(W, requires_grad=True), mg.tensor(b, requires_grad=True)
    hidden = (mg.tensor(x) @ Wm + bm).tanh()
    mg.backward_steps(mg.nn.functional.cross_entropy(hidden * 2.0, labels))
    Wt, bt = (torch.tensor(v, requires_grad=True) for v in (W, b))
    logits = torch.tanh(torch.tensor(x) @ Wt + bt) * 2.0
    torch.nn.functional.cross_entropy(logits, torch.tensor(labels)).backward()
    np.testing.assert_allclose(Wm.grad, Wt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bm.grad, bt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_lecture_steps_match_pytorch():
    torch = pytest.importorskip("torch")
    f, (w, x, b) = lecture()
    steps = mg.backward_steps(f)
    wt, xt, bt = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (-2.0, 5.0, 3.0))
    gt = wt * xt
    gt.retain_grad()
    (gt + bt).backward()
    assert steps.records[0].grads_in == (gt.grad.item(), bt.grad.item())
    assert (w.grad.item(), x.grad.item()) == (wt.grad.item(), xt.grad.item())
