"""parity-check: the suite's proof pointed at your own implementation.

``check(component, target)`` runs ``target`` (a Module-like class, a function, a loss, an
optimizer or a learning-rate schedule) through the same cases as the suite's twins, in both
precision profiles, compares every output, gradient, buffer and trajectory step with torch,
and when they disagree names the catalogued mistake that reproduces the numbers. The command
line is ``parity-check COMPONENT TARGET`` (``parity_check/cli.py``).
"""

from parity_check.api import check, find_spec
from parity_check.errors import UsageError, UserCodeError
from parity_check.verdict import Verdict

__all__ = ["UsageError", "UserCodeError", "Verdict", "check", "find_spec"]
