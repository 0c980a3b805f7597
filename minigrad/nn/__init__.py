"""``mg.nn``: modules, layers, losses and save/load (SPEC §6-§7).

``functional`` holds the function forms (``mg.nn.functional.cross_entropy``, activations by name).
"""
from . import functional
from .io import load, save
from .layers import (ELU, INITIALIZERS, Activation, BatchNorm, BatchNorm1d, Dense, Dropout, Flatten, Identity,
                     LayerNorm, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh, get_initializer)
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import IncompatibleKeys, Module, Parameter, StateDictError
from .sequential import Sequential

__all__ = [
    "Parameter", "Module", "StateDictError", "IncompatibleKeys", "Sequential", "Dense", "Identity", "ReLU",
    "Sigmoid", "Tanh", "Softmax", "LeakyReLU", "ELU", "Activation", "Dropout", "BatchNorm", "BatchNorm1d",
    "LayerNorm", "Flatten", "INITIALIZERS", "get_initializer", "MSELoss", "L1Loss", "BCELoss",
    "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "functional", "save", "load",
]
