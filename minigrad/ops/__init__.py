"""Every built-in differentiable op, each one ``Function`` written once: forward and backward on
NumPy arrays side by side, with the math in its docstring. ``Tensor``'s methods call them
(``x.sigmoid()`` is ``Sigmoid.apply(x)``); ``minigrad/functions.py`` has the function forms."""
from .arithmetic import Add, Div, MatMul, Mul, Neg, Pow, Sub
from .elementwise import (
    ELU,
    Abs,
    Cast,
    Clip,
    DropoutMask,
    Exp,
    LeakyReLU,
    Log,
    Maximum,
    Minimum,
    ReLU,
    Sigmoid,
    Softplus,
    Softsign,
    Sqrt,
    Tanh,
    Where,
)
from .fused import MSE, Affine, CrossEntropy
from .reduce import LogSoftmax, LogSumExp, Max, Mean, Min, Softmax, Sum, Var, arg_extreme
from .shape import (
    Concatenate,
    GetItem,
    Reshape,
    Stack,
    TensorIndexError,
    Transpose,
    expanded_shape,
    flattened_shape,
    squeezed_shape,
)
