"""Domain errors. ``api/errors.py`` maps each class to one HTTP status, in one place.

Every error carries a message a person can act on (Chinese first, English after) and,
where it applies, the name of the offending input field.
"""

from __future__ import annotations

from typing import Any


class GridmapError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.detail = detail

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        if self.detail:
            out["detail"] = self.detail
        return out


class InvalidInput(GridmapError):
    """The request names something malformed (→ 400)."""

    code = "invalid_input"


class Unprocessable(GridmapError):
    """Well-formed but not acceptable here, e.g. a point outside the district (→ 422)."""

    code = "unprocessable"


class NotFound(GridmapError):
    """The named object does not exist (→ 404)."""

    code = "not_found"


class Conflict(GridmapError):
    """The request conflicts with the current state (→ 409)."""

    code = "conflict"


class NotAuthenticated(GridmapError):
    """No or bad credentials (→ 401)."""

    code = "not_authenticated"


class Forbidden(GridmapError):
    """Authenticated but not allowed (→ 403)."""

    code = "forbidden"


class TooLarge(GridmapError):
    """Payload too large (→ 413)."""

    code = "too_large"


class RateLimited(GridmapError):
    """Too many requests (→ 429)."""

    code = "rate_limited"


class SetupError(GridmapError):
    """The environment is not ready (PostGIS missing, port taken …); the CLI exits non-zero."""

    code = "setup"


class Unavailable(GridmapError):
    """A dependency (the database) is not reachable (→ 503)."""

    code = "unavailable"
