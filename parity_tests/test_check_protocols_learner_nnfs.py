"""parity-check drives nnfs-style classes (``forward``/``backward`` return None and store
``output``/``dinputs``, ``dweights``/``dbiases``; nnfs's losses) and layers whose
``backward(grad, learning_rate)`` applies its own SGD step, in rows, in (features, batch)
columns or one sample at a time as a column. Biases kept as (1, n) or (n, 1) count as
torch's (n,). Each style is written here from its description; right ones pass, a wrong one
per style fails and is named.
"""

from __future__ import annotations

import numpy as np
import pytest

from parity_check.api import check
from parity_check.protocols import adapt, backward_lr
from parity_check.runner import Checker
from parity_check.specs import SPECS, Target
from parity_check.specs.loss_spec import LossSpec
from parity_tests.test_check_protocols_learner import ran, said


# -- nnfs ---------------------------------------------------------------------------------------
class Layer_Dense:
    def __init__(self, n_inputs, n_neurons):
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))

    def forward(self, inputs):
        self.inputs = inputs
        self.output = inputs @ self.weights + self.biases

    def backward(self, dvalues):
        self.dweights = self.inputs.T @ dvalues
        self.dbiases = self.bias_grad(dvalues)
        self.dinputs = dvalues @ self.weights.T

    def bias_grad(self, dvalues):
        return np.sum(dvalues, axis=0, keepdims=True)


class Layer_DenseMeanBias(Layer_Dense):
    def bias_grad(self, dvalues):
        return np.mean(dvalues, axis=0, keepdims=True)


class Activation_ReLU:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[self.inputs <= 0] = 0


class Activation_Softmax:
    def forward(self, inputs):
        e = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        self.output = e / np.sum(e, axis=1, keepdims=True)

    def backward(self, dvalues):
        self.dinputs = np.empty_like(dvalues)
        for i, (out, d) in enumerate(zip(self.output, dvalues, strict=True)):
            out = out.reshape(-1, 1)
            self.dinputs[i] = (np.diagflat(out) - out @ out.T) @ d


class Layer_Dropout:
    def __init__(self, rate):
        self.rate = 1 - rate  # nnfs keeps the keep rate; its argument is the drop rate, torch's p

    def forward(self, inputs, training=True):
        shape = inputs.shape
        self.mask = np.random.binomial(1, self.rate, shape) / self.rate if training else np.ones(shape)  # fmt: skip
        self.output = inputs * self.mask.astype(inputs.dtype)

    def backward(self, dvalues):
        self.dinputs = dvalues * self.mask.astype(dvalues.dtype)


class Loss_CategoricalCrossentropy:
    def forward(self, y_pred, y_true):
        y = np.clip(y_pred, 1e-7, 1 - 1e-7)
        return -np.log(y[range(len(y_pred)), y_true])

    def backward(self, dvalues, y_true):
        samples, labels = dvalues.shape
        self.dinputs = -np.eye(labels)[y_true] / dvalues / samples


class Activation_Softmax_Loss_CategoricalCrossentropy:
    def __init__(self):
        self.activation, self.loss = Activation_Softmax(), Loss_CategoricalCrossentropy()

    def forward(self, inputs, y_true):
        self.activation.forward(inputs)
        self.output = self.activation.output
        return np.mean(self.loss.forward(self.output, y_true))

    def backward(self, dvalues, y_true):
        self.dinputs = dvalues.copy()
        self.dinputs[range(len(dvalues)), y_true] -= 1
        self.dinputs = self.dinputs / len(dvalues)


NNFS = [("Linear", Layer_Dense), ("ReLU", Activation_ReLU), ("Softmax", Activation_Softmax),
        ("Dropout", Layer_Dropout)]  # fmt: skip


@pytest.mark.parametrize("component,cls", NNFS, ids=[c.__name__ for _, c in NNFS])
def test_nnfs_layers_pass_as_written(component, cls):
    verdict = check(component, cls)
    assert verdict.passed, verdict.failures()[:3]
    assert "protocol: nnfs style" in said(verdict)


def test_nnfs_dense_biases_are_compared_reshaped_and_a_mean_is_named():
    notes = said(check("Linear", Layer_Dense))
    assert "your biases is (1, 3), torch's bias is (3,): compared reshaped" in notes
    verdict = check("Linear", Layer_DenseMeanBias)
    assert not verdict.passed
    assert verdict.diagnosis.mistake == "linear-bias-grad-averaged", verdict.diagnosis


def basic_only(spec):
    """The loss spec on its first case (class indices, mean) alone."""
    return LossSpec(spec.name, spec.factory, spec.reference, spec.cases(False)[:1], twin=spec.twin)


@pytest.mark.parametrize("cls", [Loss_CategoricalCrossentropy, Activation_Softmax_Loss_CategoricalCrossentropy])  # fmt: skip
def test_nnfs_losses_agree_with_cross_entropy_off_the_clip(cls):
    spec = SPECS["CrossEntropyLoss"]
    verdict = Checker(basic_only(spec)).run(adapt(spec, Target(cls, cls.__name__)))
    assert verdict.passed, verdict.failures()[:3]
    assert "protocol: an nnfs loss" in said(verdict)


def test_nnfs_clip_fails_where_logits_saturate():
    """nnfs clips probabilities at 1e-7: at logits ±1e4 torch's loss is 1e4, nnfs's -log(1e-7)."""
    verdict = check("CrossEntropyLoss", Activation_Softmax_Loss_CategoricalCrossentropy)
    assert not verdict.passed
    assert {r.case for r in verdict.failures()} == {"logits ±1e4"}
    loss = next(r for r in verdict.failures() if r.tensor == "loss" and r.dtype == "float64")
    assert loss.yours == pytest.approx(-np.log(1e-7), rel=1e-6) and loss.torch > 1e3


# -- backward(grad, learning_rate): the layer steps its own weights --------------------------------
class Dense:
    """One sample at a time as a column: x (in, 1), W (out, in), b (out, 1)."""

    def __init__(self, input_size, output_size):
        self.weights = np.random.randn(output_size, input_size)
        self.bias = np.random.randn(output_size, 1)

    def forward(self, input):  # noqa: A002 - the tutorials' name
        self.input = input
        return np.dot(self.weights, self.input) + self.bias

    def backward(self, output_gradient, learning_rate):
        weights_gradient = np.dot(output_gradient, self.input.T)
        input_gradient = np.dot(self.weights.T, output_gradient)
        self.weights -= learning_rate * weights_gradient
        self.bias -= learning_rate * output_gradient
        return input_gradient


class DenseColumns(Dense):
    """The (features, batch) layout: the bias step sums the batch's columns."""

    def backward(self, output_gradient, learning_rate):
        input_gradient = np.dot(self.weights.T, output_gradient)
        self.weights -= learning_rate * np.dot(output_gradient, self.input.T)
        self.bias -= learning_rate * output_gradient.sum(axis=1, keepdims=True)
        return input_gradient


class DenseRows:
    """Rows, torch's layout, W (in, out) rebound (not updated in place)."""

    def __init__(self, in_features, out_features):
        self.W, self.b = np.zeros((in_features, out_features)), np.zeros(out_features)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad, lr):
        x2, g2 = self.x.reshape(-1, self.W.shape[0]), grad.reshape(-1, self.W.shape[1])
        dx = self.input_grad(grad, x2.T @ g2, lr)
        self.W = self.W - lr * (x2.T @ g2)
        self.b -= lr * g2.sum(axis=0)
        return dx

    def input_grad(self, grad, dW, lr):
        return grad @ self.W.T


class DenseSteppedFirst(Dense):
    def backward(self, output_gradient, learning_rate):
        self.weights -= learning_rate * np.dot(output_gradient, self.input.T)
        self.bias -= learning_rate * output_gradient
        return np.dot(self.weights.T, output_gradient)  # the weights after the step


class DenseRowsSteppedFirst(DenseRows):
    def input_grad(self, grad, dW, lr):
        return grad @ (self.W - lr * dW).T  # the weights after the step


LR_LAYERS = [(Dense, "one sample at a time as a column"), (DenseColumns, "as columns, (features, batch)"),
             (DenseRows, "backward(grad, lr) applies its own SGD step")]  # fmt: skip


@pytest.mark.parametrize("cls,told", LR_LAYERS, ids=[c.__name__ for c, _ in LR_LAYERS])
def test_backward_with_lr_passes_in_each_layout(cls, told):
    verdict = check("Linear", cls)
    assert verdict.passed, verdict.failures()[:3]
    assert "Linear(5, 3)" in ran(verdict)
    assert told in said(verdict), verdict.notes


def test_backward_with_lr_recovers_the_gradient_exactly_in_float64():
    """2⁻¹⁰ is exact in binary: (before − after)/lr is dW to the float64 profile's tolerance."""
    assert backward_lr.LR[np.dtype(np.float64)] == 2.0**-10
    verdict = check("Linear", DenseRows, dtypes=("float64",))
    grads = [r for r in verdict.rows if r.tensor == "grad of weight"]
    assert grads and all(r.passed and r.headroom < 0.1 for r in grads), grads


def test_input_grad_with_the_stepped_weights_is_named():
    """The catalogue's reference steps after each sample, as the tutorials' Dense does; a
    layer of whole batches steps once (W − lr·Σ dWᵢ): it fails too, with no name."""
    verdict = check("Linear", DenseSteppedFirst)
    assert not verdict.passed
    assert {r.tensor for r in verdict.failures()} == {"grad of input"}
    assert verdict.diagnosis.mistake == "input-grad-with-updated-weights", verdict.diagnosis
    verdict = check("Linear", DenseRowsSteppedFirst)
    assert {r.tensor for r in verdict.failures()} == {"grad of input"}
    assert verdict.diagnosis.mistake is None


# -- shapes that count as torch's ------------------------------------------------------------------
class BatchNormColumns:
    """gamma, beta and the running statistics kept as (1, C, 1, 1), gradients too."""

    def __init__(self, num_features, momentum=0.1, eps=1e-5):
        shape = (1, num_features, 1, 1)
        self.gamma, self.beta = np.ones(shape), np.zeros(shape)
        self.running_mean, self.running_var = np.zeros(shape), np.ones(shape)
        self.momentum, self.eps, self.training = momentum, eps, True

    def forward(self, x):
        axes = (0, 2, 3)
        if self.training:
            mu, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
            n = x.size // x.shape[1]
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mu
            self.running_var = (1 - m) * self.running_var + m * var * n / (n - 1)
        else:
            mu, var = self.running_mean, self.running_var
        self.inv = 1 / np.sqrt(var + self.eps)
        self.xh = (x - mu) * self.inv
        return (self.gamma * self.xh + self.beta).astype(x.dtype)

    def backward(self, dout):
        axes = (0, 2, 3)
        self.dgamma = (dout * self.xh).sum(axis=axes, keepdims=True)
        self.dbeta = dout.sum(axis=axes, keepdims=True)
        dxh = dout * self.gamma
        if not self.training:
            return (dxh * self.inv).astype(dout.dtype)
        mean = lambda a: a.mean(axis=axes, keepdims=True)  # noqa: E731
        return (self.inv * (dxh - mean(dxh) - self.xh * mean(dxh * self.xh))).astype(dout.dtype)


def test_gamma_beta_and_running_stats_kept_as_1_c_1_1_count_as_torchs():
    verdict = check("BatchNorm2d", BatchNormColumns)
    assert verdict.passed, verdict.failures()[:3]
    assert "your gamma is (1, 3, 1, 1), torch's weight is (3,): compared reshaped" in said(verdict)
    assert {"running_mean", "running_var"} <= {r.tensor for r in verdict.rows}
