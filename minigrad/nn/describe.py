"""One description of a layer, shared by ``model.summary()`` and ``mg.plot_model(model)``.

``describe_layers(model)`` gives one ``LayerInfo`` per layer: its Keras-style name (``dense``,
``dense_1``, ``re_lu`` — Keras's snake case of the class name, numbered per type), its type, input
and output shapes (``None`` is the batch dimension), trainable and non-trainable element counts
(non-trainable: frozen parameters and buffers such as BatchNorm's running statistics) and short
settings such as ``units 2``. Layers are read with ``getattr`` and defaults, so any object describes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["LayerInfo", "describe_layers", "layers_of", "shape_text", "snake_case", "summary_lines"]

_SETTINGS = ("rate", "alpha", "num_features", "normalized_shape", "axis")


@dataclass(frozen=True)
class LayerInfo:
    """What ``summary`` prints in a row and ``plot_model`` draws in a box."""

    name: str                      # "dense_1"
    type_name: str                 # "Dense"
    input_shape: tuple | None      # (None, 2); None while unknown
    output_shape: tuple | None
    trainable: int | None          # elements of trainable parameters; None: not built yet
    non_trainable: int             # frozen parameters and buffers (running statistics)
    details: tuple[str, ...]       # ("units 2", "activation sigmoid")

    @property
    def params(self) -> int | None:
        """All elements, trainable or not (Keras's "Param #")."""
        return None if self.trainable is None else self.trainable + self.non_trainable


def snake_case(name: str) -> str:
    """Keras's snake case of a class name: 'Dense' -> 'dense', 'BatchNorm' -> 'batch_norm',
    'ReLU' -> 're_lu', 'MeanSquaredError' -> 'mean_squared_error', 'MSE' -> 'mse'."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def shape_text(shape: Any) -> str:
    """'(None, 2)' for a shape, '?' while unknown."""
    if shape is None:
        return "?"
    try:
        dims = ", ".join("None" if n is None else str(n) for n in shape)
        return f"({dims},)" if len(shape) == 1 else f"({dims})"
    except TypeError:
        return str(shape)


def layers_of(model: Any) -> list:
    """The layers of ``model``: its items when it is a container (Sequential), else its children,
    else the model itself."""
    if hasattr(model, "__len__") and hasattr(model, "__getitem__"):
        try:
            return [model[i] for i in range(len(model))]
        except Exception:  # noqa: BLE001 - not an indexable container after all
            pass
    children = getattr(model, "children", None)
    if callable(children):
        kids = list(children())
        if kids:
            return kids
    return [model]


def describe_layers(model: Any) -> list[LayerInfo]:
    """One ``LayerInfo`` per layer of ``model``, named like Keras (dense, dense_1, …) unless a layer
    carries its own ``name``."""
    out: list[LayerInfo] = []
    seen: dict[str, int] = {}  # snake-case type -> how many so far
    for layer in layers_of(model):
        base = snake_case(type(layer).__name__)
        k = seen[base] = seen.get(base, -1) + 1
        own = _attr(layer, "name")
        name = own if isinstance(own, str) and own else (base if k == 0 else f"{base}_{k}")
        out.append(_describe(layer, name))
    return out


def summary_lines(model: Any) -> list[str]:
    """Keras's summary table: Layer (type) | Output Shape | Param #, then the three totals.

    Raises ``ValueError`` naming the first layer that is not built (its parameter count is unknown)."""
    infos = describe_layers(model)
    for info in infos:
        if info.trainable is None:
            raise ValueError(f"summary: layer {info.name!r} is not built yet; give the first layer its input "
                             f"size (e.g. input_dim=...) or run the model on data once")
    rows = [(f"{i.name} ({i.type_name})", shape_text(i.output_shape), f"{i.params:,}") for i in infos]
    trainable, frozen = _counts(model)
    trainable = trainable or 0
    head = ("Layer (type)", "Output Shape", "Param #")
    w0 = max([29] + [len(r[0]) + 3 for r in rows])  # Keras's column widths, widened to fit
    w1 = max([26] + [len(r[1]) + 3 for r in rows])
    width = max(65, w0 + w1 + 10)

    def line(r: tuple) -> str:
        return f" {r[0]:<{w0 - 1}}{r[1]:<{w1}}{r[2]}".rstrip()

    name = _attr(model, "name")
    title = name if isinstance(name, str) and name else snake_case(type(model).__name__)
    return ([f'Model: "{title}"', "_" * width, line(head), "=" * width] + [line(r) for r in rows]
            + ["=" * width, f"Total params: {trainable + frozen:,}", f"Trainable params: {trainable:,}",
               f"Non-trainable params: {frozen:,}", "_" * width])


# ---------------------------------------------------------------------------------------------


def _attr(obj: Any, name: str) -> Any:
    """``getattr(obj, name, None)``, also None when a property raises (e.g. a layer not built yet)."""
    try:
        return getattr(obj, name, None)
    except Exception:  # noqa: BLE001 - a description must not fail on one unreadable attribute
        return None


def _counts(obj: Any) -> tuple[Any, int]:
    """(trainable, non-trainable) element counts of ``obj``; trainable is None when its parameters
    cannot be listed (a lazy layer before its first call)."""
    params = _attr(obj, "parameters")
    trainable = frozen = 0
    if callable(params):
        try:
            for p in params():
                n = _size(p)
                if getattr(p, "requires_grad", True):
                    trainable += n
                else:
                    frozen += n
        except Exception:  # noqa: BLE001 - e.g. a Dense that is not built yet
            return None, 0
    named = _attr(obj, "named_buffers")
    try:
        frozen += sum(_size(b) for _, b in named()) if callable(named) else 0
    except Exception:  # noqa: BLE001
        pass
    return (trainable if callable(params) else None), frozen


def _size(a: Any) -> int:
    """Elements of an array or a Tensor."""
    shape = getattr(a, "shape", None)
    return int(np.prod(shape)) if isinstance(shape, tuple) else int(np.size(a))


def _activation_name(act: Any) -> str | None:
    if act is None or isinstance(act, str):
        return act
    return getattr(act, "__name__", None) or type(act).__name__


def _describe(layer: Any, name: str) -> LayerInfo:
    details = []
    units = _attr(layer, "units")
    if units is not None:
        details.append(f"units {units}")
    act = _activation_name(_attr(layer, "activation"))
    if act is not None:
        details.append(f"activation {act}")
    for key in _SETTINGS:
        value = _attr(layer, key)
        if value is not None and not callable(value):
            details.append(f"{key} {value}")
    trainable, frozen = _counts(layer)
    return LayerInfo(name, type(layer).__name__, _attr(layer, "input_shape"), _attr(layer, "output_shape"),
                     trainable, frozen, tuple(details))
