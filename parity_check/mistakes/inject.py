"""How a mistake is injected: a subclass of the scratch class whose forward and backward run
with one of scratch's own helpers swapped for a wrong one (``unittest.mock.patch``).

The rest of the scratch implementation is untouched, so the variant differs from the correct
one in exactly the catalogued way.
"""

from __future__ import annotations

from unittest import mock


def patched(cls: type, name: str, **replacements) -> type:
    """``cls`` with each ``module.attr`` replaced (keys are dotted paths, all in one module)
    during forward/backward."""

    def run(method):
        def wrapper(self, *args, **kwargs):
            module, attrs = _split(replacements)
            with mock.patch.multiple(module, **attrs):
                return method(self, *args, **kwargs)

        return wrapper

    body = {"forward": run(cls.forward), "__qualname__": name}
    if hasattr(cls, "backward"):
        body["backward"] = run(cls.backward)
    return type(name, (cls,), body)


def _split(replacements: dict):
    """The one module the dotted paths share, and ``{attribute: replacement}`` in it (a
    mistake may swap a forward helper and its backward, but stays in one module)."""
    modules = {path.rsplit(".", 1)[0] for path in replacements}
    if len(modules) != 1:
        raise ValueError(f"patched() replaces names in one module, got {sorted(modules)}")
    return modules.pop(), {path.rsplit(".", 1)[1]: value for path, value in replacements.items()}
