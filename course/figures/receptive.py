"""Receptive-field growth, analytic (scratch.receptive_field) against measured (torch autograd).

``COURSE_TABLES`` holds the course's section-8 stacks and the receptive field its table
prints after each layer; course/08_receptive_fields.ipynb and the figure below share them.
"""

from __future__ import annotations

from course.figures.registry import SCRATCH, TORCH, figure, plt


def _course_resnet_block():
    from scratch.receptive_field import Layer

    # The course's "ResNet-50 (first block)": 7×7/2 conv, 3×3/2 max-pool, then one
    # bottleneck (1×1, 3×3, 1×1). Not scratch.receptive_field.RESNET18_STEM (two basic blocks).
    return [Layer("conv 7×7/2", 7, 2, 3), Layer("max-pool 3×3/2", 3, 2, 1, pool=True),
            Layer("conv 1×1", 1), Layer("conv 3×3", 3, 1, 1), Layer("conv 1×1", 1)]  # fmt: skip


def course_tables() -> dict[str, tuple[list, list[int]]]:
    """{name: (layers, the receptive field the course prints after each layer)}."""
    from scratch.receptive_field import VGG16

    return {
        "VGG-16": (
            VGG16,
            [3, 5, 6, 10, 14, 16, 24, 32, 40, 44, 60, 76, 92, 100, 132, 164, 196, 212],
        ),  # fmt: skip
        "ResNet-50, first block": (_course_resnet_block(), [7, 11, 11, 19, 19]),
    }


def rf_table(layers: list, input_size: int = 224) -> list[dict]:
    """Per layer: its geometry, the analytic field and jump, and the field measured by autograd."""
    from scratch.receptive_field import receptive_field
    from torch_ref.receptive_field import receptive_field as measured_receptive_field

    analytic = receptive_field(layers, input_size)
    measured = measured_receptive_field(layers, input_size)
    return [dict(layer=layer.name, kernel=layer.kernel, stride=layer.stride,
                 padding=layer.padding, analytic=rf.size, jump=rf.jump,
                 measured=last - first + 1, out=rf.out)
            for layer, rf, (_, first, last) in zip(layers, analytic, measured, strict=True)]  # fmt: skip


STACKS = {
    "3×3 convs": [(3, 1, 1, 1)] * 8,
    "3×3 convs, stride 2 every other": [(3, 2 if i % 2 else 1, 1, 1) for i in range(8)],
    "3×3 convs, dilation 2": [(3, 1, 2, 2)] * 8,
}


@figure("Receptive fields", "Receptive-field growth with depth")
def receptive_field_growth():
    from scratch.receptive_field import Layer, receptive_field
    from torch_ref.receptive_field import receptive_field as measured_receptive_field

    fig, ax = plt.subplots(figsize=(7, 4))
    worst = 0
    for index, (name, spec) in enumerate(STACKS.items()):
        layers = [Layer(f"conv{i + 1}", *k) for i, k in enumerate(spec)]
        analytic = [rf.size for rf in receptive_field(layers)]
        measured = [last - first + 1 for _, first, last in measured_receptive_field(layers, 160)]
        worst = max(worst, max(abs(a - m) for a, m in zip(analytic, measured, strict=True)))
        depth = range(1, len(layers) + 1)
        color = f"C{index}"
        ax.plot(
            depth, analytic, **{**SCRATCH, "color": color, "label": f"{name}: analytic (scratch)"}
        )
        ax.plot(depth, measured, **{**TORCH, "color": "k", "lw": 1.0, "label": None if index else "measured by autograd (torch)"}, marker="o", ms=3)  # fmt: skip
    ax.set(xlabel="depth (layers)", ylabel="receptive field (pixels)")
    ax.legend(fontsize=8)
    caption = (
        "Receptive-field size after each layer for three stacks of 3×3 convolutions: "
        "scratch.receptive_field's formula r_out = r_in + (k_eff−1)·j_in (solid) against the "
        "torch twin's measurement, the extent of the input pixels that get a nonzero gradient "
        "from the centre output unit of the real torch Conv2d stack (dots). Each plain 3×3 conv "
        "adds 2 pixels, dilation 2 adds 4, and every stride 2 doubles what each later layer "
        "adds (the jump j). Largest difference "
        f"between formula and measurement: {worst} pixels."
    )
    return fig, caption


@figure("Receptive fields", "The course's VGG-16 and ResNet tables: formula, measurement, course")
def course_receptive_field_tables():
    fig, axes = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw=dict(width_ratios=(3, 1)))
    worst = 0
    for ax, (name, (layers, printed)) in zip(axes, course_tables().items(), strict=True):
        rows = rf_table(layers)
        depth = range(1, len(rows) + 1)
        analytic, measured = [r["analytic"] for r in rows], [r["measured"] for r in rows]
        worst = max(worst, *(abs(a - b) for a, b in zip(analytic + analytic, measured + printed, strict=True)))  # fmt: skip
        ax.plot(depth, analytic, **{**SCRATCH, "label": "analytic (scratch)"})
        ax.plot(
            depth, measured, **{**TORCH, "label": "measured by autograd (torch)"}, marker="o", ms=4
        )
        ax.plot(depth, printed, "kx", ms=7, label="the course's table")
        ax.set_xticks(list(depth), [r["layer"] for r in rows], rotation=90, fontsize=7)
        ax.set(title=name, ylabel="receptive field (pixels)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    caption = (
        "The receptive field after each layer of the course's two stacks: scratch.receptive_field's "
        "formula (solid), the torch twin's measurement on a 224×224 input, the span of input "
        "pixels that get a gradient from the centre output unit (dashed, dots), and the number the "
        f"course's table prints (crosses). Largest disagreement among the three: {worst} pixels. "
        "VGG-16 ends at 212; the course's ResNet-50 first block at 19 (its 1×1 convolutions add "
        "nothing)."
    )
    return fig, caption


@figure("Receptive fields", "Which input pixels one unit sees: its gradient, and the formula's box")
def centre_unit_gradient():
    import numpy as np
    import torch

    from scratch.receptive_field import VGG16, receptive_field
    from torch_ref.receptive_field import build_stack

    size, depths = 128, (2, 5, 9, 13)  # after conv1_2, conv2_2, conv3_3 and conv4_3
    analytic = receptive_field(VGG16, size)
    fig, axes = plt.subplots(1, len(depths), figsize=(4 * len(depths), 4.3))
    for ax, depth in zip(axes, depths, strict=True):
        x = torch.ones(1, 1, size, size, dtype=torch.float64, requires_grad=True)
        out = build_stack(VGG16[:depth])(x)
        unit = out.shape[-1] // 2
        out[0, 0, unit, unit].backward()
        grad = x.grad[0, 0].numpy()
        seen = np.flatnonzero(grad.sum(axis=0) > 0)
        with np.errstate(divide="ignore"):
            ax.imshow(np.log10(grad / grad.max()), cmap="magma", vmin=-6, vmax=0)
        first, last = analytic[depth - 1].span(unit)
        ax.add_patch(plt.Rectangle((first - 0.5, first - 0.5), last - first + 1, last - first + 1,
                                   fill=False, ec=SCRATCH["color"], lw=SCRATCH["lw"]))  # fmt: skip
        ax.add_patch(plt.Rectangle((seen[0] - 0.5, seen[0] - 0.5), seen[-1] - seen[0] + 1,
                                   seen[-1] - seen[0] + 1, fill=False, ec=TORCH["color"],
                                   lw=TORCH["lw"], ls=TORCH["ls"]))  # fmt: skip
        ax.set_title(f"{VGG16[depth - 1].name}: r = {analytic[depth - 1].size}", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    caption = (
        f"The gradient of one centre unit of VGG-16 with respect to a {size}×{size} input, after "
        "four of its layers (log10 of |gradient| relative to its largest value, down to 1e-6), "
        "computed by autograd on the torch stack of the twin (positive constant weights, max-pools "
        "as average pools; white: exactly 0). The solid box is the field scratch's formula "
        "predicts, the dashed box the pixels whose gradient is not zero; they coincide. Inside the box the gradient is far "
        "from uniform: the central pixels reach the unit along many more paths than the edge "
        "ones, so a unit depends mostly on the middle of its field."
    )
    return fig, caption
