"""Scratch modules with hand-written backward passes. Twin: ``torch.nn`` (torch_ref/nn/)."""

from scratch.nn.activation import (
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Tanh,
)
from scratch.nn.attention import MultiheadAttention
from scratch.nn.batchnorm import BatchNorm1d, BatchNorm2d
from scratch.nn.dropout import Dropout
from scratch.nn.linear import Linear
from scratch.nn.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, FocalLoss, MSELoss
from scratch.nn.module import Module, ModuleList, Parameter, Sequential

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "CrossEntropyLoss",
    "Dropout",
    "FocalLoss",
    "GELU",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "Module",
    "ModuleList",
    "MultiheadAttention",
    "Parameter",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
]
