"""Domain errors. Services raise these; the API maps them to HTTP once, the web to form errors.

Every error carries a message for the person in front of the screen (Chinese by default, English when
the request asked for it): what is wrong and how to put it right.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain refused the request. ``code`` is stable and machine-readable."""

    http_status = 422
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None, **details: Any):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.field:
            data["field"] = self.field
        if self.details:
            data["details"] = {k: str(v) for k, v in self.details.items()}
        return data


class ValidationFailed(DomainError):
    """Input is malformed: a wrong check digit, an impossible date, an unknown field."""

    http_status = 422
    code = "validation_failed"


class PermissionDenied(DomainError):
    """The user is known but may not do this."""

    http_status = 403
    code = "permission_denied"


class NotFound(DomainError):
    """The object does not exist, or the user may not know that it exists."""

    http_status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request clashes with the current state: a double submission, a closed window."""

    http_status = 409
    code = "conflict"
