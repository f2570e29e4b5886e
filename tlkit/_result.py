"""The shape every tlkit verdict shares (private).

A result object (quote verification, replay, compatibility report...) has a ``passed`` attribute
or property; :class:`Verdict` makes ``bool(result)`` mean the same, in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["Verdict"]


class Verdict:
    """Mixin: ``bool(result) == result.passed``. Subclasses define ``passed`` (field or property)."""

    __slots__ = ()

    if TYPE_CHECKING:

        @property
        def passed(self) -> bool: ...

    def __bool__(self) -> bool:
        return bool(self.passed)
