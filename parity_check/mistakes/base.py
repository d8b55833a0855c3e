"""A catalogued mistake: a deliberately wrong variant of a reference computation.

Each variant follows scratch's own protocol (a Module subclass, a function, an optimizer or a
scheduler), so the checker drives it exactly as it drives a user's code. The diagnosis runs
every mistake of the failing component on the same cases and names the one whose numbers the
user's reproduce.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Mistake:
    key: str  # short stable name, e.g. "batchnorm-biased-running-var"
    components: tuple[str, ...]  # the spec names it applies to
    section: str  # the course section it belongs to (catalog.SECTIONS)
    explanation: str  # one line, said to the user: what their numbers match and what to do
    obj: Any  # the wrong variant, in scratch's protocol; or a dict {component: variant}
    derivative: Any = None  # for a function: its (wrong or right) derivative

    def variant(self, component: str) -> Any:
        """The wrong variant to run as ``component``."""
        return self.obj[component] if isinstance(self.obj, dict) else self.obj
