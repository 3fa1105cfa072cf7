"""Writes of the core app: users and their role grants (audited)."""
from __future__ import annotations

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import audit
from .divisions import LEVEL_BY_LENGTH, RegionLevel
from .exceptions import InvalidInput
from .models import ROLE_CODE_LENGTHS, AuditAction, Role, RoleAssignment


def role_grant_check(role: str, region_code: str):
    """The region of a grant of ``role``, or InvalidInput naming the field (role, region) that is wrong."""
    Region = RoleAssignment._meta.get_field("region").related_model  # villages.Region, without importing a domain app
    if role not in Role.values:
        raise InvalidInput(
            _("Unknown role “%(role)s”; choose one of: %(roles)s.") % {"role": role, "roles": ", ".join(Role.values)},
            field_errors={"role": _("Unknown role.")},
        )
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise InvalidInput(
            _("No region has the code “%(code)s”.") % {"code": region_code}, field_errors={"region": _("Unknown region code.")}
        )
    if len(region.code) not in ROLE_CODE_LENGTHS[role]:
        allowed = "/".join(str(RegionLevel(LEVEL_BY_LENGTH[n]).label) for n in ROLE_CODE_LENGTHS[role])
        raise InvalidInput(
            _("The role %(role)s is held for a %(allowed)s, but %(region)s is a %(level)s.")
            % {"role": role, "allowed": allowed, "region": region, "level": region.get_level_display()},
            field_errors={"region": _("Wrong level for this role.")},
        )
    return region


@transaction.atomic
def role_grant(*, actor, user, role: str, region_code: str) -> tuple[RoleAssignment, bool]:
    """Grant ``role`` for the region to ``user``; returns (assignment, created)."""
    region = role_grant_check(role, region_code)
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, role=role, region=region, defaults={"granted_by": actor if getattr(actor, "pk", None) else None}
    )
    if created:
        audit.record(
            actor=actor, action=AuditAction.GRANT, obj=assignment,
            changes={"user": [None, user.username], "role": [None, role], "region": [None, region.code]},
        )
    return assignment, created


@transaction.atomic
def role_revoke(*, actor, assignment: RoleAssignment) -> None:
    audit.record(
        actor=actor, action=AuditAction.REVOKE, obj=assignment,
        changes={"user": [assignment.user.username, None], "role": [assignment.role, None], "region": [assignment.region_id, None]},
    )
    assignment.delete()


@transaction.atomic
def user_ensure_with_role(
    *, actor, username: str, role: str, region_code: str, password: str | None = None, display_name: str = ""
):
    """Create the user if needed (validating the password), then grant the role.
    Everything or nothing: a bad role, code or password leaves no user behind."""
    role_grant_check(role, region_code)
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    created = user is None
    if created:
        user = User(username=username, first_name=display_name)
        if password:
            try:
                password_validation.validate_password(password, user)
            except ValidationError as exc:
                raise InvalidInput("; ".join(exc.messages), field_errors={"password": exc.messages}) from exc
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        audit.record_create(actor=actor, obj=user)
    elif password:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise InvalidInput("; ".join(exc.messages), field_errors={"password": exc.messages}) from exc
        user.set_password(password)
        user.save(update_fields=["password"])
        audit.record(actor=actor, action=AuditAction.UPDATE, obj=user, changes={"password": ["***", "***"]})
    assignment, granted = role_grant(actor=actor, user=user, role=role, region_code=region_code)
    return user, created, assignment, granted


# --- API tokens (django-rest-knox: only a SHA-512 digest of each token is stored) -----------------------------

def _token_model():
    from knox.models import get_token_model

    return get_token_model()


def _live_tokens(user):
    from django.db.models import Q
    from django.utils import timezone

    return _token_model().objects.filter(Q(expiry__gt=timezone.now()) | Q(expiry__isnull=True), user=user)


@transaction.atomic
def token_issue(*, user, request=None) -> tuple[str, object]:
    """A new API token for ``user`` (already authenticated): returns (token, row). The token itself is
    shown once; the row keeps its digest, its first characters (``token_key``) and its expiry
    (``API_TOKEN_TTL_DAYS``). Refused (409) when the user already holds ``API_TOKENS_PER_USER`` live tokens."""
    import datetime

    from django.conf import settings

    get_user_model().objects.select_for_update(of=("self",)).filter(pk=user.pk).first()  # one issue at a time per user
    limit = settings.API_TOKENS_PER_USER
    if limit is not None and _live_tokens(user).count() >= limit:
        from .exceptions import TooManyTokens

        raise TooManyTokens()
    row, token = _token_model().objects.create(user=user, expiry=datetime.timedelta(days=settings.API_TOKEN_TTL_DAYS))
    audit.record(actor=user, action=AuditAction.UPDATE, obj=user, note=f"API token issued ({row.token_key[:8]}…)",
                 changes={"api_token": [None, row.token_key[:8]]})
    return token, row


@transaction.atomic
def token_revoke(*, actor, token) -> None:
    """Revoke one API token (its owner, over the API or on the tokens page)."""
    user = token.user
    key = token.token_key[:8]
    deleted, _rows = _token_model().objects.filter(pk=token.pk).delete()
    if deleted:
        audit.record(actor=actor, action=AuditAction.UPDATE, obj=user, note=f"API token revoked ({key}…)",
                     changes={"api_token": [key, None]})


@transaction.atomic
def tokens_revoke_all(*, actor, user, reason: str) -> int:
    """Revoke every API token of ``user`` (the tokens page's "revoke all", a password change, a deactivation);
    returns how many there were. Writes one audit row when there were any."""
    deleted, _rows = _token_model().objects.filter(user=user).delete()
    if deleted:
        audit.record(actor=actor, action=AuditAction.UPDATE, obj=user, note=f"API tokens revoked: {reason}",
                     changes={"api_tokens": [deleted, 0]})
    return deleted


def tokens_purge_expired() -> int:
    """Delete expired tokens (no audit row: they were refused already when they expired)."""
    from django.utils import timezone

    deleted, _rows = _token_model().objects.filter(expiry__lte=timezone.now()).delete()
    return deleted
