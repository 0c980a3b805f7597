"""``Sequential``: layers applied one after another, with Keras-style shape propagation.

Layers are stored as attributes ``"0"``, ``"1"``, … so parameter names read ``"0.weight"``. When
the first layer knows its input size (``Dense(4, input_dim=2)``), every layer added after it is
built on the spot from the previous layer's output shape, so ``parameters()`` and ``summary()``
work before any data is seen. The training API (compile/fit/evaluate/predict/summary) comes from
the ``Model`` mixin in ``training.py``.
"""
from __future__ import annotations

from typing import Any, Iterator

from ..tensor import Tensor
from .module import Module
from .training import Model

__all__ = ["Sequential"]


class Sequential(Model, Module):
    """``Sequential(layer, layer, …)`` or ``Sequential([layer, …])``: ``forward`` runs them in order.

    Supports ``.add(layer)``, ``len(model)``, iteration, ``model[i]`` (a layer) and ``model[a:b]``
    (a new Sequential sharing those layers). Its children are exactly its layers.
    """

    def __init__(self, *layers: Any, name: str | None = None) -> None:
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        self.name = name if name is not None else "sequential"
        self._layers: tuple = ()  # the same modules as the attributes "0", "1", …, in order
        for layer in layers:
            self.add(layer)

    # -- the layers -----------------------------------------------------------------------------
    @property
    def layers(self) -> list:
        """The layers, in order (a new list)."""
        return list(self._layers)

    def named_children(self) -> list:
        return [(str(i), layer) for i, layer in enumerate(self._layers)]

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name.isdigit() and int(name) < len(self.__dict__.get("_layers", ())):  # model.0 = other layer
            self._layers = tuple(self.__dict__[str(i)] for i in range(len(self._layers)))

    def add(self, layer: Module) -> None:
        """Append ``layer``; if the model's output shape is known, build ``layer`` for it now."""
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential.add expects a Module (a layer such as Dense(4)); "
                            f"Received: layer={layer!r} of type {type(layer).__name__}")
        n = len(self._layers)
        if n and self._layers[-1].output_shape is not None:
            _connect(layer, self._layers[-1].output_shape, n)
        setattr(self, str(n), layer)
        self._layers += (layer,)
        self._sync_shapes()

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return Sequential(self.layers[idx])
        try:
            return self.layers[idx]
        except IndexError:
            n = len(self._layers)
            raise IndexError(f"Sequential: index must be in [{-n}, {n - 1}] for {n} layers; "
                             f"Received: index={idx!r}") from None
        except TypeError:
            raise TypeError(f"Sequential: index must be an integer or a slice; "
                            f"Received: index={idx!r}") from None

    # -- shapes ---------------------------------------------------------------------------------
    def _sync_shapes(self) -> None:
        layers = self.layers
        self.input_shape = layers[0].input_shape if layers else None
        self.output_shape = layers[-1].output_shape if layers else None

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = tuple(input_shape)
        for layer in self.layers:
            shape = tuple(layer.compute_output_shape(shape))
        return shape

    def build(self, input_shape: tuple) -> None:
        """Build every layer for inputs of ``input_shape`` (batch dimension ``None``), like Keras's
        ``model.build((None, n_features))``."""
        shape = tuple(input_shape)
        for i, layer in enumerate(self.layers):
            _connect(layer, shape, i)
            if layer.output_shape is None:
                break
            shape = layer.output_shape
        self._sync_shapes()

    # -- running --------------------------------------------------------------------------------
    def forward(self, x: Tensor) -> Tensor:
        for layer in self._layers:
            x = layer(x)
        if self.output_shape is None:
            self._sync_shapes()
        return x

    def extra_repr(self) -> str:
        return ""


def _connect(layer: Module, shape: tuple, index: int) -> None:
    """Build ``layer`` for inputs of ``shape`` (the previous layer's output), or check that it fits."""
    shape = tuple(shape)
    if layer.input_shape is not None:
        if tuple(layer.input_shape[1:]) != shape[1:]:
            raise ValueError(f"Sequential: layer {index} ({type(layer).__name__}) expects input shape "
                             f"{layer.input_shape} but the previous layer outputs {shape}")
        return
    try:
        layer.build(shape)
    except NotImplementedError:  # a custom module that cannot tell its output shape: it stays lazy
        return
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"Sequential: layer {index} ({type(layer).__name__}) cannot take the previous "
                        f"layer's output of shape {shape}: {exc}") from None
