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
from scratch.nn.conv import Conv2d, ConvTranspose2d
from scratch.nn.dropout import Dropout
from scratch.nn.linear import Linear
from scratch.nn.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, FocalLoss, MSELoss
from scratch.nn.module import Identity, Module, ModuleList, Parameter, Sequential
from scratch.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, Flatten, MaxPool2d

__all__ = [
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "CrossEntropyLoss",
    "Dropout",
    "Conv2d",
    "ConvTranspose2d",
    "Flatten",
    "FocalLoss",
    "GELU",
    "Identity",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "MaxPool2d",
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
