"""Which OpInfo op (torch's own test inputs, ``op_db``) each catalog component is run against,
which components have none and why, and the one allow-list of deliberate differences.

``test_opinfo.py`` runs every sample and reference input of each op in ``OPS`` through the
scratch twin (``opinfo_adapters.py``). ``test_opinfo.py::test_table_covers_the_catalog``
fails when a catalog component is in neither ``COVERED`` nor ``NO_OPINFO``, so a new scratch
op must say which OpInfo inputs it gets, or why it gets none. The site's parity contract
(docs/contract.md) shows ``ALLOWED`` as a table (``allow_list_markdown``; a test keeps the two equal).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Op:
    name: str  # OpInfo.name in op_db
    variant: str  # OpInfo.variant_test_name ("" for the plain one)
    components: tuple[str, ...]  # the catalog's scratch names these inputs exercise

    @property
    def id(self) -> str:
        return f"{self.name}.{self.variant}" if self.variant else self.name


def _op(name: str, *components: str, variant: str = "") -> Op:
    return Op(name, variant, components)


F, N = "scratch.functional.", "scratch.nn."

OPS: tuple[Op, ...] = (
    _op("nn.functional.relu", F + "relu", F + "relu_derivative", N + "ReLU"),
    _op("nn.functional.leaky_relu", F + "leaky_relu", F + "leaky_relu_derivative", N + "LeakyReLU"),
    _op("sigmoid", F + "sigmoid", F + "sigmoid_derivative", N + "Sigmoid"),
    _op("tanh", F + "tanh", F + "tanh_derivative", N + "Tanh"),
    _op("nn.functional.gelu", F + "gelu", F + "gelu_derivative", N + "GELU"),
    _op("nn.functional.silu", F + "silu", F + "silu_derivative", N + "SiLU"),
    _op("softmax", F + "softmax", N + "Softmax"),
    _op("softmax", variant="with_dtype"),
    _op("log_softmax", F + "log_softmax", N + "LogSoftmax"),
    _op("log_softmax", variant="with_dtype"),
    _op("nn.functional.linear", F + "linear", N + "Linear"),
    _op("nn.functional.mse_loss", N + "MSELoss"),
    _op("nn.functional.binary_cross_entropy", N + "BCELoss"),
    _op("nn.functional.binary_cross_entropy_with_logits", N + "BCEWithLogitsLoss"),
    _op("nn.functional.cross_entropy", N + "CrossEntropyLoss"),
    _op("nn.functional.dropout", F + "dropout", N + "Dropout"),
    _op("nn.functional.batch_norm", F + "batch_norm", N + "BatchNorm1d", N + "BatchNorm2d"),
    _op("linalg.vander", "scratch.regularization.polynomial_features"),
    _op("nn.functional.conv2d", F + "conv2d", N + "Conv2d"),
    _op("nn.functional.conv_transpose2d", F + "conv_transpose2d", N + "ConvTranspose2d"),
    _op("nn.functional.max_pool2d", F + "max_pool2d", N + "MaxPool2d"),
    _op("nn.functional.avg_pool2d", F + "avg_pool2d", N + "AvgPool2d"),
    _op("nn.functional.adaptive_avg_pool2d", F + "adaptive_avg_pool2d", N + "AdaptiveAvgPool2d"),
    _op("flatten", N + "Flatten"),
    _op("nn.functional.scaled_dot_product_attention", F + "scaled_dot_product_attention",
        F + "scaled_dot_product_attention_forward", F + "scaled_dot_product_attention_backward"),
    _op("nn.functional.multi_head_attention_forward", N + "MultiheadAttention"),
)  # fmt: skip

COVERED: dict[str, str] = {c: op.id for op in OPS for c in op.components}

# OpInfo variants of the ops above that are not run, with the reason.
SKIPPED_VARIANTS: dict[str, str] = {
    "nn.functional.batch_norm.without_cudnn": "the same samples as the plain variant; cuDNN is "
    "a CUDA switch and this suite runs torch on CPU",
    "nn.functional.silu.complex": "complex inputs; scratch is float32/float64 only",
}


def _none(reason: str, *names: str) -> dict[str, str]:
    return dict.fromkeys(names, reason)


NO_OPINFO: dict[str, str] = {
    **_none("a model or a container, not an op: its layers' ops are run above",
            "scratch.models.Neuron", "scratch.models.NeuralNetwork", "scratch.models.ChallengeNet",
            N + "Parameter", N + "Module", N + "Sequential", N + "ModuleList", N + "Identity",
            "scratch.experiments.deep_mlp"),
    **_none("a data set or a course experiment; op_db has ops only",
            "scratch.datasets.spiral", "scratch.datasets.xor", "scratch.datasets.beale",
            "scratch.datasets.beale_grad", "scratch.regularization.overfitting_data",
            "scratch.experiments.layer_gradient_norms", "scratch.experiments.init_weight_",
            "scratch.experiments.activation_stats_by_depth"),
    **_none("a testing tool (torch.autograd.gradcheck, torch.testing), not an op",
            "scratch.gradcheck.gradcheck", "scratch.gradcheck.GradcheckError",
            "scratch.gradcheck.numerical_gradient", "scratch.gradcheck.relative_error"),
    **_none("torchvision's sigmoid_focal_loss has no OpInfo", N + "FocalLoss"),
    **_none("an optimizer or a schedule: torch tests them with OptimizerInfo (optim_db), "
            "not op_db",
            "scratch.optim.Optimizer", "scratch.optim.SGD", "scratch.optim.RMSprop",
            "scratch.optim.Adam", "scratch.optim.AdamW", "scratch.optim.seed_rules.seed_momentum_step",
            "scratch.optim.seed_rules.seed_rmsprop_step", "scratch.optim.lr_scheduler.LRScheduler",
            "scratch.optim.lr_scheduler.StepLR", "scratch.optim.lr_scheduler.MultiStepLR",
            "scratch.optim.lr_scheduler.ExponentialLR", "scratch.optim.lr_scheduler.CosineAnnealingLR",
            "scratch.optim.lr_scheduler.LinearLR", "scratch.optim.lr_scheduler.SequentialLR",
            "scratch.optim.lr_scheduler.OneCycleLR", "scratch.regularization.l2_penalty_grad"),
    **_none("the twin is torch_ref's course function (a penalty, a closed-form fit), which has "
            "no OpInfo", "scratch.regularization.l1_penalty", "scratch.regularization.l1_penalty_grad",
            "scratch.regularization.l2_penalty", "scratch.regularization.fit_least_squares",
            "scratch.regularization.fit_ridge"),
    **_none("a utility acting on parameters' gradients or on modules (torch.nn.utils), not in "
            "op_db", N + "utils.clip_grad_norm_", N + "utils.clip_grad_value_",
            N + "utils.fuse_conv_bn_eval"),
    **_none("the seed's readable nested loops, by design only groups=1 and no dilation (most "
            "conv2d samples are outside); scratch.functional.conv2d takes conv2d's samples",
            N + "conv.conv2d_manual"),
    **_none("size arithmetic and the course's architecture tables, not tensor ops",
            "scratch.receptive_field.conv_output_size", "scratch.receptive_field.receptive_field",
            "scratch.receptive_field.LayerRF", "scratch.receptive_field.Layer",
            "scratch.receptive_field.VGG16", "scratch.receptive_field.RESNET18_STEM"),
    **_none("torch.nn.init is not in op_db (random fills; test_init.py compares them in "
            "distribution)", N + "init.calculate_gain", N + "init.calculate_fan_in_and_fan_out",
            N + "init.uniform_", N + "init.normal_", N + "init.xavier_uniform_",
            N + "init.xavier_normal_", N + "init.kaiming_uniform_", N + "init.kaiming_normal_",
            N + "init.lecun_normal_"),
}  # fmt: skip


# -- the allow-list of deliberate differences ---------------------------------------------


def _empty(sample) -> bool:
    return sample.input.numel() == 0


def _return_indices(sample) -> bool:
    return bool(sample.kwargs.get("return_indices", False))


def _bias_kv(sample) -> bool:
    return len(sample.args) > 6 and sample.args[6] is not None  # bias_k


def _not_1d(sample) -> bool:
    return sample.input.dim() != 1


@dataclass(frozen=True)
class Allowed:
    """A deliberate difference: samples of ``ops`` that ``matches`` are refused by scratch
    (a ValueError or TypeError, which the test demands), or, with ``strip``, run without
    those keyword arguments and compared with torch's first output."""

    ops: tuple[str, ...]
    what: str  # the samples, in words (the contract page's column)
    reason: str
    matches: Callable[[object], bool]
    strip: tuple[str, ...] = ()


ALLOWED: tuple[Allowed, ...] = (
    Allowed(("nn.functional.batch_norm",), "an empty input (shape `(0,)`)",
            "the parity contract's deliberate difference: torch's convolutions, pools and BatchNorm return "
            "an empty output for an empty input, scratch's refuse it with a ValueError (op_db's "
            "only empty samples of these ops are batch_norm's)", _empty),
    Allowed(("nn.functional.max_pool2d",), "`return_indices=True`",
            "not implemented (refused with a message); the sample runs without it and its "
            "values are compared", _return_indices, strip=("return_indices",)),
    Allowed(("nn.functional.multi_head_attention_forward",), "`bias_k`/`bias_v` (`add_bias_kv`)",
            "not implemented in MultiheadAttention; refused when built", _bias_kv),
    Allowed(("linalg.vander",), "`x` not 1-D (a scalar, a batch)",
            "`polynomial_features` builds the course's design matrix of one feature: x is 1-D "
            "by design", _not_1d),
)  # fmt: skip


def allowed_for(op: str, sample) -> Allowed | None:
    """The allow-list entry that covers this sample of ``op``, if any."""
    for entry in ALLOWED:
        if op in entry.ops and entry.matches(sample):
            return entry
    return None


def allow_list_markdown() -> str:
    """The table of ``ALLOWED`` that docs/contract.md shows."""
    rows = ["| OpInfo op | samples | why |", "|---|---|---|"]
    for entry in ALLOWED:
        ops = ", ".join(f"`{op.removeprefix('nn.functional.')}`" for op in entry.ops)
        rows.append(f"| {ops} | {entry.what} | {entry.reason} |")
    return "\n".join(rows)
