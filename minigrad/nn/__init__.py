"""``mg.nn``: modules, layers, losses, Keras-style training and save/load.

``functional`` holds the function forms (``mg.nn.functional.cross_entropy``, activations by name).
"""
from typing import Any

from . import functional
from .history import History
from .io import load, save
from .layers import (
    ELU,
    INITIALIZERS,
    Activation,
    BatchNorm,
    BatchNorm1d,
    Dense,
    Dropout,
    Flatten,
    Identity,
    LayerNorm,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    get_initializer,
)
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import IncompatibleKeys, Module, Parameter, StateDictError
from .sequential import Sequential
from .training import NonFiniteLossError

__all__ = [
    "Parameter", "Module", "StateDictError", "IncompatibleKeys", "Sequential", "Dense", "Identity", "ReLU",
    "Sigmoid", "Tanh", "Softmax", "LeakyReLU", "ELU", "Activation", "Dropout", "BatchNorm", "BatchNorm1d",
    "LayerNorm", "Flatten", "INITIALIZERS", "get_initializer", "MSELoss", "L1Loss", "BCELoss",
    "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "History", "NonFiniteLossError", "functional", "save",
    "load",
]

# names users bring from PyTorch and Keras that mg.nn spells differently: a one-line hint, not a bare error
_HINTS = {
    "Linear": "Dense(units, input_dim=...)? (torch's Linear(in_features, out_features) is "
              "Dense(out_features, input_dim=in_features))",
    "Input": "Dense(units, input_dim=...)? (no Input layer: the first layer takes the input size)",
    "InputLayer": "Dense(units, input_dim=...)? (no Input layer: the first layer takes the input size)",
    "BatchNormalization": "BatchNorm(...)? (Keras's momentum=0.99 is BatchNorm's momentum=0.01)",
    "LayerNormalization": "LayerNorm(normalized_shape)?",
    "Model": "Sequential([...])?",
    "MSE": "MSELoss()? (or compile(loss='mse'))",
    "CrossEntropy": "CrossEntropyLoss()?",
}


def __getattr__(name: str) -> Any:
    hint = _HINTS.get(name)
    if hint is None:
        raise AttributeError(f"module 'minigrad.nn' has no attribute {name!r}")
    raise AttributeError(f"module 'minigrad.nn' has no attribute {name!r}; did you mean {hint}")
