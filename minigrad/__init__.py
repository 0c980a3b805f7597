"""minigrad: a small, readable reverse-mode autograd on NumPy.

``import minigrad as mg`` gives everything: ``mg.Tensor`` and the ops, ``mg.Function`` for custom
ops, ``mg.gradcheck``, ``mg.nn``, ``mg.optim``, ``mg.data``, ``mg.draw_graph`` and ``mg.testing``.
"""
from . import autograd  # first: the engine (it imports Tensor at its end)
from .autograd import (Function, detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_detect_anomaly,
                       set_grad_enabled)
from .numerical import GradcheckError, gradcheck, numerical_grad
from .ops import (abs, add, argmax, argmin, clip, concatenate, div, elu, exp, expand_dims, flatten, hardtanh,
                  leaky_relu, log, log_softmax, logsumexp, matmul, max, maximum, mean, min, minimum, mul, neg,
                  pow, relu, reshape, sigmoid, softmax, softplus, softsign, sqrt, squeeze, stack, sub, sum, tanh,
                  transpose, var, where)
from .random import manual_seed
from .tensor import (Tensor, full, get_default_dtype, ones, ones_like, rand, randn, set_default_dtype, tensor,
                     zeros, zeros_like)

__version__ = "0.1.0"


def __getattr__(name: str):
    # optional parts load on first use, so `import minigrad` stays light and hypothesis stays optional
    import importlib

    if name in ("testing", "nn", "optim", "data", "viz"):
        return importlib.import_module(f".{name}", __name__)
    if name in ("draw_graph", "plot_model"):
        return getattr(importlib.import_module(".viz", __name__), name)
    if name in ("save", "load"):
        return getattr(importlib.import_module(".nn.io", __name__), name)
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}")
