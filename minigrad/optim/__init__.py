"""``mg.optim``: optimizers (SGD, Momentum, Adagrad, RMSProp, Adam), ``get`` for Keras names, and
learning-rate schedules in ``mg.optim.lr_scheduler``."""
from . import lr_scheduler
from .optimizers import SGD, Adagrad, Adam, Momentum, Optimizer, RMSProp, get

__all__ = ["Optimizer", "SGD", "Momentum", "Adagrad", "RMSProp", "Adam", "get", "lr_scheduler"]
