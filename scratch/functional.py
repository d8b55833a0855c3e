"""Stateless forward ops, named and shaped like ``torch.nn.functional``.

Twin: ``torch.nn.functional``. Each op lives beside its Module (and derivative) in
``scratch/nn/``; this file is the torch-shaped index of them.
"""

from scratch.nn.activation import (
    gelu,
    gelu_derivative,
    leaky_relu,
    leaky_relu_derivative,
    log_softmax,
    relu,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    silu,
    silu_derivative,
    softmax,
    tanh,
    tanh_derivative,
)
from scratch.nn.attention import (
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
    scaled_dot_product_attention_forward,
)
from scratch.nn.batchnorm import batch_norm
from scratch.nn.dropout import dropout
from scratch.nn.linear import linear

__all__ = [
    "batch_norm",
    "dropout",
    "gelu",
    "gelu_derivative",
    "leaky_relu",
    "leaky_relu_derivative",
    "linear",
    "log_softmax",
    "relu",
    "relu_derivative",
    "scaled_dot_product_attention",
    "scaled_dot_product_attention_backward",
    "scaled_dot_product_attention_forward",
    "sigmoid",
    "sigmoid_derivative",
    "silu",
    "silu_derivative",
    "softmax",
    "tanh",
    "tanh_derivative",
]
