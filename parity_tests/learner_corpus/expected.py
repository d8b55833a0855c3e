"""What parity-check must answer for each learner-style file of this folder (issue 20, part 6).

One ``Row`` per check: the component, the TARGET (``file.py:Name``, relative to this folder),
the options, and the expected result: the exit status (0 PASS, 1 FAIL, 2 no verdict),
``passed``, ``in_scope`` (True: some case was "not supported by your code" and the rest agree;
False: nothing was out of scope; None: not asserted, where the issue leaves the case set
open) and, for a FAIL, the expected diagnosis: a catalogued mistake key
(``Diagnosis.mistake``), or a relation (``Diagnosis.relation``, with text its ``detail``
must contain). Exit status 2 (no verdict) is expected of one file only: an exception in the
basic case.

The expectations come from the issue's description of the styles and of the verdicts, not
from any checker's output: a correct implementation gets PASS as written (in its own scope),
a wrong one gets FAIL (exit 1) named by its cause. Keys of mistakes the catalogue does not
have yet are the descriptive names this table assumes (the integrator aligns them).

Every check runs in the float64 profile only (``--dtype float64``) unless a row says
otherwise: no expectation here depends on float32, and the table must stay fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Row:
    id: str  # the test id: style-what-right/wrong
    component: str
    target: str  # file.py:Name, relative to parity_tests/learner_corpus
    right: bool  # the implementation is right (on the settings it takes)
    exit: int  # 0 PASS, 1 FAIL, 2 no verdict
    in_scope: bool | None = None  # None: not asserted
    mistake: str | None = None  # the catalogued key the diagnosis must name
    relation: str | None = None  # or the relation it must name ...
    detail: str | None = None  # ... with this text in its detail
    says: str | None = None  # text the diagnosis message must contain
    not_covered: str | None = None  # text one of the not-covered entries must contain
    error_row: bool = False  # a row of status "error" (an exception in a case that is not scope)
    where: str | None = None  # text the ``where`` of some "error" or "not supported" row contains
    strict: bool = False
    derivative: str | None = None  # file.py:name, relative to this folder
    dtypes: tuple[str, ...] = field(default=("float64",))


def ok(id: str, component: str, target: str, in_scope: bool | None, **kw) -> Row:
    """A right implementation: PASS, exit 0, no diagnosis."""
    return Row(id, component, target, True, 0, in_scope, **kw)


def fail(id: str, component: str, target: str, mistake: str | None = None, **kw) -> Row:
    """A wrong implementation: FAIL, exit 1, named by ``mistake`` (or a relation)."""
    return Row(id, component, target, False, 1, mistake=mistake, **kw)


ROWS: list[Row] = [
    # -- CS231n: function pairs with a cache, settings in dicts ---------------------------------
    ok("cs231n-affine", "Linear", "cs231n_layers.py:affine_forward", True, dtypes=("float64", "float32")),  # 3-D input: not supported
    ok("cs231n-relu", "ReLU", "cs231n_layers.py:relu_forward", False),
    ok("cs231n-conv-naive", "Conv2d", "cs231n_layers.py:conv_forward_naive", True),  # no dilation, groups
    ok("cs231n-max-pool-naive", "MaxPool2d", "cs231n_layers.py:max_pool_forward_naive", True),  # no padding
    ok("cs231n-batchnorm", "BatchNorm1d", "cs231n_layers.py:batchnorm_forward", True),  # (N, C, L): not supported
    ok("cs231n-spatial-batchnorm", "BatchNorm2d", "cs231n_layers.py:spatial_batchnorm_forward", None),
    ok("cs231n-dropout", "Dropout", "cs231n_layers.py:dropout_forward", None),
    ok("cs231n-softmax-loss", "CrossEntropyLoss", "cs231n_layers.py:softmax_loss", True),  # no reduction, smoothing
    ok("cs231n-sgd", "SGD", "cs231n_optim.py:sgd", True),  # no momentum key
    ok("cs231n-sgd-momentum", "SGD", "cs231n_optim.py:sgd_momentum", True),  # no dampening, nesterov
    ok("cs231n-rmsprop", "RMSprop", "cs231n_optim.py:rmsprop", True),
    ok("cs231n-adam", "Adam", "cs231n_optim.py:adam", True),  # no amsgrad, weight_decay
    fail("cs231n-dropout-p-keep", "Dropout", "cs231n_dropout_keep_prob.py:dropout_forward", "dropout-p-is-keep-probability"),
    fail("cs231n-batchnorm-unbiased-var", "BatchNorm1d", "cs231n_batchnorm_unbiased.py:batchnorm_forward", "batchnorm-normalises-with-unbiased-var"),
    fail("cs231n-softmax-loss-no-1/N", "CrossEntropyLoss", "cs231n_softmax_loss_no_mean.py:softmax_loss", "cross-entropy-grad-missing-mean"),
    fail("cs231n-softmax-loss-log-of-softmax", "CrossEntropyLoss", "cs231n_softmax_loss_log_of_softmax.py:softmax_loss", "cross-entropy-log-of-softmax"),
    fail("cs231n-max-pool-every-tied-max", "MaxPool2d", "cs231n_max_pool_every_tied_max.py:max_pool_forward_naive", "maxpool-tie-grad-to-every-max"),
    fail("cs231n-adam-eps-hat", "Adam", "cs231n_adam_eps_hat.py:adam", "adam-eps-hat"),
    fail("cs231n-sgd-momentum-lr-inside", "SGD", "cs231n_sgd_momentum_lr_inside.py:sgd_momentum", "momentum-lr-inside-velocity"),
    # -- Deep Learning from Scratch: classes built from their arrays, update(params, grads) -----
    ok("book-affine", "Linear", "book_layers.py:Affine", True),
    ok("book-relu", "ReLU", "book_layers.py:Relu", False),
    ok("book-convolution", "Conv2d", "book_layers.py:Convolution", True),
    ok("book-pooling", "MaxPool2d", "book_layers.py:Pooling", True),  # no dilation, ceil_mode
    ok("book-dropout-inverted", "Dropout", "book_layers.py:Dropout", None),
    ok("book-softmax-with-loss", "CrossEntropyLoss", "book_layers.py:SoftmaxWithLoss", True),
    ok("book-momentum", "SGD", "book_optimizer.py:Momentum", True),
    ok("book-adam", "Adam", "book_optimizer.py:Adam", True),
    fail("book-dropout-not-inverted", "Dropout", "book_dropout_not_inverted.py:Dropout", "dropout-not-inverted"),
    fail("book-batchnorm-momentum-0.9", "BatchNorm1d", "book_batchnorm_momentum.py:BatchNormalization", "batchnorm-momentum-flipped"),
    fail("book-batchnorm-eps-1e-6", "BatchNorm1d", "book_batchnorm_eps.py:BatchNormalization", relation="setting", detail="eps=1e-06"),
    fail("book-softmax-with-loss-log-plus-1e-7", "CrossEntropyLoss", "book_softmax_with_loss_log_eps.py:SoftmaxWithLoss", "cross-entropy-eps-in-log"),
    fail("book-softmax-with-loss-ignores-dout", "CrossEntropyLoss", "book_softmax_with_loss_ignores_dout.py:SoftmaxWithLoss", "loss-backward-ignores-upstream"),
    fail("book-rmsprop-eps-1e-7", "RMSprop", "book_rmsprop_eps.py:RMSprop", relation="setting", detail="eps=1e-07"),
    # -- nnfs: results stored on the object, biases (1, n) ----------------------------------------
    ok("nnfs-dense", "Linear", "nnfs_layers.py:Layer_Dense", True),
    ok("nnfs-relu", "ReLU", "nnfs_layers.py:Activation_ReLU", False),
    ok("nnfs-dropout", "Dropout", "nnfs_layers.py:Layer_Dropout", None),
    fail("nnfs-relu-grad-at-0", "ReLU", "nnfs_relu_kink.py:Activation_ReLU", "relu-derivative-one-at-zero"),
    # -- deeplearning.ai: dicts over W1/b1 with an initialiser --------------------------------------
    ok("dlai-adam", "Adam", "dlai_adam.py:update_parameters_with_adam", True),
    ok("dlai-momentum", "SGD", "dlai_momentum.py:update_parameters_with_momentum", True),
    fail("dlai-momentum-ema", "SGD", "dlai_momentum_ema.py:update_parameters_with_momentum", "momentum-as-moving-average"),
    # -- Holberton: step functions, the lr named alpha ------------------------------------------------
    ok("holberton-momentum", "SGD", "holberton_optim.py:update_variables_momentum", True),
    ok("holberton-rmsprop", "RMSprop", "holberton_optim.py:update_variables_RMSProp", True),
    ok("holberton-adam", "Adam", "holberton_optim.py:update_variables_Adam", True),
    fail("holberton-adam-beta2-squared", "Adam", "holberton_adam_beta2_squared.py:update_variables_Adam", "adam-beta2-squared"),
    # -- backward(grad, learning_rate): column vectors and the (features, batch) layout ---------
    ok("lr-backward-column-vector", "Linear", "lr_backward_layers.py:Dense", True),
    ok("lr-backward-features-batch", "Linear", "lr_backward_layers.py:LinearLayer", True),
    fail("lr-backward-input-grad-after-update", "Linear", "lr_backward_updated_weights.py:Dense", "input-grad-with-updated-weights"),
    fail("lr-backward-grads-averaged", "Linear", "lr_backward_averaged.py:LinearLayer", relation="scaled", detail="1/N"),
    # -- blog schedules: functions of the epoch -------------------------------------------------------
    ok("blog-step-decay", "StepLR", "blog_schedules.py:step_decay", None),
    ok("blog-cosine", "CosineAnnealingLR", "blog_schedules.py:cosine_annealing", None),
    fail("blog-step-decay-one-early", "StepLR", "blog_step_decay_early.py:step_decay", "schedule-one-step-early"),
    fail("blog-cosine-t-max-minus-1", "CosineAnnealingLR", "blog_cosine_t_max_minus_one.py:cosine_annealing", "cosine-t-max-minus-one"),
    # -- plain functions ----------------------------------------------------------------------------
    ok("plain-relu", "relu", "plain_activations.py:relu", None, derivative="plain_activations.py:relu_derivative"),
    ok("plain-sigmoid", "sigmoid", "plain_activations.py:sigmoid", None, derivative="plain_activations.py:sigmoid_derivative"),
    ok("plain-tanh", "tanh", "plain_activations.py:tanh", None, derivative="plain_activations.py:tanh_derivative"),
    ok("plain-attention", "scaled_dot_product_attention", "plain_attention.py:attention", None),
    fail("plain-leaky-relu-derivative-sign", "leaky_relu_derivative", "plain_leaky_relu_sign.py:leaky_relu_derivative", "leaky-relu-derivative-sign"),
    fail("plain-softmax-axis-0", "softmax", "plain_softmax_axis.py:softmax", "softmax-over-axis-0"),
    fail("plain-attention-no-scale", "scaled_dot_product_attention", "plain_attention_no_scale.py:attention", "attention-without-scale"),
    # -- array layers of the course's kind ---------------------------------------------------------
    fail("course-batchnorm2d-per-element", "BatchNorm2d", "batchnorm2d_per_element.py:BatchNorm2d", "batchnorm2d-statistics-per-element"),
    fail("course-linear-dw-transposed", "Linear", "linear_dw_transposed.py:Linear", "linear-grad-weight-transposed", says="transpose"),
    # -- scope: what the code says or shows it does not take ------------------------------------------
    ok("scope-scratch-linear-2d-only", "Linear", "scratch_2d_only.py:Linear", True, not_covered="3-D"),
    Row("scope-scratch-linear-2d-only-strict", "Linear", "scratch_2d_only.py:Linear", True, 1, True, strict=True),
    ok("scope-scratch-batchnorm1d-2d-only", "BatchNorm1d", "scratch_2d_only.py:BatchNorm1d", True),
    ok("scope-conv-padding-not-implemented", "Conv2d", "conv_no_padding.py:Conv2d", True, not_covered="padding", where="conv_no_padding.py:"),
    fail("scope-conv-takes-pad-then-crashes", "Conv2d", "conv_pad_crash.py:Conv2d", error_row=True, where="conv_pad_crash.py:"),
    Row("scope-exception-in-basic-case", "Linear", "crash_in_basic_case.py:Linear", False, 2, says="crash_in_basic_case.py"),
]  # fmt: skip
