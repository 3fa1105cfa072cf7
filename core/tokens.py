"""API tokens: django-rest-knox's authentication, and their revocation when a user's password changes or the
user is deactivated.

Revocation lives in one place, the user model's save: a ``pre_save`` handler notes what changed against the
stored row and a ``post_save`` handler deletes the tokens (with an audit row) in the same transaction. That
covers every path: ``set_password()`` + ``save()`` (the password page, the admin's forms, ``changepassword``,
``grant_role --password``), a password made unusable, ``is_active = False`` anywhere. Saves that touch neither
field (``update_fields=["last_login"]`` at every login) cost nothing; a full save reads the stored row once.
A hash upgrade at login (``check_password`` re-hashing the same password with the current hasher) is not
a change. ``QuerySet.update()`` bypasses signals: no code of the project writes passwords that way.
"""
from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions

WATCHED = {"password", "is_active"}


class TokenAuthentication(KnoxTokenAuthentication):
    """knox's scheme (``Authorization: Token <token>``) with two changes: a token that is not valid UTF-8
    answers 401 instead of a server error, and only the presented token is checked for expiry (knox also
    reads every other token of the user on every request; the nightly ``core.purge_expired_tokens`` deletes
    expired rows instead)."""

    def authenticate_credentials(self, token):
        try:
            token.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


def _password_changed(instance, stored_password: str, update_fields) -> bool:
    if instance.password == stored_password:
        return False
    if getattr(instance, "_password", None) is not None:
        return True  # set_password() was called: a new password
    # Django's hash upgrade at login sets the new hash of the same password with update_fields=["password"] and
    # clears _password; anything else that writes another hash (an unusable one, a hash set directly) counts.
    return not (update_fields is not None and set(update_fields) == {"password"})


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="core.tokens.note_credential_change")
def note_credential_change(sender, instance, raw=False, update_fields=None, **kwargs):
    instance._revoke_tokens_because = None
    if raw or instance.pk is None:
        return
    if update_fields is not None and not (set(update_fields) & WATCHED):
        return
    stored = sender._default_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if stored is None:
        return
    if _password_changed(instance, stored["password"], update_fields):
        instance._revoke_tokens_because = "password changed"
    elif stored["is_active"] and not instance.is_active:
        instance._revoke_tokens_because = "user deactivated"


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="core.tokens.revoke_on_credential_change")
def revoke_on_credential_change(sender, instance, created=False, raw=False, **kwargs):
    reason = getattr(instance, "_revoke_tokens_because", None)
    if not reason or created or raw:
        return
    instance._revoke_tokens_because = None
    from .services import tokens_revoke_all

    # The save does not say who made it (the user, an administrator, a command): the audit row names no actor,
    # and carries the request's address as every row does.
    with transaction.atomic():
        tokens_revoke_all(actor=None, user=instance, reason=reason)


try:
    from drf_spectacular.extensions import OpenApiAuthenticationExtension
    from drf_spectacular.plumbing import build_bearer_security_scheme_object
except ImportError:  # pragma: no cover - drf-spectacular is a dependency
    OpenApiAuthenticationExtension = None

if OpenApiAuthenticationExtension is not None:

    class TokenScheme(OpenApiAuthenticationExtension):
        """The OpenAPI security scheme of TokenAuthentication: `Authorization: Token <token>` (the name stays
        `tokenAuth`, as with DRF's authtoken before)."""

        target_class = "core.tokens.TokenAuthentication"
        name = "tokenAuth"

        def get_security_definition(self, auto_schema):
            scheme = build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
            scheme["description"] = ("`Token <token>` from `POST /api/v1/auth/token/`; it expires (see `expiry`) and is "
                                     "revoked by `DELETE /api/v1/auth/token/` or a password change.")
            return scheme
