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
from scratch.nn.conv import Conv2d, ConvTranspose2d
from scratch.nn.linear import Linear
from scratch.nn.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, FocalLoss, MSELoss
from scratch.nn.module import Module, ModuleList, Parameter, Sequential
from scratch.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, Flatten, MaxPool2d

__all__ = [
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "Conv2d",
    "ConvTranspose2d",
    "CrossEntropyLoss",
    "Flatten",
    "FocalLoss",
    "GELU",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "ModuleList",
    "Parameter",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
]
