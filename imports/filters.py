import django_filters
from django.utils.translation import gettext_lazy as _

from core.filters import MultipleChoiceFilter

from .models import ImportBatch, ImportKind, ImportStatus


class ImportFilterSet(django_filters.FilterSet):
    """The user's imports: the HTML list and /api/v1/imports/."""

    kind = MultipleChoiceFilter(choices=ImportKind.choices, label=_("kind of import"))
    status = MultipleChoiceFilter(choices=ImportStatus.choices, label=_("status"))
    q = django_filters.CharFilter(field_name="original_name", lookup_expr="contains", label=_("Search"))

    class Meta:
        model = ImportBatch
        fields = ["kind", "status"]
