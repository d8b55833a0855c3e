"""Twin of scratch/models.py: the seed's Neuron and MLP as torch modules, trained by autograd."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from mnist_challenge.model import ChallengeNet  # the capstone's model is the twin itself

__all__ = ["ChallengeNet", "NeuralNetwork", "Neuron"]

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "identity": nn.Identity}


class Neuron(nn.Module):
    def __init__(self, n_inputs: int, activation: str = "relu") -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_inputs))
        self.bias = nn.Parameter(torch.zeros(()))
        self.activation = ACTIVATIONS[activation]()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(x @ self.weight + self.bias)


class NeuralNetwork(nn.Module):
    """nn.Sequential of Linear layers with ``kaiming_normal_`` (He) weights and zero biases."""

    def __init__(self, layer_sizes: Sequence[int], hidden_activation: str = "relu",
                 output: str = "softmax") -> None:  # fmt: skip
        super().__init__()
        layers: list[nn.Module] = []
        for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True):
            linear = nn.Linear(fan_in, fan_out)
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
            nn.init.zeros_(linear.bias)
            layers += [linear, ACTIVATIONS[hidden_activation]()]
        self.layers = nn.Sequential(*layers[:-1])
        self.criterion = nn.CrossEntropyLoss() if output == "softmax" else nn.BCEWithLogitsLoss()

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.layers(X)

    def fit(self, X: torch.Tensor, y: torch.Tensor, epochs: int, lr: float) -> list[float]:
        """The PyTorch idiom: zero_grad, forward, loss, backward, step."""
        optimizer = torch.optim.SGD(self.parameters(), lr=lr)
        history = []
        for _ in range(epochs):
            optimizer.zero_grad()
            loss = self.criterion(self(X), y)
            loss.backward()
            optimizer.step()
            history.append(loss.item())
        return history
