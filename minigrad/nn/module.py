"""``Parameter`` and ``Module``: the containers every layer, loss and model is built from.

A ``Module`` finds its parts by looking at itself: every attribute that is a ``Parameter`` or a
``Module`` (or a list/tuple of them) is registered, in the order the attributes were set, so a
model needs no ``register_*`` calls for its weights. Buffers — arrays that belong to the state but
are not trained, such as BatchNorm's running statistics — are registered explicitly with
``register_buffer``, since a plain array attribute could be anything.

Names are dotted paths: in ``Sequential(Dense(2), Dense(1))`` the parameters are ``"0.weight"``,
``"0.bias"``, ``"1.weight"``, ``"1.bias"``, and ``state_dict()`` maps those names to NumPy copies.
"""
from __future__ import annotations

from typing import Any, Iterator, NamedTuple

import numpy as np

from .. import checks
from ..random import default_rng
from ..tensor import Tensor

__all__ = ["Parameter", "Module", "StateDictError", "IncompatibleKeys"]


# ---------------------------------------------------------------------------------------------
# Parameter


_TENSOR_DATA: property = vars(Tensor)["data"]  # Tensor's property: Parameter keeps its getter


class Parameter(Tensor):
    """``Parameter(data, requires_grad=True)`` — a trainable Tensor that Modules register automatically.

    Float arrays keep their dtype; Python numbers and lists get ``mg.get_default_dtype()``. A Tensor
    argument shares its data (like ``torch.nn.Parameter``). Results of ops on parameters are plain
    Tensors, and so is ``p.detach()``. ``p.data = array`` must keep the parameter's shape: its layer
    and its optimizer state are built for that shape (a plain Tensor accepts any shape).
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, name: str | None = None) -> None:
        array = data.data if isinstance(data, Tensor) else data
        super().__init__(array, requires_grad=requires_grad, name=name)

    def _set_data(self, value: Any) -> None:
        try:
            old, new = self.shape, np.shape(value)
        except (AttributeError, ValueError):  # not set up yet, or a ragged list (Tensor.data says why)
            old = new = ()
        if new != old:
            who = f"Parameter {self.name!r}" if self.name else f"A Parameter of shape {old}"
            raise ValueError(f"{who}: data must keep the parameter's shape {old} (its layer and optimizer "
                             f"state depend on it); Received: data of shape {new}. To change the shape, "
                             f"assign a new Parameter to the module.")
        _TENSOR_DATA.__set__(self, value)

    data = property(_TENSOR_DATA.fget, _set_data,
                    doc="The parameter's array; assigning one of another shape raises ``ValueError``.")

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


# ---------------------------------------------------------------------------------------------
# errors of load_state_dict


class StateDictError(ValueError, RuntimeError):
    """``load_state_dict`` got a state that does not fit the module (a ValueError and a RuntimeError,
    so both the Keras and the PyTorch habit of catching it work)."""


class IncompatibleKeys(NamedTuple):
    missing_keys: list
    unexpected_keys: list


# ---------------------------------------------------------------------------------------------
# Module


class Module:
    """Base class of layers, losses and models: ``__call__`` runs ``forward``.

    Subclasses set Parameters and sub-Modules as attributes (calling ``super().__init__()`` is
    recommended but not required). Shape metadata for ``summary()`` and ``plot_model()``:
    ``input_shape`` / ``output_shape`` are tuples with ``None`` as the batch dimension, or ``None``
    while unknown; ``compute_output_shape(input_shape)`` says what a layer makes of an input shape.
    """

    training: bool = True
    built: bool = True  # lazy layers (Dense without input_dim) are False until their first call
    input_shape: tuple | None = None
    output_shape: tuple | None = None

    def __init__(self) -> None:
        self.training = True

    # -- calling ------------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args and type(args[0]) is np.ndarray:  # Keras habit: model(numpy_array)
            args = (Tensor(args[0]),) + args[1:]
        # one input (every layer in a Sequential) is called directly, without packing arguments
        out = self.forward(args[0]) if len(args) == 1 and not kwargs else self.forward(*args, **kwargs)
        if self.output_shape is None and len(args) == 1 and isinstance(args[0], Tensor) \
                and isinstance(out, Tensor) and args[0].ndim >= 1 and out.ndim >= 1:
            self.input_shape = (None,) + args[0].shape[1:]
            self.output_shape = (None,) + out.shape[1:]
        return out

    # -- shapes and lazy building ---------------------------------------------------------------
    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The output shape for ``input_shape`` (batch dimension ``None``). Layers override this;
        the base class does not know, and raises ``NotImplementedError``."""
        raise NotImplementedError(f"{type(self).__name__} does not define compute_output_shape()")

    def build(self, input_shape: tuple) -> None:
        """Create whatever depends on the input shape, and record ``input_shape``/``output_shape``."""
        input_shape = tuple(input_shape)
        self.output_shape = tuple(self.compute_output_shape(input_shape))
        self.input_shape = input_shape
        self.built = True

    # -- the tree of modules --------------------------------------------------------------------
    def named_children(self) -> list:
        """``(name, module)`` for each direct sub-module, in attribute order; list items are ``name.i``."""
        return [(n, v) for n, v in _scan(self) if isinstance(v, Module)]

    def children(self) -> list:
        return [m for _, m in self.named_children()]

    def named_modules(self, prefix: str = "") -> list:
        """``(dotted name, module)`` for this module (name ``prefix``, "" at the top) and all below it."""
        out, seen = [], set()
        stack = [(prefix, self)]
        while stack:
            name, m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            out.append((name, m))
            kids = m.named_children()
            stack.extend((f"{name}.{n}" if name else n, c) for n, c in reversed(kids))
        return out

    def modules(self) -> list:
        """This module and every module below it (each once)."""
        return [m for _, m in self.named_modules()]

    def _own_parameters(self) -> list:
        return [(n, v) for n, v in _scan(self) if isinstance(v, Parameter)]

    def _own_buffers(self) -> list:
        return [(n, getattr(self, n)) for n in self.__dict__.get("_buffer_names", ())]

    def _check_built(self) -> None:
        for name, m in self.named_modules():
            if not m.built:
                where = f" (at {name!r})" if name else ""
                raise RuntimeError(
                    f"{m!r}{where} has not been built yet, so it has no parameters: their shape depends "
                    f"on the input size. Give the first layer input_dim=..., call model.build((None, "
                    f"n_features)), or call the model on a batch first.")

    def named_parameters(self) -> list:
        """``(dotted name, Parameter)`` pairs, e.g. ``("0.weight", p)``; a shared parameter appears once.
        Raises ``RuntimeError`` if a lazy layer has not been built yet."""
        self._check_built()
        return self._named_parameters()

    def _named_parameters(self) -> list:
        out, seen = [], set()
        for prefix, m in self.named_modules():
            for n, p in m._own_parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append((f"{prefix}.{n}" if prefix else n, p))
        return out

    def parameters(self) -> list:
        """Every Parameter of this module and its sub-modules (a list, in registration order)."""
        return [p for _, p in self.named_parameters()]

    def register_buffer(self, name: str, value: Any) -> None:
        """Make ``self.<name>`` a buffer: a NumPy array saved in ``state_dict`` but not trained."""
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"register_buffer: the name must be an identifier; received name={name!r}")
        names = self.__dict__.setdefault("_buffer_names", [])
        if name not in names:
            names.append(name)
        setattr(self, name, None if value is None else np.asarray(value))

    def named_buffers(self) -> list:
        """``(dotted name, array)`` for every buffer of this module and its sub-modules."""
        return [(f"{prefix}.{n}" if prefix else n, b) for prefix, m in self.named_modules()
                for n, b in m._own_buffers() if b is not None]

    def buffers(self) -> list:
        return [b for _, b in self.named_buffers()]

    def count_params(self) -> int:
        """Number of trainable scalars: the total size of ``parameters()`` (buffers not included)."""
        return int(sum(p.size for p in self.parameters()))

    # -- modes and gradients --------------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Set training mode (Dropout drops, BatchNorm uses batch statistics) here and below; returns self."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget the gradients of every parameter (sets ``.grad`` to None)."""
        for _, p in self._named_parameters():
            p.grad = None

    def to(self, dtype: Any) -> "Module":
        """Cast parameters and floating buffers to ``dtype`` (e.g. ``np.float64``) in place; returns self."""
        d = np.dtype(dtype)
        for _, p in self._named_parameters():
            p.data = p.data.astype(d)
        for m in self.modules():
            for n, b in m._own_buffers():
                if b is not None and b.dtype.kind == "f":
                    setattr(m, n, b.astype(d))
        return self

    # -- state ----------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{dotted name: numpy array copy}`` of every parameter and buffer (module by module,
        parameters before buffers)."""
        self._check_built()
        out: dict = {}
        seen: set = set()
        for prefix, m in self.named_modules():
            for n, v in m._own_parameters() + m._own_buffers():
                if v is None or id(v) in seen:
                    continue
                seen.add(id(v))
                out[f"{prefix}.{n}" if prefix else n] = np.array(v.data if isinstance(v, Tensor) else v)
        return out

    def load_state_dict(self, state: dict, strict: bool = True) -> IncompatibleKeys:
        """Copy arrays from ``state`` (name -> array or Tensor) into the parameters and buffers.

        All or nothing: every problem — missing keys, unexpected keys, shape mismatches, values that
        are not numeric arrays, lazy layers whose saved shapes do not chain — is collected and raised
        together as ``StateDictError`` with the module, its random generators and the default one
        exactly as they were. With ``strict=False`` missing and unexpected keys are skipped (shape
        mismatches still raise). Lazy layers not built yet are built from the shapes in ``state``.
        Values are cast to each parameter's dtype. Returns ``(missing_keys, unexpected_keys)``.
        """
        if not isinstance(state, dict):
            checks.fail("load_state_dict", "state", state, "a dict of name -> array (e.g. mg.load(path))",
                        TypeError)
        if all(m.built for m in self.modules()):
            return self._load_state(state, strict, built_now=False)
        before = _Snapshot(self)
        try:
            for prefix, m in self.named_modules():
                if not m.built:
                    m._build_from_state(f"{prefix}." if prefix else "", state)
            return self._load_state(state, strict, built_now=True)
        except BaseException:
            before.restore()  # building drew random weights: put back the module and the generators
            raise

    def _load_state(self, state: dict, strict: bool, built_now: bool) -> IncompatibleKeys:
        """Check ``state`` against the (built) modules, then copy it in; nothing changes on error."""
        targets: dict[str, tuple[Module, str, Any]] = {}
        for prefix, m in self.named_modules():
            for n, v in m._own_parameters() + m._own_buffers():
                if v is not None:
                    targets.setdefault(f"{prefix}.{n}" if prefix else n, (m, n, v))
        missing = [k for k in targets if k not in state]
        unexpected = [k for k in state if k not in targets]
        mismatched, not_numeric = [], []
        values: list[tuple[Module, str, Any, np.ndarray]] = []
        for k, (m, n, v) in targets.items():
            if k not in state:
                continue
            try:
                arr = _array(state[k])
            except ValueError:  # a ragged list
                arr = np.empty(0, dtype=object)
            if arr.dtype.kind not in "biuf":
                dtype = f", dtype {arr.dtype}" if arr.ndim else ""
                not_numeric.append(f"{k} ({type(state[k]).__name__}{dtype})")
            elif arr.shape != np.shape(v):
                mismatched.append(f"{k}: checkpoint shape {arr.shape}, model shape {np.shape(v)}")
            else:
                values.append((m, n, v, arr))
        unbuilt = [f"{name or type(m).__name__} ({m!r})" for name, m in self.named_modules() if not m.built]
        problems = []
        if unbuilt:
            problems.append(f"lazy layer(s) that the state gives no shapes for: {', '.join(unbuilt)}")
        if not_numeric:
            problems.append(f"not numeric arrays: {', '.join(not_numeric)}")
        if strict and missing:
            problems.append(f"missing key(s): {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected key(s): {', '.join(map(str, unexpected))}")
        if mismatched:
            problems.append("shape mismatch(es): " + "; ".join(mismatched))
        if built_now and not unbuilt:
            problems += self._chain_problems()
        if problems:
            raise StateDictError(f"Error(s) in loading state_dict for {type(self).__name__}: "
                                 + " | ".join(problems))
        copies = [np.array(arr, dtype=v.dtype) for _, _, v, arr in values]  # every cast before any change
        for (m, n, v, _), new in zip(values, copies):
            if isinstance(v, Tensor):
                v.data = new
            else:
                setattr(m, n, new)
        return IncompatibleKeys(missing, unexpected)

    def _chain_problems(self) -> list[str]:
        """Where a module's parts do not fit together: each output shape must be the next part's input.

        A module's input shape is its own, or else its first child's (a Sequential's first layer);
        modules that cannot tell their output shape are not checked."""
        problems = []
        for name, m in self.named_modules():
            kids = m.children()
            shape = m.input_shape if m.input_shape is not None else kids[0].input_shape if kids else None
            if shape is None:
                continue
            try:
                m.compute_output_shape(shape)
            except NotImplementedError:
                continue
            except (ValueError, TypeError) as exc:
                problems.append(f"the saved shapes do not chain in {name or type(m).__name__}: {exc}")
        return problems

    def _build_from_state(self, prefix: str, state: dict) -> None:
        """Lazy layers override this to build themselves from the shapes stored in ``state``."""

    # -- printing -------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (its settings)."""
        return ""

    def __repr__(self) -> str:
        kids = self.named_children()
        if not kids:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for n, c in kids:
            lines.append("  (" + n + "): " + repr(c).replace("\n", "\n  "))
        return "\n".join(lines) + "\n)"


def _scan(module: Module) -> Iterator[tuple]:
    """``(name, value)`` for each Parameter/Module attribute, and ``(name.i, item)`` inside lists/tuples."""
    for name, v in vars(module).items():
        if isinstance(v, (Module, Tensor)):
            yield name, v
        elif isinstance(v, (list, tuple)):
            for i, item in enumerate(v):
                if isinstance(item, (Module, Tensor)):
                    yield f"{name}.{i}", item


def _array(v: Any) -> np.ndarray:
    return v.data if isinstance(v, Tensor) else np.asarray(v)


class _Snapshot:
    """The attributes of every module under ``root`` and the state of every random generator that
    building a lazy layer may draw from, so that a failed ``load_state_dict`` can undo its builds."""

    def __init__(self, root: Module) -> None:
        self.modules = [(m, dict(vars(m))) for m in root.modules()]
        # lists and dicts held by a module (Sequential's layers, the buffer names) are changed in place
        self.contents = [(v, list(v) if isinstance(v, list) else dict(v))
                         for _, d in self.modules for v in d.values() if isinstance(v, (list, dict))]
        gens = [default_rng()] + [v for _, d in self.modules for v in d.values()
                                  if isinstance(v, np.random.Generator)]
        self.generators = [(g, g.bit_generator.state) for g in gens]

    def restore(self) -> None:
        for m, attrs in self.modules:
            vars(m).clear()
            vars(m).update(attrs)
        for container, items in self.contents:
            if isinstance(container, list):
                container[:] = items
            else:
                container.clear()
                container.update(items)
        for g, st in self.generators:
            g.bit_generator.state = st
