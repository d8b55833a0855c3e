"""The seed's composite models: a single Neuron and the NeuralNetwork (MLP) trained by backprop.

Twin: torch_ref/models.py (the same models as torch ``nn.Module``s trained with autograd and
``torch.optim.SGD``), and ``mnist_challenge.model.ChallengeNet`` for the MNIST capstone's
``ChallengeNet``, whose trained state_dict loads here as is.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np

from scratch._checks import as_float_array, check_positive_int
from scratch.nn.activation import ReLU, Sigmoid, Tanh, sigmoid, softmax
from scratch.nn.batchnorm import BatchNorm2d
from scratch.nn.conv import Conv2d
from scratch.nn.dropout import Dropout
from scratch.nn.linear import Linear
from scratch.nn.loss import BCEWithLogitsLoss, CrossEntropyLoss
from scratch.nn.module import Identity, Module, Parameter, Sequential
from scratch.nn.pooling import AdaptiveAvgPool2d, Flatten, MaxPool2d
from scratch.nn.utils import fuse_conv_bn_eval
from scratch.optim.optimizer import check_hyper

__all__ = ["ChallengeNet", "NeuralNetwork", "Neuron"]

NEURON_ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "identity": None}
HIDDEN_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}
OUTPUTS = ("softmax", "sigmoid")


def _choice(value: str, options, name: str) -> str:
    if value not in options:
        raise ValueError(f"{name} must be one of {tuple(options)}, got {value!r}")
    return value


class Neuron(Module):
    """a = f(w·x + b): the seed's first unit. ``weight`` has shape (n_inputs,), ``bias`` ()."""

    def __init__(self, n_inputs: int, activation: str = "relu", *, dtype: type = np.float64,
                 generator: np.random.Generator | None = None) -> None:  # fmt: skip
        super().__init__()
        self.n_inputs = check_positive_int(n_inputs, "n_inputs")
        _choice(activation, NEURON_ACTIVATIONS, "activation")
        rng = generator if generator is not None else np.random.default_rng()
        self.weight = Parameter(rng.standard_normal(n_inputs).astype(dtype))
        self.bias = Parameter(np.zeros((), dtype=dtype))
        make = NEURON_ACTIVATIONS[activation]
        self.activation = make() if make else None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "x")
        if x.shape[-1:] != (self.n_inputs,):
            raise ValueError(f"x must have shape (..., {self.n_inputs}), got {x.shape}")
        self._cache = x
        z = x @ self.weight.data + self.bias.data  # the weighted sum
        return z if self.activation is None else self.activation(z)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        x = self.saved()
        dz = grad_output if self.activation is None else self.activation.backward(grad_output)
        self.weight.accumulate(np.tensordot(dz, x, axes=dz.ndim))  # dw = Σ dz · x
        self.bias.accumulate(np.sum(dz))  # db = Σ dz
        return np.multiply.outer(dz, self.weight.data)  # dx = dz · w


class NeuralNetwork(Module):
    """The seed's MLP: He-initialised Linear layers, hidden activations, softmax (or sigmoid) out.

    ``layer_sizes`` = (n_in, hidden..., n_out). ``forward`` returns logits; the loss is
    cross-entropy on them (sigmoid + binary cross-entropy when ``output='sigmoid'``, as the
    seed's 2-4-1 XOR net needs). Backprop starts from the fused gradient ``dZ = A - Y``.
    ``fit`` is the seed's ``train`` loop (renamed: ``Module.train(mode)`` is torch's
    train/eval switch, which every module must keep).
    """

    def __init__(self, layer_sizes: Sequence[int], hidden_activation: str = "relu",
                 output: str = "softmax", *, seed: int = 0, dtype: type = np.float64) -> None:  # fmt: skip
        super().__init__()
        if len(layer_sizes) < 2:
            raise ValueError(f"layer_sizes needs at least (n_in, n_out), got {layer_sizes!r}")
        sizes = [check_positive_int(n, "layer_sizes") for n in layer_sizes]
        make_act = HIDDEN_ACTIVATIONS[
            _choice(hidden_activation, HIDDEN_ACTIVATIONS, "hidden_activation")
        ]
        self.output = _choice(output, OUTPUTS, "output")
        if output == "sigmoid" and sizes[-1] != 1:
            raise ValueError(f"output='sigmoid' needs one output unit, got {sizes[-1]}")
        rng = np.random.default_rng(seed)
        layers: list[Module] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
            linear = Linear(fan_in, fan_out, dtype=dtype, generator=rng)
            # He init: W ~ N(0, 2/fan_in) keeps the variance of ReLU activations constant
            linear.weight.data = (
                rng.standard_normal((fan_out, fan_in)) * np.sqrt(2 / fan_in)
            ).astype(dtype)
            linear.bias.data = np.zeros(fan_out, dtype=dtype)
            layers += [linear, make_act()]
        self.layers = Sequential(*layers[:-1])  # no activation after the last Linear: logits
        self.criterion = CrossEntropyLoss() if output == "softmax" else BCEWithLogitsLoss()

    def forward(self, X: np.ndarray) -> np.ndarray:
        return self.layers(as_float_array(X, "X"))

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return self.layers.backward(grad_output)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        logits = self.forward(X)
        return softmax(logits, dim=1) if self.output == "softmax" else sigmoid(logits)

    def predict(self, X: np.ndarray) -> np.ndarray:
        proba = self.predict_proba(X)
        return proba.argmax(axis=1) if self.output == "softmax" else (proba > 0.5).astype(int)

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(self.criterion(self.forward(X), y))

    def train_step(self, X: np.ndarray, y: np.ndarray, lr: float) -> float:
        """One full-batch gradient-descent step; returns the loss *before* the update."""
        loss = self.loss(X, y)
        self.zero_grad()
        self.backward(self.criterion.backward())  # dZ = A - Y (divided by the batch size)
        for param in self.parameters():
            param.data -= lr * param.grad
        return loss

    def fit(self, X: np.ndarray, y: np.ndarray, epochs: int, lr: float) -> list[float]:
        """The seed's training loop: ``epochs`` full-batch steps; returns the loss history."""
        # the twin trains with torch.optim.SGD(lr=lr) for range(epochs): lr as SGD checks it
        # (>= 0; 0 leaves the weights alone), and 0 epochs give an empty history
        check_positive_int(epochs, "epochs", minimum=0)
        check_hyper(lr, "lr", nan_ok=True)
        return [self.train_step(X, y, lr) for _ in range(epochs)]


class ConvBN(Module):
    """conv 3x3 (no bias: BatchNorm has one) → BatchNorm → ReLU; backward in reverse order.

    The ReLU works in place: BatchNorm's output is a new array that nothing else keeps (its
    backward needs x_hat, not y), so it can become the ReLU's output, one array fewer.
    """

    def __init__(self, c_in: int, c_out: int, dtype: type = np.float32) -> None:
        super().__init__()
        self.conv = Conv2d(c_in, c_out, 3, padding=1, bias=False, dtype=dtype)
        self.bn = BatchNorm2d(c_out, dtype=dtype)
        self.relu = ReLU(inplace=True)

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.relu(self.bn(self.conv(x)))

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return self.conv.backward(self.bn.backward(self.relu.backward(grad_output)))


class ResidualBlock(Module):
    """out = relu(x + bn2(conv2(relu(bn1(conv1(x)))))).

    The skip connection is why residual nets train deep: in backward the upstream gradient
    reaches x twice — straight through the addition, and through the branch — and the two add.
    The additions and the ReLUs happen in place, on arrays made just before and kept by no
    one (BatchNorm's output, the convolution's input gradient), as in ConvBN.
    """

    def __init__(self, channels: int, dtype: type = np.float32) -> None:
        super().__init__()
        self.conv1 = Conv2d(channels, channels, 3, padding=1, bias=False, dtype=dtype)
        self.bn1 = BatchNorm2d(channels, dtype=dtype)
        self.relu1 = ReLU(inplace=True)
        self.conv2 = Conv2d(channels, channels, 3, padding=1, bias=False, dtype=dtype)
        self.bn2 = BatchNorm2d(channels, dtype=dtype)
        self.relu2 = ReLU(inplace=True)

    def forward(self, x: np.ndarray) -> np.ndarray:
        z = self.relu1(self.bn1(self.conv1(x)))
        branch = self.bn2(self.conv2(z))
        branch += x  # x + branch, into BatchNorm's new output
        return self.relu2(branch)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        d_sum = self.relu2.backward(grad_output)  # gradient of x + branch(x)
        d_branch = self.bn2.backward(d_sum)
        d_branch = self.conv1.backward(
            self.bn1.backward(self.relu1.backward(self.conv2.backward(d_branch)))
        )
        d_branch += d_sum  # the identity path adds d_sum unchanged
        return d_branch


class ChallengeNet(Module):
    """NumPy twin of ``mnist_challenge.model.ChallengeNet``: same layers, same names.

    28x28: stem, maxpool → 14x14: down1 (→ widths[1] channels), block1, down2, maxpool → 7x7:
    block2, global average pool, flatten, dropout, fc → 10 logits. Only the stem runs at
    full resolution, which keeps the FLOPs (and the training time) low.
    """

    def __init__(self, widths: Sequence[int] = (6, 16, 24), dropout: float = 0.0,
                 *, dtype: type = np.float32) -> None:  # fmt: skip
        super().__init__()
        if len(widths) != 3:
            raise ValueError(f"widths must be three channel counts (c1, c2, c3), got {widths!r}")
        c1, c2, c3 = (check_positive_int(c, "widths") for c in widths)
        self.widths = (c1, c2, c3)
        self.stem = ConvBN(1, c1, dtype)
        self.down1 = ConvBN(c1, c2, dtype)
        self.pool1 = MaxPool2d(2)
        self.block1 = ResidualBlock(c2, dtype)
        self.down2 = ConvBN(c2, c3, dtype)
        self.pool2 = MaxPool2d(2)
        self.block2 = ResidualBlock(c3, dtype)
        self.gap = AdaptiveAvgPool2d(1)
        self.flatten = Flatten()
        self.dropout = Dropout(dropout)
        self.fc = Linear(c3, 10, dtype=dtype)

    def _layers(self) -> list[Module]:
        return [self.stem, self.pool1, self.down1, self.block1, self.down2, self.pool2,
                self.block2, self.gap, self.flatten, self.dropout, self.fc]  # fmt: skip

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "x")
        if x.ndim != 4 or x.shape[1:] != (1, 28, 28):
            raise ValueError(f"x must have shape (N, 1, 28, 28), got {x.shape}")
        for layer in self._layers():
            x = layer(x)
        return x

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        for layer in reversed(self._layers()):
            grad_output = layer.backward(grad_output)
        return grad_output

    def fused_for_inference(self) -> ChallengeNet:
        """An eval-mode copy with each BatchNorm folded into the convolution before it
        (``scratch.nn.utils.fuse_conv_bn_eval``, torch's fusion) and replaced by Identity:
        the same logits up to rounding, with one pass over each activation fewer. Inference
        only: its backward gives no BatchNorm gradients. 10,000 test images, batch 500:
        1.52 → 1.38 s on 2 cores (benchmarks/bench_challenge.py has the unfused figures)."""
        net = copy.deepcopy(self).eval()
        pairs = [(net.stem, "conv", "bn"), (net.down1, "conv", "bn"), (net.down2, "conv", "bn")]
        pairs += [(b, f"conv{i}", f"bn{i}") for b in (net.block1, net.block2) for i in (1, 2)]
        for block, conv, bn in pairs:
            setattr(block, conv, fuse_conv_bn_eval(getattr(block, conv), getattr(block, bn)))
            setattr(block, bn, Identity())
        return net
