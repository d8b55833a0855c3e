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
    E("scratch.nn.ReLU", "torch.nn.ReLU", "Activations", ACT, "test_ties_and_kinks.py::test_activation_at_zero", "test_ties_and_kinks.py::test_relu_family_at_nan"),
    E("scratch.nn.LeakyReLU", "torch.nn.LeakyReLU", "Activations", ACT, "test_ties_and_kinks.py::test_activation_at_zero", "test_ties_and_kinks.py::test_relu_family_at_nan"),
    E("scratch.nn.Sigmoid", "torch.nn.Sigmoid", "Activations", ACT, "test_activation.py::test_extreme_logits_are_finite_and_equal", "test_ties_and_kinks.py::test_activation_at_zero"),
    E("scratch.nn.Tanh", "torch.nn.Tanh", "Activations", ACT, "test_ties_and_kinks.py::test_activation_at_zero"),
    E("scratch.nn.GELU", "torch.nn.GELU", "Activations", ACT, "test_ties_and_kinks.py::test_activation_at_zero", note="The seed writes GELU with the tanh approximation; torch's default is the exact z·Φ(z). Both are offered (approximate='none'|'tanh') and each is compared with its own twin."),
    E("scratch.nn.SiLU", "torch.nn.SiLU", "Activations", ACT, "test_ties_and_kinks.py::test_activation_at_zero", note="The seed calls it swish: z·σ(z)."),
    E("scratch.nn.Softmax", "torch.nn.Softmax", "Activations", ACT, "test_ties_and_kinks.py::test_tied_logits"),
    E("scratch.nn.LogSoftmax", "torch.nn.LogSoftmax", "Activations", ACT, "test_ties_and_kinks.py::test_tied_logits"),
    E("scratch.functional.relu", "torch.nn.functional.relu", "Activations", ACT_F, "test_ties_and_kinks.py::test_activation_at_zero"),
    E("scratch.functional.relu_derivative", "torch_ref.nn.activation.derivative", "Activations", ACT_F, "test_ties_and_kinks.py::test_activation_at_zero", "test_ties_and_kinks.py::test_relu_family_at_nan"),
    E("scratch.functional.leaky_relu", "torch.nn.functional.leaky_relu", "Activations", ACT_F, "test_ties_and_kinks.py::test_activation_at_zero"),
    E("scratch.functional.leaky_relu_derivative", "torch_ref.nn.activation.derivative", "Activations", ACT_F, "test_ties_and_kinks.py::test_activation_at_zero"),
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
    E("scratch.nn.Identity", "torch.nn.Identity", "MLP and backprop", "test_utils.py::test_identity_passes_input_and_gradient_through"),
    E("scratch.nn.ModuleList", "torch.nn.ModuleList", "MLP and backprop", "test_linear.py::test_module_list_registers_children_under_torch_keys"),
    E("scratch.nn.Linear", "torch.nn.Linear", "MLP and backprop", LIN),
    E("scratch.functional.linear", "torch.nn.functional.linear", "MLP and backprop", LIN),
    E("scratch.models.NeuralNetwork", "torch_ref.models.NeuralNetwork", "MLP and backprop", MODELS, "test_models.py::test_spiral_training_loss_equal_at_every_epoch", "test_models.py::test_xor_training_loss_equal_and_both_solve_xor", "test_ties_and_kinks.py::test_prediction_takes_the_first_of_tied_classes", note="The seed's train loop is fit() here: Module.train(mode) is torch's train/eval switch. The 2-4-1 XOR net uses tanh hidden units: with ReLU it stalls (a test shows it)."),
    E("scratch.datasets.spiral", "torch_ref.datasets.spiral", "MLP and backprop", "test_datasets.py::test_spiral_geometry_matches_without_noise", "test_datasets.py::test_spiral_noise_has_the_requested_spread_in_both_twins"),
    E("scratch.datasets.xor", "torch_ref.datasets.xor", "MLP and backprop", "test_datasets.py::test_xor_matches"),
    E("scratch.gradcheck.gradcheck", "torch.autograd.gradcheck", "MLP and backprop", "test_gradcheck.py::test_scratch_and_torch_gradcheck_agree", "test_gradcheck.py::test_wrong_backward_raises_and_names_the_tensor"),
    E("scratch.gradcheck.GradcheckError", "torch.autograd.gradcheck.GradcheckError", "MLP and backprop", "test_gradcheck.py::test_wrong_backward_raises_and_names_the_tensor"),
    E("scratch.gradcheck.numerical_gradient", "torch.autograd.gradcheck", "MLP and backprop", "test_gradcheck.py::test_numerical_gradient_of_a_known_function"),
    E("scratch.gradcheck.relative_error", "torch.testing.assert_close", "MLP and backprop", "test_gradcheck.py::test_relative_error_is_cs231n_definition", note="CS231n's relative error max|a-b|/max(1e-8, |a|+|b|); torch's gradcheck uses atol + rtol·|numerical| instead."),
    # -- Losses --
    E("scratch.nn.MSELoss", "torch.nn.MSELoss", "Losses", LOSS),
    E("scratch.nn.BCELoss", "torch.nn.BCELoss", "Losses", LOSS, LOSS_OPT, "test_loss.py::test_bce_clamps_log_at_minus_100_like_torch", "test_ties_and_kinks.py::test_bce_on_its_clamps", note="torch clamps each log at -100 and p(1-p) at float32's 1e-12 (even in float64); the seed's formula has no clamps."),
    E("scratch.nn.BCEWithLogitsLoss", "torch.nn.BCEWithLogitsLoss", "Losses", LOSS, LOSS_OPT, "test_loss.py::test_logits_of_1e4_are_finite_and_equal"),
    E("scratch.nn.CrossEntropyLoss", "torch.nn.CrossEntropyLoss", "Losses", LOSS, LOSS_OPT, "test_loss.py::test_logits_of_1e4_are_finite_and_equal", "test_ties_and_kinks.py::test_tied_logits", note="Takes logits (softmax fused in), class indices or probabilities, label_smoothing and ignore_index; the seed applies softmax first and takes -log of it."),
    E("scratch.nn.FocalLoss", "torchvision.ops.sigmoid_focal_loss", "Losses", LOSS, LOSS_OPT, "test_ties_and_kinks.py::test_focal_loss_where_p_t_is_one", note="torchvision weights positives by α and negatives by 1-α; the seed applies α to every example. The Module defaults to reduction='mean' (torchvision's function: 'none')."),
    # -- Optimizers and schedules --
    E("scratch.datasets.beale", "torch_ref.datasets.beale", "Optimizers and schedules", "test_datasets.py::test_beale_gradient_matches_autograd", "test_datasets.py::test_beale_minimum"),
    E("scratch.datasets.beale_grad", "torch_ref.datasets.beale_grad", "Optimizers and schedules", "test_datasets.py::test_beale_gradient_matches_autograd"),
    # -- Optimizers and schedules --
    E("scratch.optim.Optimizer", "torch.optim.Optimizer", "Optimizers and schedules", "test_optim.py::test_state_dict_matches_torch_and_resumes", "test_optim.py::test_zero_grad_and_closure", "test_optim.py::test_bad_input", note="param_groups, state and state_dict laid out as torch's (state keys momentum_buffer, square_avg, exp_avg, ...); torch's own state_dict loads into scratch. Hyper-parameters are checked as torch checks them (the constructor's only, not a group's own values; SGD's `lr < 0` lets NaN through, Adam's `not 0 <= lr` does not; inf passes), and a parameter listed twice draws torch's warning."),
    E("scratch.optim.SGD", "torch.optim.SGD", "Optimizers and schedules", "test_optim.py::test_steps_match_torch", "test_optim.py::test_defaults_match_torch", "test_trajectories.py::test_beale_race", "test_trajectories.py::test_spiral_mlp", note="The seed writes momentum as v = βv + lr·g; w -= v. torch keeps lr out of the buffer: b = μb + g; θ -= lr·b (b starts at g). With constant lr and no dampening v = lr·b and the trajectories coincide; under a schedule they diverge (torch rescales the whole buffer when lr changes)."),
    E("scratch.optim.RMSprop", "torch.optim.RMSprop", "Optimizers and schedules", "test_optim.py::test_steps_match_torch", "test_optim.py::test_defaults_match_torch", "test_trajectories.py::test_beale_race", "test_trajectories.py::test_spiral_mlp", "test_trajectories.py::test_spiral_rounding_amplification_is_intrinsic", note="The seed's formula puts ε inside the root, lr·g/√(s+ε); its code and torch put it outside, lr·g/(√s+ε). They agree only as ε → 0: the gap is proportional to ε (2.9e-5 relative over the Beale race at ε=1e-8), and for vanishing gradients torch's step is up to 1/√ε longer."),
    E("scratch.optim.Adam", "torch.optim.Adam", "Optimizers and schedules", "test_optim.py::test_steps_match_torch", "test_optim.py::test_defaults_match_torch", "test_trajectories.py::test_beale_race", "test_trajectories.py::test_spiral_mlp", note="weight_decay is an L2 term added to the gradient, so it is divided by √v like the gradient (see AdamW)."),
    E("scratch.optim.AdamW", "torch.optim.AdamW", "Optimizers and schedules", "test_optim.py::test_steps_match_torch", "test_optim.py::test_adamw_decay_is_not_normalised_by_the_gradient_history", "test_trajectories.py::test_beale_race", "test_trajectories.py::test_spiral_mlp", note="The seed's custom AdamW exercise: decoupled decay θ ← θ(1 - lr·λ) (torch's default λ = 0.01) shrinks every weight alike; Adam's L2 decay barely touches weights with large gradients."),
    E("scratch.optim.seed_rules.seed_momentum_step", "torch.optim.SGD", "Optimizers and schedules", "test_optim.py::test_seed_momentum_coincides_with_torch_at_constant_lr", "test_optim.py::test_seed_momentum_diverges_from_torch_when_lr_changes", note="The seed's rule itself (lr inside the velocity), kept to show where it meets torch's SGD and where it does not."),
    E("scratch.optim.seed_rules.seed_rmsprop_step", "torch.optim.RMSprop", "Optimizers and schedules", "test_optim.py::test_seed_rmsprop_code_is_torchs_rule", "test_optim.py::test_seed_rmsprop_formula_meets_torch_only_as_eps_vanishes", "test_optim.py::test_rmsprop_eps_bound_and_vanishing_gradients", note="The seed's formula (ε inside the root) and its code (ε outside, = torch's rule)."),
    E("scratch.optim.lr_scheduler.LRScheduler", "torch.optim.lr_scheduler.LRScheduler", "Optimizers and schedules", "test_lr_scheduler.py::test_state_dict_resumes_the_schedule", "test_lr_scheduler.py::test_get_last_lr_is_a_copy", "test_lr_scheduler.py::test_bad_input"),
    E("scratch.optim.lr_scheduler.StepLR", "torch.optim.lr_scheduler.StepLR", "Optimizers and schedules", "test_lr_scheduler.py::test_schedule_matches_torch"),
    E("scratch.optim.lr_scheduler.MultiStepLR", "torch.optim.lr_scheduler.MultiStepLR", "Optimizers and schedules", "test_lr_scheduler.py::test_schedule_matches_torch"),
    E("scratch.optim.lr_scheduler.ExponentialLR", "torch.optim.lr_scheduler.ExponentialLR", "Optimizers and schedules", "test_lr_scheduler.py::test_schedule_matches_torch"),
    E("scratch.optim.lr_scheduler.CosineAnnealingLR", "torch.optim.lr_scheduler.CosineAnnealingLR", "Optimizers and schedules", "test_lr_scheduler.py::test_schedule_matches_torch", note="Chainable, as torch computes it: lr_t = η_min + (lr_{t-1} - η_min)·(1 + cos(πt/T))/(1 + cos(π(t-1)/T)); past T_max the lr climbs back (no restart)."),
    E("scratch.optim.lr_scheduler.LinearLR", "torch.optim.lr_scheduler.LinearLR", "Optimizers and schedules", "test_lr_scheduler.py::test_schedule_matches_torch"),
    E("scratch.optim.lr_scheduler.SequentialLR", "torch.optim.lr_scheduler.SequentialLR", "Optimizers and schedules", "test_lr_scheduler.py::test_schedule_matches_torch", "test_lr_scheduler.py::test_state_dict_matches_torchs_counters", "test_trajectories.py::test_beale_race", note="The seed's warmup + cosine schedule is SequentialLR([LinearLR, CosineAnnealingLR], milestones=[warmup])."),
    E("scratch.optim.lr_scheduler.OneCycleLR", "torch.optim.lr_scheduler.OneCycleLR", "Optimizers and schedules", "test_lr_scheduler.py::test_schedule_matches_torch", "test_lr_scheduler.py::test_one_cycle_refuses_to_step_past_total_steps", "test_trajectories.py::test_spiral_mlp", note="Also cycles momentum (SGD/RMSprop) or β₁ (Adam/AdamW) between max_momentum and base_momentum, as torch does."),
    # -- Regularisation --
    E("scratch.nn.Dropout", "torch.nn.Dropout", "Regularisation", "test_dropout.py::test_dropout_module_with_torch_mask", "test_dropout.py::test_eval_mode_is_identity", "test_dropout.py::test_keep_rate_and_inverted_scaling", "test_ties_and_kinks.py::test_dropout_at_p_zero_and_one", note="Inverted dropout (scale 1/(1-p) while training, identity in eval), as torch; the original paper scaled by 1-p at test time instead. Parity is exact given torch's own mask; scratch's RNG is tested against a Clopper-Pearson interval."),
    E("scratch.functional.dropout", "torch.nn.functional.dropout", "Regularisation", "test_dropout.py::test_dropout_module_with_torch_mask", "test_dropout.py::test_eval_mode_is_identity", "test_ties_and_kinks.py::test_dropout_at_p_zero_and_one"),
    E("scratch.nn.BatchNorm1d", "torch.nn.BatchNorm1d", "Regularisation", "test_batchnorm.py::test_batchnorm_modes", "test_batchnorm.py::test_batchnorm_running_stats", "test_ties_and_kinks.py::test_batch_norm_constant_channels", note="Normalises with the biased batch variance but stores the UNBIASED one (×m/(m-1)) in running_var, as torch; the seed keeps the biased one. torch's momentum=0.1 is the weight of the NEW batch (running = (1-momentum)·running + momentum·batch), i.e. the 0.9 of the 'running = 0.9·running + 0.1·batch' convention; momentum=None is a cumulative average."),
    E("scratch.nn.BatchNorm2d", "torch.nn.BatchNorm2d", "Regularisation", "test_batchnorm.py::test_batchnorm_modes", "test_batchnorm.py::test_batchnorm_running_stats", "test_batchnorm.py::test_batchnorm2d_is_vectorised_on_mnist_sized_batches", "test_ties_and_kinks.py::test_batch_norm_constant_channels", note="Same running-variance note as BatchNorm1d; statistics per channel over (N, H, W)."),
    E("scratch.functional.batch_norm", "torch.nn.functional.batch_norm", "Regularisation", "test_batchnorm.py::test_functional_batch_norm"),
    E("scratch.regularization.l1_penalty", "torch_ref.regularization.l1_penalty", "Regularisation", "test_regularization.py::test_penalty_value_and_gradient", "test_regularization.py::test_l1_gradient_descent_matches_autograd"),
    E("scratch.regularization.l1_penalty_grad", "torch_ref.regularization.l1_penalty", "Regularisation", "test_regularization.py::test_penalty_value_and_gradient", "test_regularization.py::test_l1_gradient_descent_matches_autograd", "test_ties_and_kinks.py::test_l1_penalty_gradient_at_zero", note="λ·sign(w), 0 at w = 0 like autograd's abs'."),
    E("scratch.regularization.l2_penalty", "torch_ref.regularization.l2_penalty", "Regularisation", "test_regularization.py::test_penalty_value_and_gradient", "test_regularization.py::test_sgd_weight_decay_equals_l2_penalty", "test_regularization.py::test_seed_convention_is_twice_the_weight_decay", note="(λ/2)·‖w‖², so that it equals torch.optim.SGD(weight_decay=λ); a penalty written λ·‖w‖² (a common course convention) is weight_decay=2λ."),
    E("scratch.regularization.l2_penalty_grad", "torch.optim.SGD", "Regularisation", "test_regularization.py::test_penalty_value_and_gradient", "test_regularization.py::test_sgd_weight_decay_equals_l2_penalty", note="λ·w: exactly what SGD's weight_decay=λ adds to the gradient."),
    E("scratch.regularization.overfitting_data", "torch_ref.regularization.overfitting_data", "Regularisation", "test_regularization.py::test_overfitting_data_is_the_courses_in_both_twins", note="The course's data bit for bit: 30 points of linspace(-3, 3), y = 0.5x² - x + 1.5·randn from NumPy's legacy seed 42. torch has no generator for those draws (the twin takes them from NumPy), and torch.linspace lands 1 ulp off np.linspace on some points, so the twin spaces x as NumPy does."),
    E("scratch.regularization.polynomial_features", "torch.linalg.vander", "Regularisation", "test_regularization.py::test_least_squares_fit_parity"),
    E("scratch.regularization.fit_least_squares", "torch_ref.regularization.fit_least_squares", "Regularisation", "test_regularization.py::test_least_squares_fit_parity", "test_regularization.py::test_overfitting_story", "test_regularization.py::test_fits_are_the_courses_own", note="Degree 15 on the course's 30 points of [-3, 3] has κ(X) ≈ 2.4e8: coefficients are compared to 10·κ·eps·‖c‖∞ (≈ 2e-6), not to the default float64 atol; they agree to 2.3e-9."),
    E("scratch.regularization.fit_ridge", "torch_ref.regularization.fit_ridge", "Regularisation", "test_regularization.py::test_ridge_fit_parity", "test_regularization.py::test_overfitting_story", "test_regularization.py::test_fits_are_the_courses_own", note="Closed form (XᵀX + λI)⁻¹Xᵀy by a linear solve; the intercept is penalised too (the plain closed form). The course's degree 15 with λ = 10 has κ ≈ 4.7e13 (1.4e11 with unit columns, what LU is sensitive to): compared to 10·κ·eps·‖c‖∞ in float64 (they agree to 1.4e-10), and not in float32, where no digit of those normal equations survives (float32 is compared at degree 2)."),
    E("scratch.nn.utils.clip_grad_norm_", "torch.nn.utils.clip_grad_norm_", "Regularisation", "test_utils.py::test_clip_grad_norm", "test_utils.py::test_clip_grad_norm_skips_missing_grads_and_takes_one_parameter", "test_utils.py::test_clipping_tames_an_exploding_gradient", "test_ties_and_kinks.py::test_clip_grad_norm_at_max_norm", note="torch's clip_coef = max_norm/(total + 1e-6), clamped to 1. max_norm and norm_type go through float() and are otherwise unchecked, as in torch (max_norm 0 zeroes the gradients, a negative one flips them; norm_type 0, negative or -inf are vector_norm's orders). scratch raises ValueError, not RuntimeError, for error_if_nonfinite."),
    E("scratch.nn.utils.fuse_conv_bn_eval", "torch.nn.utils.fusion.fuse_conv_bn_eval", "Convolutions", "test_utils.py::test_fuse_conv_bn_eval_matches_torchs_fusion_and_the_two_modules", "test_utils.py::test_fuse_conv_bn_eval_refuses_training_modules_and_missing_statistics", "test_challenge_twin.py::test_fused_for_inference_gives_the_eval_logits", note="torch raises AssertionError for modules in training mode; scratch raises ValueError. Used by ChallengeNet.fused_for_inference, which the MNIST NumPy engine predicts with."),
    E("scratch.nn.utils.clip_grad_value_", "torch.nn.utils.clip_grad_value_", "Regularisation", "test_utils.py::test_clip_grad_value", "test_ties_and_kinks.py::test_clip_grad_value_at_the_bounds", note="clip_value goes through float() and is unchecked, as in torch: clamp below at -c, then above at c (0 zeroes the gradients, a negative c sets every component to c)."),
    E("scratch.experiments.deep_mlp", "torch_ref.experiments.deep_mlp", "Regularisation", "test_utils.py::test_layer_gradient_norms_parity", "test_utils.py::test_sigmoid_gradients_vanish_relu_gradients_do_not"),
    E("scratch.experiments.layer_gradient_norms", "torch_ref.experiments.layer_gradient_norms", "Regularisation", "test_utils.py::test_layer_gradient_norms_parity", "test_utils.py::test_sigmoid_gradients_vanish_relu_gradients_do_not", note="The seed's vanishing-gradient experiment (section 3.4): 20 He-initialised layers; sigmoid's first-layer gradient is ~1e-10 of ReLU's."),
    # -- Convolutions --
    E("scratch.nn.Conv2d", "torch.nn.Conv2d", "Convolutions", "test_conv.py::test_conv2d_parity", "test_conv.py::test_conv2d_configuration_space", "test_conv.py::test_depthwise_separable_parity", "test_conv.py::test_default_init_matches_torch_bound", "test_conv.py::test_bad_input", note="The seed writes the output size as O = (I - K + 2P)/S + 1; torch (and scratch) use floor((I + 2P - D(K-1) - 1)/S) + 1: dilation widens the kernel to D(K-1)+1 and a stride that does not divide drops the last partial window. padding='same' (stride 1 only) puts the odd extra row/column on the bottom/right, as torch does."),
    E("scratch.nn.ConvTranspose2d", "torch.nn.ConvTranspose2d", "Convolutions", "test_conv.py::test_conv_transpose2d_parity", "test_conv.py::test_conv_transpose2d_configuration_space", "test_conv.py::test_default_init_matches_torch_bound", "test_conv.py::test_bad_input", note="Computed as the gradient of conv2d w.r.t. its input (torch's definition); fan_in for the default init is C_out/groups·KH·KW, as in torch."),
    E("scratch.nn.MaxPool2d", "torch.nn.MaxPool2d", "Convolutions", "test_pooling.py::test_max_pool2d_parity", "test_pooling.py::test_pool2d_configuration_space", "test_pooling.py::test_bad_input", "test_ties_and_kinks.py::test_max_pool_ties", "test_ties_and_kinks.py::test_issue_16_inputs", "test_ties_and_kinks.py::test_relu_then_max_pool_like_challenge_net", note="Gradient routed to the argmax of each window; on a tie the first maximum in row-major order takes it (of several NaNs the last; never the padding), as torch's MaxPoolKernel.cpp. return_indices is not implemented."),
    E("scratch.nn.AvgPool2d", "torch.nn.AvgPool2d", "Convolutions", "test_pooling.py::test_avg_pool2d_parity", "test_pooling.py::test_pool2d_configuration_space", "test_pooling.py::test_bad_input", "test_ties_and_kinks.py::test_avg_pool_ceil_mode_overhang", "test_ties_and_kinks.py::test_issue_16_inputs"),
    E("scratch.nn.AdaptiveAvgPool2d", "torch.nn.AdaptiveAvgPool2d", "Convolutions", "test_pooling.py::test_adaptive_avg_pool2d_parity", "test_pooling.py::test_adaptive_avg_pool2d_configuration_space", "test_pooling.py::test_global_average_pooling_is_the_mean"),
    E("scratch.nn.Flatten", "torch.nn.Flatten", "Convolutions", "test_pooling.py::test_flatten_parity"),
    E("scratch.functional.conv2d", "torch.nn.functional.conv2d", "Convolutions", "test_conv.py::test_functional_forms", "test_conv.py::test_bad_input"),
    E("scratch.functional.conv_transpose2d", "torch.nn.functional.conv_transpose2d", "Convolutions", "test_conv.py::test_functional_forms"),
    E("scratch.nn.conv.conv2d_manual", "torch.nn.functional.conv2d", "Convolutions", "test_conv.py::test_manual_loops_match_im2col_and_torch", note="The seed's nested-loop convolution (single channel or NCHW, groups=1, no dilation), kept as the readable definition."),
    E("scratch.functional.max_pool2d", "torch.nn.functional.max_pool2d", "Convolutions", "test_pooling.py::test_functional_forms", "test_ties_and_kinks.py::test_max_pool_ties"),
    E("scratch.functional.avg_pool2d", "torch.nn.functional.avg_pool2d", "Convolutions", "test_pooling.py::test_functional_forms", "test_ties_and_kinks.py::test_avg_pool_ceil_mode_overhang"),
    E("scratch.functional.adaptive_avg_pool2d", "torch.nn.functional.adaptive_avg_pool2d", "Convolutions", "test_pooling.py::test_functional_forms"),
    # -- Receptive fields --
    E("scratch.receptive_field.conv_output_size", "torch_ref.receptive_field.conv_output_size", "Receptive fields", "test_receptive_field.py::test_conv_output_size_table", "test_receptive_field.py::test_conv_output_size_matches_torch", "test_receptive_field.py::test_bad_input", note="The seed's O = (I - K + 2P)/S + 1 generalised as torch computes it: floor((I + 2P - D(K-1) - 1)/S) + 1, or pooling's ceil_mode (a last window may not start in the right padding)."),
    E("scratch.receptive_field.receptive_field", "torch_ref.receptive_field.receptive_field", "Receptive fields", "test_receptive_field.py::test_seed_tables", "test_receptive_field.py::test_analytic_matches_measured_on_seed_stacks", "test_receptive_field.py::test_analytic_matches_measured_on_random_stacks", note="The twin measures the field: positive constant conv weights, max-pools replaced by average pools of the same geometry (a max-pool's gradient marks only the window's winner), backprop from the centre unit."),
    E("scratch.receptive_field.LayerRF", "torch_ref.receptive_field.receptive_field", "Receptive fields", "test_receptive_field.py::test_analytic_matches_measured_on_seed_stacks"),
    E("scratch.receptive_field.Layer", "torch_ref.receptive_field.build_stack", "Receptive fields", "test_receptive_field.py::test_analytic_matches_measured_on_random_stacks"),
    E("scratch.receptive_field.VGG16", "torchvision.models.vgg.make_layers", "Receptive fields", "test_receptive_field.py::test_seed_tables", "test_receptive_field.py::test_tables_describe_the_torchvision_models"),
    E("scratch.receptive_field.RESNET18_STEM", "torchvision.models.resnet18", "Receptive fields", "test_receptive_field.py::test_seed_tables", "test_receptive_field.py::test_tables_describe_the_torchvision_models"),
    # -- Initialisation --
    E("scratch.nn.init.calculate_gain", "torch.nn.init.calculate_gain", "Initialisation", "test_init.py::test_calculate_gain"),
    E("scratch.nn.init.calculate_fan_in_and_fan_out", "torch.nn.init._calculate_fan_in_and_fan_out", "Initialisation", "test_init.py::test_fan_in_and_fan_out", note="Public here, private in torch; the receptive field (kernel size) multiplies both fans."),
    E("scratch.nn.init.uniform_", "torch.nn.init.uniform_", "Initialisation", "test_init.py::test_requested_bound_or_std_is_bitwise_torch", "test_init.py::test_samples_match_torch_in_distribution"),
    E("scratch.nn.init.normal_", "torch.nn.init.normal_", "Initialisation", "test_init.py::test_requested_bound_or_std_is_bitwise_torch", "test_init.py::test_samples_match_torch_in_distribution"),
    E("scratch.nn.init.xavier_uniform_", "torch.nn.init.xavier_uniform_", "Initialisation", "test_init.py::test_requested_bound_or_std_is_bitwise_torch", "test_init.py::test_samples_match_torch_in_distribution"),
    E("scratch.nn.init.xavier_normal_", "torch.nn.init.xavier_normal_", "Initialisation", "test_init.py::test_requested_bound_or_std_is_bitwise_torch", "test_init.py::test_samples_match_torch_in_distribution"),
    E("scratch.nn.init.kaiming_uniform_", "torch.nn.init.kaiming_uniform_", "Initialisation", "test_init.py::test_requested_bound_or_std_is_bitwise_torch", "test_init.py::test_samples_match_torch_in_distribution", note="torch's default nonlinearity is 'leaky_relu' with a=0, i.e. gain √2 (same as 'relu')."),
    E("scratch.nn.init.kaiming_normal_", "torch.nn.init.kaiming_normal_", "Initialisation", "test_init.py::test_requested_bound_or_std_is_bitwise_torch", "test_init.py::test_samples_match_torch_in_distribution"),
    E("scratch.nn.init.lecun_normal_", "torch_ref.nn.init.lecun_normal_", "Initialisation", "test_init.py::test_requested_bound_or_std_is_bitwise_torch", "test_init.py::test_samples_match_torch_in_distribution", note="Not in torch: defined as kaiming_normal_(mode='fan_in', nonlinearity='linear'), i.e. N(0, 1/fan_in), untruncated (JAX/Flax's lecun_normal is a truncated normal of the same variance)."),
    E("scratch.experiments.init_weight_", "torch_ref.experiments.init_weight_", "Initialisation", "test_init.py::test_activation_stats_by_depth_parity_and_story"),
    E("scratch.experiments.activation_stats_by_depth", "torch_ref.experiments.activation_stats_by_depth", "Initialisation", "test_init.py::test_activation_stats_by_depth_parity_and_story", note="The seed's experiment (10 ReLU layers of 256, the init schemes). Independent RNGs: compared per layer on log scale within 6 standard errors over 4 networks per twin; He keeps the std within [0.5, 2]×, std 0.01 collapses below 1e-6×."),
    # -- Attention --
    E("scratch.functional.scaled_dot_product_attention", "torch.nn.functional.scaled_dot_product_attention", "Attention", "test_attention.py::test_sdpa_parity", "test_attention.py::test_all_blocked_rows", note="Boolean attn_mask: True = take part (SDPA's convention, the opposite of MultiheadAttention's). A row with no allowed key gives 0 (torch 2.14's safe softmax). dropout_p > 0 uses a numpy Generator (generator=), proven against torch's documented formula fed the same keep-mask."),
    E("scratch.functional.scaled_dot_product_attention_forward", "torch.nn.functional.scaled_dot_product_attention", "Attention", "test_attention.py::test_sdpa_parity", "test_attention.py::test_sdpa_dropout_matches_reference", "test_ties_and_kinks.py::test_attention_with_tied_scores", note="CS231n-style (out, cache); the dropout case is compared with torch_ref.nn.attention.sdpa_reference."),
    E("scratch.functional.scaled_dot_product_attention_backward", "torch.nn.functional.scaled_dot_product_attention", "Attention", "test_attention.py::test_sdpa_parity", "test_attention.py::test_sdpa_dropout_matches_reference", "test_ties_and_kinks.py::test_attention_with_tied_scores", note="Hand-written (dQ, dK, dV) vs autograd; uses Σ dP⊙P = Σ dO⊙O (FlashAttention's identity)."),
    E("scratch.nn.MultiheadAttention", "torch.nn.MultiheadAttention", "Attention", "test_attention.py::test_mha_parity", "test_attention.py::test_all_blocked_rows", "test_attention.py::test_mha_eval_with_dropout_and_unbatched", "test_attention.py::test_mha_state_dict_matches_torch", "test_ties_and_kinks.py::test_attention_with_tied_scores", note="Boolean attn_mask/key_padding_mask: True = blocked (the opposite of SDPA's). A row with no allowed key gives NaN with need_weights=True and 0 with need_weights=False, as torch's non-fast path does. batch_first defaults to False, as in torch. kdim/vdim other than embed_dim, add_bias_kv and add_zero_attn are rejected; is_causal is only a hint, attn_mask is always applied."),
    # -- MNIST twin --
    E("scratch.models.ChallengeNet", "mnist_challenge.model.ChallengeNet", "MNIST twin", "test_challenge_twin.py::test_random_weights_outputs_and_all_gradients", "test_challenge_twin.py::test_running_stats_after_training_steps_match", "test_challenge_twin.py::test_state_dict_keys_and_shapes_equal_torch", "test_mnist_train.py::test_numpy_twin_gives_the_trained_models_logits_and_predictions", note="The capstone's residual CNN with the torch model's layer names: the trained state_dict loads as is. In a residual block the upstream gradient reaches x twice (through the addition and through the branch) and the two add."),
]  # fmt: skip


def by_section() -> dict[str, list[Entry]]:
    """Catalog entries grouped in the course's order (what the report lays out)."""
    return {s: [e for e in CATALOG if e.section == s] for s in SECTIONS}
