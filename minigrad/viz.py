"""Pictures of computation graphs and models, drawn with Graphviz.

``draw_graph(root)`` shows the graph that produced a tensor: one box per tensor (name, shape, dtype,
its data and gradient), one ellipse per op (``mul``, ``matmul``, ``sigmoid`` …), and edges
tensor → op → tensor in the direction of the forward pass. ``plot_model(model)`` shows a model's
layers and their shapes, like Keras's ``plot_model``. Both return a ``graphviz.Digraph``: Jupyter
displays it inline, ``.source`` is the DOT text (no Graphviz program needed) and
``.render("name", format="svg")`` / ``.pipe(format="svg")`` run Graphviz's ``dot`` program.

Colours (legend): parameters (leaves that require grad) are blue, inputs (leaves that do not) grey,
intermediate results white, the root green with a thick border; op nodes are amber ellipses;
constants (raw arrays an op received, like the ``2`` in ``x * 2``) are small dashed grey boxes.
A gradient that is all zero (a dead ReLU) is shaded orange and marked "all zero"; one holding NaN
or inf is shaded red and marked "NaN/inf". Values print as matrices: a (4, 2) array keeps its four
rows; a larger one shows its top-left corner with "…" and "⋮" where rows or columns were cut.

The graph is walked with an explicit stack (a 10,000-op chain is fine) and bookkept by ``id()``,
because ``==`` on tensors is elementwise. Nodes are listed in the order the forward pass created
them (ops by the engine's creation number; a leaf just before the first op that used it), so the
same code draws the same picture on every run. ``mg.backward_steps`` draws its frames with the
same code, passing what is known at each step of the backward pass (``_Frame``).
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import checks
from .autograd import enable_grad
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
_NOW_FILL, _NOW_BORDER = "#ede9fe", "#6d28d9"  # the op whose backward runs in this frame
_LATER_FILL, _LATER_BORDER = "#ffffff", "#d1d5db"  # an op backward has not reached yet

_KIND_TEXT = {
    "root": "the root (the tensor drawn from)",
    "parameter": "parameter: a leaf with requires_grad=True",
    "input": "input: a leaf with requires_grad=False",
    "intermediate": "intermediate result of an op",
}
_NOT_KEPT_NOTE = ("grad not kept: backward() keeps .grad on leaves only.\\l"  # (\\l ends a left-aligned line)
                  "To see it: mg.retain_grads(root) before root.backward(),\\l"
                  "or step through with mg.backward_steps(root).\\l")


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


def _corner(arr: np.ndarray, max_elements: int) -> list:
    """The top-left corner of a 2-D array as rows of strings, at most ``max_elements`` values.

    Whole rows are kept while they fit (a (4, 2) array at 8 shows all of it); a cut row ends in
    '…' and cut rows are marked by a last row '⋮'."""
    r, c = arr.shape
    cols = min(c, max_elements)
    rows = min(r, max(1, max_elements // max(cols, 1)))
    out = [[_fmt(v) for v in arr[i, :cols].tolist()] + (["…"] if cols < c else []) for i in range(rows)]
    if rows < r:
        out.append(["⋮"] + [""] * (len(out[0]) - 1))
    return out


def _matrix_of(arr: np.ndarray) -> tuple:
    """(the 2-D array to show, a caption): a 3-D or larger array shows its first matrix."""
    if arr.ndim <= 2:
        return arr.reshape(1, -1) if arr.ndim == 1 else arr, ""
    lead = (0,) * (arr.ndim - 2)
    return arr[lead], "[" + ", ".join(["0"] * (arr.ndim - 2) + [":", ":"]) + "] of " + _shape_text(arr.shape)


def _preview(arr: Any, max_elements: int) -> str:
    """A short text of ``arr``: '5.0', '[1.0, 2.0, …]', '[[0.0, 1.0], [2.0, 3.0], ⋮]'."""
    arr = np.asarray(arr)
    if arr.ndim == 0:
        return _fmt(arr.item())
    if arr.size == 0:
        return "[]"
    mat, caption = _matrix_of(arr)
    rows = [", ".join(cell for cell in row if cell) for row in _corner(mat, max_elements)]
    if arr.ndim == 1:
        return f"[{rows[0]}]"
    return (caption + " " if caption else "") + "[" + ", ".join(
        row if row == "⋮" else f"[{row}]" for row in rows) + "]"


def _values_html(arr: Any, max_elements: int, color: str | None = None) -> str:
    """HTML-like markup of ``arr``'s values: a number, a one-line vector, or a matrix with its rows."""
    arr = np.asarray(arr)

    def paint(text: str) -> str:
        return f'<font color="{color}">{text}</font>' if color else text

    if arr.ndim <= 1 or arr.size == 0:
        text = paint(_esc(_preview(arr, max_elements)))
        return text if arr.ndim == 0 else f'<font point-size="9">{text}</font>'
    mat, caption = _matrix_of(arr)
    body = "".join("<tr>" + "".join(f'<td align="right"><font point-size="9">{paint(_esc(c))}</font></td>'
                                    if c else "<td></td>" for c in row) + "</tr>"
                   for row in _corner(mat, max_elements))
    inner = f'<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{body}</table>'
    plain = '<table border="0" cellborder="0" cellspacing="0">'
    matrix = f'{plain}<tr><td border="1" sides="LR">{inner}</td></tr></table>'  # the bars of a matrix
    if caption:
        return (f'{plain}<tr><td align="left"><font point-size="8">{_esc(caption)}</font></td></tr>'
                f'<tr><td>{matrix}</td></tr></table>')
    return matrix


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


def _check_options(rankdir: str, max_elements: Any = 1, owner: str = "draw_graph") -> None:
    checks.one_of(owner, "rankdir", rankdir, _RANKDIRS)
    checks.integer(owner, "max_elements", max_elements, low=1)


def _new_digraph(name: str, rankdir: str) -> "graphviz.Digraph":
    try:
        import graphviz
    except ImportError:  # pragma: no cover - graphviz is a dependency of minigrad
        raise ImportError("drawing graphs needs the 'graphviz' Python package: pip install graphviz "
                          "(and the Graphviz 'dot' program to render: apt install graphviz, "
                          "brew install graphviz or conda install -c conda-forge graphviz)") from None
    g = graphviz.Digraph(name)
    g.attr("graph", rankdir=rankdir, fontname=_FONT, nodesep="0.2", ranksep="0.15")
    g.attr("node", fontname=_FONT, fontsize="10")
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

    Ops are sorted by the creation number the engine gives each node (``node.seq``; a node is
    always newer than its inputs' nodes), and a leaf comes just before the first op that used it.
    Without creation numbers the depth-first post-order of ``_topological_tensors`` is used; it is
    also deterministic and also puts inputs before the ops that used them.
    """
    tensors = _topological_tensors(root)
    made = [t for t in tensors if t.grad_fn is not None]
    if not all(isinstance(getattr(t.grad_fn, "seq", None), int) for t in made):
        return tensors
    made.sort(key=lambda t: t.grad_fn.seq)
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
        checks.fail("retain_grads", "root", root, "a minigrad Tensor", TypeError)
    for t in _topological_tensors(root):
        if t.grad_fn is not None:
            t.retain_grad()
    return root


# ---------------------------------------------------------------------------------------------
# draw_graph


@dataclass
class _Frame:
    """What is known at one step of the backward pass (``mg.backward_steps`` fills it in).

    ``grads``: id(tensor) -> its gradient so far; ``partial``: ids of tensors that will still receive
    more; ``step``: id(node) -> its step number (1, 2, …) for the nodes done so far; ``current``:
    id(node) of the node of this step; ``sent``: (id(node), input position) -> gradient it sent."""

    grads: dict = field(default_factory=dict)
    partial: set = field(default_factory=set)
    step: dict = field(default_factory=dict)
    current: int | None = None
    sent: dict = field(default_factory=dict)


def _tensor_kind(t: Tensor, root: Tensor) -> str:
    if t is root:
        return "root"
    if t.grad_fn is None:
        return "parameter" if t.requires_grad else "input"
    return "intermediate"


def _tensor_label(t: Tensor, kind: str, *, show_data: bool, grad: Any, note: str | None,
                  max_elements: int, highlight: bool = False) -> str:
    """The HTML-like label of a tensor's box. ``note``: None, "not kept" (backward ran but kept no
    gradient here) or "so far" (a gradient still being summed up, in a backward_steps frame)."""
    fill, border = _STYLE[kind]
    status = _grad_status(grad) if grad is not None else None
    if status == "zero":
        border = _ZERO_GRAD_BORDER
    elif status == "nonfinite":
        border = _BAD_GRAD_BORDER
    if highlight:
        border = _NOW_BORDER
    name = f"<b>{_esc(str(t.name))}</b>" if t.name else ""
    meta = f'<font color="{_MUTED}" point-size="9">{_shape_text(t.shape)} {t.dtype}</font>'

    def section(caption: str, values: str, extra: str = "", bg: str = "") -> str:
        """A caption ('data', 'grad') over its values: stacked, so that boxes stay narrow."""
        return (f'<tr><td align="left"{bg}><font point-size="9">{caption}</font>{extra}</td></tr>'
                f'<tr><td align="left"{bg}>{values}</td></tr>')

    grad_rows = grad_cell = ""  # (a scalar's gradient goes in a cell beside its value)
    if grad is not None:
        extra = {"zero": " <i>(all zero)</i>", "nonfinite": " <i>(NaN/inf)</i>"}.get(status or "", "")
        if note == "so far":
            extra += f' <font color="{_MUTED}"><i>(so far)</i></font>'
        bg = {"zero": f' bgcolor="{_ZERO_GRAD_FILL}"', "nonfinite": f' bgcolor="{_BAD_GRAD_FILL}"'}.get(
            status or "", "")
        values = _values_html(grad, max_elements, _GRAD_TEXT)
        grad_rows = section(f'<font color="{_GRAD_TEXT}">grad</font>', values, extra, bg)
        grad_cell = f'<td align="left"{bg}><font color="{_GRAD_TEXT}">grad</font> {values}{extra}</td>'
    elif note == "not kept":
        grad_cell = f'<td align="left"><font color="{_MUTED}" point-size="9"><i>grad not kept</i></font></td>'
        grad_rows = f"<tr>{grad_cell}</tr>"

    width = "3" if highlight else "2" if kind == "root" else "1"
    table = (f'<table border="{width}" cellborder="0" cellspacing="0" cellpadding="2" '
             f'bgcolor="{fill}" color="{border}">')
    if t.ndim == 0 and show_data:
        # a scalar reads plainly on one line:  f = -7.0   grad 1.0
        value = _esc(_fmt(t.data.item()))
        rows = f"<tr><td>{name + ' = ' if name else ''}{value}</td>{grad_cell}</tr>"
        return f"<{table}{rows}</table>>"
    rows = f'<tr><td align="left">{name}</td></tr>' if name else ""  # name over shape: narrow boxes
    rows += f'<tr><td align="left">{meta}</td></tr>'
    if show_data:
        rows += section("data", _values_html(t.data, max_elements))
    return f"<{table}{rows}{grad_rows}</table>>"


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


def _op_label(node: Any, step: int | None = None) -> str:
    """An op's name; a fused op adds the formula it computes; in a frame, the step it ran at."""
    name = type(node).op_name()
    formula = getattr(type(node), "formula", None)
    if formula is None and step is None:
        return name
    rows = f"<tr><td>{_esc(name)}</td></tr>"
    if formula:
        rows += f'<tr><td><font point-size="8">{_esc(str(formula))}</font></td></tr>'
    if step is not None:
        rows += f'<tr><td><font point-size="8" color="{_MUTED}">step {step}</font></td></tr>'
    return f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="0">{rows}</table>>'


def _edge_attrs(grad: np.ndarray) -> dict:
    """A violet edge for a gradient an op sent; its value written on it when it holds one or two
    numbers (the box it reached shows larger ones whole), always in the edge's tooltip."""
    attrs = {"color": _GRAD_TEXT, "fontcolor": _GRAD_TEXT, "penwidth": "1.5",
             "tooltip": f"gradient sent: {_shape_text(np.shape(grad))} {_preview(grad, 8)}"}
    if np.size(grad) <= 2:
        attrs["label"] = f'<<font color="{_GRAD_TEXT}" point-size="9">{_esc(_preview(grad, 2))}</font>>'
    return attrs


class _Drawing:
    """Builds the Digraph of root's graph; ``frame`` (from backward_steps) replaces ``.grad``s."""

    def __init__(self, root: Tensor, *, show_data: bool, show_grad: bool, rankdir: str, max_elements: int,
                 expand: bool, frame: _Frame | None = None, name: str = "computation_graph"):
        self.root, self.show_data, self.show_grad = root, show_data, show_grad
        self.max_elements, self.expand, self.frame = max_elements, expand, frame
        self.g = _new_digraph(name, rankdir)
        self.names: dict = {}  # id(tensor or constant) -> DOT node name: t0, t1, … op0, … c0, …
        self.counts = {"t": 0, "op": 0, "c": 0}
        self.not_kept = 0
        self.keep: list = []  # the parts of expanded ops, alive while drawing: their id()s must not repeat
        order = _creation_order(root)
        # backward ran (so a missing .grad means "not kept") when some leaf that requires grad has one
        self.backward_ran = any(t.grad is not None for t in order if t.grad_fn is None and t.requires_grad)
        for t in order:
            if t.grad_fn is None:
                self.add_tensor(self.g, t)
            elif expand and callable(getattr(type(t.grad_fn), "composed", None)):
                self.add_expanded(t)
            else:
                self.add_op(self.g, t)
        if self.not_kept:
            self.g.attr("graph", label=_NOT_KEPT_NOTE, labelloc="b", labeljust="l", fontsize="9",
                        fontcolor=_MUTED)

    def new_name(self, prefix: str) -> str:
        name = f"{prefix}{self.counts[prefix]}"
        self.counts[prefix] += 1
        return name

    def grad_and_note(self, t: Tensor) -> tuple:
        if not self.show_grad:
            return None, None
        if self.frame is not None:
            grad = self.frame.grads.get(id(t))
            return grad, ("so far" if grad is not None and id(t) in self.frame.partial else None)
        if t.grad is None and t.grad_fn is not None and t.requires_grad and self.backward_ran:
            self.not_kept += 1
            return None, "not kept"
        return t.grad, None

    def add_tensor(self, g: Any, t: Tensor, grad: Any = "own") -> str:
        name = self.new_name("t")
        self.names[id(t)] = name
        kind = _tensor_kind(t, self.root)
        if isinstance(grad, str):
            grad, note = self.grad_and_note(t)
        else:
            note = None if grad is not None or not self.show_grad else "not kept"
            grad = grad if self.show_grad else None
        now = self.frame is not None and t.grad_fn is not None and id(t.grad_fn) == self.frame.current
        label = _tensor_label(t, kind, show_data=self.show_data, grad=grad, note=note,
                              max_elements=self.max_elements, highlight=now)
        tip = f"{t.name + ': ' if t.name else ''}{_KIND_TEXT[kind]}; shape {_shape_text(t.shape)}, {t.dtype}"
        g.node(name, label=label, shape="plain", tooltip=tip)
        return name

    def input_names(self, g: Any, inputs: tuple) -> list:
        """The DOT names of an op's inputs, drawing constants on first sight."""
        out = []
        for inp in inputs:
            # tensor inputs were listed earlier; an array constant is drawn once however often it is
            # used, any other constant (a Python value, None) once per use: id() of those can repeat
            key = id(inp) if isinstance(inp, (Tensor, np.ndarray)) else None
            if key is not None and key in self.names:
                out.append(self.names[key])
                continue
            cname = self.new_name("c")
            if key is not None:
                self.names[key] = cname
            g.node(cname, label=_const_label(inp, self.show_data, self.max_elements), shape="box",
                   style="dashed,rounded,filled", fillcolor=_CONST_FILL, color=_CONST_BORDER,
                   fontcolor=_MUTED, fontsize="10", tooltip="constant (not a Tensor: no gradient)")
            out.append(cname)
        return out

    def add_op(self, g: Any, t: Tensor) -> None:
        node: Any = t.grad_fn
        inputs = self.input_names(g, node.inputs)
        op = self.new_name("op")
        fill, border, width, step = _OP_FILL, _OP_BORDER, "1", None
        if self.frame is not None:
            step = self.frame.step.get(id(node))
            if id(node) == self.frame.current:
                fill, border, width = _NOW_FILL, _NOW_BORDER, "3"
            elif step is None:
                fill, border = _LATER_FILL, _LATER_BORDER
        g.node(op, label=_op_label(node, step), shape="ellipse", style="filled", fillcolor=fill, color=border,
               penwidth=width, margin="0.02,0.01",
               tooltip=f"op {type(node).op_name()} ({type(node).__name__})")
        for k, src in enumerate(inputs):
            sent = self.frame.sent.get((id(node), k)) if self.frame is not None else None
            if sent is not None and self.show_grad:
                g.edge(src, op, **_edge_attrs(sent))
            else:
                g.edge(src, op)
        g.edge(op, self.add_tensor(self.g, t))

    def add_expanded(self, t: Tensor) -> None:
        """Draw a fused op as the basic ops its ``composed`` staticmethod builds, in a dashed box.

        The parts are computed afresh on copies of the inputs (the caller's graph and gradients
        are left alone); when the fused output's gradient is known, it is backpropagated through
        the parts, so they show their gradients too."""
        node: Any = t.grad_fn
        cls = type(node)
        copies = [Tensor(inp.data, requires_grad=inp.requires_grad) if isinstance(inp, Tensor) else inp
                  for inp in node.inputs]
        with enable_grad():
            out = cls.composed(*copies, **getattr(node, "kwargs", {}))
        grad, _ = self.grad_and_note(t) if self.show_grad else (None, None)
        if grad is not None and out.requires_grad:
            retain_grads(out)
            with enable_grad():
                out.backward(np.asarray(grad, dtype=out.dtype))
        self.keep.append((copies, out))
        for copy, inp in zip(copies, node.inputs):
            if isinstance(copy, Tensor):
                self.names[id(copy)] = self.names[id(inp)]
        formula = getattr(cls, "formula", None)
        with self.g.subgraph(name=f"cluster_{self.counts['op']}") as box:
            box.attr(label=f"{cls.op_name()}" + (f" = {formula}" if formula else ""), style="dashed,rounded",
                     color=_OP_BORDER, fontcolor=_OP_BORDER, fontsize="10")
            for part in _creation_order(out):
                if id(part) in self.names:
                    continue
                if part.grad_fn is None:  # a tensor made inside composed (a constant): no gradient to show
                    self.add_tensor(box, part, grad=None)
                    continue
                node_part: Any = part.grad_fn
                inputs = self.input_names(box, node_part.inputs)
                op = self.new_name("op")
                box.node(op, label=_op_label(node_part), shape="ellipse", style="filled", fillcolor=_OP_FILL,
                         color=_OP_BORDER, margin="0.02,0.01",
                         tooltip=f"op {type(node_part).op_name()}, part of {cls.op_name()}")
                for src in inputs:
                    self.g.edge(src, op)
                if part is out:
                    self.g.edge(op, self.add_tensor(self.g, t))
                else:
                    part_grad = part.grad if grad is not None else None
                    self.g.edge(op, self.add_tensor(box, part, grad=part_grad))


def draw_graph(root: Tensor, *, show_data: bool = True, show_grad: bool = True, rankdir: str = "LR",
               max_elements: int = 8, expand: bool = False) -> "graphviz.Digraph":
    """Draw the computation graph that produced ``root`` as a ``graphviz.Digraph``.

    One box per tensor (its ``name`` if set, shape, dtype and, when ``show_data``/``show_grad``, its
    values and those of ``.grad``: a matrix keeps its rows, at most ``max_elements`` values with '…'
    and '⋮' where cut; a 0-d tensor reads plainly as ``f = -7.0  grad 1.0``), one ellipse per op
    (``type(node).op_name()``; a fused op such as ``affine`` also shows its formula ``x @ W + b``),
    one dashed box per constant an op received, and edges tensor → op → tensor. A tensor used twice
    appears once and sends two edges (``a * a``). After ``backward()`` leaves show their gradients;
    an intermediate tensor or the root shows "grad not kept" unless its gradient was retained
    (``mg.retain_grads(root)`` before ``backward()``; ``mg.backward_steps`` shows them all).
    All-zero gradients are shaded orange, NaN/inf ones red. ``rankdir`` is Graphviz's: "LR"
    (left to right), "TB", "RL", "BT". ``expand=True`` draws each fused op as the basic ops it
    stands for (``affine`` as ``matmul`` then ``add``) inside a dashed box.

    Returns a Digraph: shown inline by Jupyter; ``.source`` is the DOT text; ``.render(path,
    format="svg")`` and ``.pipe(format="png")`` need the Graphviz ``dot`` program.
    """
    if not isinstance(root, Tensor):
        checks.fail("draw_graph", "root", root, "a minigrad Tensor", TypeError)
    _check_options(rankdir, max_elements)
    for flag, value in (("show_data", show_data), ("show_grad", show_grad), ("expand", expand)):
        checks.boolean("draw_graph", flag, value)
    return _Drawing(root, show_data=show_data, show_grad=show_grad, rankdir=rankdir,
                    max_elements=max_elements, expand=expand).g


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
