"""People as pages show them: by name, not by username (core.models.User.display_name)."""
from django import template

register = template.Library()


@register.filter
def person(user, default="—") -> str:
    """``{{ entry.actor|person }}``: the user's name, else the username; ``default`` for no user (a system change)."""
    if user is None or user == "":
        return default
    return getattr(user, "display_name", None) or str(user)
