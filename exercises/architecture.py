"""Exercise 4: design a small network for MNIST (course section: Exercises; the layers of
"Convolutions" and "Regularisation", in torch).

Check: ``parity-check exercises/`` (the scoreboard runs it).

The constraints: 28×28 grayscale input, at most 50,000 parameters, at least one Conv2d,
one BatchNorm2d and a residual connection, and > 95 % test accuracy once trained.
The checker counts the trainable parameters, looks for ``nn.Conv2d`` and
``nn.BatchNorm2d`` among the model's modules, and traces the forward with ``torch.fx`` to
find the residual connection: an addition ``x + f(x)`` whose one side is computed from the
other (``+``, ``+=``, ``torch.add``; a concatenation does not count, and the forward may not
branch on tensor values, which fx cannot trace). Then, if MNIST is found ($MNIST_ROOT),
it trains a fresh model one epoch on 10,000 images (SGD with Nesterov momentum, a one-cycle
schedule peaking at lr 0.1, batches of 128, normalised images) and needs 60 % on 2,000
test images: a quick check that the design trains. The 95 % takes a full run.
"""

from __future__ import annotations

from torch import nn


def build_model() -> nn.Module:
    """A fresh, untrained model: (N, 1, 28, 28) float32 images (normalised with MNIST's mean
    and std) -> (N, 10) logits (no softmax: the loss is cross-entropy on logits).

    Hint: a ResNet basic block, relu(x + bn(conv(relu(bn(conv(x)))))), is a residual
    connection; global average pooling before the classifier keeps the parameters few.
    """
    raise NotImplementedError
