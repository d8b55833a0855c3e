"""The learner optimizer styles, in the order they are tried (the first that matches drives).

A class with ``step()`` or ``step(params, grads)`` is torch's or the course's protocol, which
``specs/optim_spec.py`` drives itself; these adapters come first because none of them has a
``step``:

1. ``optim_book``: a class with ``update(params, grads)`` (the "from Scratch" book);
2. ``optim_nnfs``: a class with ``update_params(layer)`` (nnfs);
3. ``optim_rule``: a function with a ``config`` argument (CS231n's ``rule(w, dw, config)``);
4. ``optim_dlai``: a function over ``(parameters, grads, ...)`` (deeplearning.ai);
5. ``optim_step``: any other function, a step ``f(w, state..., g, lr, ...)``.

Each module has ``NAME``, ``matches(obj)`` and ``stepper(target, spec, full, np_dtype) ->
(step, used)``: ``step(w, g, lr, t)`` takes the flat parameters, their gradient, the step's
lr and its number (from 1) and returns the new flat parameters; ``used`` is the settings torch
must run with (it may still change at the first step, when a setting is read back).
"""

from __future__ import annotations

from parity_check.protocols import (
    optim_book,
    optim_dlai,
    optim_nnfs,
    optim_rule,
    optim_step,
)

STYLES = (optim_book, optim_nnfs, optim_rule, optim_dlai, optim_step)


def find(obj):
    """The first style whose ``matches(obj)`` holds, or None."""
    return next((style for style in STYLES if style.matches(obj)), None)
