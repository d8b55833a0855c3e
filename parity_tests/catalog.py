"""The catalog: every public scratch component, its torch twin, its course section, its proof.

One table, in the course's order. ``test_catalog.py`` fails when a public scratch name is
missing here, when a twin does not resolve, or when a listed test does not exist; the parity
report reads this table to lay out its page. ``note`` records where the course's formula
and PyTorch's differ (scratch follows torch; the docstring explains).
"""

from __future__ import annotations

from dataclasses import dataclass

SECTIONS = (
    "Neuron", "Activations", "MLP and backprop", "Losses", "Optimizers and schedules",
    "Regularisation", "Convolutions", "Receptive fields", "Initialisation", "Attention",
    "Exercises", "MNIST twin",
)  # fmt: skip


@dataclass(frozen=True)
class Entry:
    scratch: str  # dotted public name under scratch
    twin: str  # dotted name of the torch / torchvision / torch_ref twin
    section: str  # one of SECTIONS
    tests: tuple[str, ...]  # "test_file.py::test_function" that prove the parity
    note: str = ""  # documented difference between the course's formula and torch's


def E(scratch: str, twin: str, section: str, *tests: str, note: str = "") -> Entry:
    return Entry(scratch, twin, section, tests, note)


ACT, ACT_F = "test_activation.py::test_module_forward_backward", "test_activation.py::test_function_and_derivative"  # fmt: skip
SOFTMAX_F = "test_activation.py::test_softmax_functions"

CATALOG: list[Entry] = [
    # -- Activations --
    E("scratch.nn.ReLU", "torch.nn.ReLU", "Activations", ACT),
    E("scratch.nn.LeakyReLU", "torch.nn.LeakyReLU", "Activations", ACT),
    E("scratch.nn.Sigmoid", "torch.nn.Sigmoid", "Activations", ACT, "test_activation.py::test_extreme_logits_are_finite_and_equal"),
    E("scratch.nn.Tanh", "torch.nn.Tanh", "Activations", ACT),
    E("scratch.nn.GELU", "torch.nn.GELU", "Activations", ACT, note="The seed writes GELU with the tanh approximation; torch's default is the exact z·Φ(z). Both are offered (approximate='none'|'tanh') and each is compared with its own twin."),
    E("scratch.nn.SiLU", "torch.nn.SiLU", "Activations", ACT, note="The seed calls it swish: z·σ(z)."),
    E("scratch.nn.Softmax", "torch.nn.Softmax", "Activations", ACT),
    E("scratch.nn.LogSoftmax", "torch.nn.LogSoftmax", "Activations", ACT),
    E("scratch.functional.relu", "torch.nn.functional.relu", "Activations", ACT_F),
    E("scratch.functional.relu_derivative", "torch_ref.nn.activation.derivative", "Activations", ACT_F),
    E("scratch.functional.leaky_relu", "torch.nn.functional.leaky_relu", "Activations", ACT_F),
    E("scratch.functional.leaky_relu_derivative", "torch_ref.nn.activation.derivative", "Activations", ACT_F),
    E("scratch.functional.sigmoid", "torch.sigmoid", "Activations", ACT_F),
    E("scratch.functional.sigmoid_derivative", "torch_ref.nn.activation.derivative", "Activations", ACT_F),
    E("scratch.functional.tanh", "torch.tanh", "Activations", ACT_F),
    E("scratch.functional.tanh_derivative", "torch_ref.nn.activation.derivative", "Activations", ACT_F),
    E("scratch.functional.gelu", "torch.nn.functional.gelu", "Activations", ACT_F),
    E("scratch.functional.gelu_derivative", "torch_ref.nn.activation.derivative", "Activations", ACT_F),
    E("scratch.functional.silu", "torch.nn.functional.silu", "Activations", ACT_F),
    E("scratch.functional.silu_derivative", "torch_ref.nn.activation.derivative", "Activations", ACT_F),
    E("scratch.functional.softmax", "torch.nn.functional.softmax", "Activations", SOFTMAX_F),
    E("scratch.functional.log_softmax", "torch.nn.functional.log_softmax", "Activations", SOFTMAX_F),
]  # fmt: skip


def by_section() -> dict[str, list[Entry]]:
    """Catalog entries grouped in the course's order (what the report lays out)."""
    return {s: [e for e in CATALOG if e.section == s] for s in SECTIONS}
