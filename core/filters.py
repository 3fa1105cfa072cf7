"""Filters shared by the FilterSets of every app (HTML lists, API, filter forms)."""
import django_filters
from django.utils.translation import gettext_lazy as _


class RegionCodeFilter(django_filters.CharFilter):
    """`region=<code>`: the region (or village) with this code and everything below it."""

    def __init__(self, *args, path: str, **kwargs):
        kwargs.setdefault("label", _("Region code"))
        kwargs.setdefault("help_text", _("A division code: 33, 3305, 330523, 330523108 or a village code."))
        super().__init__(*args, field_name=path, lookup_expr="startswith", **kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        if value and not value.isdigit():
            return qs.none()
        return super().filter(qs, value)
