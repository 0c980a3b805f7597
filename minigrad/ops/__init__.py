"""All built-in differentiable ops, each a ``Function`` written once, plus their function forms."""
from .arithmetic import Add, Div, MatMul, Mul, Neg, Pow, Sub, add, div, matmul, mul, neg, pow, sub
from .elementwise import (ELU, Abs, Clip, Exp, LeakyReLU, Log, Maximum, Minimum, ReLU, Sigmoid, Softplus,
                          Softsign, Sqrt, Tanh, Where, abs, clip, elu, exp, hardtanh, leaky_relu, log,
                          maximum, minimum, relu, sigmoid, softplus, softsign, sqrt, tanh, where)
from .reduce import (LogSoftmax, LogSumExp, Max, Mean, Min, Softmax, Sum, Var, argmax, argmin, log_softmax,
                     logsumexp, max, mean, min, softmax, sum, var)
from .shape import (Concatenate, GetItem, Reshape, Stack, Transpose, concatenate, expand_dims, flatten,
                    getitem, reshape, squeeze, stack, transpose)
