"""Step through a backward pass: ``steps = mg.backward_steps(loss)``.

``backward_steps`` runs ``loss.backward()`` and records, for every graph node in the order the
engine visits it, the gradient arriving at the node's output and the gradient it sends to each
input (the chain rule, one link at a time). ``steps[i]`` draws the whole graph at step i, the
node of that step highlighted and the gradients sent so far written on their edges; the last
frame shows every intermediate gradient. ``steps.explain()`` says the same in words, with numbers:

    mul (g = w·x): ∂f/∂w = ∂f/∂g · ∂g/∂w = 1 · 5 = 5;  ∂f/∂x = ∂f/∂g · ∂g/∂x = 1 · -2 = -2

``steps.save_html(path)`` writes one self-contained page that flips through the frames (buttons,
arrow keys, a slider); in Jupyter the object shows that viewer inline.
"""
from __future__ import annotations

import html
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import autograd, checks
from .tensor import Tensor
from .viz import _check_options, _creation_order, _Drawing, _Frame, _preview, _shape_text

if TYPE_CHECKING:
    import graphviz

__all__ = ["backward_steps", "BackwardSteps", "Step"]

_INFIX = {"add": " + ", "sub": " - ", "mul": "·", "div": " / ", "pow": "^", "matmul": " @ "}
_viewer_ids = itertools.count()


@dataclass(frozen=True)
class Step:
    """One node's turn in the backward pass: ``grad_out`` arrived at ``output`` (made by ``node``);
    ``grads_in[k]`` went to ``node.inputs[k]`` (None where no gradient was sent)."""

    node: Any
    output: Tensor
    grad_out: np.ndarray
    grads_in: tuple


def backward_steps(root: Tensor, retain_graph: bool = False, *, grad: Any = None) -> "BackwardSteps":
    """Run ``root.backward(grad, retain_graph)`` and record each step; returns a ``BackwardSteps``.

    Leaf gradients end up exactly as ``root.backward()`` leaves them (they accumulate into
    ``.grad`` the same way), and the same errors are raised: a root that does not require grad,
    a non-scalar root without ``grad``, a graph already freed by an earlier backward.
    """
    if not isinstance(root, Tensor):
        checks.fail("backward_steps", "root", root, "a minigrad Tensor", TypeError)
    retain_graph = checks.boolean("backward_steps", "retain_graph", retain_graph)
    seed = root._seed(grad)  # the checks and the seed of Tensor.backward
    tensors = _creation_order(root)  # walked before backward: the graph, whatever backward frees
    output_of = {id(t.grad_fn): t for t in tensors if t.grad_fn is not None}
    records: list = []

    def on_step(node: Any, grad_out: np.ndarray, grads_in: tuple) -> None:
        records.append(Step(node, output_of[id(node)], np.array(grad_out, copy=True),
                            tuple(None if g is None else np.array(g, copy=True) for g in grads_in)))

    autograd.run_backward(root, seed, retain_graph, on_step=on_step)
    return BackwardSteps(root, np.array(seed, copy=True), records, tensors)


class BackwardSteps:
    """The recorded steps of one backward pass (see ``backward_steps``).

    ``len(steps)`` steps; ``steps[i]`` the graph at step i as a ``graphviz.Digraph``; ``steps.records``
    the raw ``Step`` records; ``steps.explain()`` one line of text per step; ``steps.save_html(path)``
    a self-contained page with every frame. ``rankdir`` and ``max_elements`` are ``draw_graph``'s and
    may be changed before drawing (``steps.rankdir = "TB"``).
    """

    def __init__(self, root: Tensor, seed: np.ndarray, records: list, tensors: list):
        self.root, self.seed, self.records, self.tensors = root, seed, records, tensors
        self.rankdir, self.max_elements = "LR", 8
        # id(tensor) -> ids of the nodes that use it: its gradient is complete once they all ran
        self._users: dict = {}
        for t in tensors:
            if t.grad_fn is not None:
                for inp in t.grad_fn.inputs:
                    if isinstance(inp, Tensor) and inp.requires_grad:
                        self._users.setdefault(id(inp), set()).add(id(t.grad_fn))

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> "graphviz.Digraph":
        return self.frame(i)

    def __iter__(self) -> Any:
        return (self.frame(i) for i in range(len(self)))

    def __repr__(self) -> str:
        return f"<BackwardSteps: {len(self)} steps from {self._symbols()[id(self.root)]}>"

    # -- frames -------------------------------------------------------------------------------
    def _frame_state(self, i: int) -> _Frame:
        """What is known after step i: gradients summed so far, nodes done, gradients on edges."""
        state = _Frame(grads={id(self.root): self.seed}, current=id(self.records[i].node))
        for j, rec in enumerate(self.records[: i + 1]):
            state.step[id(rec.node)] = j + 1
            for k, (inp, g) in enumerate(zip(rec.node.inputs, rec.grads_in)):
                if g is None:
                    continue
                state.sent[(id(rec.node), k)] = g
                old = state.grads.get(id(inp))
                state.grads[id(inp)] = g if old is None else old + g
        state.partial = {key for key, users in self._users.items() if key in state.grads
                         and not users <= state.step.keys()}
        return state

    def frame(self, i: int, *, show_data: bool = True) -> "graphviz.Digraph":
        """The graph at step ``i`` (negative counts from the end): nodes done so far with their step
        numbers, this step's node in violet, gradients sent so far on their edges and summed in
        their tensors ("so far" while more will arrive), nodes not reached yet plain white."""
        n = len(self)
        checks.integer("BackwardSteps", "i", i)
        if not -n <= i < n:
            raise IndexError(f"BackwardSteps: step {i} is out of range for {n} step(s)")
        _check_options(self.rankdir, self.max_elements, "BackwardSteps")
        return _Drawing(self.root, show_data=show_data, show_grad=True, rankdir=self.rankdir,
                        max_elements=self.max_elements, expand=False, frame=self._frame_state(i % n),
                        name=f"backward_step_{i % n + 1}").g

    # -- words --------------------------------------------------------------------------------
    def _symbols(self) -> dict:
        """id(tensor) -> the name used in the text: its ``name``, 'L' for an unnamed root, else v1, v2, …"""
        taken = {t.name for t in self.tensors if t.name}
        names, auto = {}, (f"v{k}" for k in itertools.count(1))
        for t in self.tensors:
            if t.name:
                names[id(t)] = str(t.name)
            elif t is self.root and "L" not in taken:
                names[id(t)] = "L"
            else:
                names[id(t)] = next(s for s in auto if s not in taken)
        return names

    def explain(self) -> list:
        """One line per step. A scalar step writes the chain rule with numbers,
        ``mul (g = w·x): ∂f/∂w = ∂f/∂g · ∂g/∂w = 1 · 5 = 5``; a tensor step gives the shapes and a
        short preview of the gradient that arrived and of each gradient sent."""
        sym = self._symbols()
        return [_explain_step(rec, sym, sym[id(self.root)]) for rec in self.records]

    # -- the viewer ---------------------------------------------------------------------------
    def _viewer(self, global_keys: bool) -> str:
        uid = f"mg-steps-{next(_viewer_ids)}"
        lines = self.explain()
        frames = []
        for i, line in enumerate(lines):
            svg = self.frame(i).pipe(format="svg").decode("utf-8")
            svg = svg[svg.index("<svg"):]  # inline: without the XML prolog and doctype
            op = type(self.records[i].node).op_name()
            frames.append(f'<div class="mg-frame" data-step="{i}"{"" if i == 0 else " hidden"}>'
                          f'<p class="mg-title">Step {i + 1} of {len(lines)}: {html.escape(op)}</p>{svg}'
                          f'<p class="mg-explain">{html.escape(line)}</p></div>')
        if not frames:
            frames.append('<div class="mg-frame" data-step="0"><p class="mg-explain">No steps: the root is a '
                          'leaf, so backward only set its own gradient.</p></div>')
        n = max(len(lines), 1)
        return _VIEWER.format(uid=uid, n=n, last=n - 1, frames="\n".join(frames),
                              keys_target="document" if global_keys else "box")

    def to_html(self, title: str = "minigrad: backward, step by step") -> str:
        """The whole self-contained page that ``save_html`` writes (every frame inline as SVG)."""
        return _PAGE.format(title=html.escape(title), body=self._viewer(global_keys=True))

    def save_html(self, path: Any, title: str = "minigrad: backward, step by step") -> Path:
        """Write the step-through viewer to ``path`` as one HTML file that needs no network: every
        frame inline as SVG (rendered by Graphviz's ``dot``), its explanation under it, Prev/Next
        buttons, the arrow keys and a slider. Returns the path."""
        path = Path(path)
        path.write_text(self.to_html(title), encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        """Jupyter shows the viewer inline (arrow keys work once the viewer was clicked)."""
        return self._viewer(global_keys=False)


# ---------------------------------------------------------------------------------------------
# the text of a step


def _num(v: Any) -> str:
    return f"{float(v):.4g}"


def _is_scalar(a: Any) -> bool:
    return np.size(a) == 1


def _operand(x: Any, sym: dict) -> str:
    if isinstance(x, Tensor):
        return sym[id(x)]
    if np.ndim(x) == 0 and np.asarray(x).dtype.kind in "biuf":
        return _num(x)
    if isinstance(x, np.ndarray):
        return f"const{_shape_text(x.shape)}"
    return repr(x)


def _formula(node: Any, sym: dict, scalar: bool) -> str:
    """The op as an expression of its inputs' names: 'w·x', 'x @ W', 'sigmoid(v1)', 'affine(x, W, b)'."""
    name = type(node).op_name()
    args = [_operand(x, sym) for x in node.inputs]
    fused = getattr(type(node), "formula", None)
    if name in _INFIX and len(args) == 2 and not fused:
        op = _INFIX[name] if scalar or name != "mul" else " * "
        return op.join(args)
    if name == "neg" and len(args) == 1:
        return f"-{args[0]}"
    given = getattr(node, "kwargs", None) or {}
    kwargs = {k: v for k, v in given.items() if v is not None and v is not False}  # not the usual defaults
    text = f"{name}({', '.join(args + [f'{k}={v!r}' for k, v in kwargs.items()])})"
    return f"{text} = {fused}" if fused else text


def _explain_step(rec: Step, sym: dict, root: str) -> str:
    node, out = rec.node, sym[id(rec.output)]
    tensors = [(k, x) for k, x in enumerate(node.inputs)
               if isinstance(x, Tensor) and rec.grads_in[k] is not None]
    scalar = _is_scalar(rec.grad_out) and all(_is_scalar(x.data) for _, x in tensors)
    head = f"{type(node).op_name()} ({out} = {_formula(node, sym, scalar)}): "
    repeated = {id(x) for _, x in tensors if sum(y is x for y in node.inputs) > 1}
    if not tensors:
        return head + "sends no gradient to its inputs"
    parts = []
    for k, x in tensors:
        name = sym[id(x)] + (f" (input {k + 1})" if id(x) in repeated else "")
        if scalar:
            g, go = float(rec.grads_in[k].reshape(())), float(rec.grad_out.reshape(()))
            local = _num(g / go) if go != 0 else f"∂{out}/∂{sym[id(x)]}"
            parts.append(f"∂{root}/∂{name} = ∂{root}/∂{out} · ∂{out}/∂{sym[id(x)]} = {_num(go)} · {local} = "
                         f"{_num(g)}")
        else:
            parts.append(f"∂{root}/∂{name}{_sized(rec.grads_in[k])}")
    if scalar:
        return head + ";  ".join(parts)
    return head + f"∂{root}/∂{out}{_sized(rec.grad_out)} → " + ", ".join(parts)


def _sized(grad: np.ndarray) -> str:
    """' = 1' for a single number, else the shape and a preview: ' (2, 1) [[1.0], [1.0]]'."""
    if grad.ndim == 0:
        return f" = {_num(grad)}"
    return f" {_shape_text(grad.shape)} {_preview(grad, 4)}"


# ---------------------------------------------------------------------------------------------
# the page (no network: styles and script inline)

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
</head>
<body style="margin: 16px; background: #ffffff;">
{body}
</body>
</html>
"""

_VIEWER = """<div class="mg-steps" id="{uid}" tabindex="0" style="font-family: Helvetica, Arial, sans-serif; \
outline: none;">
<style>
#{uid} .mg-bar {{ display: flex; align-items: center; gap: 8px; margin-bottom: 8px; }}
#{uid} .mg-bar button {{ font-size: 14px; padding: 4px 12px; }}
#{uid} .mg-slider {{ flex: 1; max-width: 480px; }}
#{uid} .mg-title {{ font-weight: bold; margin: 4px 0; }}
#{uid} .mg-explain {{ font-family: Menlo, Consolas, monospace; font-size: 13px; white-space: pre-wrap; }}
#{uid} svg {{ max-width: 100%; height: auto; }}
</style>
<div class="mg-bar">
<button class="mg-prev" type="button" title="previous step (left arrow)">&#9664; Prev</button>
<input class="mg-slider" type="range" min="0" max="{last}" value="0" aria-label="step">
<button class="mg-next" type="button" title="next step (right arrow)">Next &#9654;</button>
<span class="mg-counter">step 1 of {n}</span>
</div>
{frames}
<script>
(function () {{
  var box = document.getElementById("{uid}");
  var frames = box.querySelectorAll(".mg-frame");
  var slider = box.querySelector(".mg-slider");
  var counter = box.querySelector(".mg-counter");
  var at = 0;
  function show(i) {{
    at = Math.max(0, Math.min(frames.length - 1, i));
    for (var k = 0; k < frames.length; k++) {{ frames[k].hidden = k !== at; }}
    slider.value = at;
    counter.textContent = "step " + (at + 1) + " of " + frames.length;
  }}
  box.querySelector(".mg-prev").addEventListener("click", function () {{ show(at - 1); }});
  box.querySelector(".mg-next").addEventListener("click", function () {{ show(at + 1); }});
  slider.addEventListener("input", function () {{ show(parseInt(slider.value, 10)); }});
  var keys = {keys_target};
  keys.addEventListener("keydown", function (e) {{
    if (e.key === "ArrowRight") {{ show(at + 1); e.preventDefault(); }}
    if (e.key === "ArrowLeft") {{ show(at - 1); e.preventDefault(); }}
  }});
  show(0);
}})();
</script>
</div>"""
