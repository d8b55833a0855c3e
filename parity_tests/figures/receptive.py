"""Receptive-field growth, analytic (scratch.receptive_field) against measured (torch autograd)."""

from __future__ import annotations

from parity_tests.figures.registry import SCRATCH, TORCH, figure, plt

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
