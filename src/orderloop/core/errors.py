"""Domain errors: every rule violation has a stable machine-readable code and a human message.

The API turns them into `{"code", "message", "details"}` with `http_status`; pages show `message`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code: ClassVar[str] = "domain_error"
    http_status: ClassVar[int] = 400
    default_message: ClassVar[Any] = _("The request could not be completed.")

    def __init__(self, message: Any = None, *, details: dict[str, Any] | None = None) -> None:
        self.message = str(message if message is not None else self.default_message)
        self.details = details or {}
        super().__init__(self.message)


class NotFound(DomainError):
    code = "not_found"
    http_status = 404
    default_message = _("Not found.")


class Conflict(DomainError):
    code = "conflict"
    http_status = 409
    default_message = _("The request conflicts with the current state.")


class InvalidInput(DomainError):
    """Input that is well-formed but breaks a rule; `details` names the field."""

    code = "validation_error"
    http_status = 422
    default_message = _("Some fields are not valid.")


class PermissionDeniedError(DomainError):
    code = "permission_denied"
    http_status = 403
    default_message = _("Your role does not allow this action.")
