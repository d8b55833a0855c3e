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

LIN, MODELS, LOSS, LOSS_OPT = "test_linear.py::test_forward_and_all_gradients", "test_models.py::test_network_forward_and_gradients", "test_loss.py::test_loss_value_and_gradient", "test_loss.py::test_loss_options"  # fmt: skip

CATALOG: list[Entry] = [
    # -- Neuron --
    E("scratch.models.Neuron", "torch_ref.models.Neuron", "Neuron", "test_models.py::test_neuron", note="One unit: a = f(w·x + b), weight of shape (n,) and a scalar bias; the twin is the same nn.Module with autograd."),
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
    # -- MLP and backprop --
    E("scratch.nn.Parameter", "torch.nn.Parameter", "MLP and backprop", "test_linear.py::test_backward_accumulates_like_autograd_and_zero_grad_resets"),
    E("scratch.nn.Module", "torch.nn.Module", "MLP and backprop", "test_linear.py::test_state_dict_has_torch_keys_and_shapes", "test_linear.py::test_load_state_dict_accepts_torch_tensors_and_keeps_dtype", "test_linear.py::test_train_eval_propagates_to_children", note="backward() is written by hand and accumulates into param.grad, as loss.backward() does."),
    E("scratch.nn.Sequential", "torch.nn.Sequential", "MLP and backprop", LIN),
    E("scratch.nn.ModuleList", "torch.nn.ModuleList", "MLP and backprop", "test_linear.py::test_module_list_registers_children_under_torch_keys"),
    E("scratch.nn.Linear", "torch.nn.Linear", "MLP and backprop", LIN),
    E("scratch.functional.linear", "torch.nn.functional.linear", "MLP and backprop", LIN),
    E("scratch.models.NeuralNetwork", "torch_ref.models.NeuralNetwork", "MLP and backprop", MODELS, "test_models.py::test_spiral_training_loss_equal_at_every_epoch", "test_models.py::test_xor_training_loss_equal_and_both_solve_xor", note="The seed's train loop is fit() here: Module.train(mode) is torch's train/eval switch. The 2-4-1 XOR net uses tanh hidden units: with ReLU it stalls (a test shows it)."),
    E("scratch.datasets.spiral", "torch_ref.datasets.spiral", "MLP and backprop", "test_datasets.py::test_spiral_geometry_matches_without_noise", "test_datasets.py::test_spiral_noise_has_the_requested_spread_in_both_twins"),
    E("scratch.datasets.xor", "torch_ref.datasets.xor", "MLP and backprop", "test_datasets.py::test_xor_matches"),
    E("scratch.gradcheck.gradcheck", "torch.autograd.gradcheck", "MLP and backprop", "test_gradcheck.py::test_scratch_and_torch_gradcheck_agree", "test_gradcheck.py::test_wrong_backward_raises_and_names_the_tensor"),
    E("scratch.gradcheck.GradcheckError", "torch.autograd.gradcheck.GradcheckError", "MLP and backprop", "test_gradcheck.py::test_wrong_backward_raises_and_names_the_tensor"),
    E("scratch.gradcheck.numerical_gradient", "torch.autograd.gradcheck", "MLP and backprop", "test_gradcheck.py::test_numerical_gradient_of_a_known_function"),
    E("scratch.gradcheck.relative_error", "torch.testing.assert_close", "MLP and backprop", "test_gradcheck.py::test_relative_error_is_cs231n_definition", note="CS231n's relative error max|a-b|/max(1e-8, |a|+|b|); torch's gradcheck uses atol + rtol·|numerical| instead."),
    # -- Losses --
    E("scratch.nn.MSELoss", "torch.nn.MSELoss", "Losses", LOSS),
    E("scratch.nn.BCELoss", "torch.nn.BCELoss", "Losses", LOSS, LOSS_OPT, "test_loss.py::test_bce_clamps_log_at_minus_100_like_torch", note="torch clamps each log at -100 and p(1-p) at float32's 1e-12 (even in float64); the seed's formula has no clamps."),
    E("scratch.nn.BCEWithLogitsLoss", "torch.nn.BCEWithLogitsLoss", "Losses", LOSS, LOSS_OPT, "test_loss.py::test_logits_of_1e4_are_finite_and_equal"),
    E("scratch.nn.CrossEntropyLoss", "torch.nn.CrossEntropyLoss", "Losses", LOSS, LOSS_OPT, "test_loss.py::test_logits_of_1e4_are_finite_and_equal", note="Takes logits (softmax fused in), class indices or probabilities, label_smoothing and ignore_index; the seed applies softmax first and takes -log of it."),
    E("scratch.nn.FocalLoss", "torchvision.ops.sigmoid_focal_loss", "Losses", LOSS, LOSS_OPT, note="torchvision weights positives by α and negatives by 1-α; the seed applies α to every example. The Module defaults to reduction='mean' (torchvision's function: 'none')."),
    # -- Optimizers and schedules --
    E("scratch.datasets.beale", "torch_ref.datasets.beale", "Optimizers and schedules", "test_datasets.py::test_beale_gradient_matches_autograd", "test_datasets.py::test_beale_minimum"),
    E("scratch.datasets.beale_grad", "torch_ref.datasets.beale_grad", "Optimizers and schedules", "test_datasets.py::test_beale_gradient_matches_autograd"),
]  # fmt: skip


def by_section() -> dict[str, list[Entry]]:
    """Catalog entries grouped in the course's order (what the report lays out)."""
    return {s: [e for e in CATALOG if e.section == s] for s in SECTIONS}
