"""Pictures of computation graphs and models, drawn with Graphviz.

``draw_graph(root)`` shows the graph that produced a tensor: one box per tensor (name, shape, dtype,
a preview of its data and gradient), one ellipse per op (``mul``, ``matmul``, ``sigmoid`` …), and
edges tensor → op → tensor in the direction of the forward pass. ``plot_model(model)`` shows a
model's layers and their shapes, like Keras's ``plot_model``. Both return a ``graphviz.Digraph``:
Jupyter displays it inline, ``.source`` is the DOT text (no Graphviz program needed) and
``.render("name", format="svg")`` / ``.pipe(format="svg")`` run Graphviz's ``dot`` program.

Colours (legend): parameters (leaves that require grad) are blue, inputs (leaves that do not) grey,
intermediate results white, the root green with a thick border; op nodes are amber ellipses;
constants (raw arrays an op received, like the ``2`` in ``x * 2``) are small dashed grey boxes.
A gradient that is all zero (a dead ReLU) is shaded orange and marked "all zero"; one holding NaN
or inf is shaded red and marked "NaN/inf".

The graph is walked with an explicit stack (a 10,000-op chain is fine) and bookkept by ``id()``,
because ``==`` on tensors is elementwise. Nodes are listed in the order the forward pass created
them (ops by the engine's creation number; a leaf just before the first op that used it), so the
same code draws the same picture on every run.
"""
from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np

from .tensor import Tensor

if TYPE_CHECKING:  # graphviz is imported when a picture is drawn, not with minigrad
    import graphviz

__all__ = ["draw_graph", "plot_model", "retain_grads"]

_RANKDIRS = ("LR", "RL", "TB", "BT")
_FONT = "Helvetica"

# (fill, border) per kind of tensor; Tailwind-like pastel fills with dark borders read well in print
_STYLE = {
    "root": ("#dcfce7", "#15803d"),
    "parameter": ("#dbeafe", "#1d4ed8"),
    "input": ("#f3f4f6", "#6b7280"),
    "intermediate": ("#ffffff", "#374151"),
}
_OP_FILL, _OP_BORDER = "#fef3c7", "#b45309"
_CONST_FILL, _CONST_BORDER = "#f9fafb", "#9ca3af"
_ZERO_GRAD_FILL, _ZERO_GRAD_BORDER = "#fed7aa", "#ea580c"   # all-zero gradient: orange
_BAD_GRAD_FILL, _BAD_GRAD_BORDER = "#fecaca", "#dc2626"     # NaN or inf in the gradient: red
_MUTED = "#6b7280"
_GRAD_TEXT = "#6d28d9"  # gradients in violet, so data and grad never blur together

_KIND_TEXT = {
    "root": "the root (the tensor drawn from)",
    "parameter": "parameter: a leaf with requires_grad=True",
    "input": "input: a leaf with requires_grad=False",
    "intermediate": "intermediate result of an op",
}


# ---------------------------------------------------------------------------------------------
# formatting helpers


def _fmt(v: Any) -> str:
    """One value, short: 4 significant digits, floats keep a decimal point (-7 -> '-7.0')."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    v = float(v)
    s = f"{v:.4g}"
    if s.lstrip("-").isdigit():  # '-7' -> '-7.0', but 'nan', 'inf', '1e-08' stay as they are
        s += ".0"
    return s


def _preview(arr: np.ndarray, max_elements: int) -> str:
    """The first ``max_elements`` values of ``arr`` (flattened, C order), with '…' when cut."""
    arr = np.asarray(arr)
    if arr.ndim == 0:
        return _fmt(arr.item())
    flat = arr.ravel()
    body = ", ".join(_fmt(v) for v in flat[:max_elements].tolist())
    if flat.size > max_elements:
        body += ", …"
    return f"[{body}]"


def _grad_status(grad: np.ndarray) -> str | None:
    """'nonfinite' when grad holds NaN/inf, 'zero' when every element is 0, else None."""
    g = np.asarray(grad)
    if g.size == 0 or g.dtype.kind not in "fc":
        return None
    if not np.isfinite(g).all():
        return "nonfinite"
    if not g.any():
        return "zero"
    return None


def _shape_text(shape: tuple) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _esc(s: str) -> str:
    return html.escape(s, quote=True)


def _check_options(rankdir: str, max_elements: Any = 1) -> None:
    if rankdir not in _RANKDIRS:
        raise ValueError(f"rankdir must be one of {_RANKDIRS}; received rankdir={rankdir!r}")
    if isinstance(max_elements, bool) or not isinstance(max_elements, (int, np.integer)) or max_elements < 1:
        raise ValueError(f"max_elements must be a positive integer; received max_elements={max_elements!r}")


def _new_digraph(name: str, rankdir: str) -> "graphviz.Digraph":
    try:
        import graphviz
    except ImportError:  # pragma: no cover - graphviz is a dependency of minigrad
        raise ImportError("drawing graphs needs the 'graphviz' Python package: pip install graphviz "
                          "(and the Graphviz 'dot' program to render: apt install graphviz, "
                          "brew install graphviz or conda install -c conda-forge graphviz)") from None
    g = graphviz.Digraph(name)
    g.attr("graph", rankdir=rankdir, fontname=_FONT, nodesep="0.3", ranksep="0.4")
    g.attr("node", fontname=_FONT, fontsize="11")
    g.attr("edge", color="#4b5563", arrowsize="0.7")
    return g


# ---------------------------------------------------------------------------------------------
# walking the graph


def _topological_tensors(root: Tensor) -> list:
    """Every tensor of root's graph, inputs before the ops that used them, root last.

    Iterative depth-first post-order (a node is marked when it is expanded, not when pushed, so a
    tensor reached again deeper down still lands before everything that uses it). Inputs are
    visited in argument order, which makes the order follow the forward pass and never vary.
    """
    order: list = []
    expanded: set = set()
    stack: list = [(root, False)]
    while stack:
        t, done = stack.pop()
        if done:
            order.append(t)
            continue
        if id(t) in expanded:
            continue
        expanded.add(id(t))
        stack.append((t, True))
        node = t.grad_fn
        if node is not None:
            for inp in reversed(node.inputs):
                if isinstance(inp, Tensor) and id(inp) not in expanded:
                    stack.append((inp, False))
    return order


def _creation_order(root: Tensor) -> list:
    """The tensors of root's graph in the order the forward pass created them.

    Ops are sorted by the creation number the engine gives each node (``node._seq``; a node is
    always newer than its inputs' nodes), and a leaf comes just before the first op that used it.
    Without creation numbers the depth-first post-order of ``_topological_tensors`` is used; it is
    also deterministic and also puts inputs before the ops that used them.
    """
    tensors = _topological_tensors(root)
    made = [t for t in tensors if t.grad_fn is not None]
    if not all(isinstance(getattr(t.grad_fn, "_seq", None), int) for t in made):
        return tensors
    made.sort(key=lambda t: t.grad_fn._seq)
    order: list = [] if made else [root]
    placed: set = set()
    for t in made:
        for inp in t.grad_fn.inputs:
            if isinstance(inp, Tensor) and inp.grad_fn is None and id(inp) not in placed:
                placed.add(id(inp))
                order.append(inp)
        order.append(t)
    return order


def retain_grads(root: Tensor) -> Tensor:
    """Call ``retain_grad()`` on every non-leaf tensor of root's graph (root included).

    After the next ``root.backward()`` every intermediate tensor then holds its gradient in
    ``.grad`` (leaves always keep theirs), so ``draw_graph(root)`` shows the gradient flowing
    through every box. Call it before ``backward()``. Returns ``root`` so it can wrap an expression:
    ``f = retain_grads(w * x + b)``.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"retain_grads expects a minigrad Tensor; received {type(root).__name__}")
    for t in _topological_tensors(root):
        if t.grad_fn is not None:
            t.retain_grad()
    return root


# ---------------------------------------------------------------------------------------------
# draw_graph


def _tensor_kind(t: Tensor, root: Tensor) -> str:
    if t is root:
        return "root"
    if t.grad_fn is None:
        return "parameter" if t.requires_grad else "input"
    return "intermediate"


def _tensor_label(t: Tensor, kind: str, show_data: bool, show_grad: bool, max_elements: int) -> tuple:
    """The HTML-like label of a tensor's box, and its border colour."""
    fill, border = _STYLE[kind]
    data = t.data
    grad = t.grad if show_grad else None
    status = _grad_status(grad) if grad is not None else None
    if status == "zero":
        border = _ZERO_GRAD_BORDER
    elif status == "nonfinite":
        border = _BAD_GRAD_BORDER
    name = f"<b>{_esc(str(t.name))}</b>" if t.name else ""
    meta = f'<font color="{_MUTED}" point-size="9">{_shape_text(t.shape)} {t.dtype}</font>'

    grad_cell = ""
    if grad is not None:
        text = f'<font color="{_GRAD_TEXT}">grad {_esc(_preview(grad, max_elements))}</font>'
        gfill = ""
        if status == "zero":
            text += " <i>(all zero)</i>"
            gfill = f' bgcolor="{_ZERO_GRAD_FILL}"'
        elif status == "nonfinite":
            text += " <i>(NaN/inf)</i>"
            gfill = f' bgcolor="{_BAD_GRAD_FILL}"'
        grad_cell = f'<td align="left"{gfill}>{text}</td>'

    width = "2" if kind == "root" else "1"
    table = (f'<table border="{width}" cellborder="0" cellspacing="0" cellpadding="3" '
             f'bgcolor="{fill}" color="{border}">')
    if t.ndim == 0 and show_data:
        # a scalar reads plainly on one line:  f = -7.0   grad 1.0
        value = _esc(_fmt(data.item()))
        rows = f"<tr><td>{name + ' = ' if name else ''}{value}</td>{grad_cell}</tr>"
        return f"<{table}{rows}</table>>", border
    rows = f'<tr><td align="left">{name + "  " if name else ""}{meta}</td></tr>'
    if show_data:
        rows += f'<tr><td align="left">data {_esc(_preview(data, max_elements))}</td></tr>'
    if grad_cell:
        rows += f"<tr>{grad_cell}</tr>"
    return f"<{table}{rows}</table>>", border


def _const_label(value: Any, show_data: bool, max_elements: int) -> str:
    try:
        arr = np.asarray(value)
        numeric = arr.dtype.kind in "biuf"
    except Exception:  # noqa: BLE001 - an op may receive any Python object positionally
        numeric = False
    if not numeric:
        text = repr(value)
        return text if len(text) <= 40 else text[:39] + "…"
    if arr.ndim == 0 and show_data:
        return _fmt(arr.item())
    head = f"const {_shape_text(arr.shape)} {arr.dtype}"
    return head + ("\\n" + _preview(arr, max_elements) if show_data else "")  # DOT's line break


def draw_graph(root: Tensor, *, show_data: bool = True, show_grad: bool = True, rankdir: str = "LR",
               max_elements: int = 8) -> "graphviz.Digraph":
    """Draw the computation graph that produced ``root`` as a ``graphviz.Digraph``.

    One box per tensor (its ``name`` if set, shape, dtype and, when ``show_data``/``show_grad``, its
    first ``max_elements`` values and those of ``.grad``, '…' when cut; a 0-d tensor reads plainly
    as ``f = -7.0  grad 1.0``), one ellipse per op (``type(node).op_name()``), one dashed box per
    constant an op received, and edges tensor → op → tensor. A tensor used twice appears once and
    sends two edges (``a * a``). Gradients show for leaves after ``backward()``, and for
    intermediate tensors whose gradient was retained (see ``retain_grads``). All-zero gradients are
    shaded orange, NaN/inf ones red. ``rankdir`` is Graphviz's: "LR" (left to right), "TB", "RL", "BT".

    Returns a Digraph: shown inline by Jupyter; ``.source`` is the DOT text; ``.render(path,
    format="svg")`` and ``.pipe(format="png")`` need the Graphviz ``dot`` program.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"draw_graph expects a minigrad Tensor; received {type(root).__name__}")
    _check_options(rankdir, max_elements)
    g = _new_digraph("computation_graph", rankdir)
    names: dict = {}  # id(tensor or constant) -> DOT node name: t0, t1, … op0, … c0, …
    n_tensors = n_ops = n_consts = 0

    def add_tensor(t: Tensor) -> str:
        nonlocal n_tensors
        name = f"t{n_tensors}"
        n_tensors += 1
        names[id(t)] = name
        kind = _tensor_kind(t, root)
        label, border = _tensor_label(t, kind, show_data, show_grad, max_elements)
        tip = f"{t.name + ': ' if t.name else ''}{_KIND_TEXT[kind]}; shape {_shape_text(t.shape)}, {t.dtype}"
        g.node(name, label=label, shape="plain", tooltip=tip)
        return name

    for t in _creation_order(root):
        node = t.grad_fn
        if node is None:
            add_tensor(t)
            continue
        op = f"op{n_ops}"
        n_ops += 1
        inputs = []
        for inp in node.inputs:
            # tensor inputs were listed earlier; an array constant is drawn once however often it is
            # used, any other constant (a Python value, None) once per use: id() of those can repeat
            key = id(inp) if isinstance(inp, (Tensor, np.ndarray)) else None
            if key is None or key not in names:
                cname = f"c{n_consts}"
                n_consts += 1
                if key is not None:
                    names[key] = cname
                g.node(cname, label=_const_label(inp, show_data, max_elements), shape="box",
                       style="dashed,rounded,filled", fillcolor=_CONST_FILL, color=_CONST_BORDER,
                       fontcolor=_MUTED, fontsize="10", tooltip="constant (not a Tensor: no gradient)")
                inputs.append(cname)
            else:
                inputs.append(names[key])
        op_name = type(node).op_name()
        g.node(op, label=op_name, shape="ellipse", style="filled", fillcolor=_OP_FILL, color=_OP_BORDER,
               tooltip=f"op {op_name} ({type(node).__name__})")
        for src in inputs:
            g.edge(src, op)
        g.edge(op, add_tensor(t))
    return g


# ---------------------------------------------------------------------------------------------
# plot_model


def _layer_details(info: Any) -> list:
    """Short 'key value' strings for a layer box: units, activation, rate, … and the parameter count."""
    if info.trainable is None:
        return [*info.details, "params ? (not built)"]
    extra = f" (+{info.non_trainable:,} non-trainable)" if info.non_trainable else ""
    return [*info.details, f"params {info.trainable:,}{extra}"]


def plot_model(model: Any, *, show_shapes: bool = True, rankdir: str = "TB") -> "graphviz.Digraph":
    """Draw a model's layers top to bottom, like Keras's ``plot_model``, as a ``graphviz.Digraph``.

    One box per layer (for a ``Sequential``: each item; for another Module: its children, or the
    module itself when it has none) with its Keras-style name and type (``dense_1 (Dense)``), units,
    activation, other settings (rate, alpha, …) and parameter count (buffers such as BatchNorm's
    running statistics are added as "non-trainable", as in ``summary``; both read ``nn/describe.py``).
    When the first layer knows its input shape, an ``Input`` box comes first, as in Keras, so the
    lecture's 10-10-5-2 network draws four boxes.
    With ``show_shapes`` each layer shows its ``input_shape`` → ``output_shape`` (``None`` is the
    batch dimension; "?" means not known until the layer is built). Layers are read with
    ``getattr`` and defaults, so any Module draws.
    """
    from .nn.describe import describe_layers, shape_text  # the description summary() prints too

    _check_options(rankdir)
    g = _new_digraph("model", rankdir)
    layers = describe_layers(model)
    prev = None
    first_in = layers[0].input_shape if layers else None
    if first_in is not None:
        rows = '<tr><td><b>Input</b></td></tr>'
        if show_shapes:
            rows += f'<tr><td><font point-size="10">{_esc(shape_text(first_in))}</font></td></tr>'
        g.node("input", label=f'<<table border="1" cellborder="0" cellspacing="0" cellpadding="3" '
                              f'bgcolor="{_STYLE["input"][0]}" color="{_STYLE["input"][1]}">{rows}</table>>',
               shape="plain", tooltip="model input")
        prev = "input"
    for i, info in enumerate(layers):
        title = f'<b>{_esc(info.name)}</b> <font color="{_MUTED}">({_esc(info.type_name)})</font>'
        rows = f'<tr><td colspan="2">{title}</td></tr>'
        details = _esc(", ".join(_layer_details(info)))
        rows += f'<tr><td colspan="2"><font point-size="10">{details}</font></td></tr>'
        if show_shapes:
            ins, outs = _esc(shape_text(info.input_shape)), _esc(shape_text(info.output_shape))
            rows += (f'<tr><td align="right"><font color="{_MUTED}" point-size="10">input:</font></td>'
                     f'<td align="left"><font point-size="10">{ins}</font></td></tr>'
                     f'<tr><td align="right"><font color="{_MUTED}" point-size="10">output:</font></td>'
                     f'<td align="left"><font point-size="10">{outs}</font></td></tr>')
        fill, border = _STYLE["parameter"] if info.trainable else _STYLE["intermediate"]
        name = f"layer{i}"
        g.node(name, label=f'<<table border="1" cellborder="0" cellspacing="0" cellpadding="3" '
                           f'bgcolor="{fill}" color="{border}">{rows}</table>>',
               shape="plain", tooltip=f"layer {i}: {info.type_name}")
        if prev is not None:
            g.edge(prev, name)
        prev = name
    return g
