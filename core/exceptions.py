"""Domain errors: one type per kind of refusal, raised by services and turned
into responses in one place (core.views.domain_error_response for HTML,
core.api.exception_handler for the API).

Each carries a machine ``code``, a human ``message`` (translated) and, where
the refusal is about input, ``field_errors`` {field: [messages]}.
"""
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "invalid"
    status = 400
    default_message = _("The request was refused.")

    def __init__(self, message=None, *, field_errors: dict | None = None, **context):
        self.message = message or self.default_message
        self.field_errors = {k: [str(m) for m in (v if isinstance(v, (list, tuple)) else [v])] for k, v in (field_errors or {}).items()}
        self.context = context
        super().__init__(str(self.message))


class NotPermitted(DomainError, PermissionDenied):
    """Also a PermissionDenied, so every interface answers it with 403."""

    code = "not_permitted"
    status = 403
    default_message = _("You do not have permission to do this.")

    def __init__(self, action: str = "", message=None):
        super().__init__(message, action=action)
        self.action = action


class InvalidInput(DomainError):
    code = "invalid"
    status = 400
    default_message = _("Please correct the errors below.")


class IllegalTransition(DomainError):
    code = "illegal_transition"
    status = 409
    default_message = _("This status change is not allowed.")


class StaleVersion(DomainError):
    code = "stale_version"
    status = 409
    default_message = _("Someone else changed this record while you were editing it.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _("The request conflicts with the current state.")


class TooManyTokens(DomainError):
    code = "too_many_tokens"
    status = 409
    default_message = _("You already hold the largest number of API tokens allowed. Revoke one you no longer use on "
                        "/accounts/tokens/, then ask again.")


class NoToken(DomainError):
    code = "no_token"
    status = 400
    default_message = _("This request was not made with an API token, so there is no token to revoke. Send "
                        "Authorization: Token <token>, or revoke tokens on /accounts/tokens/.")
