"""What the header of every page shows about the signed-in user: their role grants as department and region."""
from django.utils.functional import SimpleLazyObject

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
    names = dict(Region.objects.filter(code__in={g.code for g in held}).values_list("code", "name"))
    return [(names.get(g.code, g.code), str(Role(g.role).label)) for g in held]


def identity(request):
    user = getattr(request, "user", None)
    return {
        "identity": SimpleLazyObject(lambda: _identity(user)),
    }
