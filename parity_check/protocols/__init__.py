"""The learner protocols: each style of from-scratch code, made into the shape the specs drive.

``adapt(spec, target)`` asks each style in turn whether it recognises the target for this
spec, and wraps it; a target no style recognises is driven as it is (scratch's protocol and
the ones ``adapters`` already knows: a Module-like class, a function, a loss, an optimizer).

The order (the first that recognises the target wins; the module styles compose):

1. ``cache_pairs``: CS231n's ``X_forward(x, *params[, X_param]) -> (out, cache)`` with its
   ``X_backward(dout, cache)``, for a module spec, when the target is a function;
2. ``nnfs_loss``: nnfs's loss classes, for ``CrossEntropyLoss``;
3. for a module spec and a class, every one of these that applies, on one wrapper
   (``wrapper.adapted_class``): ``array_built`` (the constructor takes the weight arrays),
   ``backward_lr`` (backward applies its own SGD step), ``nnfs`` (results stored in
   ``self.output``/``self.dinputs``).

The styles' modules are imported here lazily: they import ``adapters``, which imports
``protocols.names``.
"""

from __future__ import annotations

from parity_check.specs.base import Target


def adapt(spec, target: Target) -> Target:
    """``target`` with its object wrapped in the style it is written in (in place)."""
    from parity_check.protocols import (
        array_built,
        backward_lr,
        cache_pairs,
        nnfs,
        nnfs_loss,
        wrapper,
    )

    obj = target.obj
    if spec.kind == "module" and cache_pairs.recognises(spec, obj):
        target.obj = cache_pairs.wrap(spec, obj, target)
        return target
    if spec.kind == "loss" and nnfs_loss.recognises(spec, obj):
        target.obj = nnfs_loss.wrap(spec, obj, target)
        return target
    if spec.kind != "module" or not isinstance(obj, type):
        return target
    how: dict = {}
    styles = []
    for style in (array_built, backward_lr, nnfs):
        found = style.recognises(spec, obj)
        if found is not None:
            how.update(found)
            styles.append(style.__name__.rsplit(".", 1)[-1])
    if not styles:
        return target
    if "lr_name" in how:
        backward_lr.note(target, how["lr_name"])
    if how.get("stored"):
        nnfs.note(target)
    target.obj = wrapper.adapted_class(spec, obj, target, "+".join(styles), **how)
    return target
