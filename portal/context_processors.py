"""What the header of every page shows about the signed-in user: their role grants as department and region."""
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from core.models import Role
from core.scoping import grants


def _identity(user) -> list[tuple[str, str]]:
    """[(region name, role)] for each of the user's grants: "安吉县 · 县级工作人员". One query, only when shown."""
    from villages.models import Region

    if not getattr(user, "is_authenticated", False):
        return []
    held = grants(user)
    if not held:
        return []
    codes = {g.code for g in held}
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    if any(g.role not in Role.values for g in held):
        # A keeper's derived grants (core.scoping.KEEPER) are for villages, not regions.
        from villages.models import Village

        names |= dict(Village.objects.filter(code__in=codes - set(names)).values_list("code", "short_name"))
    return [(names.get(g.code, g.code), _role_label(g.role)) for g in held]


def _role_label(role: str) -> str:
    """The role's name; a derived role that is not a Role (the keeper's) by its own name."""
    return str(Role(role).label) if role in Role.values else _("keeper")


def identity(request):
    user = getattr(request, "user", None)
    return {
        "identity": SimpleLazyObject(lambda: _identity(user)),
    }
