"""Domain errors: each carries the field it is about and a human message (a catalog key)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a service raises on purpose; pages show `message` to the user."""

    code = "error"

    def __init__(self, message: str, field: str | None = None, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.params = params


class ValidationFailed(DomainError):
    """One or more fields are wrong; `errors` maps field → message."""

    code = "validation"
    # Set by callers that have more to say than one message per field (a workflow graph's
    # problems); declared here for type checkers only, so it is absent unless set.
    problems: list[Any]

    def __init__(self, errors: dict[str, str]) -> None:
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_message, field=first_field)
        self.errors = errors


class PermissionDenied(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    """Also used for rows outside the actor's scope, so their existence is not revealed."""

    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class AuthFailed(DomainError):
    code = "auth"


class RateLimited(DomainError):
    """Too many attempts of something guarded (cross-store look-ups, sign-ins): wait."""

    code = "rate_limited"
