"""Writes of the core app: users and their role grants (audited)."""
from __future__ import annotations

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from villages.models import LEVEL_BY_LENGTH, Region, RegionLevel

from . import audit
from .exceptions import InvalidInput
from .models import ROLE_CODE_LENGTHS, AuditAction, Role, RoleAssignment


def _validate_grant(role: str, region_code: str) -> Region:
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
    region = _validate_grant(role, region_code)
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
    _validate_grant(role, region_code)
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
