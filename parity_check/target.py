"""Find the user's object from a TARGET string: ``path/to/file.py:Name`` or ``package.module:Name``.

Errors are ``UsageError`` with one line: the file or module that was not found, or the names
the file does define when ``Name`` is not one of them.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from pathlib import Path

from parity_check.errors import UsageError, UserCodeError


def split_target(target: str) -> tuple[str, str]:
    where, sep, name = target.rpartition(":")
    if not sep or not where or not name.isidentifier():
        raise UsageError(
            f"TARGET must be path/to/file.py:Name or package.module:Name, got {target!r}"
        )
    return where, name


_USER_FOLDERS: list[str] = []  # folders of user files put on sys.path, newest first


def _use_folder(folder: Path) -> None:
    """Let a user's file import its neighbours, now and when its functions run later: its
    folder goes first on ``sys.path`` (the folders of earlier checks leave it), and modules
    imported from it or from those folders are forgotten, so a neighbour of the same name
    in another folder (two learners' ``layers.py``) is imported afresh, not reused."""
    folders = [str(folder), *_USER_FOLDERS]
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None) or ""
        if name.startswith("_parity_check_") or any(file.startswith(f + os.sep) for f in folders):
            del sys.modules[name]
    for old in _USER_FOLDERS:
        while old in sys.path:
            sys.path.remove(old)
    _USER_FOLDERS[:] = [str(folder)]
    sys.path.insert(0, str(folder))


def load_module(where: str):
    """Import a file (by path) or a module (by dotted name); user import errors are reported."""
    if where.endswith(".py") or "/" in where or "\\" in where or Path(where).is_file():
        path = Path(where).expanduser()
        if not path.is_file():
            raise UsageError(f"file not found: {where}")
        if path.suffix != ".py":
            hint = (" (a notebook: `jupyter nbconvert --to script` makes one, or call check() "
                    "on the object inside the notebook)") if path.suffix == ".ipynb" else ""  # fmt: skip
            raise UsageError(f"TARGET must be a Python file (.py), got {where}{hint}")
        path = path.resolve()
        module_name = f"_parity_check_{abs(hash(str(path)))}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        _use_folder(path.parent)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except (Exception, SystemExit) as err:  # noqa: BLE001 - the user's module failed to import
            sys.modules.pop(module_name, None)
            raise UserCodeError(f"importing {where}", err) from err
        return module
    try:
        return importlib.import_module(where)
    except ModuleNotFoundError as err:
        if err.name and where.startswith(err.name):
            raise UsageError(
                f"module not found: {where} (is it installed or on PYTHONPATH?)"
            ) from None
        raise UserCodeError(f"importing {where}", err) from err
    except (Exception, SystemExit) as err:  # noqa: BLE001
        raise UserCodeError(f"importing {where}", err) from err


def defined_names(module) -> list[str]:
    """The public classes and functions a module defines itself (not the ones it imports)."""
    return sorted(
        name for name, value in vars(module).items()
        if not name.startswith("_") and (inspect.isclass(value) or inspect.isfunction(value))
        and getattr(value, "__module__", None) == module.__name__
    )  # fmt: skip


def load_target(target: str):
    """The object ``Name`` of ``TARGET``; ``UsageError`` when it cannot be found."""
    where, name = split_target(target)
    module = load_module(where)
    if not hasattr(module, name):
        names = defined_names(module)
        listing = ", ".join(names) if names else "no public classes or functions"
        raise UsageError(f"{where} has no {name!r}; it defines: {listing}")
    return getattr(module, name)
