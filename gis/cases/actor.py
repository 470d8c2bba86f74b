"""Who acts on a case, as the workflow sees it (the API's principal fits this shape)."""

from __future__ import annotations

from typing import Protocol


class Actor(Protocol):
    """The caller: name, role, grids and department; whether personal data may be shown."""

    @property
    def username(self) -> str | None: ...

    @property
    def role(self) -> str: ...

    @property
    def grids(self) -> frozenset[str]: ...

    @property
    def department(self) -> str | None: ...

    @property
    def sees_personal(self) -> bool: ...
