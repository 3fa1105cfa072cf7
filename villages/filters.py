import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.filters import OrderingFilter, RegionCodeFilter, UpdatedSinceFilter, ascii_digits

from .models import Village, VillageCategory, VillageKind


class VillageFilterSet(django_filters.FilterSet):
    region = RegionCodeFilter(path="code")
    category = django_filters.ChoiceFilter(choices=VillageCategory.choices, label=_("category"))
    kind = django_filters.ChoiceFilter(choices=VillageKind.choices, label=_("kind"))
    q = django_filters.CharFilter(method="search", label=_("Search"))
    updated_since = UpdatedSinceFilter(field_name="updated_at")
    ordering = OrderingFilter(
        fields=(("code", "code"), ("short_name", "name"), ("updated_at", "updated")),
        field_labels={"code": _("code"), "short_name": _("name"), "updated_at": _("last updated")}, label=_("Order by"),
    )

    class Meta:
        model = Village
        fields = ["region", "category", "kind"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if ascii_digits(value):
            return queryset.filter(code__startswith=value)
        return queryset.filter(Q(short_name__contains=value) | Q(name__contains=value))
