"""Parameter, Module, Sequential and ModuleList: the skeleton every scratch layer hangs on.

Twin: ``torch.nn.Parameter`` / ``torch.nn.Module`` (torch_ref needs no file of its own for these).

The one thing autograd does for torch that we do by hand is ``backward``: each Module keeps
what its last ``forward`` needs (its *cache*), and ``backward(grad_output)`` applies the
chain rule once, returning d(loss)/d(input) and **adding** d(loss)/d(param) into
``param.grad``, exactly like ``loss.backward()`` accumulates into ``tensor.grad``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping

import numpy as np

from scratch._checks import FLOAT_DTYPES


class Parameter:
    """A trainable array: ``.data`` (the value) and ``.grad`` (None until a backward)."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = np.array(data, copy=True)
        if self.data.dtype not in FLOAT_DTYPES:
            raise TypeError(f"Parameter data must be float32 or float64, got {self.data.dtype}")
        self.grad: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def accumulate(self, grad: np.ndarray) -> None:
        """``grad += g``, as autograd does when a tensor is used more than once."""
        grad = grad.astype(self.data.dtype, copy=False)
        self.grad = grad.copy() if self.grad is None else self.grad + grad

    def __repr__(self) -> str:
        return f"Parameter(shape={self.shape}, dtype={self.dtype})"


class Module:
    """Base class. Subclasses define ``forward`` and, right under it, ``backward``."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_cache", None)

    # -- registration: attributes that are Parameters or Modules are tracked, in order --
    def __setattr__(self, name: str, value: object) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"call Module.__init__() before assigning {name!r}")
        if name in self._buffers and not isinstance(value, (Parameter, Module)):
            object.__setattr__(self, name, value)  # a buffer stays a buffer when updated
            return
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, value: np.ndarray | None) -> None:
        """A non-trainable array that is part of the state (BatchNorm's running stats)."""
        object.__setattr__(self, name, value)
        self._buffers[name] = name

    # -- forward / backward --
    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def backward(self, grad_output: np.ndarray):
        raise NotImplementedError(f"{type(self).__name__} does not define backward()")

    def saved(self):
        """The cache of the last forward; a clear error if backward comes first."""
        if self._cache is None:
            raise ValueError(
                f"{type(self).__name__}.backward() called before forward(): "
                "there is no saved input to differentiate at"
            )
        return self._cache

    # -- traversal --
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        yield prefix, self
        for name, module in self._modules.items():
            yield from module.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        for module_name, module in self.named_modules(prefix):
            for name, param in module._parameters.items():
                if param is not None:
                    yield (f"{module_name}.{name}" if module_name else name), param

    def parameters(self) -> Iterator[Parameter]:
        for _, param in self.named_parameters():
            yield param

    def named_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        for module_name, module in self.named_modules():
            for name in module._buffers:
                value = getattr(module, name)
                if value is not None:
                    yield (f"{module_name}.{name}" if module_name else name), value

    def zero_grad(self) -> None:
        """Forget accumulated gradients (torch's default ``set_to_none=True``)."""
        for param in self.parameters():
            param.grad = None

    def train(self, mode: bool = True) -> Module:
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        return self.train(False)

    # -- dtype --
    def to(self, dtype: type | np.dtype) -> Module:
        """Cast parameters and floating buffers, like ``module.to(torch.float64)``."""
        dtype = np.dtype(dtype)
        if dtype not in FLOAT_DTYPES:
            raise TypeError(f"dtype must be float32 or float64, got {dtype}")
        for param in self.parameters():
            param.data = param.data.astype(dtype)
            param.grad = None if param.grad is None else param.grad.astype(dtype)
        for module in self.modules():
            for name in module._buffers:
                value = getattr(module, name)
                if value is not None and value.dtype.kind == "f":
                    object.__setattr__(module, name, value.astype(dtype))
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    # -- state --
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Copies of every parameter and buffer, under torch's keys (``0.weight``, ...)."""
        state: OrderedDict[str, np.ndarray] = OrderedDict()
        for module_name, module in self.named_modules():
            dot = f"{module_name}." if module_name else ""
            for name, param in module._parameters.items():
                if param is not None:
                    state[dot + name] = param.data.copy()
            for name in module._buffers:
                value = getattr(module, name)
                if value is not None:
                    state[dot + name] = np.array(value, copy=True)
        return state

    def load_state_dict(self, state_dict: Mapping[str, object], strict: bool = True) -> None:
        """Copy values in, keeping each array's dtype; accepts torch tensors via ``__array__``.

        With ``strict`` the keys must match exactly, as torch's ``load_state_dict`` demands.
        """
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise ValueError(
                f"state_dict keys do not match {type(self).__name__}: "
                f"missing {missing}, unexpected {unexpected}"
            )
        targets = {}
        for module_name, module in self.named_modules():
            dot = f"{module_name}." if module_name else ""
            for name in list(module._parameters) + list(module._buffers):
                targets[dot + name] = (module, name)
        for key, value in state_dict.items():
            if key not in own:
                continue
            value = np.asarray(value.detach().cpu() if hasattr(value, "detach") else value)
            if value.shape != own[key].shape:
                raise ValueError(
                    f"state_dict[{key!r}] has shape {value.shape}, expected {own[key].shape}"
                )
            module, name = targets[key]
            if name in module._parameters:
                param = module._parameters[name]
                param.data = value.astype(param.data.dtype, copy=True)
            else:
                old = getattr(module, name)
                object.__setattr__(module, name, value.astype(old.dtype, copy=True))

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [
            f"  ({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()
        ]
        head = f"{type(self).__name__}({self.extra_repr()}"
        return head + ("\n" + "\n".join(lines) + "\n)" if lines else ")")


class Identity(Module):
    """``torch.nn.Identity``: returns its input; the gradient passes through unchanged."""

    def __init__(self, *args: object, **kwargs: object) -> None:  # torch ignores its arguments
        super().__init__()

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output


class _Container(Module):
    """Children registered under ``0``, ``1``, ...: indexing, length and iteration."""

    def __getitem__(self, index: int) -> Module:
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class Sequential(_Container):
    """Apply modules in order; backward walks them in reverse (the chain rule, literally)."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for index, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential argument {index} must be a Module, got {module!r}")
            setattr(self, str(index), module)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for module in self:
            x = module(x)
        return x

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        for module in reversed(list(self)):
            grad_output = module.backward(grad_output)
        return grad_output


class ModuleList(_Container):
    """A list of sub-modules registered under ``0``, ``1``, ... (torch's ``nn.ModuleList``)."""

    def __init__(self, modules: list[Module] | None = None) -> None:
        super().__init__()
        for module in modules or []:
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList items must be Modules, got {module!r}")
        setattr(self, str(len(self._modules)), module)
        return self
