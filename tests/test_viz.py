"""draw_graph / plot_model / retain_grads: the DOT text, and real rendering when `dot` is installed."""
import importlib.util
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.viz import draw_graph, plot_model, retain_grads

NODE = re.compile(r"^\t+(?!graph |node |edge )(\w+) \[", re.M)
EDGE = re.compile(r"^\t+(\w+) -> (\w+)", re.M)
HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="the Graphviz `dot` program is not installed")


def nodes(g):
    return NODE.findall(g.source)


def edges(g):
    return EDGE.findall(g.source)


def label_of(g, node):
    """The label text of one node, HTML tags removed and one space between cells, e.g. 'w = -2.0 grad 5.0'."""
    line = re.search(rf"^\t+{node} \[(.*)$", g.source, re.M).group(1)
    html = re.search(r"label=<(.*</table>)>", line)
    if html:
        return " ".join(re.sub(r"<[^>]*>", "", html.group(1).replace("</td>", " ")).split())
    return re.search(r'label=("(?:[^"\\]|\\.)*"|[^ \]]+)', line).group(1).strip('"')


def texts(g):
    """The label text of every node, tags removed, one line per node."""
    return "\n".join(label_of(g, n) for n in nodes(g))


def lecture_graph(retain=False):
    """The lecture's f = wx + b with w = -2, x = 5, b = 3, after backward."""
    w, x, b = (mg.tensor(v, requires_grad=True, name=n) for v, n in ((-2.0, "w"), (5.0, "x"), (3.0, "b")))
    wx = w * x
    wx.name = "wx"
    f = wx + b
    f.name = "f"
    if retain:
        retain_grads(f)
    f.backward()
    return f


# ---------------------------------------------------------------------------------------------
# structure


def test_lecture_graph_has_one_node_per_tensor_and_op_and_forward_edges():
    g = draw_graph(lecture_graph())
    ns = nodes(g)
    assert sorted(n for n in ns if n.startswith("t")) == ["t0", "t1", "t2", "t3", "t4"]  # w x wx b f
    assert sorted(n for n in ns if n.startswith("op")) == ["op0", "op1"]                # mul add
    assert len(ns) == 7
    # forward direction: tensor -> op -> tensor
    assert edges(g) == [("t0", "op0"), ("t1", "op0"), ("op0", "t2"),
                        ("t2", "op1"), ("t3", "op1"), ("op1", "t4")]


def test_nodes_follow_the_forward_pass_order():
    g = draw_graph(lecture_graph())
    order = [label_of(g, n).split(" =")[0] for n in nodes(g)]
    assert order == ["w", "x", "mul", "wx", "b", "add", "f"]


def test_nodes_follow_creation_order_across_branches():
    x = mg.tensor(1.0, requires_grad=True, name="x")
    y = mg.tensor(2.0, requires_grad=True, name="y")
    a = x.exp()
    a.name = "a"
    b = y.tanh()
    b.name = "b"
    c = b + a  # b is the first argument, but a was made first
    c.name = "c"
    if getattr(c.grad_fn, "seq", None) is None:
        pytest.skip("the engine records no creation numbers")
    order = [label_of(draw_graph(c), n).split(" =")[0] for n in nodes(draw_graph(c))]
    assert order == ["x", "exp", "a", "y", "tanh", "b", "add", "c"]


class _Scale(mg.Function):
    """y = x * k for a plain Python number k given positionally."""

    @staticmethod
    def forward(ctx, x, k, unused):
        ctx.save_for_backward(k)
        return x * k

    @staticmethod
    def backward(ctx, grad):
        (k,) = ctx.saved_tensors
        return grad * k, None, None


def test_custom_function_shows_its_name_and_plain_python_constants():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = _Scale.apply(_Scale.apply(x, 3, None), 3, None)
    g = draw_graph(y)
    assert [label_of(g, n) for n in nodes(g) if n.startswith("op")] == ["_scale", "_scale"]
    consts = [label_of(g, n) for n in nodes(g) if n.startswith("c")]
    assert consts == ["3", "None", "3", "None"]  # one box per use: equal Python values are not one object
    assert len(edges(g)) == 2 * 4


def test_op_names_and_tensor_names_are_shown():
    x = mg.tensor([[1.0, 2.0]], requires_grad=True, name="inputs")
    W = mg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True, name="W")
    y = (x @ W).sigmoid().sum()
    text = texts(draw_graph(y))
    for word in ("inputs", "W", "matmul", "sigmoid", "sum", "(1, 2) float32", "(2, 3) float32"):
        assert word in text


def test_scalars_read_plainly_and_gradients_appear_after_backward():
    w = mg.tensor(-2.0, requires_grad=True, name="w")
    f = w * 5.0 + 3.0
    f.name = "f"
    before = draw_graph(f)
    assert "w = -2.0" in texts(before) and "grad" not in texts(before)
    f.backward()
    after = draw_graph(f)
    assert "w = -2.0 grad 5.0" in label_of(after, "t0")
    assert "f = -7.0" in texts(after)


def test_retain_grads_shows_every_intermediate_gradient():
    f = lecture_graph(retain=True)
    g = draw_graph(f)
    assert label_of(g, "t2") == "wx = -10.0 grad 1.0"
    assert "f = -7.0 grad 1.0" in label_of(g, "t4")      # the "f = -7.0  grad 1.0"
    assert "x = 5.0 grad -2.0" in label_of(g, "t1")
    assert "not kept" not in texts(g) and "retain_grads" not in g.source


def test_retain_grads_returns_root_and_keeps_grads_of_non_leaves_only():
    a = mg.tensor([1.0, -2.0], requires_grad=True)
    c = mg.tensor([3.0, 4.0])
    h = a * c
    y = retain_grads((h * h).sum())
    y.backward()
    np.testing.assert_array_equal(h.grad, 2 * h.data)
    assert y.grad == 1.0 and c.grad is None


def test_constants_are_drawn_as_their_own_nodes():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.5
    g = draw_graph(y)
    consts = [n for n in nodes(g) if n.startswith("c")]
    assert consts == ["c0"] and label_of(g, "c0") == "2.5" and "dashed" in g.source
    assert ("c0", "op0") in edges(g)


def test_an_array_constant_used_twice_is_drawn_once_with_a_preview():
    c = np.array([1.0, 2.0, 3.0])
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    g = draw_graph(x * c + c, max_elements=2)
    assert [n for n in nodes(g) if n.startswith("c")] == ["c0"]
    assert label_of(g, "c0") == r"const (3,) float64\n[1.0, 2.0, …]"
    assert edges(g).count(("c0", "op0")) == 1 and edges(g).count(("c0", "op1")) == 1
    assert label_of(draw_graph(x * c, show_data=False), "c0") == "const (3,) float64"


def test_shared_subexpression_appears_once():
    a = mg.tensor([1.0, 2.0], requires_grad=True, name="a")
    s = a.exp()            # used by two ops below
    y = (s.sum() + s.mean())
    g = draw_graph(y)
    assert sum(n.startswith("t") for n in nodes(g)) == 5   # a, s, s.sum(), s.mean(), y
    assert sum(n.startswith("op") for n in nodes(g)) == 4  # exp, sum, mean, add
    assert texts(g).count("(2,) float32") == 2  # a and s, once each
    s_node = [n for n in nodes(g) if label_of(g, n).startswith("(2,) float32 data [2.718")]
    assert len(s_node) == 1
    assert sum(src == s_node[0] for src, _ in edges(g)) == 2


def test_input_used_twice_draws_two_edges():
    a = mg.tensor(3.0, requires_grad=True, name="a")
    g = draw_graph(a * a)
    assert edges(g).count(("t0", "op0")) == 2
    assert len(nodes(g)) == 3


def test_leaf_root_draws_one_node():
    g = draw_graph(mg.tensor([1.0, 2.0], name="alone"))
    assert nodes(g) == ["t0"] and edges(g) == []


def test_deep_chain_of_10000_ops_draws_without_recursion_error():
    x = mg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = -y
    g = draw_graph(y, show_data=False)
    ns = nodes(g)
    assert sum(n.startswith("op") for n in ns) == 10_000
    assert sum(n.startswith("t") for n in ns) == 10_001
    assert len(edges(g)) == 20_000


def test_same_code_draws_the_same_source_every_time():
    def build():
        mg.manual_seed(3)
        W = mg.randn(3, 2, requires_grad=True)
        b = mg.zeros(2, requires_grad=True)
        x = mg.randn(4, 3)
        return ((x @ W + b).relu() * 0.5).mean()
    assert draw_graph(build()).source == draw_graph(build()).source


# ---------------------------------------------------------------------------------------------
# flags and previews


def test_show_data_and_show_grad_flags_hide_previews():
    x = mg.tensor([1.5, 2.5, 3.5], requires_grad=True, name="x")
    y = (x * x).sum()
    y.backward()
    both = texts(draw_graph(y))
    assert "data [1.5, 2.5, 3.5]" in both and "grad [3.0, 5.0, 7.0]" in both
    no_data = texts(draw_graph(y, show_data=False))
    assert "data" not in no_data and "grad [3.0, 5.0, 7.0]" in no_data
    no_grad = texts(draw_graph(y, show_grad=False))
    assert "data [1.5, 2.5, 3.5]" in no_grad and "grad" not in no_grad


def test_previews_are_cut_to_max_elements_with_an_ellipsis():
    x = mg.tensor(np.arange(20.0), requires_grad=True, name="x")
    y = x.sum()
    y.backward()
    g = draw_graph(y, max_elements=3)
    assert "data [0.0, 1.0, 2.0, …]" in texts(g) and "3.0," not in label_of(g, "t0")
    assert "grad [1.0, 1.0, 1.0, …]" in texts(g)
    full = draw_graph(y, max_elements=20)
    assert "16.0, 17.0, 18.0, 19.0]" in texts(full) and "…" not in texts(full)


def test_small_matrices_keep_their_rows():
    x = mg.tensor([[1, 1], [1, 0], [0, 1], [0, 0]], name="x")  # the lectures' XOR inputs, (4, 2)
    g = draw_graph(x)
    assert label_of(g, "t0") == "x (4, 2) float32 data 1.0 1.0 1.0 0.0 0.0 1.0 0.0 0.0"
    rows = re.findall(r"<tr>((?:<td[^>]*>(?:<font[^>]*>)?[-\d.]+(?:</font>)?</td>)+)</tr>", g.source)
    assert len(rows) == 4 and all(r.count("<td") == 2 for r in rows)  # four rows of two cells, not one list


def test_larger_matrices_show_their_top_left_corner_with_ellipses():
    x = mg.tensor(np.arange(300.0).reshape(100, 3), name="x")
    text = label_of(draw_graph(x), "t0")
    assert text == "x (100, 3) float64 data 0.0 1.0 2.0 3.0 4.0 5.0 ⋮"  # two whole rows of three, then ⋮
    wide = label_of(draw_graph(mg.tensor(np.arange(40.0).reshape(2, 20))), "t0")
    assert wide == "(2, 20) float64 data 0.0 1.0 2.0 3.0 4.0 5.0 6.0 7.0 … ⋮"
    cube = label_of(draw_graph(mg.tensor(np.arange(24.0).reshape(2, 3, 4))), "t0")
    assert cube.startswith("(2, 3, 4) float64 data [0, :, :] of (2, 3, 4) 0.0 1.0 2.0 3.0 4.0 5.0 6.0 7.0 ⋮")


@needs_dot
def test_matrix_previews_render_with_dot():
    x = mg.tensor(np.arange(300.0).reshape(100, 3), requires_grad=True, name="x")
    y = (x * x).sum()
    y.backward()
    for g in (draw_graph(y), draw_graph(y, max_elements=1), draw_graph(mg.tensor(np.zeros((2, 3, 4))))):
        ET.fromstring(g.pipe(format="svg"))


def test_default_preview_shows_eight_values():
    g = draw_graph(mg.tensor(np.arange(10.0)))
    assert "data [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, …]" in texts(g)


def test_rankdir_is_passed_to_graphviz():
    assert "rankdir=TB" in draw_graph(mg.tensor(1.0), rankdir="TB").source
    assert "rankdir=LR" in draw_graph(mg.tensor(1.0)).source


# ---------------------------------------------------------------------------------------------
# colours: kinds of tensors and suspicious gradients


def test_parameters_inputs_constants_ops_and_root_look_different():
    W = mg.tensor([[1.0], [2.0]], requires_grad=True)
    x = mg.tensor([[3.0, 4.0]])
    y = (x @ W) * 2.0
    g = draw_graph(y)

    def fill(n):
        return re.search(rf'\t{n} \[.*?bgcolor="(#\w+)"', g.source)[1] if n.startswith("t") else \
            re.search(rf'\t{n} \[.*?fillcolor="(#\w+)"', g.source)[1]
    # order: W (parameter), x (input), matmul, x@W (intermediate), 2 (constant), mul, y (root)
    kinds = {"param": fill("t0"), "input": fill("t1"), "mid": fill("t2"), "root": fill("t3"),
             "op": fill("op0"), "const": fill("c0")}
    assert len(set(kinds.values())) == len(kinds)
    assert 'border="2"' in re.search(r"\tt3 \[.*", g.source)[0]  # the root also has a thick border


def test_all_zero_gradient_of_a_dead_relu_is_highlighted():
    z = mg.tensor([-1.0, -2.0], requires_grad=True, name="z")
    y = z.relu().sum()
    y.backward()
    label = label_of(draw_graph(y), "t0")
    assert "grad (all zero) [0.0, 0.0]" in label
    assert "#fed7aa" in re.search(r"\tt0 \[.*", draw_graph(y).source)[0]


def test_nan_and_inf_gradients_are_highlighted():
    q = mg.tensor([0.0, 1.0], requires_grad=True, name="q")
    with np.errstate(divide="ignore", invalid="ignore"):
        y = q.sqrt().sum()
        y.backward()
    g = draw_graph(y)
    assert "(NaN/inf)" in label_of(g, "t0") and "#fecaca" in re.search(r"\tt0 \[.*", g.source)[0]
    p = mg.tensor([np.nan, 1.0], requires_grad=True)
    (p * 1.0).sum().backward()
    assert "(all zero)" not in texts(draw_graph(p))


def test_healthy_gradients_are_not_highlighted():
    text = texts(draw_graph(lecture_graph()))
    assert "(all zero)" not in text and "(NaN/inf)" not in text


# ---------------------------------------------------------------------------------------------
# property: random DAGs


@settings(max_examples=40, deadline=None)
@given(n_leaves=st.integers(1, 4),
       steps=st.lists(st.tuples(st.sampled_from(["add", "mul", "tanh"]), st.integers(0, 10 ** 6),
                                st.integers(0, 10 ** 6)), min_size=1, max_size=12))
def test_random_graphs_draw_each_reachable_tensor_and_op_once_in_topological_order(n_leaves, steps):
    pool = [mg.tensor(float(i + 1), requires_grad=True) for i in range(n_leaves)]
    parents = [() for _ in pool]  # the test's own bookkeeping of which pool entries each entry used
    for op, i, j in steps:
        a, b = i % len(pool), j % len(pool)
        if op == "tanh":
            pool.append(pool[a].tanh())
            parents.append((a,))
        else:
            pool.append(pool[a] + pool[b] if op == "add" else pool[a] * pool[b])
            parents.append((a, b))
    reach, todo = set(), [len(pool) - 1]
    while todo:
        k = todo.pop()
        if k not in reach:
            reach.add(k)
            todo.extend(parents[k])
    n_ops = sum(1 for k in reach if parents[k])
    n_edges = sum(len(parents[k]) + 1 for k in reach if parents[k])
    g = draw_graph(pool[-1])
    ns = nodes(g)
    assert sum(n.startswith("t") for n in ns) == len(reach)
    assert sum(n.startswith("op") for n in ns) == n_ops
    assert len(edges(g)) == n_edges
    position = {n: i for i, n in enumerate(ns)}
    assert all(position[src] < position[dst] for src, dst in edges(g))  # creation (forward) order
    assert ns[-1] == f"t{len(reach) - 1}"  # the root comes last


# ---------------------------------------------------------------------------------------------
# errors, and rendering with the real `dot` program


def test_bad_arguments_raise_errors_that_name_what_was_given():
    with pytest.raises(TypeError, match=r"draw_graph: root must be a minigrad Tensor; Received: root=array"):
        draw_graph(np.ones(3))
    with pytest.raises(ValueError, match="rankdir='up'"):
        draw_graph(mg.tensor(1.0), rankdir="up")
    with pytest.raises(ValueError, match="max_elements=0"):
        draw_graph(mg.tensor(1.0), max_elements=0)
    with pytest.raises(TypeError, match=r"Received: root=\[1.0\]"):
        retain_grads([1.0])
    with pytest.raises(TypeError, match="expand=2"):
        draw_graph(mg.tensor(1.0), expand=2)


@needs_dot
def test_svg_from_dot_parses_and_holds_one_node_group_per_node():
    mg.manual_seed(0)
    W = mg.randn(3, 2, requires_grad=True)
    x = mg.randn(4, 3)
    loss = retain_grads(((x @ W).relu() * 2).mean())
    loss.backward()
    g = draw_graph(loss)
    root = ET.fromstring(g.pipe(format="svg"))
    groups = [e for e in root.iter("{http://www.w3.org/2000/svg}g") if e.get("class") == "node"]
    # tensors W, x, x@W, relu(x@W), r*2, loss; ops matmul, relu, mul, mean; the constant 2
    assert len(groups) == len(nodes(g)) == 11
    titles = sorted(e.find("{http://www.w3.org/2000/svg}title").text for e in groups)
    assert titles == sorted(nodes(g))


def test_source_works_without_dot_and_render_fails_with_graphvizs_message(monkeypatch, tmp_path):
    import graphviz

    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere on PATH
    g = draw_graph(lecture_graph())
    assert g.source.startswith("digraph")
    with pytest.raises(graphviz.ExecutableNotFound, match="dot"):
        g.render(tmp_path / "f", format="svg")


# ---------------------------------------------------------------------------------------------
# plot_model


class _FakeDense:
    """Duck-typed layer with the nn interface plot_model relies on."""

    def __init__(self, units, inputs, activation=None):
        self.units, self.activation = units, activation
        self.input_shape, self.output_shape = (None, inputs), (None, units)
        self._params = [np.zeros((inputs, units)), np.zeros(units)]

    def parameters(self):
        return self._params


class _FakeSequential:
    def __init__(self, *layers):
        self.layers = list(layers)

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, i):
        return self.layers[i]


def test_plot_model_draws_an_input_box_then_one_box_per_layer_with_shapes():
    model = _FakeSequential(_FakeDense(10, 10, "relu"), _FakeDense(5, 10, "relu"),
                            _FakeDense(2, 5, "softmax"))
    g = plot_model(model)
    assert nodes(g) == ["input", "layer0", "layer1", "layer2"]
    assert edges(g) == [("input", "layer0"), ("layer0", "layer1"), ("layer1", "layer2")]
    assert "rankdir=TB" in g.source
    text = texts(g)
    for piece in ("Input", "_fake_dense (_FakeDense)", "_fake_dense_1 (_FakeDense)", "_fake_dense_2",
                  "units 10", "activation relu", "params 110", "params 55", "params 12", "(None, 10)",
                  "(None, 5)", "(None, 2)", "activation softmax"):
        assert piece in text
    assert "(None, 5)" not in texts(plot_model(model, show_shapes=False))


def test_plot_model_works_on_a_module_without_shapes_or_parameters():
    class Block:
        def children(self):
            return iter([object(), self.inner])

        inner = type("Tanh", (), {"activation": np.tanh})()

    g = plot_model(Block(), rankdir="LR")
    assert nodes(g) == ["layer0", "layer1"]
    text = texts(g)
    assert "tanh (Tanh)" in text and "object (object)" in text and "activation tanh" in text
    assert "input:?" in text.replace(" ", "")
    lone = plot_model(object())
    assert nodes(lone) == ["layer0"] and "params ? (not built)" in texts(lone)


def test_plot_model_survives_layers_whose_attributes_raise_before_build():
    class Unbuilt:
        units = 4

        @property
        def input_shape(self):
            raise RuntimeError("not built")

        def parameters(self):
            raise RuntimeError("Dense(4) is not built yet")

    g = plot_model(_FakeSequential(Unbuilt()))
    assert nodes(g) == ["layer0"]  # no Input box: the input shape is unknown
    assert "units 4" in texts(g) and "params ? (not built)" in texts(g)


def _real_nn():
    nn = pytest.importorskip("minigrad.nn")
    if not (hasattr(nn, "Sequential") and hasattr(nn, "Dense")):
        pytest.skip("minigrad.nn has no Sequential/Dense yet")
    return nn


def test_plot_model_of_the_lectures_10_10_5_2_network():
    nn = _real_nn()
    model = nn.Sequential([nn.Dense(10, activation="relu", input_dim=10), nn.Dense(5, activation="relu"),
                           nn.Dense(2, activation="softmax")])
    g = plot_model(model)
    assert nodes(g) == ["input", "layer0", "layer1", "layer2"]  # Input + three Dense layers
    text = texts(g)
    for piece in ("dense (Dense)", "dense_1 (Dense)", "dense_2 (Dense)", "units 10", "units 5", "units 2",
                  "params 110", "params 55", "params 12", "(None, 10)", "(None, 5)", "(None, 2)", "relu",
                  "softmax"):
        assert piece in text, piece


@needs_dot
def test_plot_model_renders_to_svg():
    model = _FakeSequential(_FakeDense(2, 2, "sigmoid"), _FakeDense(1, 2, "sigmoid"))
    root = ET.fromstring(plot_model(model).pipe(format="svg"))
    groups = [e for e in root.iter("{http://www.w3.org/2000/svg}g") if e.get("class") == "node"]
    assert len(groups) == 3


def test_plot_model_shows_settings_buffers_and_unbuilt_layers():
    nn = _real_nn()
    built = nn.Sequential([nn.Dense(4, input_dim=3), nn.Dropout(0.25), nn.BatchNorm(), nn.ReLU()])
    text = texts(plot_model(built))
    for piece in ("dropout (Dropout)", "rate 0.25", "batch_norm (BatchNorm)", "params 8 (+8 non-trainable)",
                  "re_lu (ReLU)", "(None, 4)"):
        assert piece in text, piece
    lazy = plot_model(nn.Sequential([nn.Dense(4), nn.Dense(1)]))
    assert nodes(lazy) == ["layer0", "layer1"]  # no Input box before the model has seen data
    assert texts(lazy).count("params ? (not built)") == 2


# ---------------------------------------------------------------------------------------------
# gradients that backward did not keep, fused ops, and a picture that fits a screen


def test_gradients_not_kept_are_marked_with_how_to_keep_them():
    f = lecture_graph()  # backward() without retain_grads: wx and f keep no .grad
    g = draw_graph(f)
    assert label_of(g, "t2") == "wx = -10.0 grad not kept"
    assert label_of(g, "t4") == "f = -7.0 grad not kept"
    assert "w = -2.0 grad 5.0" in label_of(g, "t0")
    note = re.search(r'^\tgraph \[.* label="([^"]*)"', g.source, re.M).group(1)  # under the picture
    assert "mg.retain_grads(root) before root.backward()" in note and "mg.backward_steps(root)" in note
    assert note.startswith("grad not kept: backward() keeps .grad on leaves only.")
    before = mg.tensor(2.0, requires_grad=True) * 3.0  # no backward yet: nothing to mark
    assert "not kept" not in texts(draw_graph(before)) and "retain_grads" not in draw_graph(before).source
    assert "not kept" not in texts(draw_graph(f, show_grad=False))


class _ScaleShift(mg.Function):
    """A user's fused op: y = a * x + c as one node, with its formula and the same graph in basic ops."""

    formula = "a * x + c"

    @staticmethod
    def forward(ctx, x, a, c):
        ctx.save_for_backward(x, a)
        return a * x + c

    @staticmethod
    def backward(ctx, grad):
        x, a = ctx.saved_tensors
        return grad * a, grad * x, grad

    @staticmethod
    def composed(x, a, c):
        return a * x + c


def test_a_fused_op_shows_its_formula():
    x = mg.tensor([1.0, 2.0], requires_grad=True, name="x")
    g = draw_graph(_ScaleShift.apply(x, mg.tensor(3.0, name="a"), 0.5))
    assert label_of(g, "op0") == "_scaleshift a * x + c"
    dense = mg.nn.Dense(2, input_dim=3)
    assert "affine x @ W + b" in texts(draw_graph(dense(mg.ones((4, 3)))))


def test_expand_draws_a_fused_op_as_its_parts_with_their_gradients():
    x = mg.tensor([1.0, 2.0], requires_grad=True, name="x")
    a = mg.tensor(3.0, requires_grad=True, name="a")
    y = _ScaleShift.apply(x, a, 0.5)
    y.name = "y"
    loss = retain_grads((y * y).sum())
    loss.backward()
    grads_before = (x.grad.copy(), a.grad.copy())
    g = draw_graph(loss, expand=True)
    ops = [label_of(g, n) for n in nodes(g) if n.startswith("op")]
    assert ops == ["mul", "add", "mul", "sum"]  # a * x, + c, then y * y and sum: no _scaleshift node
    assert "subgraph cluster_" in g.source and 'label="_scaleshift = a * x + c"' in g.source
    # the part a * x gets the gradient of y (2y = [7, 13]), backpropagated through the parts
    part = [n for n in nodes(g) if label_of(g, n).startswith("(2,) float32 data [3.0, 6.0]")]
    assert len(part) == 1 and "grad [7.0, 13.0]" in label_of(g, part[0])
    x_node = [n for n in nodes(g) if label_of(g, n).startswith("x ")][0]
    assert (x_node, "op0") in edges(g)  # the caller's x feeds the part directly
    np.testing.assert_array_equal(x.grad, grads_before[0])  # drawing left the caller's gradients alone
    np.testing.assert_array_equal(a.grad, grads_before[1])
    assert draw_graph(loss).source.count("_scaleshift") >= 1  # not expanded by default


def test_expanded_dense_layer_shows_matmul_then_add():
    dense = mg.nn.Dense(2, input_dim=3)
    y = dense(mg.ones((4, 3)))
    g = draw_graph(y, expand=True)
    assert [label_of(g, n) for n in nodes(g) if n.startswith("op")] == ["matmul", "add"]


def _xor_graph_after_backward(retain):
    """examples/xor.py's picture: one forward pass of the 2-2-1 net and the MSE loss, after backward."""
    x = mg.tensor([[1, 1], [1, 0], [0, 1], [0, 0]], name="x")
    y = mg.tensor([[0], [1], [1], [0]], name="y")
    mg.manual_seed(0)
    model = mg.nn.Sequential([mg.nn.Dense(2, activation="sigmoid", input_dim=2),
                              mg.nn.Dense(1, activation="sigmoid")])
    for name, p in model.named_parameters():
        p.name = name
        p.data = p.data * 1.2345678  # long decimals everywhere, as trained weights have
    loss = mg.nn.functional.mse_loss(model(x), y)
    loss.name = "loss"
    if retain:
        retain_grads(loss)
    loss.backward()
    return draw_graph(loss)


@needs_dot
@pytest.mark.parametrize("retain", [True, False])
def test_the_xor_graph_fits_a_laptop_screen(retain):
    svg = _xor_graph_after_backward(retain).pipe(format="svg").decode()
    size = re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
    width, height = (float(v) * 96 / 72 for v in size)  # points to CSS pixels
    assert width <= 1440 and height <= 800, (width, height)


# ---------------------------------------------------------------------------------------------
# the pictures of README.md and docs/


REPO = Path(__file__).resolve().parent.parent
DOC_FILES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def test_every_picture_link_in_the_docs_points_to_a_file():
    links = [(doc, link) for doc in DOC_FILES
             for link in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", doc.read_text(encoding="utf-8"))]
    assert len(links) >= 7
    missing = [f"{doc.name}: {link}" for doc, link in links if not (doc.parent / link).is_file()]
    assert not missing


@needs_dot
def test_every_docs_picture_and_output_is_what_the_code_beside_it_gives(capsys):
    spec = importlib.util.spec_from_file_location("make_images", REPO / "docs" / "img" / "make_images.py")
    make_images = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_images)
    assert len([job for job in make_images.jobs() if job[2] == "svg"]) >= 7
    status = make_images.main(check=True)
    assert status == 0, capsys.readouterr().out  # "out of date: …": run python docs/img/make_images.py
