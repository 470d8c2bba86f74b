"""Who acts on a case, as the workflow sees it (the API's principal fits this shape)."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass
class AuditActor:
    """The actor as the audit log takes it (plain attributes), with the client address."""

    username: str | None
    role: str
    client: str | None = None


def for_audit(actor: Actor) -> AuditActor:
    """Who did a case write, for ``gis.audit.record`` (the principal's address included)."""
    return AuditActor(actor.username, actor.role, getattr(actor, "client", None))
