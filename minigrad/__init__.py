"""minigrad: a small, readable reverse-mode autograd on NumPy.

``import minigrad as mg`` gives everything: ``mg.Tensor`` and the ops, ``mg.Function`` for custom
ops, ``mg.gradcheck``, ``mg.nn``, ``mg.optim``, ``mg.data``, ``mg.draw_graph`` and ``mg.testing``.
"""
from . import _fast, autograd  # noqa: F401  (_fast installs the faster apply and walk: see _fast.py)
from .autograd import (
    Function,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
)
from .compiled import jit  # (a module of another name: minigrad.jit is always this function)
from .creation import full, ones, ones_like, rand, randn, tensor, zeros, zeros_like
from .functions import (
    abs,
    add,
    argmax,
    argmin,
    clip,
    concatenate,
    div,
    elu,
    exp,
    expand_dims,
    flatten,
    hardtanh,
    leaky_relu,
    log,
    log_softmax,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mul,
    neg,
    pow,
    relu,
    reshape,
    sigmoid,
    softmax,
    softplus,
    softsign,
    sqrt,
    squeeze,
    stack,
    sub,
    sum,
    tanh,
    transpose,
    var,
    where,
)
from .numerical import GradcheckError, gradcheck, numerical_grad, numerical_jacobian
from .random import manual_seed
from .tensor import Tensor, get_default_dtype, set_default_dtype

__version__ = "0.1.0"


# optional parts load on first use, so `import minigrad` stays light and hypothesis stays optional:
# name -> (module, attribute or None for the module itself)
_LAZY = {
    "testing": (".testing", None), "nn": (".nn", None), "optim": (".optim", None), "data": (".data", None),
    "viz": (".viz", None), "draw_graph": (".viz", "draw_graph"), "plot_model": (".viz", "plot_model"),
    "save": (".nn.io", "save"), "load": (".nn.io", "load"),
    "retain_grads": (".viz", "retain_grads"), "backward_steps": (".steps", "backward_steps"),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'minigrad' has no attribute {name!r}")
    import importlib

    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name, __name__)
    return module if attr is None else getattr(module, attr)


def __dir__() -> list[str]:
    # dir(mg) and tab completion list the lazy names too, before their first use
    return sorted(set(globals()) | set(_LAZY))
